// network-fix routed on the EC2 provider (issue 15, line 4), against the stateful fake with AWS's
// rules: the provider ENI is created with the Plan's pool as secondary addresses, the marked pool
// addresses get tagged elastic IPs associated with exactly them, everything is in State, and post
// (down with the ledger), down from tags alone and sweep delete all of it.

import { assertNothingLeft } from '../../../src/aws/provider';
import { Inputs, Tags } from '../../../src/core/names';
import { FakeEc2 } from '../../helpers/fake-ec2';
import { recordingIo, rig } from './harness';

const routed = { [Inputs.NetworkFix]: 'routed', [Inputs.ExternalPoolSize]: '5', [Inputs.FloatingElasticIps]: '2' };

describe('EC2: the routed pool', () => {
  it('creates the pool on eth1 and elastic IPs on the chosen addresses, tagged and recorded', async () => {
    const r = rig(routed);
    const env = await r.up();
    const f = r.fake;
    const eth1 = [...f.enis.values()].find((e) => e.ip === '10.42.1.11')!;
    expect(eth1.secondaryIps).toEqual(['10.42.1.100', '10.42.1.101', '10.42.1.102', '10.42.1.103', '10.42.1.104']);
    expect(eth1.sourceDestCheck).toBe(true);
    const create = f.calls.find(
      (c) => c.op === 'CreateNetworkInterface' && JSON.stringify(c.input).includes('10.42.1.100'),
    )!;
    expect(create.input).toMatchObject({
      PrivateIpAddresses: [
        { PrivateIpAddress: '10.42.1.11', Primary: true },
        { PrivateIpAddress: '10.42.1.100', Primary: false },
      ].concat(['101', '102', '103', '104'].map((h) => ({ PrivateIpAddress: `10.42.1.${h}`, Primary: false }))),
    });

    // Elastic IPs: eth2's, the router gateway's (pool's first) and two floating ones; none on eth1's primary.
    const byPrivate = new Map([...f.addresses.values()].map((a) => [a.association?.ip, a]));
    expect([...byPrivate.keys()].sort()).toEqual(['10.42.1.100', '10.42.1.101', '10.42.1.102', '10.42.1.12']);
    for (const ip of ['10.42.1.100', '10.42.1.101', '10.42.1.102']) {
      const a = byPrivate.get(ip)!;
      expect(a.association?.eniId).toBe(eth1.id);
      expect(a.tags[Tags.StackId]).toBe('unit-stack');
      expect(a.tags[Tags.Node]).toBe('controller');
      expect(a.tags.Name).toBe(`openstack-on-aws-unit-stack-controller-pool-${ip.replace(/\./g, '-')}`);
      expect(r.ledger.records).toContainEqual({ kind: 'elastic-ip', id: a.allocationId, node: 'controller' });
    }
    expect(env.routerPublicIp).toBe(byPrivate.get('10.42.1.100')!.publicIp);
    expect(env.poolElasticIps).toEqual({
      '10.42.1.100': byPrivate.get('10.42.1.100')!.publicIp,
      '10.42.1.101': byPrivate.get('10.42.1.101')!.publicIp,
      '10.42.1.102': byPrivate.get('10.42.1.102')!.publicIp,
    });
    // The secondary addresses are in State with their interface.
    expect(r.ledger.records.filter((x) => x.kind === 'secondary-address').map((x) => x.id)).toEqual(
      eth1.secondaryIps.map((ip) => `${eth1.id}/${ip}`),
    );

    // post: everything goes, in an order the fake's AWS rules accept.
    const report = await r.down();
    expect(report.leftovers).toEqual([]);
    expect(() => assertNothingLeft([report])).not.toThrow();
    expect(f.liveResources()).toEqual([]);
  });

  it('down from tags alone and sweep release the pool’s elastic IPs too', async () => {
    const fake = new FakeEc2();
    const a = rig({ ...routed, [Inputs.StackId]: 'routed-a' }, {}, fake);
    await a.up();
    const report = await a.down([]);
    expect(report.leftovers).toEqual([]);
    expect(fake.liveResources()).toEqual([]);

    const b = rig({ ...routed, [Inputs.StackId]: 'routed-b', [Inputs.Lifetime]: '10m' }, {}, fake);
    await b.up();
    expect([...fake.addresses.values()]).toHaveLength(4);
    await fake.clock.sleep(15 * 60_000);
    const reports = await b.freshProvider().sweep(new Date(fake.clock.now()), { io: recordingIo() });
    expect(reports.map((x) => [x.stackId, x.leftovers])).toEqual([['routed-b', []]]);
    expect(fake.liveResources()).toEqual([]);
  });

  it('the fake holds EC2’s rules for secondary addresses', async () => {
    const r = rig(routed);
    await r.up();
    // The code never assigns secondaries after creation (the policy grants no Assign/Unassign): the
    // fake's own rules for them are checked here without the policy in front.
    r.fake.authorize = undefined;
    const c = r.fake.client();
    const sdk = await import('@aws-sdk/client-ec2');
    const eth1 = [...r.fake.enis.values()].find((e) => e.ip === '10.42.1.11')!;
    const eth2 = [...r.fake.enis.values()].find((e) => e.ip === '10.42.1.12')!;
    const fails = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: { name: string }) => e.name,
      );
    // In use by another interface; reserved; outside the subnet.
    expect(
      await fails(
        c.send(
          new sdk.AssignPrivateIpAddressesCommand({ NetworkInterfaceId: eth2.id, PrivateIpAddresses: ['10.42.1.101'] }),
        ),
      ),
    ).toBe('InvalidIPAddress.InUse');
    expect(
      await fails(
        c.send(
          new sdk.AssignPrivateIpAddressesCommand({ NetworkInterfaceId: eth2.id, PrivateIpAddresses: ['10.42.1.2'] }),
        ),
      ),
    ).toBe('InvalidParameterValue');
    expect(
      await fails(
        c.send(
          new sdk.AssignPrivateIpAddressesCommand({ NetworkInterfaceId: eth2.id, PrivateIpAddresses: ['10.42.0.50'] }),
        ),
      ),
    ).toBe('InvalidParameterValue');
    // The instance type's limit (m7i.xlarge: 15 per interface; eth1 has 1 + 5).
    expect(
      await fails(
        c.send(
          new sdk.AssignPrivateIpAddressesCommand({ NetworkInterfaceId: eth1.id, SecondaryPrivateIpAddressCount: 10 }),
        ),
      ),
    ).toBe('PrivateIpAddressLimitExceeded');
    expect(
      await fails(
        c.send(
          new sdk.AssignPrivateIpAddressesCommand({ NetworkInterfaceId: eth1.id, SecondaryPrivateIpAddressCount: 9 }),
        ),
      ),
    ).toBe('ok');
    // An elastic IP only on an address the interface has; unassigning disassociates it.
    const alloc = await c.send(new sdk.AllocateAddressCommand({ Domain: 'vpc' }));
    expect(
      await fails(
        c.send(
          new sdk.AssociateAddressCommand({
            AllocationId: alloc.AllocationId,
            NetworkInterfaceId: eth2.id,
            PrivateIpAddress: '10.42.1.103',
          }),
        ),
      ),
    ).toBe('InvalidParameterValue');
    expect(
      await fails(
        c.send(
          new sdk.AssociateAddressCommand({
            AllocationId: alloc.AllocationId,
            NetworkInterfaceId: eth1.id,
            PrivateIpAddress: '10.42.1.103',
          }),
        ),
      ),
    ).toBe('ok');
    expect(
      await fails(
        c.send(
          new sdk.UnassignPrivateIpAddressesCommand({
            NetworkInterfaceId: eth1.id,
            PrivateIpAddresses: ['10.42.1.11'],
          }),
        ),
      ),
    ).toBe('InvalidParameterValue');
    expect(
      await fails(
        c.send(
          new sdk.UnassignPrivateIpAddressesCommand({
            NetworkInterfaceId: eth1.id,
            PrivateIpAddresses: ['10.42.1.103'],
          }),
        ),
      ),
    ).toBe('ok');
    expect(r.fake.addresses.get(alloc.AllocationId!)!.association).toBeUndefined();
    await c.send(new sdk.ReleaseAddressCommand({ AllocationId: alloc.AllocationId }));
    expect((await r.down()).leftovers).toEqual([]);
  });

  it('refuses a pool the instance type cannot hold before anything is created', async () => {
    // EC2 says 4 per interface (the inputs' table said 15): preflight refuses, nothing exists.
    const r = rig(routed, {
      instanceTypes: {
        'm7i.xlarge': { maxNics: 4, ipv4PerEni: 4 },
        'm8i.xlarge': { maxNics: 4, nested: true, ipv4PerEni: 15 },
      },
    });
    await expect(r.up()).rejects.toThrow(
      "Input 'external-pool-size' has the value '5': the controller's provider NIC needs 6 addresses. Accepted: at most 3 with m7i.xlarge",
    );
    expect(r.fake.calls.filter((c) => /^(Create|Allocate|Run|Import)/.test(c.op))).toEqual([]);
    expect(r.fake.liveResources()).toEqual([]);
  });
});
