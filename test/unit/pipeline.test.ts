import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runMain, runPost } from '../../src/pipeline/pipeline';
import type { Provider, ResourceRecord, TeardownReport } from '../../src/provider';
import { memoryIo } from '../helpers/memory-io';

/** A provider that records what it "creates" in the ledger, then fails at a chosen step. */
function failingProvider(createBeforeFailing: number) {
  const live: ResourceRecord[] = [];
  const downCalls: Array<{ stackId: string; known: ResourceRecord[] }> = [];
  const provider: Provider = {
    async up(_plan, ctx) {
      for (let i = 0; i < createBeforeFailing; i++) {
        const r = { kind: 'thing', id: `thing-${i}` };
        live.push(r);
        ctx.ledger.record(r);
      }
      throw new Error('InsufficientInstanceCapacity in every zone');
    },
    async down(stackId, ctx): Promise<TeardownReport> {
      downCalls.push({ stackId, known: ctx.known });
      const deleted = live.filter((r) => ctx.known.some((k) => k.id === r.id));
      live.splice(0, live.length, ...live.filter((r) => !deleted.includes(r)));
      return { stackId, deleted, leftovers: [...live], seconds: 1 };
    },
    async sweep() {
      return [];
    },
  };
  return { provider, live, downCalls };
}

const ctx = { env: {}, now: new Date('2026-11-21T12:00:00Z'), runId: '7', runAttempt: '1' };
const workRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-pipeline-'));
afterAll(() => fs.rmSync(workRoot, { recursive: true, force: true }));

describe('a failure half-way through up', () => {
  it('leaves every created resource in the state, and the post step deletes them all', async () => {
    const fake = failingProvider(3);
    const main = memoryIo({ mode: 'up', 'stack-id': 'half-way', teardown: 'on-success' });
    await expect(
      runMain(main, ctx, { providerFor: () => fake.provider, workRoot, stagesDir: workRoot }),
    ).rejects.toThrow(/InsufficientInstanceCapacity/);
    expect(main.state['up-outcome']).toBe('provisioning-failed');
    expect(JSON.parse(main.state.resources)).toHaveLength(3);

    // The post step runs in a new process that sees only the saved state.
    const post = memoryIo({}, main.state);
    await runPost(post, { providerFor: () => fake.provider });
    expect(fake.downCalls).toEqual([{ stackId: 'half-way', known: JSON.parse(main.state.resources) }]);
    expect(fake.live).toEqual([]);
    expect(post.lines.join('\n')).toMatch(/provisioning failed half-way/);
  });

  it("is kept with teardown 'never', with a line saying how to delete it", async () => {
    const fake = failingProvider(2);
    const main = memoryIo({ mode: 'up', 'stack-id': 'keep-me', teardown: 'never' });
    await expect(
      runMain(main, ctx, { providerFor: () => fake.provider, workRoot, stagesDir: workRoot }),
    ).rejects.toThrow();
    const post = memoryIo({}, main.state);
    await runPost(post, { providerFor: () => fake.provider });
    expect(fake.downCalls).toEqual([]);
    expect(post.lines.join('\n')).toMatch(/mode: down and stack-id: keep-me/);
  });

  it('masks the generated secrets before provisioning starts', async () => {
    const fake = failingProvider(0);
    const main = memoryIo({ mode: 'up', 'stack-id': 'masked' });
    await expect(
      runMain(main, ctx, { providerFor: () => fake.provider, workRoot, stagesDir: workRoot }),
    ).rejects.toThrow();
    // 20 passwords, the private key and its base64 lines.
    expect(main.secrets.length).toBeGreaterThan(20);
    const key = fs.readFileSync(path.join(workRoot, 'openstack-on-aws', 'masked', 'id_ed25519'), 'utf8');
    expect(main.secrets).toContain(key);
    expect(fs.statSync(path.join(workRoot, 'openstack-on-aws', 'masked', 'id_ed25519')).mode & 0o777).toBe(0o600);
  });
});

describe('post step reporting', () => {
  it('fails when the teardown leaves resources behind, naming them', async () => {
    const stubborn: Provider = {
      up: async () => {
        throw new Error('unused');
      },
      down: async (stackId) => ({ stackId, deleted: [], leftovers: [{ kind: 'vpc', id: 'vpc-0abc' }], seconds: 2 }),
      sweep: async () => [],
    };
    const main = memoryIo({ mode: 'up', 'stack-id': 'stubborn' });
    await expect(runMain(main, ctx, { providerFor: () => stubborn, workRoot, stagesDir: workRoot })).rejects.toThrow();
    const post = memoryIo({}, main.state);
    await expect(runPost(post, { providerFor: () => stubborn })).rejects.toThrow(
      /could not delete 1 resource\(s\): vpc vpc-0abc/,
    );
    expect(post.summaries.join('\n')).toContain('vpc `vpc-0abc`');
  });

  it('mode down deletes the named stack and reports it', async () => {
    const calls: string[] = [];
    const p: Provider = {
      up: async () => {
        throw new Error('unused');
      },
      down: async (stackId) => {
        calls.push(stackId);
        return { stackId, deleted: [{ kind: 'vpc', id: 'vpc-1' }], leftovers: [], seconds: 3 };
      },
      sweep: async () => [],
    };
    const io = memoryIo({ mode: 'down', 'stack-id': 'pr-12' });
    await runMain(io, ctx, { providerFor: () => p });
    expect(calls).toEqual(['pr-12']);
    expect(io.outputs['stack-id']).toBe('pr-12');
    expect(io.summaries.join('\n')).toMatch(/deleted 1 resource/);
  });
});

describe('the post step builds no Plan', () => {
  it("prices the run from the cost basis main saved in the state, for the Plan's instance types", async () => {
    const fake = failingProvider(1);
    const main = memoryIo({ mode: 'up', 'stack-id': 'priced', 'controller-instance-type': 'm7i.2xlarge' });
    await expect(
      runMain(main, ctx, { providerFor: () => fake.provider, workRoot, stagesDir: workRoot }),
    ).rejects.toThrow();
    const basis = JSON.parse(main.state['cost-basis']);
    expect(basis.provider).toBe('aws');
    expect(basis.nodes.map((n: { instanceType: string }) => n.instanceType)).toEqual(['m7i.2xlarge', 'm8i.xlarge']);

    const post = memoryIo({}, main.state);
    await runPost(post, { providerFor: () => fake.provider });
    expect(post.summaries.join('\n')).toMatch(/\| 1 × m7i\.2xlarge \|/);

    // Without a saved cost basis (a main step that stopped before provisioning) there is no cost table.
    const { 'cost-basis': _dropped, ...withoutBasis } = main.state;
    const bare = memoryIo({}, withoutBasis);
    await runPost(bare, { providerFor: () => failingProvider(0).provider });
    expect(bare.summaries.join('\n')).toContain('### Teardown');
    expect(bare.summaries.join('\n')).not.toContain('Estimated cost');
  });
});
