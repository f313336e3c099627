// The action's post step deletes the runner-side private key and credential files once its teardown
// ran, and keeps them when the stack is kept (teardown: never), since they are the way in.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runMain, runPost } from '../../src/pipeline/pipeline';
import type { Provider } from '../../src/provider';
import { memoryIo } from '../helpers/memory-io';

const ctx = { env: {}, now: new Date('2026-12-01T12:00:00Z'), runId: '8', runAttempt: '1' };
const workRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-teardown-secrets-'));
afterAll(() => fs.rmSync(workRoot, { recursive: true, force: true }));

/** Fails after provisioning started, as a capacity shortage does; deletes nothing (nothing exists). */
const failing: Provider = {
  up: async () => {
    throw new Error('InsufficientInstanceCapacity in every zone');
  },
  down: async (stackId) => ({ stackId, deleted: [], leftovers: [], seconds: 0 }),
  sweep: async () => [],
};

async function mainThenPost(stackId: string, teardown: string) {
  const main = memoryIo({ mode: 'up', 'stack-id': stackId, teardown });
  await expect(runMain(main, ctx, { providerFor: () => failing, workRoot, stagesDir: workRoot })).rejects.toThrow();
  const work = path.join(workRoot, 'openstack-on-aws', stackId);
  // As the report step would leave them after a cloud answered.
  for (const f of ['clouds.yaml', 'admin-openrc.sh']) fs.writeFileSync(path.join(work, f), 'x', { mode: 0o600 });
  fs.writeFileSync(path.join(work, 'junit.xml'), '<testsuites/>');
  expect(fs.existsSync(path.join(work, 'id_ed25519'))).toBe(true);
  const post = memoryIo({}, main.state);
  await runPost(post, { providerFor: () => failing });
  return { work, post };
}

test('after the teardown: the key, clouds.yaml and the openrc are gone; the JUnit report stays', async () => {
  const { work, post } = await mainThenPost('gone', 'always');
  for (const f of ['id_ed25519', 'clouds.yaml', 'admin-openrc.sh'])
    expect(fs.existsSync(path.join(work, f))).toBe(false);
  expect(fs.existsSync(path.join(work, 'junit.xml'))).toBe(true);
  expect(post.lines.join('\n')).toMatch(/Deleted the stack's key and credential files on this machine: .*id_ed25519/);
});

test('a kept stack keeps its key and credentials', async () => {
  const { work } = await mainThenPost('kept', 'never');
  for (const f of ['id_ed25519', 'clouds.yaml', 'admin-openrc.sh'])
    expect(fs.existsSync(path.join(work, f))).toBe(true);
});
