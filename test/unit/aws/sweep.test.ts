// mode: sweep deletes every stack whose expires-at has passed, and only those; and this repository's
// baked images beyond bake-keep per key and role.

import { Inputs, Tags } from '../../../src/core/names';
import { FakeEc2 } from '../../helpers/fake-ec2';
import { bakedStack, ownImages } from './bake-harness';
import { recordingIo, REPOSITORY, rig } from './harness';

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

describe('baked images', () => {
  const registered = (fake: FakeEc2) =>
    ownImages(fake)
      .filter((i) => i.state !== 'deregistered')
      .map((i) => i.id)
      .sort();

  it('go beyond bake-keep per key and role, with their snapshots, each under the stack that baked it', async () => {
    const fake = new FakeEc2();
    const expired = await bakedStack(fake, 'baked-expired', { keep: 10, inputs: { [Inputs.Lifetime]: '10m' } });
    await expired.r.postDown();
    const expiredRest = rig({ [Inputs.StackId]: 'baked-expired', [Inputs.Lifetime]: '10m' }, {}, fake);
    await fake.clock.sleep(60_000);
    const middle = await bakedStack(fake, 'baked-middle', { keep: 10, inputs: { [Inputs.Lifetime]: '3h' } });
    await fake.clock.sleep(60_000);
    const newest = await bakedStack(fake, 'baked-newest', { keep: 10, inputs: { [Inputs.Lifetime]: '3h' } });
    const otherKey = await bakedStack(fake, 'baked-other', {
      key: 'fedcba9876543210',
      keep: 10,
      inputs: { [Inputs.Lifetime]: '3h' },
    });
    // The expired stack comes back (a later run of its id, left behind): the sweep deletes it too.
    await expiredRest.up();
    await fake.clock.sleep(15 * 60_000);

    const io = recordingIo();
    const reports = await newest.r
      .freshProvider()
      .sweep(new Date(fake.clock.now()), { io, bakeKeep: 1, repository: REPOSITORY });

    expect(registered(fake)).toEqual([...newest.images, ...otherKey.images].map((b) => b.id).sort());
    expect(reports.map((r) => r.stackId)).toEqual(['baked-expired', 'baked-middle']);
    for (const r of reports) expect(r.leftovers).toEqual([]);
    const [expiredReport, middleReport] = reports;
    const imagesOf = (stack: typeof middle) => stack.images.map((b) => b.id).sort();
    const deletedImages = (r: (typeof reports)[0]) =>
      r.deleted
        .filter((d) => d.kind === 'image')
        .map((d) => d.id)
        .sort();
    expect(deletedImages(expiredReport)).toEqual(imagesOf(expired));
    expect(deletedImages(middleReport)).toEqual(imagesOf(middle));
    // The expired stack's own resources are in its report too, and gone.
    expect(expiredReport.deleted.some((d) => d.kind === 'vpc')).toBe(true);
    expect(middleReport.deleted.filter((d) => d.kind === 'snapshot')).toHaveLength(7);
    expect(fake.snapshots.size).toBe(14);
    expect(fake.liveResources().sort()).toEqual(
      [middle, newest, otherKey].flatMap((s) => s.r.ledger.records.map((x) => x.id)).sort(),
    );
  });

  it('keep 2 per key and role when bake-keep is not given', async () => {
    const fake = new FakeEc2();
    const stacks = [];
    for (const id of ['keep-one', 'keep-two', 'keep-three']) {
      stacks.push(await bakedStack(fake, id, { keep: 10 }));
      await fake.clock.sleep(60_000);
    }
    const reports = await stacks[0].r
      .freshProvider()
      .sweep(new Date(fake.clock.now()), { io: recordingIo(), repository: REPOSITORY });
    expect(reports.map((r) => r.stackId)).toEqual(['keep-one']);
    expect(registered(fake)).toEqual([...stacks[1].images, ...stacks[2].images].map((b) => b.id).sort());
  });

  it("cannot cost the stacks' reports: a failed look-up of the images is a warning", async () => {
    const fake = new FakeEc2();
    const r = rig({ [Inputs.StackId]: 'expired-anyway', [Inputs.Lifetime]: '10m' }, {}, fake);
    await r.up();
    await fake.clock.sleep(15 * 60_000);
    fake.throttle = (op) => op === 'DescribeImages';
    const io = recordingIo();
    const reports = await r.freshProvider().sweep(new Date(fake.clock.now()), { io, repository: REPOSITORY });
    expect(reports.map((x) => [x.stackId, x.leftovers])).toEqual([['expired-anyway', []]]);
    expect(fake.liveResources()).toEqual([]);
    expect(io.lines).toContainEqual(
      expect.stringMatching(/^warning: Baked images: not pruned: EC2 DescribeImages failed \(RequestLimitExceeded\)/),
    );
  });

  it("are left alone without a repository to scope them by, and another repository's never go", async () => {
    const fake = new FakeEc2();
    for (const id of ['alone-one', 'alone-two']) {
      await bakedStack(fake, id, { keep: 10 });
      await fake.clock.sleep(60_000);
    }
    const before = fake.imageResources().sort();
    const provider = rig({}, {}, fake).freshProvider();
    const io = recordingIo();
    expect(await provider.sweep(new Date(fake.clock.now()), { io, bakeKeep: 1 })).toEqual([]);
    expect(io.lines).toContain('Baked images: not pruned (no repository known to scope them by)');
    expect(await provider.sweep(new Date(fake.clock.now()), { io, bakeKeep: 1, repository: 'someone/else' })).toEqual(
      [],
    );
    expect(fake.imageResources().sort()).toEqual(before);
    expect(fake.ops().filter((op) => op === 'DeregisterImage' || op === 'DeleteSnapshot')).toEqual([]);
  });
});
