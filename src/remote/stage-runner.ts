// Walks the Plan's stage graph over SSH. A stage starts as soon as every stage it waits for has
// succeeded and its node is free (one stage per node at a time); different nodes run side by side.
// The first failure stops new stages, lets running ones finish, and is thrown as it was raised.
// Quiet by design: a stage's full output stays on its node (stage_begin tees it into
// /var/log/openstack-on-aws/<stage>.log, the log bundle collects it); the log shows its progress
// lines, its result and time, heartbeats naming its last step, and on failure its output's tail.

import { errorMessage, RemoteCommandError } from '../core/errors';
import type { Io } from '../core/io';
import type { StageSpec } from '../plan/types';
import { topologicalOrder } from '../plan/stages';
import { HEARTBEAT_MS, realTicker, Ticker } from '../core/progress';
import { maskSecrets } from '../smoke/shell';
import { STAGE_LOG_DIR } from './node-settings';
import { StageOutput } from './stage-output';
import { SerialPrinter } from './stage-printer';
import { DEFAULT_REMOTE_PATHS, readStageScripts, RemotePaths, uploadStageFiles } from './stage-upload';
import type { RemoteSession } from './types';

export interface StageTiming {
  /** "<node>:<stage>" as in the Plan. */
  id: string;
  node: string;
  stage: string;
  /** Epoch milliseconds (the clock's) when the stage's script started. */
  startedAt: number;
  seconds: number;
  ok: boolean;
}

interface RunStagesOptions {
  plan: { stages: StageSpec[] };
  sessions: (node: string) => RemoteSession;
  io: Pick<Io, 'info' | 'warning' | 'group'>;
  /** Directory holding lib.sh and <stage>.sh (dist/stages in the bundle, src/stages in tests). */
  stagesDir: string;
  /** Content of the node's /etc/openstack-on-aws/settings.env (holds secrets: uploaded 0600). */
  settingsFor: (node: string) => string;
  /** Time source and heartbeat timer; fake in tests. */
  clock?: Ticker;
  heartbeatMs?: number;
  /** Called once per finished stage (also a failed one), e.g. to feed the timings output. */
  onStageDone?: (timing: StageTiming) => void;
  /** Where scripts and settings go on each node (default /opt/openstack-on-aws/stages, /etc/...). */
  remotePaths?: (node: string) => RemotePaths;
  /** The stack's secrets: masked in every line printed from a stage's output (the Io masks too). */
  secrets?: readonly string[];
}

/** Mode of files copied between nodes (swift rings: read by the swift services, not secret). */
const COPY_MODE = 0o644;

function stageCommand(stage: string, stagesDir = DEFAULT_REMOTE_PATHS.stagesDir): string {
  // lib.sh's stage_begin copies the output to /var/log/openstack-on-aws/<stage>.log on the node.
  return `bash ${stagesDir}/${stage}.sh`;
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

/** Where the node keeps the stage's whole output (lib.sh's stage_begin writes it). */
function stageLogPath(stage: string): string {
  return `${STAGE_LOG_DIR}/${stage}.log`;
}

/** A group's body: the progress lines, the result, and on failure the last lines of all output. */
function stageReport(node: string, stage: string, out: StageOutput, ok: boolean, took: number): string {
  const lines = out.progress();
  if (lines.length === 0) lines.push('(no progress lines)');
  const where = `${out.lineCount} line(s) of output in ${stageLogPath(stage)} on ${node}`;
  lines.push(`${ok ? '✔ finished' : '✖ FAILED'} in ${took} s (${where})`);
  if (!ok) {
    const tail = out.tail();
    lines.push(`Last lines of its output:`, tail === '' ? '(no output)' : tail);
  }
  return lines.join('\n');
}

/** "controller:keystone 42 s (last step 31 s ago: installing keystone)" for a heartbeat line. */
function runningNote(id: string, since: number, out: StageOutput | undefined, now: number): string {
  const step = out?.lastStep();
  const age = (t: number) => Math.round((now - t) / 1000);
  const text = step && (step.text.length > 80 ? `${step.text.slice(0, 79)}…` : step.text);
  return `${id} ${age(since)} s` + (step ? ` (last step ${age(step.at)} s ago: ${text})` : ' (no step yet)');
}

/** Runs every stage of the plan; returns the timings in start order. Throws the first failure. */
export async function runStages(opts: RunStagesOptions): Promise<StageTiming[]> {
  const clock = opts.clock ?? realTicker;
  const specs = opts.plan.stages;
  const known = new Set(specs.map((s) => s.id));
  for (const s of specs) {
    const unknown = s.after.filter((a) => !known.has(a));
    if (unknown.length > 0) throw new Error(`stage ${s.id} waits for unknown stage(s): ${unknown.join(', ')}`);
  }
  topologicalOrder(specs); // throws on a cycle before anything runs
  const scriptsByNode = new Map<string, ReturnType<typeof readStageScripts>>();
  for (const node of new Set(specs.map((s) => s.node))) {
    scriptsByNode.set(
      node,
      readStageScripts(
        opts.stagesDir,
        specs.filter((s) => s.node === node).map((s) => s.stage),
      ),
    );
  }

  const printer = new SerialPrinter(opts.io);
  const mask = (text: string) => maskSecrets(text, opts.secrets ?? []);
  const done = new Set<string>();
  const started = new Set<string>();
  const busyNodes = new Set<string>();
  const running = new Map<string, { since: number; work: Promise<void>; out?: StageOutput }>();
  const prepared = new Map<string, Promise<void>>();
  const timings: StageTiming[] = [];
  let failure: unknown;

  const pathsOf = (node: string) => opts.remotePaths?.(node) ?? DEFAULT_REMOTE_PATHS;
  const prepare = (node: string) => {
    let p = prepared.get(node);
    if (!p) {
      p = uploadStageFiles(opts.sessions(node), scriptsByNode.get(node)!, opts.settingsFor(node), pathsOf(node));
      prepared.set(node, p);
    }
    return p;
  };

  const runOne = async (spec: StageSpec) => {
    await prepare(spec.node);
    for (const copy of spec.copies ?? []) {
      for (const file of copy.paths) {
        const content = await opts.sessions(copy.fromNode).readFile(file);
        await opts.sessions(spec.node).writeFile(file, content, COPY_MODE);
      }
    }
    const out = new StageOutput(spec.stage, () => clock.now());
    const t0 = clock.now();
    const entry = running.get(spec.id)!;
    entry.since = t0;
    entry.out = out;
    void printer.line(`▶ ${spec.id} started`);
    let ok = false;
    try {
      await opts.sessions(spec.node).exec(stageCommand(spec.stage, pathsOf(spec.node).stagesDir), {
        stage: spec.stage,
        timeoutMs: spec.timeoutMinutes * 60_000,
        onOutput: (chunk) => out.push(chunk),
      });
      ok = true;
    } finally {
      out.end();
      const timing = {
        id: spec.id,
        node: spec.node,
        stage: spec.stage,
        startedAt: t0,
        seconds: seconds(clock.now() - t0),
        ok,
      };
      timings.push(timing);
      opts.onStageDone?.(timing);
      const verdict = ok ? 'finished' : 'FAILED';
      void printer.group(
        `${spec.node}: ${spec.stage} (${verdict} in ${timing.seconds} s)`,
        mask(stageReport(spec.node, spec.stage, out, ok, timing.seconds)),
      );
      void printer.line(`${ok ? '✔' : '✖'} ${spec.id} ${verdict} (${timing.seconds} s)`);
    }
  };

  const startReady = () => {
    if (failure !== undefined) return;
    for (const spec of specs) {
      if (started.has(spec.id) || busyNodes.has(spec.node) || !spec.after.every((a) => done.has(a))) continue;
      started.add(spec.id);
      busyNodes.add(spec.node);
      const entry = { since: clock.now(), work: Promise.resolve() };
      running.set(spec.id, entry);
      entry.work = runOne(spec)
        .then(
          () => {
            done.add(spec.id);
          },
          (err: unknown) => {
            if (failure === undefined) {
              failure = err;
              const others = [...running.keys()].filter((id) => id !== spec.id);
              void printer.line(
                `Stage ${spec.id} failed: ${firstLine(err)}. No new stages start` +
                  (others.length > 0 ? `; waiting for ${others.join(', ')} to finish.` : '.'),
              );
            }
          },
        )
        .finally(() => {
          busyNodes.delete(spec.node);
          running.delete(spec.id);
          startReady();
        });
    }
  };

  const stopHeartbeat = clock.every(opts.heartbeatMs ?? HEARTBEAT_MS, () => {
    if (running.size === 0) return;
    const list = [...running].map(([id, r]) => runningNote(id, r.since, r.out, clock.now()));
    void printer.line(mask(`… running: ${list.join('; ')}`));
  });
  try {
    startReady();
    while (running.size > 0) await Promise.race([...running.values()].map((r) => r.work));
  } finally {
    stopHeartbeat();
    await printer.flush();
  }
  if (failure !== undefined) {
    const skipped = specs.filter((s) => !started.has(s.id)).map((s) => s.id);
    if (skipped.length > 0) opts.io.info(`Not started because of the failure: ${skipped.join(', ')}`);
    throw failure;
  }
  const missing = specs.filter((s) => !done.has(s.id)).map((s) => s.id);
  if (missing.length > 0) throw new Error(`stages never became ready (a bug in the graph): ${missing.join(', ')}`);
  return timings;
}

interface RunOneStageOptions {
  session: RemoteSession;
  stage: string;
  io: Pick<Io, 'info' | 'group'>;
  stagesDir: string;
  /** Uploaded again when given (e.g. after a settings change); the node's current file otherwise. */
  settings?: string;
  timeoutMinutes: number;
  clock?: Ticker;
  heartbeatMs?: number;
  remotePaths?: RemotePaths;
  secrets?: readonly string[];
}

/**
 * Re-runs one stage on one node by hand (stages are idempotent): uploads lib.sh and the script
 * again, then streams its progress lines live inside one log group, with heartbeats while it is
 * silent and, on failure, the last lines of its output. Throws RemoteCommandError on failure.
 */
export async function runOneStage(opts: RunOneStageOptions): Promise<StageTiming> {
  const clock = opts.clock ?? realTicker;
  const { session, stage } = opts;
  const mask = (text: string) => maskSecrets(text, opts.secrets ?? []);
  const scripts = readStageScripts(opts.stagesDir, [stage]);
  const paths = opts.remotePaths ?? DEFAULT_REMOTE_PATHS;
  await uploadStageFiles(session, scripts, opts.settings, paths);
  const t0 = clock.now();
  const id = `${session.node}:${stage}`;
  return opts.io.group(`${session.node}: ${stage}`, async () => {
    let ok = false;
    const out = new StageOutput(
      stage,
      () => clock.now(),
      (line) => opts.io.info(mask(line)),
    );
    const stopHeartbeat = clock.every(opts.heartbeatMs ?? HEARTBEAT_MS, () =>
      opts.io.info(mask(`… running: ${runningNote(id, t0, out, clock.now())}`)),
    );
    try {
      await session.exec(stageCommand(stage, paths.stagesDir), {
        stage,
        timeoutMs: opts.timeoutMinutes * 60_000,
        onOutput: (chunk) => out.push(chunk),
      });
      ok = true;
    } finally {
      stopHeartbeat();
      out.end();
      const took = seconds(clock.now() - t0);
      const where = `${out.lineCount} line(s) of output in ${stageLogPath(stage)} on ${session.node}`;
      opts.io.info(`${ok ? '✔' : '✖'} ${id} ${ok ? 'finished' : 'FAILED'} (${took} s; ${where})`);
      if (!ok) opts.io.info(mask(`Last lines of its output:\n${out.tail() || '(no output)'}`));
    }
    return { id, node: session.node, stage, startedAt: t0, seconds: seconds(clock.now() - t0), ok };
  });
}

function firstLine(err: unknown): string {
  if (err instanceof RemoteCommandError) return err.timedOut ? 'timed out' : `exit code ${err.exitCode}`;
  return errorMessage(err).split('\n')[0];
}
