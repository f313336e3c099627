// The mark "created nothing" (core/errors.ts) makes the post step skip its teardown, so it must never
// reach an error raised after a create call: through the real pipeline on the fake EC2, a run cut
// at the first create (the VPC exists, its answer was lost) is torn down by post, and only a run cut
// inside the preflight (nothing exists) is not.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createAwsProvider } from '../../../src/aws/provider';
import { Inputs, States } from '../../../src/core/names';
import { runMain, runPost } from '../../../src/pipeline/pipeline';
import { FakeEc2 } from '../../helpers/fake-ec2';
import { memoryIo } from '../../helpers/memory-io';
import { rig, RUNNER_IP, virtualTicker } from './harness';

const workRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-preflight-mark-'));
afterAll(() => fs.rmSync(workRoot, { recursive: true, force: true }));

async function upCutAfter(cutAfter: number | undefined) {
  const fake = new FakeEc2();
  fake.cutAfter = cutAfter;
  const providerFor = () =>
    createAwsProvider(
      { region: 'us-east-1' },
      {
        client: fake.client(),
        sleep: fake.clock.sleep,
        now: fake.clock.now,
        fetchRunnerIp: async () => RUNNER_IP,
        ticker: virtualTicker(fake),
      },
    );
  const main = memoryIo({ [Inputs.Mode]: 'up', [Inputs.StackId]: 'mark-1', [Inputs.Teardown]: 'always' });
  const ctx = { env: {}, now: new Date(fake.clock.now()), runId: '7', runAttempt: '1' };
  const error = await runMain(main, ctx, { providerFor, workRoot, stagesDir: workRoot }).catch((e: unknown) => e);
  return { fake, main, providerFor, error };
}

/** The number of the first create call of an uncut provisioning (the provider alone, on the same fake). */
async function firstCreateCall(): Promise<number> {
  const r = rig({ [Inputs.StackId]: 'mark-1' });
  await r.up();
  return r.fake.calls.findIndex((c) => /^(Create|Allocate|Import|Run)/.test(c.op)) + 1;
}

it('the first create call is where the mark stops: cut there, post tears down what exists', async () => {
  const firstCreate = await firstCreateCall();
  expect(firstCreate).toBeGreaterThan(1);

  const cut = await upCutAfter(firstCreate);
  expect(cut.error).toBeInstanceOf(Error);
  expect(cut.fake.liveResources().length).toBeGreaterThan(0);
  expect(cut.main.state[States.UpOutcome]).toBe('provisioning-failed');
  cut.fake.cutAfter = undefined; // the post step runs on a runner that reaches EC2 again
  const post = memoryIo({}, cut.main.state);
  await expect(runPost(post, { providerFor: cut.providerFor })).resolves.toBe(true);
  expect(cut.fake.liveResources()).toEqual([]);
});

it('cut inside the preflight: nothing exists, the outcome is refused and post makes no EC2 call', async () => {
  const firstCreate = await firstCreateCall();
  const cut = await upCutAfter(firstCreate - 2);
  expect(cut.fake.liveResources()).toEqual([]);
  expect(cut.main.state[States.UpOutcome]).toBe('refused');
  const calls = cut.fake.calls.length;
  await expect(runPost(memoryIo({}, cut.main.state), { providerFor: cut.providerFor })).resolves.toBe(false);
  expect(cut.fake.calls.length).toBe(calls);
});
