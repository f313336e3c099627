// Nova boots an instance to ACTIVE within a bound, and its console log shows the guest booted.
// The instance has a config drive, so the compute node's ISO tool (genisoimage) is proven too.

import { shq } from '../shell';
import type { CheckContext } from '../context';
import { pollUntil, withProgress } from '../poll';
import { CheckSkipped } from '../check-failure';

interface ServerRow {
  ID: string;
  Status: string;
}

interface Server {
  id: string;
  status: string;
  addresses?: unknown;
  fault?: unknown;
}

const NOVA_HINT =
  "check /var/log/nova/nova-compute.log on the compute node and nova-conductor.log / nova-scheduler.log on the controller; 'openstack compute service list' shows whether nova-compute is up and enabled";

/**
 * Addresses as the openstack client prints them: `{"net": ["10.0.0.5"]}` (recent clients),
 * `"net=10.0.0.5, fd00::5"` (older ones) or `{"net": [{"addr": …}]}` (the raw API).
 */
function parseAddresses(value: unknown): string[] {
  if (typeof value === 'string') {
    return [...value.matchAll(/(\d{1,3}(?:\.\d{1,3}){3})/g)].map((m) => m[1]);
  }
  if (value && typeof value === 'object') {
    const out: string[] = [];
    for (const v of Object.values(value as Record<string, unknown>)) {
      for (const a of Array.isArray(v) ? v : [v]) {
        if (typeof a === 'string') out.push(...parseAddresses(a));
        else if (a && typeof a === 'object' && typeof (a as { addr?: unknown }).addr === 'string')
          out.push(...parseAddresses((a as { addr: string }).addr));
      }
    }
    return out;
  }
  return [];
}

/** Lines that only a booting guest writes to its serial console, most convincing first. */
const BOOT_MARKERS: Array<[RegExp, string]> = [
  [/\blogin:/i, 'a login prompt'],
  [/Run \/(sbin\/)?init as init process|\binit: |Starting init|Welcome to /i, 'init starting'],
  [/Linux version \d/, 'the kernel starting'],
];

function bootMarker(consoleLog: string): string | undefined {
  return BOOT_MARKERS.find(([re]) => re.test(consoleLog))?.[1];
}

/**
 * The server's port, with the fixed address and the security group: a port of our own rather than
 * `--nic v4-fixed-ip=`, which Debian 13's openstackclient sends under a key Nova's schema refuses
 * (400 "Invalid input for field/attribute networks").
 */
async function findOrCreatePort(ctx: CheckContext, fixedIp: string): Promise<string> {
  const n = ctx.names;
  const s = ctx.state;
  const hint = 'the tenant network and its subnet must exist (tenant-network) and the address be free';
  const rows = await ctx.cli.json<Array<{ ID: string }>>(
    `openstack port list --network ${shq(s.networkId!)} --name ${shq(n.port)} -f json`,
    'Neutron did not list ports',
    hint,
  );
  if (rows[0]) return rows[0].ID;
  const created = await ctx.cli.json<{ id: string }>(
    `openstack port create --network ${shq(s.networkId!)} --fixed-ip ${shq(`ip-address=${fixedIp}`)} --security-group ${shq(s.securityGroupId!)} ${shq(n.port)} -f json`,
    `Neutron did not make the smoke server's port on ${fixedIp}`,
    hint,
  );
  return created.id;
}

async function findOrCreateServer(ctx: CheckContext, fixedIp: string): Promise<string> {
  const n = ctx.names;
  const rows = await ctx.cli.json<ServerRow[]>(
    `openstack server list --name ${shq(`^${n.server}$`)} -f json`,
    'Nova did not list servers',
    NOVA_HINT,
  );
  const active = rows.find((r) => r.Status === 'ACTIVE');
  if (active) return active.ID;
  for (const stale of rows)
    await withProgress(ctx, `stale server ${stale.ID} to be deleted`, () =>
      ctx.cli.must(
        `openstack server delete --wait ${shq(stale.ID)}`,
        `stale server ${stale.ID} could not be deleted`,
        NOVA_HINT,
        {
          timeoutMs: ctx.bounds.serverActiveMs,
        },
      ),
    );
  const s = ctx.state;
  const port = await findOrCreatePort(ctx, fixedIp);
  const created = await ctx.cli.json<Server>(
    `openstack server create --config-drive true --flavor ${shq(s.flavorId!)} --image ${shq(s.imageId!)} --port ${shq(port)} ${shq(n.server)} -f json`,
    'Nova did not accept the server',
    NOVA_HINT,
  );
  return created.id;
}

export async function checkInstanceBoot(ctx: CheckContext): Promise<void> {
  const s = ctx.state;
  if (!s.imageId || !s.flavorId || !s.networkId || !s.securityGroupId)
    throw new CheckSkipped('needs the image and the tenant network, which are not there');
  const fixedIp = ctx.plan.networks.tenant.smokeInstanceIp;
  const id = await findOrCreateServer(ctx, fixedIp);
  const showCommand = `openstack server show ${shq(id)} -f json`;
  const server = await pollUntil(ctx, {
    what: `server ${ctx.names.server} (${id}) to become ACTIVE`,
    boundMs: ctx.bounds.serverActiveMs,
    hint: NOVA_HINT,
    probe: async () => {
      const r = await ctx.cli.run(showCommand);
      if (r.code !== 0)
        return { done: false, status: `server show exit code ${r.code}`, command: showCommand, output: r.stderr };
      const srv = JSON.parse(r.stdout) as Server;
      if (srv.status === 'ACTIVE') return { done: true, value: srv };
      if (srv.status === 'ERROR')
        throw ctx.cli.failure(
          `server ${id} went to ERROR`,
          showCommand,
          JSON.stringify(srv.fault ?? srv, null, 1),
          NOVA_HINT,
        );
      return { done: false, status: srv.status, command: showCommand, output: r.stdout };
    },
  });
  const addresses = parseAddresses(server.addresses);
  const ip = addresses.includes(fixedIp) ? fixedIp : addresses[0];
  if (!ip)
    throw ctx.cli.failure(`server ${id} is ACTIVE without an address`, showCommand, JSON.stringify(server), NOVA_HINT);
  s.instance = { id, fixedIp: ip };

  const consoleCommand = `openstack console log show ${shq(id)}`;
  const marker = await pollUntil(ctx, {
    what: `the console log of ${id} to show a boot`,
    boundMs: ctx.bounds.consoleBootMs,
    hint: 'the instance is ACTIVE but its console shows no boot: with QEMU (TCG) it can be slow; check the console output in the log bundle and nova-compute.log (libvirt errors)',
    probe: async () => {
      const r = await ctx.cli.run(consoleCommand);
      const found = r.code === 0 ? bootMarker(r.stdout) : undefined;
      if (found) return { done: true, value: found };
      const lines = r.stdout.trim() === '' ? 0 : r.stdout.trim().split('\n').length;
      return {
        done: false,
        status: r.code === 0 ? `${lines} console lines, no boot marker yet` : `exit code ${r.code}`,
        command: consoleCommand,
        output: r.stdout + r.stderr,
      };
    },
  });
  ctx.note(`server ${id} ACTIVE at ${ip} with a config drive; console shows ${marker}`);
}
