// A stack id that is taken: `up` is refused before anything is created, and a post step's teardown
// takes only what its own run created (run id, attempt and created-at tags, and its ledger), so the
// other run's stack survives; `mode: down` still takes the whole stack.

import { InputError } from '../../../src/core/errors';
import { Inputs } from '../../../src/core/names';
import { FakeEc2 } from '../../helpers/fake-ec2';
import { Rig, rig } from './harness';

const MUTATING =
  /^(Create|Delete|Run|Terminate|Allocate|Release|Associate|Disassociate|Attach|Detach|Import|Modify|Authorize)/;

function mutatingCallsSince(fake: FakeEc2, from: number): string[] {
  return fake.calls
    .slice(from)
    .map((c) => c.op)
    .filter((op) => MUTATING.test(op));
}

describe('a second up with a stack id that exists (the re-run of a matrix entry)', () => {
  it('is refused before anything is created, naming what exists, and its post deletes nothing of the first', async () => {
    const fake = new FakeEc2();
    const first = rig({ [Inputs.StackId]: 'ci-7-0', [Inputs.Topology]: 'full' }, {}, fake, {
      runId: '7',
      runAttempt: '1',
    });
    await first.up();
    const before = fake.liveResources().sort();
    expect(before.length).toBeGreaterThan(15);

    await fake.clock.sleep(60_000);
    const second = rig({ [Inputs.StackId]: 'ci-7-0' }, {}, fake, { runId: '7', runAttempt: '2' });
    const from = fake.calls.length;
    const refusal = await second.up().catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(InputError);
    const message = (refusal as Error).message;
    expect(message).toContain("Input 'stack-id' has the value 'ci-7-0'");
    const f = fake;
    expect(message).toContain(
      `${f.instances.size} instance(s), ${f.enis.size} network-interface(s), 2 route-table(s), 1 internet-gateway, ` +
        `2 subnet(s), 2 security-group(s), 1 vpc, ${f.addresses.size} elastic-ip(s), 1 key-pair`,
    );
    expect(f.instances.size).toBe(first.plan.nodes.length);
    expect(message).toContain(`created ${first.plan.createdAt} by octo/repo (run 7 attempt 1)`);
    expect(message).toContain('mode: down and stack-id: ci-7-0');
    expect(mutatingCallsSince(fake, from)).toEqual([]);
    expect(second.ledger.records).toEqual([]);
    expect(fake.liveResources().sort()).toEqual(before);

    // The refused run's post step: nothing of the first stack goes.
    const post = await second.postDown();
    expect(post.deleted).toEqual([]);
    expect(post.leftovers).toEqual([]);
    expect(fake.liveResources().sort()).toEqual(before);
    // Even when its ledger wrongly lists the first stack's ids (a state file reused for the same id).
    const stale = await second.postDown(first.ledger.list());
    expect(stale.deleted).toEqual([]);
    expect(fake.liveResources().sort()).toEqual(before);
    expect(second.io.lines.join('\n')).toMatch(/Keeping .*created by another run of stack ci-7-0/);

    // The first run's own post step, and mode: down, still delete everything.
    const own = await first.postDown();
    expect(own.leftovers).toEqual([]);
    expect(fake.liveResources()).toEqual([]);
  });

  it('mode: down deletes the whole stack, whichever run created it', async () => {
    const fake = new FakeEc2();
    const first = rig({ [Inputs.StackId]: 'pr-9' }, {}, fake, { runId: '100', runAttempt: '1' });
    await first.up();
    const other = rig({ [Inputs.StackId]: 'pr-9' }, {}, fake, { runId: '200', runAttempt: '1' });
    const report = await other.down([]);
    expect(report.leftovers).toEqual([]);
    // Every resource the first run recorded; its secondary addresses (the default routed pool) go
    // with their interface, so no delete of their own is reported, and liveResources lists them.
    const own = first.ledger.records.filter((x) => x.kind !== 'secondary-address');
    expect(own.length).toBe(first.ledger.records.length - 4);
    expect(report.deleted.map((x) => x.id).sort()).toEqual(own.map((x) => x.id).sort());
    expect(fake.liveResources()).toEqual([]);
  });
});

describe('the PR workflow: mode down, then up with the same id', () => {
  it('up looks again before refusing: a stack whose deletion is still showing does not block it', async () => {
    const fake = new FakeEc2({ terminateMs: 4_000 });
    const old = rig({ [Inputs.StackId]: 'pr-3' }, {}, fake, { runId: '1', runAttempt: '1' });
    await old.up();
    const next = rig({ [Inputs.StackId]: 'pr-3' }, {}, fake, { runId: '2', runAttempt: '1' });
    // The old stack is still there at the first look; its deletion finishes within the rechecks.
    const [up, down] = await Promise.all([next.up(), old.down()]);
    expect(down.leftovers).toEqual([]);
    expect(next.io.lines).toContainEqual(
      expect.stringMatching(/^Stack id pr-3 shows \d+ resource\(s\) in us-east-1; looking again/),
    );
    expect(up.nodes).toHaveLength(next.plan.nodes.length);
    expect(fake.liveResources().sort()).toEqual(next.ledger.records.map((r) => r.id).sort());
    expect((await next.postDown()).leftovers).toEqual([]);
    expect(fake.liveResources()).toEqual([]);
  });
});

describe('two runs of one stack id racing past the preflight', () => {
  async function race(): Promise<{ fake: FakeEc2; winner: Rig; loser: Rig }> {
    const fake = new FakeEc2();
    const a = rig({ [Inputs.StackId]: 'shared', [Inputs.Topology]: 'full' }, {}, fake, { runId: '5', runAttempt: '1' });
    const b = rig({ [Inputs.StackId]: 'shared', [Inputs.Topology]: 'full' }, {}, fake, { runId: '5', runAttempt: '2' });
    const [ra, rb] = await Promise.allSettled([a.up(), b.up()]);
    // Both passed the preflight and created something; one lost on the key pair name.
    expect(a.ledger.records.length).toBeGreaterThan(0);
    expect(b.ledger.records.length).toBeGreaterThan(0);
    expect([ra.status, rb.status].sort()).toEqual(['fulfilled', 'rejected']);
    const [winner, loser, failed] = ra.status === 'fulfilled' ? [a, b, rb] : [b, a, ra];
    expect(String((failed as PromiseRejectedResult).reason)).toMatch(/InvalidKeyPair.Duplicate/);
    return { fake, winner, loser };
  }

  it('the loser crashed after partial creation: its post deletes only its own run’s resources', async () => {
    const { fake, winner, loser } = await race();
    const winnersIds = winner.ledger.records.map((r) => r.id).sort();
    // A crash lost the loser's ledger: its post finds its resources by its run's tags alone.
    const report = await loser.postDown([]);
    expect(report.leftovers).toEqual([]);
    expect(report.deleted.map((r) => r.id).sort()).toEqual(loser.ledger.records.map((r) => r.id).sort());
    expect(fake.liveResources().sort()).toEqual(winnersIds);
    for (const id of winnersIds) expect(report.deleted.map((r) => r.id)).not.toContain(id);
    // The winner's stack still works as a whole: its own post takes it down to zero.
    expect((await winner.postDown()).leftovers).toEqual([]);
    expect(fake.liveResources()).toEqual([]);
  });

  it('with its ledger as saved, the loser’s post still deletes exactly its own', async () => {
    const { fake, winner, loser } = await race();
    const report = await loser.postDown();
    expect(report.leftovers).toEqual([]);
    expect(fake.liveResources().sort()).toEqual(winner.ledger.records.map((r) => r.id).sort());
  });
});
