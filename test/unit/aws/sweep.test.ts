// mode: sweep deletes every stack whose expires-at has passed, and only those.

import { Inputs, Tags } from '../../../src/core/names';
import { FakeEc2 } from '../../helpers/fake-ec2';
import { recordingIo, rig } from './harness';

it('deletes only the stacks whose expires-at has passed', async () => {
  const fake = new FakeEc2();
  const short1 = rig({ [Inputs.StackId]: 'short-one', [Inputs.Lifetime]: '10m' }, {}, fake);
  const short2 = rig({ [Inputs.StackId]: 'short-two', [Inputs.Lifetime]: '20m', [Inputs.Topology]: 'full' }, {}, fake);
  const long = rig({ [Inputs.StackId]: 'long-lived', [Inputs.Lifetime]: '3h' }, {}, fake);
  await Promise.all([short1.up(), short2.up(), long.up()]);
  await fake.clock.sleep(30 * 60_000);

  const io = recordingIo();
  const reports = await long.freshProvider().sweep(new Date(fake.clock.now()), { io });

  expect(reports.map((r) => r.stackId)).toEqual(['short-one', 'short-two']);
  for (const r of reports) expect(r.leftovers).toEqual([]);
  expect(fake.liveResources().sort()).toEqual(long.ledger.records.map((r) => r.id).sort());
  expect(io.lines).toContain('Expired stacks: short-one, short-two');

  // Nothing expired any more: a second sweep deletes nothing.
  expect(await long.freshProvider().sweep(new Date(fake.clock.now()), { io })).toEqual([]);
  expect(fake.liveResources().length).toBe(long.ledger.records.length);
});

it('finds a stack by its instances when its VPC carries no expires-at tag', async () => {
  const fake = new FakeEc2();
  const r = rig({ [Inputs.StackId]: 'half-gone', [Inputs.Lifetime]: '10m' }, {}, fake);
  await r.up();
  await fake.clock.sleep(15 * 60_000);
  // Hide the VPC from the sweep's VPC query by dropping its expiry tag (the policy still lets the
  // teardown delete it: it carries the stack and repository tags).
  for (const v of fake.vpcs.values()) delete v.tags[Tags.ExpiresAt];
  const reports = await r.freshProvider().sweep(new Date(fake.clock.now()), { io: recordingIo() });
  expect(reports.map((x) => x.stackId)).toEqual(['half-gone']);
  // Its VPC is found through the subnets and groups inside it.
  expect(reports[0].leftovers).toEqual([]);
  expect(fake.liveResources()).toEqual([]);
});

/** The creates provision sends side by side before the VPC exists, by the kind each makes. */
const PRE_VPC_CREATES = {
  elasticIp: 'AllocateAddress',
  internetGateway: 'CreateInternetGateway',
  keyPair: 'ImportKeyPair',
};
type PreVpcKind = keyof typeof PRE_VPC_CREATES;

/**
 * The runner is killed while provisioning: the creates of `kept` take effect, CreateVpc and the other
 * pre-VPC creates never reach EC2, and no call after that first moment does (no post step either).
 */
function killBeforeVpc(fake: FakeEc2, kept: PreVpcKind[]): void {
  const dropped = ['CreateVpc', ...Object.values(PRE_VPC_CREATES)].filter(
    (op) => !kept.some((k) => PRE_VPC_CREATES[k] === op),
  );
  let firstDropAt: number | undefined;
  fake.dropRequest = (op, n) => {
    if (firstDropAt !== undefined && fake.clock.now() > firstDropAt) {
      fake.cutAfter = n - 1;
      return true;
    }
    if (!dropped.includes(op)) return false;
    firstDropAt ??= fake.clock.now();
    return true;
  };
}

/** A new runner later: its calls reach EC2 again. */
function revive(fake: FakeEc2): void {
  fake.dropRequest = undefined;
  fake.cutAfter = undefined;
}

/** What the fake still holds of each pre-VPC kind, and whether anything else is there. */
function leftBehind(fake: FakeEc2) {
  return {
    elasticIp: fake.addresses.size,
    internetGateway: fake.gateways.size,
    keyPair: fake.keyPairs.size,
    other: fake.liveResources().length - fake.addresses.size - fake.gateways.size - fake.keyPairs.size,
  };
}

describe.each<PreVpcKind>(['elasticIp', 'internetGateway', 'keyPair'])(
  'a runner killed before its VPC existed, leaving only its %s',
  (kind) => {
    it('is found by sweep through that kind alone, and nothing of it is left', async () => {
      const fake = new FakeEc2();
      const r = rig({ [Inputs.StackId]: 'no-vpc', [Inputs.Lifetime]: '10m' }, {}, fake);
      killBeforeVpc(fake, [kind]);
      await expect(r.up()).rejects.toThrow();
      revive(fake);
      const left = leftBehind(fake);
      expect(left[kind]).toBeGreaterThan(0);
      expect(Object.entries(left).filter(([k, n]) => k !== kind && n > 0)).toEqual([]);

      await fake.clock.sleep(15 * 60_000);
      const io = recordingIo();
      const reports = await r.freshProvider().sweep(new Date(fake.clock.now()), { io });
      expect(reports.map((x) => x.stackId)).toEqual(['no-vpc']);
      expect(reports[0].leftovers).toEqual([]);
      expect(reports[0].deleted.length).toBe(left[kind]);
      expect(fake.liveResources()).toEqual([]);
    });
  },
);

it('leaves a stack without a VPC alone until its expires-at has passed', async () => {
  const fake = new FakeEc2();
  const short = rig({ [Inputs.StackId]: 'short-no-vpc', [Inputs.Lifetime]: '10m' }, {}, fake);
  const long = rig({ [Inputs.StackId]: 'long-no-vpc', [Inputs.Lifetime]: '3h' }, {}, fake);
  const all: PreVpcKind[] = ['elasticIp', 'internetGateway', 'keyPair'];
  killBeforeVpc(fake, all);
  await expect(short.up()).rejects.toThrow();
  revive(fake);
  killBeforeVpc(fake, all);
  await expect(long.up()).rejects.toThrow();
  revive(fake);
  const longIds = long.ledger.records.map((x) => x.id).sort();
  expect(longIds.length).toBeGreaterThanOrEqual(3);
  expect(fake.vpcs.size).toBe(0);

  await fake.clock.sleep(30 * 60_000);
  const reports = await long.freshProvider().sweep(new Date(fake.clock.now()), { io: recordingIo() });
  expect(reports.map((x) => x.stackId)).toEqual(['short-no-vpc']);
  expect(reports[0].leftovers).toEqual([]);
  // Exactly the long-lived stack's resources remain, untouched.
  expect(fake.liveResources().sort()).toEqual(longIds);
});
