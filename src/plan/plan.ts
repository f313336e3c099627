// Settings → Plan: the full description of the environment, computed without any I/O. Providers,
// the stage runner, the network fix, the smoke checks and the report all read the Plan; none of
// them re-derives a node, an address or an order.

import { Settings } from '../settings/inputs';
import {
  DEFAULT_INSTANCE_TYPES,
  NicName,
  offersNestedVirtualization,
  Role,
  ROLE_NICS,
} from '../settings/instance-types';
import { packageSource, releaseLabel } from '../settings/matrix';
import { Tags } from '../core/names';
import { hostIn, subnet24 } from '../core/net';
import { buildStageGraph } from './stages';
import type {
  ExternalPoolAddress,
  NicPurpose,
  Plan,
  PlanContext,
  PlannedCheck,
  PlannedDisk,
  PlannedNic,
  PlannedNode,
  PlannedSecurityGroup,
  PlannedSubnet,
} from './types';

/** Host offsets inside each /24, per role: fixed so every run of a Plan has the same addresses. */
const HOST = {
  controller: 11,
  controllerPublic: 12,
  compute: (i: number) => 20 + i,
  block: (i: number) => 30 + i,
  object: (i: number) => 40 + i,
  /** network-fix routed: the external pool, in the provider subnet (at most 49 addresses: .100-.148). */
  pool: (i: number) => 100 + i,
};

/** The self-service network the smoke checks create, and its fixed hosts. */
const TENANT_CIDR = '192.168.100.0/24';
const TENANT_HOST = { gateway: 1, smokeInstance: 10 };

/**
 * The public HTTPS ports and the internal plain-HTTP port each fronts (TripleO's numbers). The
 * elastic IP reaches the controller on the same ports the VPC uses, so TLS gets ports of its own;
 * the tls-proxy stage terminates it (lib.sh's tls_port holds the same list, a unit test keeps the
 * two equal).
 */
export const PUBLIC_TLS_PORTS: Array<{ port: number; internal: number; description: string }> = [
  { port: 443, internal: 80, description: 'Horizon dashboard (HTTPS)' },
  { port: 13000, internal: 5000, description: 'Keystone identity API (HTTPS)' },
  { port: 13080, internal: 6080, description: 'noVNC console proxy (HTTPS)' },
  { port: 13292, internal: 9292, description: 'Glance image API (HTTPS)' },
  { port: 13696, internal: 9696, description: 'Neutron network API (HTTPS)' },
  { port: 13774, internal: 8774, description: 'Nova compute API (HTTPS)' },
  { port: 13776, internal: 8776, description: 'Cinder volume API (HTTPS)' },
  { port: 13778, internal: 8778, description: 'Placement API (HTTPS)' },
  { port: 13808, internal: 8080, description: 'Swift proxy (HTTPS)' },
];

/** The public HTTPS port in front of an internal port (throws for a port without one: a bug). */
export function publicTlsPort(internal: number): number {
  const p = PUBLIC_TLS_PORTS.find((x) => x.internal === internal);
  if (!p) throw new Error(`no public TLS port fronts the internal port ${internal}`);
  return p.port;
}

/** SSH and the HTTPS ports: reachable from allowed-cidrs. The plain-HTTP API ports stay inside the VPC. */
export const PUBLIC_TCP_PORTS: Array<[number, string]> = [
  [22, 'SSH to the controller (jump host for the other nodes)'],
  ...PUBLIC_TLS_PORTS.map((p): [number, string] => [p.port, p.description]),
];

const PORT_FORWARD_BASE = 522;

/** KVM only where the instance type offers it on EC2; the local provider's nodes always run QEMU (TCG). */
function virtFor(provider: Settings['provider'], instanceType: string): 'kvm' | 'qemu' {
  return provider === 'aws' && offersNestedVirtualization(instanceType) ? 'kvm' : 'qemu';
}

function rootDisk(role: Role): PlannedDisk {
  // The seeds use 40 GB for controller and compute, 8 GB for storage nodes; today's images and
  // packages need more than 8 GB, so storage nodes get 20.
  return { device: '/dev/sda1', sizeGiB: role === 'controller' || role === 'compute' ? 40 : 20, purpose: 'root' };
}

function nic(
  name: PlannedNic['name'],
  subnet: PlannedSubnet,
  host: number,
  purpose: NicPurpose,
  extra: Partial<PlannedNic> & { why: string },
): PlannedNic {
  return {
    name,
    deviceIndex: Number(name.slice(3)),
    subnet: subnet.name,
    ip: hostIn(subnet.cidr, host),
    purpose,
    hostAddress: true,
    sourceDestCheck: true,
    elasticIp: false,
    securityGroups: ['internal'],
    ...extra,
  };
}

function buildSubnets(vpcCidr: string): [PlannedSubnet, PlannedSubnet] {
  const managementCidr = subnet24(vpcCidr, 0);
  const providerCidr = subnet24(vpcCidr, 1);
  return [
    {
      name: 'management',
      cidr: managementCidr,
      gateway: hostIn(managementCidr, 1),
      defaultRoute: { target: 'nic', node: 'controller', nic: 'eth0' },
      why: "management and overlay (the seeds' Subnet A); no internet of its own: nodes get out through the controller, which NATs through eth2 (no NAT gateway to pay for)",
    },
    {
      name: 'provider',
      cidr: providerCidr,
      gateway: hostIn(providerCidr, 1),
      defaultRoute: { target: 'internet-gateway' },
      why: "provider network with internet access (the seeds' Subnet B)",
    },
  ];
}

/** What a local node runs on instead of an instance type (shown in the plan and the summary). */
export const LOCAL_MACHINE = 'nspawn machine';

/** Builds a role's NICs, exactly those ROLE_NICS names for it, from the role's NIC definitions. */
function nicsOf(role: Role, defs: Partial<Record<NicName, () => PlannedNic>>): PlannedNic[] {
  return ROLE_NICS[role].map((name) => {
    const def = defs[name];
    if (!def) throw new Error(`the plan defines no ${name} for the ${role} role`);
    return def();
  });
}

/**
 * network-fix routed: the controller's provider NIC carries these as secondary addresses and the
 * external subnet hands them out. The first is the router's gateway (with the router's elastic IP,
 * where the port-forwards land); the next `floatingElasticIps` get an elastic IP of their own.
 */
function externalPool(s: Settings, prov: PlannedSubnet): ExternalPoolAddress[] {
  if (s.networkFix !== 'routed') return [];
  return Array.from({ length: s.externalPoolSize }, (_, i) => ({
    ip: hostIn(prov.cidr, HOST.pool(i)),
    use: i === 0 ? ('router-gateway' as const) : ('floating' as const),
    elasticIp: i <= s.floatingElasticIps,
  }));
}

function buildNodes(s: Settings, mgmt: PlannedSubnet, prov: PlannedSubnet): PlannedNode[] {
  const pool = externalPool(s, prov);
  const node = (name: string, role: Role, host: number, nics: PlannedNic[], disks: PlannedDisk[]): PlannedNode => {
    const instanceType =
      s.provider === 'local' ? LOCAL_MACHINE : (s.instanceTypes[role] ?? DEFAULT_INSTANCE_TYPES[role]);
    return {
      name,
      role,
      instanceType,
      virt: role === 'compute' ? virtFor(s.provider, instanceType) : undefined,
      disks: [rootDisk(role), ...disks],
      nics,
      managementIp: hostIn(mgmt.cidr, host),
    };
  };
  const nodes: PlannedNode[] = [
    node(
      'controller',
      'controller',
      HOST.controller,
      nicsOf('controller', {
        eth0: () =>
          nic('eth0', mgmt, HOST.controller, 'management', {
            sourceDestCheck: false,
            why: 'management & overlay; also where the other nodes’ internet traffic enters to be NATed, so source/dest check is off',
          }),
        eth1: () =>
          pool.length
            ? nic('eth1', prov, HOST.controller, 'provider', {
                hostAddress: false,
                secondaryIps: pool.map((p) => p.ip),
                securityGroups: ['internal', 'public'],
                why: `provider network, keeps its MAC: its ${pool.length} secondary addresses are the external subnet’s pool, which the controller routes to the Neutron routers (network fix routed); the router’s elastic IP is on the first, port-forwards land there`,
              })
            : nic('eth1', prov, HOST.controller, 'provider', {
                hostAddress: false,
                elasticIp: true,
                securityGroups: ['internal', 'public'],
                why: 'provider network, no host address: its AWS-registered IP and original MAC go to the Neutron router gateway (the network fix); its elastic IP carries the instances’ traffic and the port-forwards',
              }),
        eth2: () =>
          nic('eth2', prov, HOST.controllerPublic, 'public', {
            elasticIp: true,
            securityGroups: ['internal', 'public'],
            why: 'public access: SSH, APIs and dashboard on its elastic IP; everything the controller forwards leaves here masqueraded',
          }),
      }),
      [],
    ),
  ];
  for (let i = 1; i <= s.computeCount; i++) {
    nodes.push(
      node(
        `compute${i}`,
        'compute',
        HOST.compute(i),
        nicsOf('compute', {
          eth0: () =>
            nic('eth0', mgmt, HOST.compute(i), 'management', { why: 'management & overlay (VXLAN endpoint)' }),
          eth1: () =>
            nic('eth1', prov, HOST.compute(i), 'provider', {
              hostAddress: false,
              why: 'provider network, no host address (install guide layout)',
            }),
        }),
        [],
      ),
    );
  }
  if (s.topology === 'full') {
    nodes.push(
      node(
        'block1',
        'block',
        HOST.block(1),
        nicsOf('block', { eth0: () => nic('eth0', mgmt, HOST.block(1), 'management', { why: 'management' }) }),
        [{ device: '/dev/sdf', sizeGiB: 40, purpose: 'cinder-lvm' }],
      ),
    );
    for (let i = 1; i <= 2; i++) {
      nodes.push(
        node(
          `object${i}`,
          'object',
          HOST.object(i),
          nicsOf('object', { eth0: () => nic('eth0', mgmt, HOST.object(i), 'management', { why: 'management' }) }),
          [
            { device: '/dev/sdf', sizeGiB: 20, purpose: 'swift', label: 'd1' },
            { device: '/dev/sdg', sizeGiB: 20, purpose: 'swift', label: 'd2' },
          ],
        ),
      );
    }
  }
  return nodes;
}

function buildSecurityGroups(): PlannedSecurityGroup[] {
  return [
    {
      name: 'internal',
      description: 'everything between the stack’s own NICs (the seeds: wide open inside the VPC)',
      ingress: [{ protocol: 'all', source: 'vpc', description: 'all traffic from inside the VPC' }],
    },
    {
      name: 'public',
      description: 'only the controller’s public NICs carry it; ingress from allowed-cidrs only',
      ingress: [
        ...PUBLIC_TCP_PORTS.map(([port, description]) => ({
          protocol: 'tcp' as const,
          fromPort: port,
          toPort: port,
          source: 'allowed-cidrs' as const,
          description,
        })),
        {
          protocol: 'tcp',
          fromPort: PORT_FORWARD_BASE,
          toPort: PORT_FORWARD_BASE + 9,
          source: 'allowed-cidrs',
          description: 'port-forwards to instances (on the router’s elastic IP)',
        },
        { protocol: 'icmp', fromPort: -1, toPort: -1, source: 'allowed-cidrs', description: 'ping' },
      ],
    },
  ];
}

function buildChecks(s: Settings, nodes: PlannedNode[]): PlannedCheck[] {
  if (!s.smoke) return [];
  const has = (role: Role) => nodes.some((n) => n.role === role);
  const services = ['identity', 'image', 'placement', 'compute', 'network'];
  if (has('block')) services.push('volumev3');
  if (has('object')) services.push('object-store');
  const checks: PlannedCheck[] = [
    { id: 'keystone-token', description: 'Keystone issues a token for admin' },
    { id: 'catalog', description: `the catalog lists ${services.join(', ')}` },
    { id: 'image-upload', description: `Glance takes the image from ${s.imageUrl} and it becomes active` },
    { id: 'tenant-network', description: 'a flavor, a self-service network, subnet and router exist' },
    { id: 'instance-boot', description: 'Nova boots an instance to ACTIVE and its console log shows it booted' },
    { id: 'router-ping', description: `the router namespace pings ${s.pingTarget}` },
    { id: 'instance-reach', description: 'the instance answers from the router namespace' },
    {
      id: 'port-forward',
      description: `the instance answers through the port-forward (public port ${PORT_FORWARD_BASE})`,
    },
  ];
  if (s.networkFix === 'routed') {
    // Only the routed fix can give a second router and a floating IP an address the VPC knows.
    checks.push(
      { id: 'second-router', description: `a second router gets a gateway from the pool and pings ${s.pingTarget}` },
      {
        id: 'floating-ip',
        description: 'the instance answers on a floating IP from outside the cloud (its elastic IP)',
      },
    );
  }
  if (s.tempest === 'smoke')
    checks.push({
      id: 'tempest-smoke',
      description: s.tempestRegex ? `Tempest's tests matching ${s.tempestRegex}` : "Tempest's smoke set",
    });
  return checks;
}

export function buildPlan(s: Settings, ctx: PlanContext): Plan {
  const [mgmt, prov] = buildSubnets(s.vpcCidr);
  const nodes = buildNodes(s, mgmt, prov);
  const controller = nodes[0];
  const eth1 = controller.nics.find((n) => n.name === 'eth1')!;
  const pool = externalPool(s, prov);
  const createdAt = ctx.now.toISOString();
  const expiresAt = new Date(ctx.now.getTime() + s.lifetimeMinutes * 60_000).toISOString();
  const combination = { release: s.release, os: s.os, driver: s.networkDriver };
  return {
    stackId: s.stackId,
    provider: s.provider,
    region: s.region,
    release: { id: s.release.id, codename: s.release.codename, label: releaseLabel(s.release) },
    os: {
      id: s.os.id,
      family: s.os.family,
      label: s.os.label,
      sshUser: s.os.sshUser,
      codename: s.os.codename,
      legacy: s.os.legacy,
    },
    image: { ...(s.ami ? { ami: s.ami } : {}), query: s.os.ami },
    spot: s.spot,
    ingress: { allowedCidrs: [...s.allowedCidrs] },
    packageSource: packageSource(combination),
    networkDriver: s.networkDriver,
    networkFix: s.networkFix ?? 'seeds',
    topology: s.topology,
    vpcCidr: s.vpcCidr,
    subnets: [mgmt, prov],
    securityGroups: buildSecurityGroups(),
    nodes,
    stages: buildStageGraph(nodes),
    networks: {
      external: {
        cidr: prov.cidr,
        gateway: prov.gateway,
        routerGatewayIp: pool[0]?.ip ?? eth1.ip,
        physicalNetwork: 'provider',
        pool,
      },
      tenant: {
        cidr: TENANT_CIDR,
        gateway: hostIn(TENANT_CIDR, TENANT_HOST.gateway),
        name: 'selfservice',
        smokeInstanceIp: hostIn(TENANT_CIDR, TENANT_HOST.smokeInstance),
      },
      routerName: 'router',
    },
    portForwards: s.smoke
      ? [
          {
            name: 'smoke-ssh',
            publicPort: PORT_FORWARD_BASE,
            targetPort: 22,
            description: 'SSH to the smoke-test instance',
          },
        ]
      : [],
    checks: buildChecks(s, nodes),
    tags: {
      [Tags.StackId]: s.stackId,
      ...(ctx.repository ? { [Tags.Repository]: ctx.repository } : {}),
      ...(ctx.runId ? { [Tags.RunId]: ctx.runId } : {}),
      ...(ctx.runAttempt ? { [Tags.RunAttempt]: ctx.runAttempt } : {}),
      [Tags.CreatedAt]: createdAt,
      [Tags.ExpiresAt]: expiresAt,
    },
    createdAt,
    expiresAt,
    lifetimeMinutes: s.lifetimeMinutes,
    pingTarget: s.pingTarget,
    imageUrl: s.imageUrl,
    smoke: s.smoke,
    tempest: s.tempest,
    ...(s.tempestRegex ? { tempestRegex: s.tempestRegex } : {}),
    ...(s.tempestSshUser ? { tempestSshUser: s.tempestSshUser } : {}),
    teardown: s.teardown,
    warnings: [...s.warnings],
  };
}

export function nodeByName(plan: Plan, name: string): PlannedNode {
  const n = plan.nodes.find((x) => x.name === name);
  if (!n) throw new Error(`the plan has no node named ${name}`);
  return n;
}

export function controllerOf(plan: Plan): PlannedNode {
  return nodeByName(plan, 'controller');
}
