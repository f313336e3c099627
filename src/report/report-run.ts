// The report's two entry points for the pipeline: after `up` (JUnit, outputs, summary) and after
// teardown (the teardown result and the cost of the whole run, appended to the summary).

import type { Io } from '../core/io';
import type { LogBundlePolicy } from '../settings/inputs';
import type { TeardownReport } from '../provider';
import { maskSecrets } from '../smoke/shell';
import type { CheckResult } from '../smoke/types';
import type { CostBasis } from './cost';
import { writeJunit } from './junit';
import { PublishInput, publishOutputs } from './outputs';
import { renderCost, renderSummary, renderTeardown } from './summary';
import type { Timings } from './timings';

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

/**
 * After teardown: its result, and the estimated cost now that the instances' lifetime is known
 * (only where the run's cost basis is at hand: `down` and `sweep` have none).
 */
export async function reportTeardown(
  io: Io,
  cost: CostBasis | undefined,
  teardown: TeardownReport,
  billedSeconds?: number,
  secrets: readonly string[] = [],
): Promise<void> {
  const parts = [renderTeardown(teardown)];
  if (cost && billedSeconds !== undefined && cost.provider === 'aws') parts.push(renderCost(cost, billedSeconds));
  await io.summary(maskSecrets(parts.join('\n\n') + '\n', secrets));
}

/** Whether to collect the log bundle: `log-bundle: always`, or `on-failure` when the run failed. */
export function shouldCollectLogs(policy: LogBundlePolicy, failed: boolean): boolean {
  return policy === 'always' || (policy === 'on-failure' && failed);
}
