// Runs the Plan's smoke checks in order on the controller and returns one result per check. A check
// that fails does not stop the others; a check whose prerequisite is missing is skipped with the
// reason. Nothing here throws for a failed check: the caller decides what a failure means.

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
import { maskSecrets, tail } from './shell';
import type { CheckId } from '../plan/types';
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
  const results: CheckResult[] = [];
  for (const check of plan.checks) {
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
    const fn = CHECKS[check.id];
    const result = await io.group(`Smoke check ${check.id}: ${check.description}`, async () => {
      let status: CheckStatus = 'passed';
      let failure: CheckResult['failure'];
      let skippedReason: string | undefined;
      try {
        await fn(ctx);
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
    });
    results.push(result);
  }
  return results;
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
