// The summary the teardown writes: in the CLI (one file per stack, main and the teardown after it)
// it replaces main's timeline and "not run yet", so the file has one Teardown section and one
// timeline that ends with the teardown; in a workflow (main and post are separate steps, each with
// its own summary) the post step's summary follows main's.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCli } from '../../src/cli';
import { terminalIo } from '../../src/core/io';
import { States } from '../../src/core/names';
import { runPost } from '../../src/pipeline/pipeline';
import { buildPlan } from '../../src/plan/plan';
import type { Environment, Provider, ResourceRecord, TeardownReport } from '../../src/provider';
import { reportUp } from '../../src/report/report-run';
import { Timings } from '../../src/report/timings';
import { settingsToJson } from '../../src/settings/inputs';
import { memoryIo } from '../helpers/memory-io';
import { settingsFrom } from '../helpers/inputs';

// Main's steps an hour ago; the teardown runs now, on the real clock.
const T0 = Date.now() - 3_600_000;
const NOW = new Date(T0);
const IMAGE = 'file:///var/lib/images/test.img';

/** Up fails after creating `creates` things (or succeeds with none when creates is undefined). */
function fakeProvider(creates?: number) {
  const live: ResourceRecord[] = [];
  const provider: Provider = {
    async up(_plan, ctx) {
      for (let i = 0; i < (creates ?? 0); i++) {
        live.push({ kind: 'thing', id: `thing-${i}` });
        ctx.ledger.record(live[i]);
      }
      throw new Error('no room for machines');
    },
    async down(stackId, ctx): Promise<TeardownReport> {
      const deleted = live.filter((r) => ctx.known.some((k) => k.id === r.id));
      live.splice(0, live.length);
      return { stackId, deleted, leftovers: [], seconds: 4 };
    },
    async sweep() {
      return [];
    },
  };
  return provider;
}

let dir: string;
let stdout: jest.SpyInstance;
let stderr: jest.SpyInstance;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-cli-summary-'));
  stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => {
  stdout.mockRestore();
  stderr.mockRestore();
  fs.rmSync(dir, { recursive: true, force: true });
});

const count = (text: string, what: string) => text.split(what).length - 1;
const settings = settingsFrom({ provider: 'local', 'stack-id': 'sum2', teardown: 'always', 'image-url': IMAGE });
const plan = buildPlan(settings, { now: NOW });
/** The environment main reports; its key file is one this test made (publishOutputs chmods it 0600). */
const envWithKey = (keyDir: string): Environment => {
  const privateKeyPath = path.join(keyDir, 'id_ed25519');
  fs.writeFileSync(privateKeyPath, 'not a real key\n', { mode: 0o600 });
  return { ...env, privateKeyPath };
};
const env: Omit<Environment, 'privateKeyPath'> = {
  stackId: 'sum2',
  nodes: [{ name: 'controller', instanceId: 'local-1', managementIp: '10.42.0.11', nics: [] }],
  controllerPublicIp: '203.0.113.20',
  sshPort: 22,
  routerPublicIp: '203.0.113.21',
  sshUser: 'root',
};

/** What main records in a run: the compute node's stages beside the controller's. */
function mainTimings(): Timings {
  const t = new Timings(() => T0);
  t.record('provision', 'local up', 60, T0);
  t.record('stage', 'controller:mariadb', 40, T0 + 60_000);
  t.record('stage', 'compute1:compute-packages', 70, T0 + 60_000);
  t.record('stage', 'controller:keystone', 60, T0 + 100_000);
  return t;
}

/** main's reportUp and the state it leaves for the teardown, written through `io`. */
async function mainStep(io: ReturnType<typeof terminalIo>) {
  io.saveState(States.Settings, settingsToJson(settings));
  io.saveState(States.UpOutcome, 'succeeded');
  await reportUp({
    plan,
    env: envWithKey(dir),
    io,
    workDir: dir,
    adminPassword: 'x',
    results: [],
    timings: mainTimings(),
    secrets: [],
  });
}

it("CLI: the teardown replaces main's timeline and 'not run yet'; one Teardown section", async () => {
  const io = terminalIo({}, path.join(dir, 'sum2.state.json'));
  await mainStep(io);
  const file = path.join(dir, 'sum2.summary.md');
  const before = fs.readFileSync(file, 'utf8');
  expect(before).toContain('Not run yet');
  await runPost(io, { providerFor: () => fakeProvider() });
  const after = fs.readFileSync(file, 'utf8');
  expect(count(after, '### Teardown')).toBe(1);
  expect(after).not.toContain('Not run yet');
  expect(after).toContain('✅ deleted 0 resource(s) of stack `sum2` in 4.0 s; 0 left over.');
  expect(count(after, '### Timeline')).toBe(1);
  const timeline = after.slice(after.indexOf('### Timeline'), after.indexOf('### Smoke checks'));
  expect(timeline).toContain('### Timeline (the whole run, with teardown)');
  expect(timeline).toMatch(/\* teardown local down +\|/);
  expect(timeline).toContain('stage compute1:compute-packages (1 min 10 s) beside stage controller:mariadb');
  // The sections keep main's order: head, timeline, smoke checks, teardown.
  const at = (s: string) => after.indexOf(s);
  expect(at('## openstack-on-aws: stack `sum2`')).toBeLessThan(at('### Timeline'));
  expect(at('### Timeline')).toBeLessThan(at('### Smoke checks'));
  expect(at('### Smoke checks')).toBeLessThan(at('### Teardown'));
});

it('CLI: a stack kept by the teardown input says so in the one Teardown section', async () => {
  const io = terminalIo({}, path.join(dir, 'sum2.state.json'));
  await mainStep(io);
  io.saveState(States.Settings, settingsToJson({ ...settings, teardown: 'never' }));
  await runPost(io, { providerFor: () => fakeProvider() });
  const after = fs.readFileSync(path.join(dir, 'sum2.summary.md'), 'utf8');
  expect(count(after, '### Teardown')).toBe(1);
  expect(after).toMatch(/⏸️ stack `sum2` kept: .*Delete it with `mode: down`/);
});

it('CLI: `up` from start to end writes one Teardown section, and a second `up` starts a new file', async () => {
  const argv = ['up', '--provider', 'local', '--stack-id', 'sum3', '--image-url', IMAGE, '--state-dir', dir];
  for (let run = 0; run < 2; run++) {
    const provider = fakeProvider(2);
    expect(await runCli(argv, { providerFor: () => provider })).toBe(1);
    const text = fs.readFileSync(path.join(dir, 'sum3.summary.md'), 'utf8');
    expect(count(text, '### Teardown')).toBe(1);
    // Nothing of the first run is left in the second one's file (its plan would be there twice).
    expect(count(text, '### Plan for stack `sum3`')).toBe(1);
    expect(text).toContain('✅ deleted 2 resource(s) of stack `sum3`');
    // The failed provisioning and the teardown, on one timeline.
    expect(text).toMatch(/\* provision local up +\|/);
    expect(text).toMatch(/\* teardown local down +\|/);
    expect(count(text, '### Timeline')).toBe(1);
  }
});

it('workflow: main and post write separate summaries; post has the result and the whole timeline', async () => {
  const main = memoryIo();
  await mainStep(main);
  expect(main.summaries).toHaveLength(1);
  expect(main.summaries[0]).toContain('### Teardown\n\nNot run yet: the teardown follows this step');
  const post = memoryIo({}, main.state);
  await runPost(post, { providerFor: () => fakeProvider() });
  expect(post.summaries).toHaveLength(1);
  expect(count(post.summaries[0], '### Teardown')).toBe(1);
  expect(post.summaries[0]).toContain('✅ deleted 0 resource(s)');
  expect(post.summaries[0]).toMatch(/\* teardown local down +\|/);
  expect(post.summaries[0]).toContain('stage compute1:compute-packages (1 min 10 s) beside stage controller:mariadb');
});
