import * as fs from 'fs';
import * as path from 'path';
import { cidrContains } from '../../src/core/net';
import { buildPlan, LOCAL_MACHINE } from '../../src/plan/plan';
import { CHECK_IDS, Plan, STAGE_NAMES } from '../../src/plan/types';
import { topologicalOrder } from '../../src/plan/stages';
import { Tags } from '../../src/core/names';
import { ROLE_NICS } from '../../src/settings/instance-types';
import { findOs } from '../../src/settings/matrix';
import { hostIn } from '../../src/core/net';
import { settingsFrom } from '../helpers/inputs';

const now = new Date('2026-11-21T10:00:00Z');
const planFor = (values: Parameters<typeof settingsFrom>[0]): Plan =>
  buildPlan(settingsFrom(values), { now, repository: 'octo/repo', runId: '99', runAttempt: '1' });

describe('nodes and roles per topology', () => {
  it("minimal is the seeds' controller + compute1", () => {
    const p = planFor({ topology: 'minimal' });
    expect(p.nodes.map((n) => [n.name, n.role])).toEqual([
      ['controller', 'controller'],
      ['compute1', 'compute'],
    ]);
  });

  it('full adds block1, object1 and object2, and compute-count adds compute nodes', () => {
    const p = planFor({ topology: 'full', 'compute-count': '3' });
    expect(p.nodes.map((n) => n.name)).toEqual([
      'controller',
      'compute1',
      'compute2',
      'compute3',
      'block1',
      'object1',
      'object2',
    ]);
  });

  it("gives each role the seeds' NICs: controller 3, compute 2, storage 1", () => {
    const p = planFor({ topology: 'full' });
    const nics = Object.fromEntries(
      p.nodes.map((n) => [n.name, n.nics.map((x) => `${x.name}:${x.subnet}:${x.purpose}`)]),
    );
    expect(nics.controller).toEqual(['eth0:management:management', 'eth1:provider:provider', 'eth2:provider:public']);
    expect(nics.compute1).toEqual(['eth0:management:management', 'eth1:provider:provider']);
    expect(nics.block1).toEqual(['eth0:management:management']);
    expect(nics.object2).toEqual(['eth0:management:management']);
  });

  it('gives the storage nodes their extra disks', () => {
    const p = planFor({ topology: 'full' });
    const block = p.nodes.find((n) => n.name === 'block1')!;
    expect(block.disks.filter((d) => d.purpose === 'cinder-lvm')).toHaveLength(1);
    const object = p.nodes.find((n) => n.name === 'object1')!;
    expect(object.disks.filter((d) => d.purpose === 'swift').map((d) => d.label)).toEqual(['d1', 'd2']);
  });
});

describe('addresses', () => {
  const p = planFor({ topology: 'full', 'compute-count': '8', 'vpc-cidr': '172.20.0.0/20' });
  const allNics = p.nodes.flatMap((n) => n.nics.map((nic) => ({ node: n.name, ...nic })));

  it('are unique across the stack, the routed pool’s secondary addresses included', () => {
    const ips = allNics.flatMap((n) => [n.ip, ...(n.secondaryIps ?? [])]);
    expect(allNics.flatMap((n) => n.secondaryIps ?? [])).toHaveLength(4);
    expect(new Set(ips).size).toBe(ips.length);
  });

  it('lie inside their subnet, which lies inside the VPC, and avoid the AWS-reserved first four', () => {
    for (const nic of allNics) {
      const subnet = p.subnets.find((s) => s.name === nic.subnet)!;
      expect(cidrContains(subnet.cidr, nic.ip)).toBe(true);
      expect(Number(nic.ip.split('.')[3])).toBeGreaterThan(3);
    }
    for (const s of p.subnets) expect(cidrContains(p.vpcCidr, s.cidr.split('/')[0])).toBe(true);
    expect(p.subnets[0].cidr).not.toBe(p.subnets[1].cidr);
  });

  it('are fixed per role, so the same inputs give the same addresses', () => {
    const again = planFor({ topology: 'full', 'compute-count': '8', 'vpc-cidr': '172.20.0.0/20' });
    expect(again.nodes.map((n) => n.nics.map((x) => x.ip))).toEqual(p.nodes.map((n) => n.nics.map((x) => x.ip)));
  });

  it("by default (routed) puts the router gateway on the first of eth1's secondary addresses, in the provider subnet", () => {
    const eth1 = p.nodes[0].nics.find((n) => n.name === 'eth1')!;
    expect(eth1.hostAddress).toBe(false);
    expect(eth1.secondaryIps?.[0]).toBe('172.20.1.100');
    expect(p.networks.external.routerGatewayIp).toBe(eth1.secondaryIps?.[0]);
    for (const ip of eth1.secondaryIps ?? []) expect(cidrContains(p.networks.external.cidr, ip)).toBe(true);
    expect(cidrContains(p.networks.external.cidr, p.networks.external.gateway)).toBe(true);
  });

  it("seeds: puts the router gateway on the controller eth1's registered address, which has no host address", () => {
    const seeds = planFor({ topology: 'full', 'vpc-cidr': '172.20.0.0/20', 'network-fix': 'seeds' });
    const eth1 = seeds.nodes[0].nics.find((n) => n.name === 'eth1')!;
    expect(eth1.hostAddress).toBe(false);
    expect(eth1.secondaryIps).toBeUndefined();
    expect(seeds.networks.external.routerGatewayIp).toBe(eth1.ip);
    expect(cidrContains(seeds.networks.external.cidr, seeds.networks.external.gateway)).toBe(true);
  });

  it('turns source/dest check off only on the NIC that NATs for the other nodes', () => {
    const off = allNics.filter((n) => !n.sourceDestCheck).map((n) => `${n.node}/${n.name}`);
    expect(off).toEqual(['controller/eth0']);
    expect(p.subnets.find((s) => s.name === 'management')!.defaultRoute).toEqual({
      target: 'nic',
      node: 'controller',
      nic: 'eth0',
    });
  });

  it('exposes only the controller to the outside', () => {
    const publicNics = allNics.filter((n) => n.securityGroups.includes('public') || n.elasticIp);
    expect(new Set(publicNics.map((n) => n.node))).toEqual(new Set(['controller']));
  });
});

describe('stage graph', () => {
  const p = planFor({ topology: 'full', 'compute-count': '2' });
  const order = topologicalOrder(p.stages).map((s) => s.id);
  const before = (a: string, b: string) => expect(order.indexOf(a)).toBeLessThan(order.indexOf(b));

  it('has no cycle and every edge names an existing stage', () => {
    const ids = new Set(p.stages.map((s) => s.id));
    for (const s of p.stages) for (const a of s.after) expect(ids.has(a)).toBe(true);
    expect(order).toHaveLength(p.stages.length);
  });

  it("runs the controller's services in the install guide's order", () => {
    const controller = p.stages.filter((s) => s.node === 'controller').map((s) => s.stage);
    expect(controller.slice(0, 13)).toEqual([
      'host-prep',
      'repositories',
      'mariadb',
      // Every database made and its sync started; the syncs run beside the stages after it.
      'databases',
      'rabbitmq',
      'memcached',
      'etcd',
      'keystone',
      'glance',
      'placement',
      'nova-controller',
      'neutron-controller',
      'horizon',
    ]);
    expect(controller.at(-1)).toBe('discover-hosts');
  });

  it('lets compute install its packages without waiting for the controller databases', () => {
    const pkgs = p.stages.find((s) => s.id === 'compute1:repositories')!;
    expect(pkgs.after).toEqual(['compute1:host-prep', 'controller:host-prep']);
    before('controller:host-prep', 'compute1:repositories');
  });

  it('orders the cross-node dependencies', () => {
    before('controller:nova-controller', 'compute1:nova-compute');
    before('controller:neutron-controller', 'compute2:neutron-compute');
    before('compute1:nova-compute', 'controller:discover-hosts');
    before('compute2:nova-compute', 'controller:discover-hosts');
    before('controller:cinder-controller', 'block1:cinder-volume');
    before('controller:swift-proxy', 'object2:swift-storage');
    expect(p.stages.find((s) => s.id === 'object1:swift-storage')!.copies![0].fromNode).toBe('controller');
  });

  it('has no Cinder or Swift stages without those nodes', () => {
    const minimal = planFor({ topology: 'minimal' });
    expect(minimal.stages.map((s) => s.stage)).not.toContain('cinder-controller');
    expect(minimal.stages.map((s) => s.stage)).not.toContain('swift-proxy');
  });
});

describe('checks, tags and lifetime', () => {
  it('checks the catalog for volume and object-store only when the topology has those nodes', () => {
    expect(planFor({ topology: 'full' }).checks.find((c) => c.id === 'catalog')!.description).toMatch(
      /volumev3, object-store/,
    );
    expect(planFor({ topology: 'minimal' }).checks.find((c) => c.id === 'catalog')!.description).not.toMatch(/volume/);
  });

  it('has no checks with smoke off, and a tempest check when asked', () => {
    expect(planFor({ smoke: 'false' }).checks).toEqual([]);
    expect(planFor({ tempest: 'smoke' }).checks.map((c) => c.id)).toContain('tempest-smoke');
  });

  it('tags the stack with id, repository, run and expiry', () => {
    const p = planFor({ 'stack-id': 'nightly-1', lifetime: '90m' });
    expect(p.tags[Tags.StackId]).toBe('nightly-1');
    expect(p.tags[Tags.Repository]).toBe('octo/repo');
    expect(p.tags[Tags.RunId]).toBe('99');
    expect(p.tags[Tags.ExpiresAt]).toBe('2026-11-21T11:30:00.000Z');
    expect(p.expiresAt).toBe('2026-11-21T11:30:00.000Z');
  });

  it('records kvm only where the compute type offers nested virtualization', () => {
    expect(planFor({ 'compute-instance-type': 'm8i.2xlarge' }).nodes[1].virt).toBe('kvm');
    expect(planFor({ 'compute-instance-type': 'c5.metal' }).nodes[1].virt).toBe('kvm');
    expect(planFor({ 'compute-instance-type': 'm7i.xlarge' }).nodes[1].virt).toBe('qemu');
    // The local provider's machines have no usable KVM, whatever type the Plan names.
    expect(
      planFor({ provider: 'local', os: 'debian-12', release: 'zed', 'image-url': 'file:///x.img' }).nodes[1].virt,
    ).toBe('qemu');
  });

  it('names no EC2 instance type for local nodes, whatever the type inputs say', () => {
    const local = planFor({
      provider: 'local',
      os: 'debian-12',
      release: 'zed',
      'image-url': 'file:///x.img',
      'compute-instance-type': 'c5.metal',
    });
    expect(local.nodes.map((n) => n.instanceType)).toEqual(local.nodes.map(() => LOCAL_MACHINE));
    expect(local.nodes[1].virt).toBe('qemu');
  });
});

describe('what providers, stages, fix and checks read from the Plan instead of Settings', () => {
  it('carries the image, spot and ingress the EC2 provider needs', () => {
    const p = planFor({ ami: 'ami-0123456789abcdef0', spot: 'true', 'allowed-cidrs': '198.51.100.0/24 192.0.2.7/32' });
    expect(p.image).toEqual({ ami: 'ami-0123456789abcdef0', query: findOs('ubuntu-26.04')!.ami });
    expect(p.spot).toBe(true);
    expect(p.ingress.allowedCidrs).toEqual(['198.51.100.0/24', '192.0.2.7/32']);
    const d = planFor({ os: 'debian-12', release: 'zed' });
    expect(d.image).toEqual({ query: { owner: '136693071363', namePattern: 'debian-12-amd64-*' } });
    expect(planFor({ os: 'debian-13', release: '2025.1' }).image).toEqual({
      query: { owner: '136693071363', namePattern: 'debian-13-amd64-*' },
    });
    expect(d.spot).toBe(false);
    expect(d.ingress.allowedCidrs).toEqual([]);
  });

  it("carries the OS codename the stages' settings file needs (none for the RHEL family)", () => {
    expect(planFor({ os: 'debian-12', release: 'zed' }).os.codename).toBe('bookworm');
    expect(planFor({ os: 'ubuntu-24.04' }).os.codename).toBe('noble');
    expect(planFor({ os: 'rocky-9', release: '2024.1', 'network-driver': 'openvswitch' }).os.codename).toBeUndefined();
  });

  it("fixes the smoke instance's address in the tenant network, apart from its gateway", () => {
    const t = planFor({}).networks.tenant;
    expect(cidrContains(t.cidr, t.smokeInstanceIp)).toBe(true);
    expect(t.smokeInstanceIp).toBe(hostIn(t.cidr, 10));
    expect(t.smokeInstanceIp).not.toBe(t.gateway);
  });

  it('gives every node exactly the NICs its role has in ROLE_NICS, the count the inputs check', () => {
    for (const n of planFor({ topology: 'full' }).nodes) expect(n.nics.map((x) => x.name)).toEqual(ROLE_NICS[n.role]);
  });
});

describe('the ids stages and checks are named by', () => {
  it('are the shared lists: a full plan with Tempest uses every check id, each once', () => {
    const ids = planFor({ topology: 'full', tempest: 'smoke', 'network-fix': 'routed' }).checks.map((c) => c.id);
    expect([...ids].sort()).toEqual([...CHECK_IDS].sort());
  });

  it('name every stage of a full plan, and a full plan runs every stage name but the baked ones', () => {
    const stages = new Set(planFor({ topology: 'full' }).stages.map((s) => s.stage));
    const bakedOnly = ['bake-clean', 'rekey'];
    expect([...stages].sort()).toEqual(STAGE_NAMES.filter((s) => !bakedOnly.includes(s)).sort());
  });

  it('have one script per stage name, and no stage script outside the list', () => {
    const dir = path.join(__dirname, '../../src/stages');
    const scripts = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.sh') && !/^lib(-[a-z]+)?\.sh$/.test(f) && f !== 'network-fix.sh')
      .map((f) => f.replace(/\.sh$/, ''));
    expect(scripts.sort()).toEqual([...STAGE_NAMES].sort());
  });
});
