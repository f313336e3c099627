// The log bundle uploaded as a workflow artifact by the action itself: the real @actions/artifact
// client (zip, Twirp JSON, Azure block-blob upload) against a fake results service on 127.0.0.1,
// both directly and through runMain (a failed `up`, EC2 faked), and the paths where nothing is
// uploaded or the upload fails.

import { execFileSync } from 'child_process';
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Outputs } from '../../src/core/names';
import { runMain } from '../../src/pipeline/pipeline';
import type { Provider } from '../../src/provider';
import {
  actionsArtifactUploader,
  artifactUploaderFromEnv,
  hasArtifactRuntime,
  LOG_BUNDLE_RETENTION_DAYS,
  logBundleArtifactName,
  publishLogBundle,
} from '../../src/report/artifact-upload';
import { fakeRuntimeToken, FakeResultsService, startFakeResultsService } from '../helpers/fake-results-service';
import { memoryIo } from '../helpers/memory-io';

const RUN_BACKEND_ID = 'c4d0e5d6-0000-4aae-887f-30da475f5f1a';
const JOB_BACKEND_ID = 'ca395085-040a-526b-2ce8-bdc85f692774';
const DAY_MS = 24 * 3600 * 1000;

// Everything the client reads from the environment, saved and restored around each test; proxies
// are cleared so nothing leaves loopback.
const ENV_KEYS = [
  'ACTIONS_RUNTIME_TOKEN',
  'ACTIONS_RESULTS_URL',
  'GITHUB_SERVER_URL',
  'GITHUB_RETENTION_DAYS',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'http_proxy',
  'https_proxy',
];
let savedEnv: Record<string, string | undefined>;
let service: FakeResultsService;
let dir: string;
let token: string;

beforeEach(async () => {
  savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  for (const k of ENV_KEYS) delete process.env[k];
  service = await startFakeResultsService();
  token = fakeRuntimeToken(RUN_BACKEND_ID, JOB_BACKEND_ID);
  process.env.ACTIONS_RUNTIME_TOKEN = token;
  process.env.ACTIONS_RESULTS_URL = service.url;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-artifact-test-'));
});

afterEach(async () => {
  await service.close();
  for (const k of ENV_KEYS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The entries of the zip the service stored, each with its bytes (the real unzip reads it). */
function unzipped(zip: Buffer): Map<string, Buffer> {
  const file = path.join(dir, `received-${randomBytes(4).toString('hex')}.zip`);
  fs.writeFileSync(file, zip);
  const names = execFileSync('unzip', ['-Z1', file], { encoding: 'utf8' }).split('\n').filter(Boolean);
  return new Map(
    names.map((n) => [n, execFileSync('unzip', ['-p', file, n], { maxBuffer: 256 * 1024 * 1024 })] as const),
  );
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const warnings = (lines: string[]) => lines.filter((l) => l.startsWith('warning: '));

describe('artifact name and runtime', () => {
  it('names differ per stack id and per run attempt', () => {
    const names = new Set([
      logBundleArtifactName('gh-7-1-ab12', '1'),
      logBundleArtifactName('gh-7-1-cd34', '1'),
      logBundleArtifactName('pr-12', '1'),
      logBundleArtifactName('pr-12', '2'),
    ]);
    expect(names.size).toBe(4);
    expect(logBundleArtifactName('pr-12', undefined)).toBe(logBundleArtifactName('pr-12', '1'));
  });

  it('uploads only where the runner gave the artifact runtime (both the token and the URL)', () => {
    expect(hasArtifactRuntime({ ACTIONS_RUNTIME_TOKEN: 't', ACTIONS_RESULTS_URL: 'http://127.0.0.1/' })).toBe(true);
    expect(hasArtifactRuntime({ ACTIONS_RESULTS_URL: 'http://127.0.0.1/' })).toBe(false);
    expect(hasArtifactRuntime({ ACTIONS_RUNTIME_TOKEN: 't' })).toBe(false);
    expect(artifactUploaderFromEnv({})).toBeUndefined();
  });
});

describe('publishLogBundle with the real client', () => {
  it('uploads the file in blocks, names it as the output says, and finalizes its size and hash', async () => {
    // 9 MiB of noise: more than the client's 8 MiB block, so the blob arrives as two blocks and a
    // block list, and stored (compression level 0) the zip cannot shrink it.
    const bundle = path.join(dir, 'openstack-on-aws-logs-art-one.tar.gz');
    const bytes = randomBytes(9 * 1024 * 1024);
    fs.writeFileSync(bundle, bytes);
    const io = memoryIo();

    const name = await publishLogBundle(io, {
      stackId: 'art-one',
      file: bundle,
      uploader: artifactUploaderFromEnv(process.env),
      runAttempt: '2',
    });

    expect(name).toBe(logBundleArtifactName('art-one', '2'));
    expect(io.outputs[Outputs.LogBundleArtifact]).toBe(name);
    expect(warnings(io.lines)).toEqual([]);
    expect(service.created).toHaveLength(1);
    const create = service.created[0];
    expect(create.authorization).toBe(`Bearer ${token}`);
    expect(create.body).toMatchObject({
      workflow_run_backend_id: RUN_BACKEND_ID,
      workflow_job_run_backend_id: JOB_BACKEND_ID,
      name,
      version: 4,
    });
    const keptDays = (Date.parse(String(create.body.expires_at)) - Date.now()) / DAY_MS;
    expect(Math.round(keptDays)).toBe(LOG_BUNDLE_RETENTION_DAYS);

    const blockPuts = service.requests.filter((r) => r.startsWith('PUT '));
    expect(blockPuts.length).toBe(3); // two Put Block, one Put Block List
    const zip = service.blobs.get(name!)!;
    const entries = unzipped(zip);
    expect([...entries.keys()]).toEqual([path.basename(bundle)]);
    expect(entries.get(path.basename(bundle))!.equals(bytes)).toBe(true);

    expect(service.finalized).toHaveLength(1);
    expect(service.finalized[0].body).toMatchObject({
      name,
      size: String(zip.length),
      hash: `sha256:${sha256(zip)}`,
    });
  });

  it('warns with the reason and keeps the path when the service refuses the name', async () => {
    const bundle = path.join(dir, 'b.tar.gz');
    fs.writeFileSync(bundle, 'logs');
    const first = memoryIo();
    const uploader = actionsArtifactUploader();
    await publishLogBundle(first, { stackId: 'art-twice', file: bundle, uploader, runAttempt: '1' });
    const second = memoryIo();
    const name = await publishLogBundle(second, { stackId: 'art-twice', file: bundle, uploader, runAttempt: '1' });
    expect(name).toBeUndefined();
    expect(second.outputs[Outputs.LogBundleArtifact]).toBeUndefined();
    expect(warnings(second.lines)).toEqual([
      expect.stringMatching(/could not upload the log bundle as the artifact .*409.*already exists.*b\.tar\.gz/),
    ]);
    expect(service.finalized).toHaveLength(1);
  });

  it('says where the bundle is and uploads nothing without an uploader', async () => {
    const io = memoryIo();
    const name = await publishLogBundle(io, { stackId: 'art-none', file: '/some/where.tar.gz' });
    expect(name).toBeUndefined();
    expect(io.lines.join('\n')).toContain('/some/where.tar.gz');
    expect(service.requests).toEqual([]);
  });
});

/** EC2 faked: the instances "exist" but none answers, so `up` fails right after provisioning. */
function silentNodesProvider(): Provider {
  return {
    async up(plan, ctx) {
      return {
        stackId: plan.stackId,
        nodes: [],
        controllerPublicIp: '127.0.0.1',
        sshPort: 22,
        routerPublicIp: '127.0.0.1',
        sshUser: 'root',
        privateKeyPath: ctx.privateKeyPath,
      };
    },
    async down(stackId) {
      return { stackId, deleted: [], leftovers: [], seconds: 0 };
    },
    async sweep() {
      return [];
    },
  };
}

describe('a failed up (runMain, default uploader from the environment)', () => {
  const ctx = () => ({ env: {}, now: new Date(), runId: '4242', runAttempt: '3' });
  const runFailingUp = async (stackId: string) => {
    const io = memoryIo({ mode: 'up', 'stack-id': stackId, 'log-bundle': 'on-failure' });
    const run = runMain(io, ctx(), { providerFor: silentNodesProvider, workRoot: dir, stagesDir: dir });
    await expect(run).rejects.toThrow(/no node 'controller'/);
    return io;
  };

  it('uploads the collected bundle under the name in log-bundle-artifact and still throws the original failure', async () => {
    const io = await runFailingUp('art-up');
    const bundle = io.outputs[Outputs.LogBundle];
    expect(bundle).toMatch(/openstack-on-aws-logs-art-up\.tar\.gz$/);
    const name = io.outputs[Outputs.LogBundleArtifact];
    expect(name).toBe(logBundleArtifactName('art-up', '3'));
    expect(service.created.map((c) => c.body.name)).toEqual([name]);
    const entries = unzipped(service.blobs.get(name)!);
    expect([...entries.keys()]).toEqual([path.basename(bundle)]);
    expect(entries.get(path.basename(bundle))!.equals(fs.readFileSync(bundle))).toBe(true);
    expect(warnings(io.lines)).toEqual([]);
  });

  it('on a 500 from the service: a warning, the original failure, the path output still set', async () => {
    service.fail('CreateArtifact', 500, 'database is on fire');
    const io = await runFailingUp('art-500');
    expect(fs.existsSync(io.outputs[Outputs.LogBundle])).toBe(true);
    expect(io.outputs[Outputs.LogBundleArtifact]).toBeUndefined();
    expect(warnings(io.lines)).toEqual([
      expect.stringMatching(/could not upload the log bundle as the artifact .*500.*database is on fire/),
    ]);
    // The client retried (it treats 500 as transient) and then gave up: no blob, nothing finalized.
    expect(service.created.length).toBeGreaterThan(1);
    expect(service.blobs.size).toBe(0);
    expect(service.finalized).toEqual([]);
  }, 120_000);

  it('without the artifact runtime: no request at all, and the log says where the bundle is', async () => {
    delete process.env.ACTIONS_RUNTIME_TOKEN;
    const io = await runFailingUp('art-cli');
    expect(service.requests).toEqual([]);
    expect(io.outputs[Outputs.LogBundleArtifact]).toBeUndefined();
    expect(io.lines.join('\n')).toContain(`it is at ${io.outputs[Outputs.LogBundle]}`);
    expect(warnings(io.lines)).toEqual([]);
  });
});
