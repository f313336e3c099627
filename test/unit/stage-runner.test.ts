// The stage graph walked on a fake clock with fake sessions: ordering, parallelism, copies between
// nodes, uploads once per node, grouped output, heartbeats, and the stop on the first failure.
// (The real SSH path is covered by test/integration/ssh-stage-runner.test.ts.)

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RemoteCommandError } from '../../src/core/errors';
import type { PlannedNode } from '../../src/plan/types';
import { buildStageGraph, SWIFT_RINGS } from '../../src/plan/stages';
import type { StageSpec } from '../../src/plan/types';
import type { Ticker } from '../../src/core/progress';
import { SETTINGS_PATH, STAGES_DIR } from '../../src/remote/node-settings';
import { runStages, StageTiming } from '../../src/remote/stage-runner';
import type { ExecOptions, ExecResult, RemoteSession } from '../../src/remote/types';

const MIN = 60_000;

/** A clock that only moves when the test moves it; intervals fire as it passes them. */
class FakeClock implements Ticker {
  t = 1_000_000;
  private timers: Array<{ next: number; ms: number; fn: () => void; on: boolean }> = [];
  now = () => this.t;
  every(ms: number, fn: () => void) {
    const timer = { next: this.t + ms, ms, fn, on: true };
    this.timers.push(timer);
    return () => {
      timer.on = false;
    };
  }
  advanceTo(t: number) {
    for (;;) {
      const due = this.timers.filter((x) => x.on && x.next <= t).sort((a, b) => a.next - b.next)[0];
      if (!due) break;
      this.t = due.next;
      due.next += due.ms;
      due.fn();
    }
    this.t = t;
  }
}

interface Job {
  node: string;
  stage: string;
  end: number;
  resolve: () => void;
  reject: (e: unknown) => void;
  fail: boolean;
}

/** Every node's session: uploads and copies complete at once; stage scripts take simulated time. */
class FakeWorld {
  clock = new FakeClock();
  jobs: Job[] = [];
  events: string[] = [];
  files = new Map<string, { content: Buffer; mode: number }>();
  stdinByNode = new Map<string, string[]>();
  constructor(
    private durationOf: (node: string, stage: string) => number,
    private failing = new Set<string>(),
  ) {}

  session(node: string): RemoteSession {
    return {
      node,
      exec: async (command: string, opts: ExecOptions = {}): Promise<ExecResult> => {
        const m = command.match(/^bash \/opt\/openstack-on-aws\/stages\/(.+)\.sh$/);
        if (!m) {
          this.events.push(`${node} exec ${opts.stage}`);
          if (opts.stdin) this.stdinByNode.set(node, [...(this.stdinByNode.get(node) ?? []), opts.stdin]);
          return { code: 0, stdout: '', stderr: '' };
        }
        const stage = m[1];
        expect(opts.stage).toBe(stage);
        // A progress line (lib.sh's log format) and package-manager noise, split mid-line.
        opts.onOutput?.(`12:00:00 [${stage}] step 1 of ${node}:${stage}\nGet:1 http://deb.debian.org/ pkg`);
        opts.onOutput?.(` 1.0 MB\n`);
        return new Promise<ExecResult>((resolve, reject) => {
          this.jobs.push({
            node,
            stage,
            end: this.clock.now() + this.durationOf(node, stage),
            fail: this.failing.has(`${node}:${stage}`),
            resolve: () => {
              opts.onOutput?.(`Unpacking pkg ...\n12:00:09 [${stage}] step 2 of ${node}:${stage}\n`);
              resolve({ code: 0, stdout: '', stderr: '' });
            },
            reject,
          });
        });
      },
      writeFile: async (p: string, content: string | Buffer, mode = 0o600) => {
        this.events.push(`${node} write ${p}`);
        this.files.set(`${node}:${p}`, { content: Buffer.from(content), mode });
      },
      readFile: async (p: string) => {
        this.events.push(`${node} read ${p}`);
        return Buffer.from(`${p} made on ${node}`);
      },
      close: async () => undefined,
    };
  }

  /** Drives the simulation: settle all promises, then jump to the next job's end. */
  async run<T>(work: Promise<T>): Promise<{ value?: T; error?: unknown }> {
    let outcome: { value?: T; error?: unknown } | undefined;
    work.then(
      (value) => (outcome = { value }),
      (error: unknown) => (outcome = { error }),
    );
    for (;;) {
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      if (outcome) return outcome;
      if (this.jobs.length === 0) throw new Error('deadlock: nothing runs and the runner did not finish');
      const end = Math.min(...this.jobs.map((j) => j.end));
      this.clock.advanceTo(end);
      for (const job of this.jobs.filter((j) => j.end === end)) {
        this.jobs.splice(this.jobs.indexOf(job), 1);
        if (job.fail) job.reject(new RemoteCommandError(job.node, job.stage, 1, 'it broke'));
        else job.resolve();
      }
    }
  }
}

const node = (name: string, role: PlannedNode['role']) => ({ name, role }) as PlannedNode;
const FULL = [
  node('controller', 'controller'),
  node('compute1', 'compute'),
  node('compute2', 'compute'),
  node('block1', 'block'),
  node('object1', 'object'),
  node('object2', 'object'),
];

/** Durations loosely after the measured local install (notes/local-host.md), in minutes. */
function duration(nodeName: string, stage: string): number {
  const table: Record<string, number> = {
    'host-prep': 1,
    repositories: 2,
    mariadb: 2,
    keystone: 3,
    'nova-controller': 8,
    'nova-compute': 2,
  };
  // A compute node's repositories installs nova-compute, libvirt and QEMU: the longest of its stages.
  const minutes = stage === 'repositories' && nodeName.startsWith('compute') ? 8 : (table[stage] ?? 1.5);
  return minutes * MIN + (nodeName === 'compute2' ? 7_000 : 0);
}

function stagesDirFor(specs: StageSpec[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-stage-runner-'));
  fs.writeFileSync(path.join(dir, 'lib.sh'), 'lib() { :; }\n');
  for (const s of new Set(specs.map((x) => x.stage))) fs.writeFileSync(path.join(dir, `${s}.sh`), `echo ${s}\n`);
  return dir;
}

function recordingIo() {
  const log: string[] = [];
  let depth = 0;
  return {
    log,
    io: {
      info: (m: string) => log.push(m),
      warning: (m: string) => log.push(`warning: ${m}`),
      group: async <T>(title: string, fn: () => Promise<T>) => {
        if (depth > 0) throw new Error('nested group');
        depth++;
        log.push(`::group::${title}`);
        try {
          return await fn();
        } finally {
          depth--;
          log.push('::endgroup::');
        }
      },
    },
  };
}

async function runFull(failing?: Set<string>) {
  const specs = buildStageGraph(FULL);
  const dir = stagesDirFor(specs);
  const world = new FakeWorld(duration, failing);
  const { io, log } = recordingIo();
  const done: StageTiming[] = [];
  const outcome = await world.run(
    runStages({
      plan: { stages: specs },
      sessions: (n) => world.session(n),
      io,
      stagesDir: dir,
      settingsFor: (n) => `NODE_NAME='${n}'\n`,
      clock: world.clock,
      onStageDone: (t) => done.push(t),
    }),
  );
  fs.rmSync(dir, { recursive: true, force: true });
  const byId = new Map(done.map((t) => [t.id, t]));
  const end = (id: string) => byId.get(id)!.startedAt + byId.get(id)!.seconds * 1000;
  return { specs, world, log, done, byId, end, outcome };
}

const overlaps = (a: StageTiming, b: StageTiming) =>
  a.startedAt < b.startedAt + b.seconds * 1000 && b.startedAt < a.startedAt + a.seconds * 1000;

describe('runStages on a fake clock', () => {
  test('runs every stage once, each as soon as everything it waits for has finished', async () => {
    const { specs, done, byId, end, outcome } = await runFull();
    expect(outcome.error).toBeUndefined();
    expect(outcome.value).toEqual(done);
    expect(done.map((t) => t.id).sort()).toEqual(specs.map((s) => s.id).sort());
    expect(done.every((t) => t.ok)).toBe(true);
    const t0 = Math.min(...done.map((t) => t.startedAt));
    for (const s of specs) {
      // Uploads and copies take no simulated time, so "as soon as" is exact here.
      const ready = Math.max(t0, ...s.after.map(end));
      expect({ id: s.id, start: byId.get(s.id)!.startedAt }).toEqual({ id: s.id, start: ready });
    }
  });

  test('one stage at a time per node; nodes side by side', async () => {
    const { done, byId } = await runFull();
    for (const a of done) {
      for (const b of done) if (a !== b && a.node === b.node) expect(overlaps(a, b)).toBe(false);
    }
    // Compute nodes install their packages while the controller works through its own stages.
    const controllerStages = done.filter((t) => t.node === 'controller' && t.id !== 'controller:repositories');
    expect(controllerStages.some((c) => overlaps(c, byId.get('compute1:repositories')!))).toBe(true);
    expect(overlaps(byId.get('compute1:repositories')!, byId.get('compute2:repositories')!)).toBe(true);
    // The whole run is shorter than the sum of its stages.
    const span =
      Math.max(...done.map((t) => t.startedAt + t.seconds * 1000)) - Math.min(...done.map((t) => t.startedAt));
    expect(span).toBeLessThan(done.reduce((acc, t) => acc + t.seconds * 1000, 0));
  });

  test('cross-node waits: repositories after controller host-prep, discover-hosts after every nova-compute', async () => {
    const { byId, end } = await runFull();
    for (const n of ['compute1', 'compute2', 'block1', 'object1', 'object2']) {
      expect(byId.get(`${n}:repositories`)!.startedAt).toBeGreaterThanOrEqual(end('controller:host-prep'));
    }
    const discover = byId.get('controller:discover-hosts')!.startedAt;
    expect(discover).toBeGreaterThanOrEqual(end('compute1:nova-compute'));
    expect(discover).toBeGreaterThanOrEqual(end('compute2:nova-compute'));
    // compute2 is the slower node here: discovery waits for exactly its nova-compute.
    expect(discover).toBe(Math.max(end('compute2:nova-compute'), end('controller:tls-proxy')));
    expect(byId.get('compute1:nova-compute')!.startedAt).toBeGreaterThanOrEqual(end('controller:nova-controller'));
  });

  test('uploads scripts and a 0600 settings file once per node, before its first stage', async () => {
    const { world, specs } = await runFull();
    for (const n of FULL.map((x) => x.name)) {
      const events = world.events.filter((e) => e.startsWith(`${n} `));
      expect(events.filter((e) => e === `${n} exec upload stage scripts`)).toHaveLength(1);
      expect(world.files.get(`${n}:${SETTINGS_PATH}`)).toEqual({
        content: Buffer.from(`NODE_NAME='${n}'\n`),
        mode: 0o600,
      });
      const bundle = world.stdinByNode.get(n)!.join('');
      expect(bundle).toMatch(/^lib\.sh \d+\n/);
      for (const s of specs.filter((x) => x.node === n)) expect(bundle).toContain(`\n${s.stage}.sh `);
      expect(bundle).not.toContain('NODE_NAME'); // settings never travel with the scripts
    }
    expect(STAGES_DIR).toBe('/opt/openstack-on-aws/stages');
  });

  test('copies the swift rings from the controller onto each object node before swift-storage', async () => {
    const { world, byId, end } = await runFull();
    for (const n of ['object1', 'object2']) {
      for (const ring of SWIFT_RINGS) {
        expect(world.files.get(`${n}:${ring}`)).toEqual({
          content: Buffer.from(`${ring} made on controller`),
          mode: 0o644,
        });
      }
      expect(byId.get(`${n}:swift-storage`)!.startedAt).toBeGreaterThanOrEqual(end('controller:swift-proxy'));
    }
    expect(world.events.filter((e) => e.startsWith('controller read '))).toHaveLength(SWIFT_RINGS.length * 2);
  });

  test('each stage output is one group of its own; live lines say started/finished; heartbeats while waiting', async () => {
    const { log, done } = await runFull();
    for (const t of done) {
      const i = log.findIndex((l) => l.startsWith(`::group::${t.node}: ${t.stage} (finished in ${t.seconds} s)`));
      expect(i).toBeGreaterThanOrEqual(0);
      // Only the progress lines and the result; the apt noise stays in the node's log file.
      expect(log[i + 1]).toBe(
        `12:00:00 [${t.stage}] step 1 of ${t.id}\n12:00:09 [${t.stage}] step 2 of ${t.id}\n` +
          `✔ finished in ${t.seconds} s (4 line(s) of output in /var/log/openstack-on-aws/${t.stage}.log on ${t.node})`,
      );
      expect(log[i + 2]).toBe('::endgroup::');
      expect(log).toContain(`▶ ${t.id} started`);
      expect(log).toContain(`✔ ${t.id} finished (${t.seconds} s)`);
    }
    const beats = log.filter((l) => l.startsWith('… running: '));
    expect(beats.length).toBeGreaterThan(0);
    // A heartbeat names each running stage, its time and its last step.
    expect(
      beats.some((b) =>
        /controller:nova-controller \d+ s \(last step \d+ s ago: step 1 of controller:nova-controller\)/.test(b),
      ),
    ).toBe(true);
    expect(log.join('\n')).not.toMatch(/Get:1|Unpacking/);
  });

  test('the first failure stops new stages, waits for running ones, and is thrown as raised', async () => {
    const { outcome, done, byId, log, specs } = await runFull(new Set(['controller:rabbitmq']));
    expect(outcome.error).toBeInstanceOf(RemoteCommandError);
    expect((outcome.error as RemoteCommandError).node).toBe('controller');
    expect((outcome.error as RemoteCommandError).stage).toBe('rabbitmq');
    const failedAt = byId.get('controller:rabbitmq')!;
    expect(failedAt.ok).toBe(false);
    const failTime = failedAt.startedAt + failedAt.seconds * 1000;
    // Nothing started after the failure; what was running then finished and was recorded.
    expect(done.filter((t) => t.startedAt >= failTime)).toEqual([]);
    const runningAtFailure = done.filter(
      (t) => t.id !== failedAt.id && t.startedAt < failTime && t.startedAt + t.seconds * 1000 > failTime,
    );
    expect(runningAtFailure.length).toBeGreaterThan(0);
    expect(runningAtFailure.every((t) => t.ok)).toBe(true);
    expect(done.some((t) => t.id === 'controller:memcached')).toBe(false);
    const g = log.findIndex((l) => l.startsWith('::group::controller: rabbitmq (FAILED in '));
    expect(g).toBeGreaterThanOrEqual(0);
    // A failed stage's group ends with the last lines of all its output, noise included.
    expect(log[g + 1]).toContain('✖ FAILED in ');
    expect(log[g + 1]).toMatch(
      /Last lines of its output:\n12:00:00 \[rabbitmq\] step 1 of controller:rabbitmq\nGet:1 http:\/\/deb.debian.org\/ pkg 1.0 MB$/,
    );
    expect(log).toContain('✖ controller:rabbitmq FAILED (' + failedAt.seconds + ' s)');
    const notStarted = specs.filter((s) => !byId.has(s.id)).map((s) => s.id);
    expect(log).toContain(`Not started because of the failure: ${notStarted.join(', ')}`);
  });

  test('refuses a graph with a missing script or an unknown dependency before running anything', async () => {
    const specs: StageSpec[] = [{ id: 'controller:a', node: 'controller', stage: 'a', after: [], timeoutMinutes: 1 }];
    const dir = stagesDirFor([]);
    const world = new FakeWorld(() => MIN);
    const base = {
      sessions: (n: string) => world.session(n),
      io: recordingIo().io,
      stagesDir: dir,
      settingsFor: () => '',
      clock: world.clock,
    };
    await expect(runStages({ ...base, plan: { stages: specs } })).rejects.toThrow(/missing.*a\.sh/);
    fs.writeFileSync(path.join(dir, 'a.sh'), 'true\n');
    await expect(
      runStages({ ...base, plan: { stages: [{ ...specs[0], after: ['controller:nope'] }] } }),
    ).rejects.toThrow(/controller:nope/);
    expect(world.events).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
