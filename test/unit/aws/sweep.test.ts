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
