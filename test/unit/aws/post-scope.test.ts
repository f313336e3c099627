// The reported defect end to end, through the real pipeline (main, then post in a "new process" that
// sees only the saved state) on the fake EC2: a second `up` with a stack id that exists is refused,
// and its post step deletes nothing of the first stack: it knows the preflight refused the run, so it
// makes no EC2 call and only deletes the refused run's own key file.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createAwsProvider } from '../../../src/aws/provider';
import { Inputs, States, Tags } from '../../../src/core/names';
import { PRIVATE_KEY_FILE } from '../../../src/core/work-files';
import { runMain, runPost } from '../../../src/pipeline/pipeline';
import type { AwsTarget } from '../../../src/aws/client';
import { FakeEc2 } from '../../helpers/fake-ec2';
import { memoryIo } from '../../helpers/memory-io';
import { RUNNER_IP, rig } from './harness';

const workRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-post-scope-'));
afterAll(() => fs.rmSync(workRoot, { recursive: true, force: true }));

it('a refused second up: main creates nothing, post deletes nothing, the first stack is whole', async () => {
  const fake = new FakeEc2();
  const first = rig({ [Inputs.StackId]: 'ci-31-0', [Inputs.Topology]: 'full' }, {}, fake, {
    runId: '31',
    runAttempt: '1',
  });
  await first.up();
  const before = fake.liveResources().sort();

  const providerFor = (target: AwsTarget) =>
    createAwsProvider(target, {
      client: fake.client(),
      sleep: fake.clock.sleep,
      now: fake.clock.now,
      fetchRunnerIp: async () => RUNNER_IP,
    });
  const main = memoryIo({ [Inputs.Mode]: 'up', [Inputs.StackId]: 'ci-31-0', [Inputs.Teardown]: 'always' });
  const ctx = { env: {}, now: new Date(fake.clock.now() + 60_000), runId: '31', runAttempt: '2' };
  await expect(runMain(main, ctx, { providerFor, workRoot, stagesDir: workRoot })).rejects.toThrow(
    /stack ci-31-0 already exists in us-east-1: .*run 31 attempt 1.*mode: down and stack-id: ci-31-0/,
  );
  expect(JSON.parse(main.state[States.RunTags])).toEqual({
    [Tags.RunId]: '31',
    [Tags.RunAttempt]: '2',
    [Tags.CreatedAt]: ctx.now.toISOString(),
  });

  expect(main.state[States.UpOutcome]).toBe('refused');
  const keyFile = path.join(main.state[States.WorkDir], PRIVATE_KEY_FILE);
  expect(fs.existsSync(keyFile)).toBe(true);

  const calls = fake.calls.length;
  const post = memoryIo({}, main.state);
  await expect(runPost(post, { providerFor })).resolves.toBe(false);
  expect(post.lines.join('\n')).toMatch(
    /Nothing to tear down for stack ci-31-0: the run stopped in its preflight, before it created anything/,
  );
  // No teardown by tags ran (not one EC2 call), the first stack is whole, the refused run's key is gone.
  expect(fake.calls.slice(calls)).toEqual([]);
  expect(fake.liveResources().sort()).toEqual(before);
  expect(fs.existsSync(keyFile)).toBe(false);
});
