// The Neutron side of the fix (seed 000 steps 6-8, seed 001's router-gateway-set): run on the
// controller with the openstack CLI and admin credentials sourced from a 0600 file (never argv).
//   external network = the provider subnet, allocation pool = only eth1's registered IP
//   router gateway  = that IP (--fixed-ip), gateway port MAC = eth1's original MAC (as admin)
// Only when the API refuses the MAC change, seed 000's database edit, logged as a warning.

import type { Io } from '../core/io';
import type { RemoteSession } from '../remote/types';
import { ipToInt, isIpv4 } from '../core/net';
import { isUuidLike, isMac, sq } from './shell';
import type { GatewayMacMethod, NeutronFixResult } from './types';

interface NeutronFixOptions {
  session: RemoteSession;
  io: Io;
  /** Admin credentials (OS_* exports), mode 0600 on the controller. */
  adminRc: string;
  externalNetwork: string;
  externalSubnet: string;
  physicalNetwork: string;
  routerName: string;
  cidr: string;
  gateway: string;
  registeredIp: string;
  originalMac: string;
  /**
   * The external subnet's allocation pool (network-fix routed: the provider ENI's secondary
   * addresses). Default: the registered IP alone (seeds).
   */
  allocationPool?: string[];
  /** Give the gateway port eth1's original MAC (seeds, the default); routed keeps Neutron's. */
  moveMac?: boolean;
}

/** Consecutive addresses as Neutron allocation pools ("start=a,end=b"), in order. */
export function allocationPools(addresses: string[]): string[] {
  const sorted = [...new Set(addresses)].sort((a, b) => ipToInt(a) - ipToInt(b));
  const pools: string[] = [];
  let start = sorted[0];
  for (let i = 1; i <= sorted.length; i++) {
    if (i < sorted.length && ipToInt(sorted[i]) === ipToInt(sorted[i - 1]) + 1) continue;
    pools.push(`start=${start},end=${sorted[i - 1]}`);
    start = sorted[i];
  }
  return sorted.length ? pools : [];
}

interface PortRow {
  ID: string;
  'MAC Address': string;
}

/** The argv of every openstack call, as one quoted command line after sourcing the credentials. */
export function openstackCommand(adminRc: string, args: string[]): string {
  return `. ${sq(adminRc)} && openstack ${args.map(sq).join(' ')}`;
}

async function os(o: NeutronFixOptions, args: string[], allowFailure = false) {
  return o.session.exec(openstackCommand(o.adminRc, args), {
    stage: 'network-fix neutron',
    allowFailure,
    timeoutMs: 120_000,
  });
}

async function showOrCreate(
  o: NeutronFixOptions,
  kind: string,
  name: string,
  create: string[],
): Promise<Record<string, unknown>> {
  const shown = await os(o, [kind, 'show', name, '-f', 'json'], true);
  if (shown.code === 0) return JSON.parse(shown.stdout) as Record<string, unknown>;
  o.io.info(`network fix: creating ${kind} ${name}`);
  const created = await os(o, [kind, 'create', ...create, name, '-f', 'json']);
  return JSON.parse(created.stdout) as Record<string, unknown>;
}

/** external_gateway_info is a dict in current clients, a JSON string in old ones. */
function gatewayIps(router: Record<string, unknown>): string[] {
  let info = router.external_gateway_info as unknown;
  if (typeof info === 'string') info = info ? JSON.parse(info) : undefined;
  const ips = (info as { external_fixed_ips?: Array<{ ip_address: string }> } | undefined)?.external_fixed_ips ?? [];
  return ips.map((x) => x.ip_address);
}

/** Polls (every 2 s, up to 3 min) until the L3 agent has plugged the device into the namespace. */
async function waitForDevice(o: NeutronFixOptions, namespace: string, device: string): Promise<void> {
  await o.session.exec(
    [
      `for i in $(seq 90); do ip netns exec ${sq(namespace)} ip link show ${sq(device)} >/dev/null 2>&1 && exit 0; sleep 2; done`,
      `echo ${sq(`the L3 agent did not plug ${device} into ${namespace} within 180 s (see neutron-l3-agent.log)`)} >&2`,
      'exit 1',
    ].join('\n'),
    { stage: 'network-fix gateway device', timeoutMs: 200_000 },
  );
}

/** The subnet's allocation_pools as pools() makes them (current clients: a list; old: a string). */
function subnetPools(subnet: Record<string, unknown>): string[] {
  const raw = subnet.allocation_pools as unknown;
  const list = typeof raw === 'string' ? raw.split(/,\s*(?=start)|\n/) : Array.isArray(raw) ? raw : [];
  return list
    .map((p) =>
      typeof p === 'string' ? p.replace(/\s/g, '') : `${(p as { start: string }).start}-${(p as { end: string }).end}`,
    )
    .map((p) => {
      const m = /^(?:start=)?([\d.]+)(?:-|,end=)([\d.]+)$/.exec(p);
      return m ? `start=${m[1]},end=${m[2]}` : p;
    });
}

export async function configureNeutron(o: NeutronFixOptions): Promise<NeutronFixResult> {
  if (!isMac(o.originalMac)) throw new Error(`network fix: '${o.originalMac}' is not a MAC address`);
  const wanted = allocationPools(o.allocationPool ?? [o.registeredIp]);
  for (const a of o.allocationPool ?? [])
    if (!isIpv4(a)) throw new Error(`network fix: pool address '${a}' is not IPv4`);
  if (!(o.allocationPool ?? [o.registeredIp]).includes(o.registeredIp))
    throw new Error(`network fix: the router gateway ${o.registeredIp} is not in the allocation pool`);
  const net = await showOrCreate(o, 'network', o.externalNetwork, [
    '--external',
    '--provider-network-type',
    'flat',
    '--provider-physical-network',
    o.physicalNetwork,
  ]);
  const subnet = await showOrCreate(o, 'subnet', o.externalSubnet, [
    '--network',
    String(net.id),
    '--subnet-range',
    o.cidr,
    '--gateway',
    o.gateway,
    ...wanted.flatMap((p) => ['--allocation-pool', p]),
    '--no-dhcp',
  ]);
  const have = subnetPools(subnet);
  if (have.join(' ') !== wanted.join(' ')) {
    // A subnet made by an earlier run (or the other mode) with another pool: replace it whole.
    o.io.info(`network fix: external subnet pool ${have.join(' ') || 'none'} -> ${wanted.join(' ')}`);
    await os(o, [
      'subnet',
      'set',
      '--no-allocation-pool',
      ...wanted.flatMap((p) => ['--allocation-pool', p]),
      String(subnet.id),
    ]);
  }
  let router = await showOrCreate(o, 'router', o.routerName, []);
  const routerId = String(router.id);
  if (!isUuidLike(routerId)) throw new Error(`network fix: unexpected router id '${routerId}'`);

  const ips = gatewayIps(router);
  if (!ips.includes(o.registeredIp)) {
    if (ips.length) {
      o.io.info(`network fix: router gateway has ${ips.join(', ')}; moving it to ${o.registeredIp}`);
      await os(o, ['router', 'unset', '--external-gateway', routerId]);
    }
    await os(o, [
      'router',
      'set',
      '--external-gateway',
      String(net.id),
      '--fixed-ip',
      `subnet=${String(subnet.id)},ip-address=${o.registeredIp}`,
      routerId,
    ]);
    router = JSON.parse((await os(o, ['router', 'show', routerId, '-f', 'json'])).stdout) as Record<string, unknown>;
  }

  const ports = JSON.parse(
    (await os(o, ['port', 'list', '--device-owner', 'network:router_gateway', '--router', routerId, '-f', 'json']))
      .stdout,
  ) as PortRow[];
  if (ports.length !== 1)
    throw new Error(`network fix: router ${routerId} has ${ports.length} gateway ports, expected 1`);
  const port = ports[0];
  if (!isUuidLike(port.ID)) throw new Error(`network fix: unexpected port id '${port.ID}'`);
  const qrouterNamespace = `qrouter-${routerId}`;
  const result = (gatewayMacMethod: GatewayMacMethod) => ({
    networkId: String(net.id),
    subnetId: String(subnet.id),
    routerId,
    qrouterNamespace,
    gatewayPortId: port.ID,
    gatewayMacMethod,
  });
  const device = `qg-${port.ID.slice(0, 11)}`;
  // Both ways, the verification that follows looks at the router's namespace: the L3 agent plugs
  // the gateway device there some seconds after the API answered (a restarted agent: tens).
  await waitForDevice(o, qrouterNamespace, device);
  // routed: the controller routes to the port, whatever its MAC; nothing to move, nothing to edit.
  if (o.moveMac === false) return result('not-moved');
  let method: GatewayMacMethod = 'already-set';
  if (port['MAC Address'].toLowerCase() !== o.originalMac) {
    const api = await os(o, ['port', 'set', '--mac-address', o.originalMac, port.ID], true);
    if (api.code === 0) {
      method = 'api';
    } else {
      // Seed 000: "Changing the vrouter's MAC address was not possible through the CLI" → the DB.
      o.io.warning(
        `network fix: Neutron refused the gateway port's MAC change (${(api.stderr || api.stdout).trim().split('\n').pop()}); ` +
          `falling back to seed 000's database edit of ports.mac_address for port ${port.ID}`,
      );
      await o.session.exec(
        `mysql neutron -e ${sq(`UPDATE ports SET mac_address='${o.originalMac}' WHERE id='${port.ID}'`)}`,
        { stage: 'network-fix neutron database' },
      );
      method = 'database';
    }
  }
  // The L3 agent plugged the gateway device before the change and never re-plugs an existing device,
  // so the device gets the MAC Neutron now has on record (its next plug uses the record itself).
  await o.session.exec(
    [
      `cur=$(ip netns exec ${sq(qrouterNamespace)} cat /sys/class/net/${device}/address)`,
      `[ "$cur" = ${sq(o.originalMac)} ] || ip netns exec ${sq(qrouterNamespace)} ip link set dev ${sq(device)} address ${sq(o.originalMac)}`,
    ].join('\n'),
    { stage: 'network-fix gateway device', timeoutMs: 180_000 },
  );
  return result(method);
}
