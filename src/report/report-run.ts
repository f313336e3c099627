// The report's entry points for the pipeline: after `up` (JUnit, outputs, summary; the timings kept
// in the state), and after teardown (its result, the whole run's timeline with the teardown, and
// the cost of the whole run) or after a stack was kept on purpose.

import type { Io } from '../core/io';
import { States } from '../core/names';
import { section } from '../core/summary-sections';
import type { LogBundlePolicy } from '../settings/inputs';
import type { TeardownReport } from '../provider';
import type { CheckResult } from '../smoke/types';
import type { CostBasis } from './cost';
import { writeJunit } from './junit';
import { PublishInput, publishOutputs } from './outputs';
import { renderKept, renderSummary, renderTeardownSummary, SummarySections } from './summary';
import { Timings } from './timings';

/** Puts every check's duration into the run's timings (the `timings` output and the timeline). */
export function recordCheckTimings(timings: Timings, results: CheckResult[]): void {
  for (const r of results) timings.record('check', r.id, r.seconds, r.startedAt);
}

/** What publishOutputs takes, less the JUnit path (written here), plus the secrets to mask. */
interface ReportUpInput extends Omit<PublishInput, 'junitPath'> {
  /** Every secret of the stack, for masking what is written to files. */
  secrets: readonly string[];
}

/** Writes the JUnit file, sets every output and writes the job summary (teardown follows in post). */
export async function reportUp(input: ReportUpInput): Promise<{ junitPath: string; outputs: Record<string, string> }> {
  const results = input.results ?? [];
  const junitPath = await writeJunit(results, input.workDir, {
    stackId: input.plan.stackId,
    timestamp: results[0] ? new Date(results[0].startedAt).toISOString() : undefined,
    secrets: input.secrets,
  });
  const outputs = await publishOutputs({ ...input, results, junitPath });
  // For the teardown (the post step, or the CLI after main): its timeline is the whole run's.
  input.io.saveState(States.Timings, input.timings.toJSON());
  await input.io.summary(
    renderSummary({
      plan: input.plan,
      env: input.env,
      results: input.results,
      timings: input.timings,
      secrets: input.secrets,
    }),
  );
  return { junitPath, outputs };
}

/** Saves the timings so far, for a run that stops before reportUp (provisioning failed). */
export function keepTimings(io: Pick<Io, 'saveState'>, timings: Timings): void {
  io.saveState(States.Timings, timings.toJSON());
}

interface ReportTeardownOptions {
  /** Seconds the instances existed: the cost of the whole run (AWS). */
  billedSeconds?: number;
  secrets?: readonly string[];
  /** A sweep reports several stacks: each gets its own section and no run timeline. */
  sweep?: boolean;
  /** The provider that tore down: names the teardown step in the timeline. */
  provider?: string;
  /** When the teardown started (epoch ms); default: its seconds before now. */
  startedAt?: number;
}

/**
 * After teardown: its result; when this run's timings were kept (the post step of `up`, or the
 * CLI's own teardown after it), the timeline of the whole run with the teardown as its last step;
 * and the estimated cost now that the instances' lifetime is known.
 */
export async function reportTeardown(
  io: Io,
  cost: CostBasis | undefined,
  teardown: TeardownReport,
  opts: ReportTeardownOptions = {},
): Promise<void> {
  const kept = opts.sweep ? '' : io.getState(States.Timings);
  let timings: Timings | undefined;
  if (kept) {
    timings = Timings.fromJSON(kept);
    timings.record('teardown', `${opts.provider ?? cost?.provider ?? 'stack'} down`, teardown.seconds, opts.startedAt);
  }
  await io.summary(
    renderTeardownSummary({
      cost,
      teardown,
      timings,
      billedSeconds: opts.billedSeconds,
      secrets: opts.secrets,
      sectionName: opts.sweep ? `${SummarySections.Teardown}-${teardown.stackId}` : undefined,
    }),
  );
}

/** The teardown input kept the stack: said where the teardown's result would be. */
export async function reportKept(io: Io, stackId: string, why: string): Promise<void> {
  await io.summary(section(SummarySections.Teardown, renderKept(stackId, why)));
}

/** Whether to collect the log bundle: `log-bundle: always`, or `on-failure` when the run failed. */
export function shouldCollectLogs(policy: LogBundlePolicy, failed: boolean): boolean {
  return policy === 'always' || (policy === 'on-failure' && failed);
}
