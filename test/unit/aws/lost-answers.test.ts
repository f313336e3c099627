// Lost answers: EC2 performed the call, the answer never arrived (a network error). For every call of
// an up and of a down, losing its answer must neither fail the run nor leave a duplicate the ledger
// does not know: ClientToken where EC2 takes one, a lookup by this run's tags before resending the
// other creates, and a Duplicate after a lost answer resolved to this run's own resource.

import { Inputs, Tags } from '../../../src/core/names';
import { FakeEc2 } from '../../helpers/fake-ec2';
import { rig } from './harness';

/** What an account would hold: resources per kind, and the rules and routes inside them. */
function inventory(f: FakeEc2) {
  const live = [...f.instances.values()].filter((i) => i.state !== 'terminated');
  return {
    vpcs: f.vpcs.size,
    subnets: f.subnets.size,
    gateways: f.gateways.size,
    tables: [...f.tables.values()].filter((t) => !t.main).length,
    routes: [...f.tables.values()].reduce((n, t) => n + t.routes.length, 0),
    associations: [...f.tables.values()].reduce((n, t) => n + t.associations.length, 0),
    groups: [...f.groups.values()].filter((g) => !g.isDefault).length,
    rules: [...f.groups.values()].reduce((n, g) => n + g.ingress.length, 0),
    enis: f.enis.size,
    instances: live.length,
    addresses: f.addresses.size,
    associated: [...f.addresses.values()].filter((a) => a.association).length,
    keyPairs: f.keyPairs.size,
  };
}

describe.each(['minimal', 'full'])('%s topology', (topology) => {
  it('the answer of call k of up is lost, for every k: up succeeds with no duplicate, every id in the ledger', async () => {
    const clean = rig({ [Inputs.Topology]: topology });
    await clean.up();
    const expected = inventory(clean.fake);
    const total = clean.fake.calls.length;
    const creates = new Set<string>();
    for (let k = 1; k <= total; k++) {
      const r = rig({ [Inputs.Topology]: topology });
      r.fake.loseAnswer = (op, n) => {
        if (n === k) creates.add(op);
        return n === k;
      };
      const env = await r.up();
      expect(r.fake.errorsOf('ECONNRESET')).toHaveLength(1);
      expect(env.nodes).toHaveLength(r.plan.nodes.length);
      expect(inventory(r.fake)).toEqual(expected);
      // Nothing untracked: the ledger holds every live resource, found again or created once.
      expect(r.ledger.records.map((x) => x.id).sort()).toEqual(r.fake.liveResources().sort());
      const report = await r.postDown();
      expect(report.leftovers).toEqual([]);
      expect(r.fake.liveResources()).toEqual([]);
    }
    // Every create was among the calls whose answer was lost.
    for (const op of [
      'CreateVpc',
      'CreateInternetGateway',
      'ImportKeyPair',
      'AllocateAddress',
      'CreateSecurityGroup',
      'AuthorizeSecurityGroupIngress',
      'CreateSubnet',
      'CreateRouteTable',
      'CreateRoute',
      'AssociateRouteTable',
      'AttachInternetGateway',
      'CreateNetworkInterface',
      'RunInstances',
      'AssociateAddress',
    ])
      expect(creates).toContain(op);
  });

  it('the answer of call k of down is lost, for every k: down still ends at zero', async () => {
    const clean = rig({ [Inputs.Topology]: topology });
    await clean.up();
    const from = clean.fake.calls.length;
    await clean.down();
    const total = clean.fake.calls.length - from;
    let lost = 0;
    for (let k = 1; k <= total; k++) {
      const r = rig({ [Inputs.Topology]: topology });
      await r.up();
      const start = r.fake.calls.length;
      r.fake.loseAnswer = (_op, n) => n === start + k;
      const report = await r.down();
      // A call that EC2 refuses (NotFound: gone with its instance) has no answer to lose.
      lost += r.fake.errorsOf('ECONNRESET').length;
      expect(report.leftovers).toEqual([]);
      expect(r.fake.liveResources()).toEqual([]);
    }
    expect(lost).toBeGreaterThan(total / 2);
  });
});

describe('a lost answer while Describe still lags behind the create', () => {
  it.each(['ImportKeyPair', 'CreateSecurityGroup', 'CreateSubnet', 'AuthorizeSecurityGroupIngress'])(
    '%s: the resend answers Duplicate, which resolves to the resource this run created',
    async (op) => {
      const clean = rig({ [Inputs.Topology]: 'full' });
      await clean.up();
      const r = rig({ [Inputs.Topology]: 'full' });
      let lost: string | undefined; // the lost call's input
      r.fake.loseAnswer = (o, n) => {
        if (o !== op || lost) return false;
        lost = JSON.stringify(r.fake.calls[n - 1].input);
        return true;
      };
      // The lookups by Name before the resend find nothing yet; later ones do.
      const resent = () => r.fake.calls.filter((c) => c.op === op && JSON.stringify(c.input) === lost).length > 1;
      r.fake.describeLags = (o, input) =>
        !!lost && o.startsWith('Describe') && JSON.stringify(input).includes('"tag:Name"') && !resent();
      await r.up();
      expect(r.fake.errorsOf('ECONNRESET')).toHaveLength(1);
      const duplicate = {
        ImportKeyPair: 'InvalidKeyPair.Duplicate',
        CreateSecurityGroup: 'InvalidGroup.Duplicate',
        CreateSubnet: 'InvalidSubnet.Conflict',
        AuthorizeSecurityGroupIngress: 'InvalidPermission.Duplicate',
      }[op]!;
      expect(r.fake.errorsOf(duplicate)).toHaveLength(1);
      expect(inventory(r.fake)).toEqual(inventory(clean.fake));
      expect(r.ledger.records.map((x) => x.id).sort()).toEqual(r.fake.liveResources().sort());
      expect((await r.postDown()).leftovers).toEqual([]);
    },
  );

  it("another run's key pair of the same name is never taken for this run's: its Duplicate stays an error", async () => {
    const fake = new FakeEc2();
    const other = rig({ [Inputs.StackId]: 'same' }, {}, fake, { runId: '1', runAttempt: '1' });
    await other.up();
    const r = rig({ [Inputs.StackId]: 'same' }, {}, fake, { runId: '2', runAttempt: '1' });
    // Past the preflight (as in a race: its lookups by the stack tag alone see nothing yet), and the
    // first ImportKeyPair lost on the way in: the resend meets the other run's key.
    const byStackTagAlone = (input: Record<string, unknown>) =>
      ((input.Filters as Array<{ Name: string }> | undefined) ?? []).every((f) =>
        [`tag:${Tags.StackId}`, 'instance-state-name'].includes(f.Name),
      );
    r.fake.describeLags = (o, input) => o.startsWith('Describe') && byStackTagAlone(input);
    let lost = false;
    r.fake.dropRequest = (o) => o === 'ImportKeyPair' && !lost && (lost = true);
    await expect(r.up()).rejects.toThrow(
      /ImportKeyPair failed \(InvalidKeyPair.Duplicate\).*no resource of this run was found/,
    );
    r.fake.describeLags = undefined;
    expect((await r.postDown()).leftovers).toEqual([]);
    expect(fake.liveResources().sort()).toEqual(other.ledger.records.map((x) => x.id).sort());
  });
});

describe('the fake models EC2 idempotency', () => {
  it('a create without a token, resent, makes a second resource (what the lookup by tags prevents)', async () => {
    const fake = new FakeEc2();
    await fake.call('CreateVpc', { CidrBlock: '10.9.0.0/16' });
    await fake.call('CreateVpc', { CidrBlock: '10.9.0.0/16' });
    expect(fake.vpcs.size).toBe(2);
  });

  it('the same ClientToken answers with the same resource; with other parameters it is refused', async () => {
    const fake = new FakeEc2();
    const vpc = (await fake.call('CreateVpc', { CidrBlock: '10.9.0.0/16' })) as { Vpc: { VpcId: string } };
    const ask = (extra: Record<string, unknown> = {}) =>
      fake.call('CreateRouteTable', { VpcId: vpc.Vpc.VpcId, ClientToken: 'token-1', ...extra }) as Promise<{
        RouteTable: { RouteTableId: string };
      }>;
    const first = await ask();
    const again = await ask();
    expect(again.RouteTable.RouteTableId).toBe(first.RouteTable.RouteTableId);
    expect([...fake.tables.values()].filter((t) => !t.main)).toHaveLength(1);
    await expect(
      ask({ TagSpecifications: [{ ResourceType: 'route-table', Tags: [{ Key: 'a', Value: 'b' }] }] }),
    ).rejects.toMatchObject({ name: 'IdempotentParameterMismatch' });
  });

  it('a lost answer took effect: the call threw, the resource exists', async () => {
    const fake = new FakeEc2();
    fake.loseAnswer = () => true;
    await expect(fake.call('CreateVpc', { CidrBlock: '10.9.0.0/16' })).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(fake.vpcs.size).toBe(1);
  });
});
