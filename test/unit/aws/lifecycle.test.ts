// The provider against the stateful fake: what up() builds, that down() removes every piece of it in
// an order AWS accepts, and that teardown is idempotent and works from tags alone.

import { assertNothingLeft } from '../../../src/aws/provider';
import { TeardownError } from '../../../src/core/errors';
import { Inputs, Tags } from '../../../src/core/names';
import { FakeEc2 } from '../../helpers/fake-ec2';
import { RUNNER_IP, rig } from './harness';

describe('up builds the network', () => {
  it('wires subnets, routes, addresses, interfaces and instances as the Plan says', async () => {
    const r = rig({ [Inputs.Topology]: 'full' });
    const env = await r.up();
    const f = r.fake;

    const [vpc] = [...f.vpcs.values()];
    expect(vpc.cidr).toBe('10.42.0.0/16');
    const subnets = [...f.subnets.values()];
    expect(subnets.map((s) => s.cidr).sort()).toEqual(['10.42.0.0/24', '10.42.1.0/24']);
    expect(new Set(subnets.map((s) => s.zone)).size).toBe(1);

    // Every interface has the Plan's fixed address and is attached with DeleteOnTermination.
    const enis = [...f.enis.values()];
    const planned = r.plan.nodes.flatMap((n) => n.nics.map((c) => ({ node: n.name, ...c })));
    expect(enis.map((e) => e.ip).sort()).toEqual(planned.map((p) => p.ip).sort());
    for (const e of enis) expect(e.attachment?.deleteOnTermination).toBe(true);
    const byIp = (ip: string) => enis.find((e) => e.ip === ip)!;
    for (const p of planned) expect(byIp(p.ip).sourceDestCheck).toBe(p.sourceDestCheck);
    expect(byIp('10.42.0.11').sourceDestCheck).toBe(false);

    // Routes: provider subnet → internet gateway; management subnet → the controller's eth0.
    const [igw] = [...f.gateways.values()];
    expect(igw.vpcIds).toEqual([vpc.id]);
    const tableOf = (cidr: string) => {
      const subnet = subnets.find((s) => s.cidr === cidr)!;
      return [...f.tables.values()].find((t) => t.associations.some((a) => a.subnetId === subnet.id))!;
    };
    expect(tableOf('10.42.1.0/24').routes).toContainEqual({ dest: '0.0.0.0/0', gatewayId: igw.id, eniId: undefined });
    expect(tableOf('10.42.0.0/24').routes).toContainEqual({
      dest: '0.0.0.0/0',
      gatewayId: undefined,
      eniId: byIp('10.42.0.11').id,
    });

    // The default fix (routed): eth1 keeps its primary address and carries the pool of 4 secondaries.
    expect(byIp('10.42.1.11').secondaryIps).toEqual(['10.42.1.100', '10.42.1.101', '10.42.1.102', '10.42.1.103']);
    for (const e of enis.filter((x) => x.ip !== '10.42.1.11')) expect(e.secondaryIps).toEqual([]);
    // Three elastic IPs: eth2 (public), the pool's router gateway and its one floating address; none
    // on eth1's primary, none on the other two floating addresses.
    const associations = [...f.addresses.values()].map((a) => a.association?.ip).sort();
    expect(associations).toEqual(['10.42.1.100', '10.42.1.101', '10.42.1.12']);
    const ipOf = (priv: string) => [...f.addresses.values()].find((a) => a.association?.ip === priv)!.publicIp;
    expect(env.controllerPublicIp).toBe(ipOf('10.42.1.12'));
    expect(env.routerPublicIp).toBe(ipOf('10.42.1.100'));

    // Only the controller's provider-side interfaces carry the public group; its rules name the runner /32.
    const publicGroup = [...f.groups.values()].find((g) => g.name.endsWith('-public'))!;
    expect(
      enis
        .filter((e) => e.groups.includes(publicGroup.id))
        .map((e) => e.ip)
        .sort(),
    ).toEqual(['10.42.1.11', '10.42.1.12']);
    const cidrs = JSON.stringify(publicGroup.ingress);
    expect(cidrs).toContain(`${RUNNER_IP}/32`);
    expect(cidrs).not.toContain('0.0.0.0/0');

    // The Environment: every node, its interfaces with the MACs EC2 reports, the OS user.
    expect(env.sshUser).toBe('ubuntu');
    expect(env.sshPort).toBe(22);
    for (const n of env.nodes) {
      const node = r.plan.nodes.find((p) => p.name === n.name)!;
      expect(n.nics.map((c) => c.ip)).toEqual(node.nics.map((c) => c.ip));
      for (const c of n.nics) expect(c.mac).toBe(f.enis.get(c.eniId!)!.mac);
      expect(f.instances.get(n.instanceId)!.state).toBe('running');
    }

    // Every resource carries the stack tags.
    const tagged = [
      ...[...f.vpcs.values()],
      ...subnets,
      igw,
      ...[...f.tables.values()].filter((t) => !t.main),
      ...[...f.groups.values()].filter((g) => !g.isDefault),
      ...enis,
      ...[...f.instances.values()],
      ...[...f.addresses.values()],
      ...[...f.keyPairs.values()],
    ];
    for (const res of tagged) {
      expect(res.tags[Tags.StackId]).toBe('unit-stack');
      expect(res.tags[Tags.ExpiresAt]).toBe(r.plan.expiresAt);
      expect(res.tags[Tags.RunId]).toBe('42');
      expect(res.tags.Name).toMatch(/^openstack-on-aws-unit-stack/);
    }
    for (const i of f.instances.values()) expect(i.tags[Tags.Node]).toBeDefined();
  });

  it('seeds, when asked: no secondary addresses, eth1’s own address gets the router’s elastic IP', async () => {
    const r = rig({ [Inputs.NetworkFix]: 'seeds' });
    const env = await r.up();
    const f = r.fake;
    const enis = [...f.enis.values()];
    for (const e of enis) expect(e.secondaryIps).toEqual([]);
    // Two elastic IPs: eth2 (public) and eth1 (router gateway's registered address).
    const associations = [...f.addresses.values()].map((a) => a.association?.ip).sort();
    expect(associations).toEqual(['10.42.1.11', '10.42.1.12']);
    const ipOf = (priv: string) => [...f.addresses.values()].find((a) => a.association?.ip === priv)!.publicIp;
    expect(env.controllerPublicIp).toBe(ipOf('10.42.1.12'));
    expect(env.routerPublicIp).toBe(ipOf('10.42.1.11'));
    expect(env.poolElasticIps ?? {}).toEqual({});
    expect(r.ledger.records.map((x) => x.id).sort()).toEqual(f.liveResources().sort());
    expect((await r.down()).leftovers).toEqual([]);
    expect(f.liveResources()).toEqual([]);
  });

  it('prints progress at least every 30 s while instances boot and terminate', async () => {
    const r = rig({}, { bootMs: 95_000, terminateMs: 65_000 });
    await r.up();
    const boot = r.io.lines.filter((l) => /still waiting for 2 instance\(s\) to run/.test(l));
    expect(boot.map((l) => /\((\d+) s\)/.exec(l)![1])).toEqual(['30', '60', '90']);
    await r.down();
    expect(r.io.lines.filter((l) => /still waiting for 2 instance\(s\) to terminate/.test(l))).toHaveLength(2);
  });

  it('records every id in the ledger before any waiter polls', async () => {
    const r = rig({ [Inputs.Topology]: 'full' });
    const seenAt: number[] = [];
    const record = r.ledger.record;
    r.ledger.record = (rec) => {
      seenAt.push(r.fake.calls.length);
      record(rec);
    };
    await r.up();
    // The waiter's polls ask by instance id (the preflight's DescribeInstances asks by the stack tag).
    const firstPoll =
      r.fake.calls.findIndex((c) => c.op === 'DescribeInstances' && JSON.stringify(c.input).includes('instance-id')) +
      1;
    expect(firstPoll).toBeGreaterThan(0);
    expect(Math.max(...seenAt)).toBeLessThan(firstPoll);
    const live = r.fake.liveResources().sort();
    const recorded = r.ledger.records.map((x) => x.id).sort();
    expect(recorded).toEqual(live);
  });
});

describe('down', () => {
  it.each(['minimal', 'full'])(
    '%s: leaves zero resources, with no DependencyViolation on the way',
    async (topology) => {
      const r = rig({ [Inputs.Topology]: topology });
      await r.up();
      expect(r.fake.liveResources().length).toBeGreaterThan(10);
      const report = await r.down();
      expect(report.leftovers).toEqual([]);
      expect(r.fake.liveResources()).toEqual([]);
      // The order is right, not rescued by retries: AWS never had to refuse a delete.
      expect(r.fake.errorsOf('DependencyViolation')).toEqual([]);
      expect(r.fake.errorsOf('InvalidIPAddress.InUse')).toEqual([]);
    },
  );

  it('is idempotent: a second down finds nothing and succeeds', async () => {
    const r = rig();
    await r.up();
    await r.down();
    const again = await r.down();
    expect(again.leftovers).toEqual([]);
    expect(() => assertNothingLeft([again])).not.toThrow();
    expect(r.fake.liveResources()).toEqual([]);
  });

  it('finds everything by tag when the ledger is lost', async () => {
    const r = rig({ [Inputs.Topology]: 'full' });
    await r.up();
    const report = await r.down([]);
    expect(report.leftovers).toEqual([]);
    expect(r.fake.liveResources()).toEqual([]);
  });

  it('leaves other stacks alone', async () => {
    const fake = new FakeEc2();
    const mine = rig({ [Inputs.StackId]: 'mine' }, {}, fake);
    const theirs = rig({ [Inputs.StackId]: 'theirs' }, {}, fake);
    await mine.up();
    await theirs.up();
    const before = fake.liveResources().length;
    await mine.down([]);
    const left = fake.liveResources();
    expect(left.length).toBe(before / 2);
    expect(left.sort()).toEqual(theirs.ledger.records.map((x) => x.id).sort());
  });

  it('lists what it could not delete, by id, and skips what depends on it', async () => {
    const r = rig({}, { terminateMs: 3_600_000 }); // instances that never finish terminating
    await r.up();
    const report = await r.down();
    const instanceIds = r.ledger.records.filter((x) => x.kind === 'instance').map((x) => x.id);
    expect(report.leftovers.map((x) => x.id)).toEqual(expect.arrayContaining(instanceIds));
    expect(report.leftovers.map((x) => x.kind)).toEqual(
      expect.arrayContaining(['instance', 'network-interface', 'subnet', 'security-group', 'vpc']),
    );
    // What did not depend on the instances is gone.
    expect(r.fake.addresses.size).toBe(0);
    expect(r.fake.keyPairs.size).toBe(0);
    expect(r.io.lines.some((l) => l.startsWith('warning: could not delete vpc'))).toBe(true);
    expect(() => assertNothingLeft([report])).toThrow(TeardownError);
    expect(() => assertNothingLeft([report])).toThrow(new RegExp(`instance ${instanceIds[0]} \\(stack unit-stack\\)`));
  });
});

describe('the fake enforces AWS’s dependency rules (an ordering bug fails)', () => {
  it('refuses each out-of-order delete with DependencyViolation', async () => {
    const r = rig();
    await r.up();
    const f = r.fake;
    const [vpc] = [...f.vpcs.keys()];
    const [subnet] = [...f.subnets.keys()];
    const [igw] = [...f.gateways.keys()];
    const group = [...f.groups.values()].find((g) => !g.isDefault)!.id;
    const table = [...f.tables.values()].find((t) => !t.main && t.associations.length)!.id;
    const attempts: Array<[string, Record<string, unknown>]> = [
      ['DeleteVpc', { VpcId: vpc }],
      ['DeleteSubnet', { SubnetId: subnet }],
      ['DetachInternetGateway', { InternetGatewayId: igw, VpcId: vpc }],
      ['DeleteInternetGateway', { InternetGatewayId: igw }],
      ['DeleteSecurityGroup', { GroupId: group }],
      ['DeleteRouteTable', { RouteTableId: table }],
    ];
    for (const [op, input] of attempts)
      await expect(f.call(op, input)).rejects.toMatchObject({ name: 'DependencyViolation' });
    const [eni] = [...f.enis.keys()];
    await expect(f.call('DeleteNetworkInterface', { NetworkInterfaceId: eni })).rejects.toMatchObject({
      name: 'InvalidNetworkInterface.InUse',
    });
    const [address] = [...f.addresses.keys()];
    await expect(f.call('ReleaseAddress', { AllocationId: address })).rejects.toMatchObject({
      name: 'InvalidIPAddress.InUse',
    });
    expect(f.liveResources().length).toBeGreaterThan(10);
  });
});
