// Runs the Plan's smoke checks on the controller and returns one result per check, in the Plan's
// order. A check starts once the checks it reads from have ended (AFTER); checks with nothing
// between them run side by side, SIDE_BY_SIDE at a time, each logging in a group of its own
// (lane-io.ts). A check that fails does not stop the others; a check whose prerequisite is missing
// is skipped with the reason. Nothing here throws for a failed check: the caller decides.

import { errorMessage, RemoteCommandError } from '../core/errors';
import { AdminCli } from './admin-cli';
import { CheckFailure, CheckSkipped } from './check-failure';
import { checkCatalog } from './checks/catalog';
import { checkImageUpload } from './checks/image-upload';
import { checkInstanceBoot } from './checks/instance-boot';
import { checkInstanceReach } from './checks/instance-reach';
import { checkKeystoneToken } from './checks/keystone-token';
import { checkPortForward } from './checks/port-forward';
import { checkRouterPing } from './checks/router-ping';
import { checkTempestSmoke } from './checks/tempest-smoke';
import { checkTenantNetwork } from './checks/tenant-network';
import { checkFloatingIp } from './checks/floating-ip';
import { checkSecondRouter } from './checks/second-router';
import { realClock } from './clock';
import { CheckContext, CheckFn, smokeNames } from './context';
import { OrderedLog } from './lane-io';
import { maskSecrets, tail } from './shell';
import { CHECK_IDS } from '../plan/types';
import type { CheckId, PlannedCheck } from '../plan/types';
import { CheckListing, CheckResult, CheckStatus, DEFAULT_BOUNDS, SmokeOptions, SmokeState } from './types';

/** One implementation per check id of the Plan: the type refuses a missing or an unknown one. */
const CHECKS: Record<CheckId, CheckFn> = {
  'keystone-token': checkKeystoneToken,
  catalog: checkCatalog,
  'image-upload': checkImageUpload,
  'tenant-network': checkTenantNetwork,
  'instance-boot': checkInstanceBoot,
  'router-ping': checkRouterPing,
  'instance-reach': checkInstanceReach,
  'port-forward': checkPortForward,
  'second-router': checkSecondRouter,
  'floating-ip': checkFloatingIp,
  'tempest-smoke': checkTempestSmoke,
};

/**
 * The checks each check must wait for: those whose SmokeState it reads (the image, the network, the
 * instance). Tempest comes last and alone: it counts on a cloud nobody else is changing, and on the
 * second router being gone again (its router tests need the pool's addresses).
 */
const AFTER: Record<CheckId, readonly CheckId[]> = {
  'keystone-token': [],
  catalog: [],
  'image-upload': [],
  'tenant-network': [],
  'instance-boot': ['image-upload', 'tenant-network'],
  'router-ping': ['tenant-network'],
  'instance-reach': ['instance-boot'],
  'port-forward': ['instance-boot'],
  'floating-ip': ['instance-boot'],
  'second-router': [],
  'tempest-smoke': CHECK_IDS.filter((id) => id !== 'tempest-smoke'),
};

/**
 * How many checks run at once. Each openstack CLI call keeps one controller vCPU busy for a second
 * or two (Python starting, a Keystone login): two use the local controller's two vCPUs, more only
 * queue behind them.
 */
const SIDE_BY_SIDE = 2;

export async function runSmokeChecks(opts: SmokeOptions): Promise<CheckResult[]> {
  const { plan, io } = opts;
  if (plan.checks.length === 0) {
    io.info('Smoke checks: skipped (smoke: false)');
    return [];
  }
  const clock = opts.clock ?? realClock;
  const secrets = opts.secrets ?? [];
  const cli = new AdminCli(opts.controller, opts.adminOpenrcPath, secrets);
  const state: SmokeState = {};
  const log = new OrderedLog(io);
  const planned = new Set(plan.checks.map((c) => c.id));
  const results = new Map<CheckId, CheckResult>();
  const running = new Map<CheckId, Promise<void>>();
  const waiting = [...plan.checks];
  const ready = (c: PlannedCheck) => AFTER[c.id].every((id) => !planned.has(id) || results.has(id));
  while (waiting.length > 0 || running.size > 0) {
    for (const check of [...waiting]) {
      if (running.size >= SIDE_BY_SIDE || !ready(check)) continue;
      waiting.splice(waiting.indexOf(check), 1);
      const lane = log.open(`Smoke check ${check.id}: ${check.description}`);
      const startedAt = clock.now();
      const run = runOne(check, { opts, io: lane.io, clock, cli, state, secrets })
        // runOne turns every failure of a check into its result; anything else (a fault here)
        // still ends as this check's failure, never as a rejection that leaves the others unawaited.
        .catch((err: unknown) => unexpected(check, err, startedAt, clock.now(), secrets))
        .then((r) => void results.set(check.id, r))
        .finally(() => {
          running.delete(check.id);
          lane.end();
        });
      running.set(check.id, run);
    }
    if (running.size === 0) break; // nothing can start: cannot happen with AFTER above, but never spin
    await Promise.race(running.values());
  }
  await log.drained();
  // A check never started (impossible with AFTER as it is) is reported, not dropped.
  return plan.checks.map((c) => results.get(c.id) ?? { ...unstarted(c), startedAt: clock.now() });
}

function unexpected(check: PlannedCheck, err: unknown, startedAt: number, now: number, secrets: string[]): CheckResult {
  return {
    id: check.id,
    name: check.description,
    status: 'failed',
    seconds: Math.round(now - startedAt) / 1000,
    startedAt,
    failure: failureOf(err, secrets),
    notes: [],
  };
}

function unstarted(check: PlannedCheck): Omit<CheckResult, 'startedAt'> {
  return {
    id: check.id,
    name: check.description,
    status: 'skipped',
    seconds: 0,
    skippedReason: 'not started: a check it waits for never ended',
    notes: [],
  };
}

interface RunContext {
  opts: SmokeOptions;
  io: SmokeOptions['io'];
  clock: CheckContext['clock'];
  cli: AdminCli;
  state: SmokeState;
  secrets: string[];
}

/** One check, start to result; never throws (a failure or a skip is the result). */
async function runOne(check: PlannedCheck, run: RunContext): Promise<CheckResult> {
  const { opts, io, clock, cli, state, secrets } = run;
  const { plan } = opts;
  const notes: string[] = [];
  let junit: string | undefined;
  const listings: CheckListing[] = [];
  const ctx: CheckContext = {
    plan,
    env: opts.env,
    io,
    clock,
    cli,
    bounds: { ...DEFAULT_BOUNDS, ...opts.bounds },
    state,
    names: smokeNames(plan),
    options: opts,
    note: (t) => notes.push(t),
    setJunit: (x) => (junit = x),
    list: (title, lines, count) => {
      if (!lines.length) return;
      listings.push({
        title,
        lines: lines.map((l) => maskSecrets(l, secrets)),
        ...(count !== undefined ? { count } : {}),
      });
      io.info(`${title} (${count ?? lines.length}):\n${lines.map((l) => `  ${maskSecrets(l, secrets)}`).join('\n')}`);
    },
  };
  const startedAt = clock.now();
  let status: CheckStatus = 'passed';
  let failure: CheckResult['failure'];
  let skippedReason: string | undefined;
  try {
    await CHECKS[check.id](ctx);
  } catch (err) {
    if (err instanceof CheckSkipped) {
      status = 'skipped';
      skippedReason = err.message;
    } else {
      status = 'failed';
      failure = failureOf(err, secrets);
    }
  }
  const r: CheckResult = {
    id: check.id,
    name: check.description,
    status,
    seconds: Math.round(clock.now() - startedAt) / 1000,
    startedAt,
    failure,
    skippedReason,
    notes,
    junit,
    ...(listings.length ? { listings } : {}),
  };
  io.info(resultLine(r));
  return r;
}

function failureOf(err: unknown, secrets: string[]): NonNullable<CheckResult['failure']> {
  if (err instanceof CheckFailure)
    return { message: err.message, command: err.command, output: err.output, hint: err.hint };
  if (err instanceof RemoteCommandError)
    return {
      message: err.timedOut
        ? `a command timed out on ${err.node}`
        : `a command failed on ${err.node} (exit code ${err.exitCode})`,
      command: err.stage,
      output: maskSecrets(tail(err.tail), secrets),
      hint: 'the SSH session to the controller failed or a command exceeded its bound; see the log bundle',
    };
  return {
    message: maskSecrets(errorMessage(err), secrets),
    command: '',
    output: '',
    hint: 'an unexpected error in the check itself',
  };
}

function resultLine(r: CheckResult): string {
  const mark = r.status === 'passed' ? '✓' : r.status === 'failed' ? '✗' : '–';
  const detail = r.failure
    ? `: ${r.failure.message}`
    : r.skippedReason
      ? `: ${r.skippedReason}`
      : r.notes.length
        ? `: ${r.notes.join('; ')}`
        : '';
  return `${mark} ${r.id} ${r.status} in ${r.seconds.toFixed(1)} s${detail}`;
}

/** passed when every check passed (skipped ones aside), failed when any failed, skipped when none ran. */
export function smokeResult(results: CheckResult[]): CheckStatus {
  if (results.some((r) => r.status === 'failed')) return 'failed';
  if (results.some((r) => r.status === 'passed')) return 'passed';
  return 'skipped';
}
