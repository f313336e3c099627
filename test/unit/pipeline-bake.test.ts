// image-cache before provisioning: with auto, a provider that has an image of this stack's key for
// every role gets each node's image in its context and the booted-from output names them; a
// missing role means a cold install; with off the provider is not even asked.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { BakedImage, BakeRequest } from '../../src/bake/types';
import { runMain } from '../../src/pipeline/pipeline';
import type { Provider, ProviderContext } from '../../src/provider';
import { memoryIo } from '../helpers/memory-io';

const ctx = { env: {}, now: new Date('2026-12-01T12:00:00Z'), runId: '7', runAttempt: '1' };
const workRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-pipeline-bake-'));
const stagesDir = path.join(workRoot, 'stages');
fs.mkdirSync(stagesDir);
fs.writeFileSync(path.join(stagesDir, 'lib.sh'), '# lib\n');
afterAll(() => fs.rmSync(workRoot, { recursive: true, force: true }));

function image(r: BakeRequest): BakedImage {
  return {
    id: `ami-${r.role}`,
    key: r.key,
    role: r.role,
    release: 'zed',
    os: 'debian-12',
    createdAt: '2026-12-01T00:00:00Z',
    bakedBy: 'old',
  };
}

/** Has images for `roles`; records what it was asked and what up got, then stops the run. */
function bakedProvider(roles: string[]) {
  const asked: BakeRequest[][] = [];
  const upCtx: ProviderContext[] = [];
  const provider: Provider = {
    async findBaked(_plan, requests) {
      asked.push(requests);
      if (!requests.every((r) => roles.includes(r.role))) return undefined;
      return Object.fromEntries(requests.map((r) => [r.role, image(r)]));
    },
    async up(_plan, c) {
      upCtx.push(c);
      throw new Error('stop here');
    },
    async down(stackId) {
      return { stackId, deleted: [], leftovers: [], seconds: 0 };
    },
    async sweep() {
      return [];
    },
  };
  return { provider, asked, upCtx };
}

const inputs = { mode: 'up', provider: 'aws', release: 'zed', os: 'debian-12', 'compute-count': '2' } as const;

describe('image-cache', () => {
  it('auto: every node boots its role image, and booted-from names them', async () => {
    const fake = bakedProvider(['controller', 'compute']);
    const io = memoryIo({ ...inputs, 'stack-id': 'hit' });
    await expect(runMain(io, ctx, { providerFor: () => fake.provider, workRoot, stagesDir })).rejects.toThrow(
      'stop here',
    );
    expect(fake.asked[0].map((r) => `${r.role}=${r.node}`)).toEqual(['controller=controller', 'compute=compute1']);
    expect(fake.asked[0][0].key).toMatch(/^[0-9a-f]{16}$/);
    const boot = fake.upCtx[0].bootImages!;
    expect(Object.fromEntries(Object.entries(boot).map(([n, i]) => [n, i.id]))).toEqual({
      controller: 'ami-controller',
      compute1: 'ami-compute',
      compute2: 'ami-compute',
    });
    expect(JSON.parse(io.outputs['booted-from'])).toEqual({ controller: 'ami-controller', compute: 'ami-compute' });
    expect(io.lines.join('\n')).toMatch(/image-cache auto: compute nodes boot ami-compute/);
  });

  it('auto: a role without an image means a cold install on every node', async () => {
    const fake = bakedProvider(['controller']);
    const io = memoryIo({ ...inputs, 'stack-id': 'miss' });
    await expect(runMain(io, ctx, { providerFor: () => fake.provider, workRoot, stagesDir })).rejects.toThrow(
      'stop here',
    );
    expect(fake.upCtx[0].bootImages).toBeUndefined();
    expect(io.outputs['booted-from']).toBe('{}');
    expect(io.lines.join('\n')).toMatch(
      /no baked image of key [0-9a-f]{16} for every role \(controller, compute\); installing from scratch/,
    );
  });

  it('off: the provider is not asked', async () => {
    const fake = bakedProvider(['controller', 'compute']);
    const io = memoryIo({ ...inputs, 'stack-id': 'off', 'image-cache': 'off' });
    await expect(runMain(io, ctx, { providerFor: () => fake.provider, workRoot, stagesDir })).rejects.toThrow(
      'stop here',
    );
    expect(fake.asked).toEqual([]);
    expect(fake.upCtx[0].bootImages).toBeUndefined();
  });

  it('refuses bake with smoke false before anything is created', async () => {
    const fake = bakedProvider([]);
    const io = memoryIo({ ...inputs, 'stack-id': 'nobake', bake: 'true', smoke: 'false' });
    await expect(runMain(io, ctx, { providerFor: () => fake.provider, workRoot, stagesDir })).rejects.toThrow(
      /Input 'bake' has the value 'true'.*smoke is false/,
    );
    expect(fake.upCtx).toEqual([]);
  });

  it('refuses a bad image-cache and bake-keep, naming the value and what is accepted', async () => {
    for (const [name, value, accepted] of [
      ['image-cache', 'sometimes', /auto, off/],
      ['bake-keep', '0', /whole number from 1 to 10/],
      ['bake-keep', '11', /whole number from 1 to 10/],
    ] as const) {
      const io = memoryIo({ ...inputs, 'stack-id': 'bad', [name]: value });
      await expect(
        runMain(io, ctx, { providerFor: () => bakedProvider([]).provider, workRoot, stagesDir }),
      ).rejects.toThrow(accepted);
    }
  });
});
