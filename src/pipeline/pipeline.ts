// The one-way pipeline behind every entry point: inputs → Settings → Plan → (provision → install →
// network fix → smoke → report) → teardown. Entries (main, post, cli) only choose the Io.

import { BAKED_KINDS } from '../bake/types';
import { TeardownError } from '../core/errors';
import { deleteSecretWorkFiles, workDirFor } from '../core/work-files';
import { readSettings, RunContext, Settings, settingsFromJson, settingsToJson } from '../settings/inputs';
import type { Io } from '../core/io';
import { savedResources } from './ledger';
import { Outputs, States, Tags } from '../core/names';
import { buildPlan } from '../plan/plan';
import type { Plan, PlanContext } from '../plan/types';
import type { RunScope, TeardownReport } from '../provider';
import { ProviderFactory, providerFor } from './providers';
import { renderPlanMarkdown, renderPlanText } from '../report/plan-render';
import { notifyPrDown } from '../report/pr-notify';
import type { CostBasis } from '../report/cost';
import { reportKept, reportTeardown } from '../report/report-run';
import { decideTeardown, UpOutcome } from './teardown-policy';
import { runUp, UpDeps } from './up';
import { shippedStagesDir } from '../core/shipped';

interface PipelineOptions {
  providerFor?: ProviderFactory;
  /** Parent of the per-stack work directory (key, credentials, JUnit, logs). */
  workRoot?: string;
  stagesDir?: string;
  tcpConnect?: UpDeps['tcpConnect'];
}

export function runContextFromEnv(env: NodeJS.ProcessEnv): RunContext & PlanContext {
  return {
    runId: env.GITHUB_RUN_ID,
    runAttempt: env.GITHUB_RUN_ATTEMPT,
    repository: env.GITHUB_REPOSITORY,
    env,
    now: new Date(),
  };
}

/** Prints the Plan, writes it to the summary and the `plan` output. Creates nothing. */
async function showPlan(io: Io, plan: Plan): Promise<void> {
  await io.group(`Plan for stack ${plan.stackId}`, async () => io.info(renderPlanText(plan)));
  io.setOutput(Outputs.StackId, plan.stackId);
  io.setOutput(Outputs.ExpiresAt, plan.expiresAt);
  io.setOutput(Outputs.Plan, JSON.stringify(plan));
  await io.summary(renderPlanMarkdown(plan));
}

/** The stack's key and credentials go with the stack: deleted once its teardown ran. */
function deleteRunnerSecrets(io: Io, workDir: string | undefined): void {
  if (!workDir) return;
  const deleted = deleteSecretWorkFiles(workDir);
  if (deleted.length) io.info(`Deleted the stack's key and credential files on this machine: ${deleted.join(', ')}`);
}

/** Logs a teardown's result and fails, naming every id, when anything was left behind. */
async function failOnLeftovers(io: Io, report: TeardownReport): Promise<void> {
  io.info(
    `Teardown of ${report.stackId}: deleted ${report.deleted.length} resource(s) in ${report.seconds.toFixed(1)} s, ${report.leftovers.length} left over`,
  );
  if (report.leftovers.length > 0) throw new TeardownError(report.leftovers.map((r) => `${r.kind} ${r.id}`));
}

/** The main step. Throws typed errors; the entry turns the first one into setFailed. */
export async function runMain(io: Io, ctx: RunContext & PlanContext, opts: PipelineOptions = {}): Promise<void> {
  const settings = readSettings((name) => io.getInput(name), ctx);
  if (settings.githubToken) io.setSecret(settings.githubToken);
  for (const w of settings.warnings) io.warning(w);
  // Saved before anything else happens, so the post step knows the mode even after a crash.
  io.saveState(States.Settings, settingsToJson(settings));
  const provider = () => (opts.providerFor ?? providerFor)(settings);
  switch (settings.mode) {
    case 'plan':
      return showPlan(io, buildPlan(settings, ctx));
    case 'up': {
      const plan = buildPlan(settings, ctx);
      // The post step deletes only what carries this run's tags (another run may own the stack id).
      io.saveState(States.RunTags, JSON.stringify(runTags(plan)));
      await showPlan(io, plan);
      return runUp(io, settings, plan, {
        provider: provider(),
        workDir: workDirFor(plan.stackId, opts.workRoot, ctx.env),
        stagesDir: opts.stagesDir ?? shippedStagesDir(),
        tcpConnect: opts.tcpConnect,
      });
    }
    case 'down': {
      io.setOutput(Outputs.StackId, settings.stackId);
      const report = await provider().down(settings.stackId, { io, known: [] });
      deleteRunnerSecrets(io, workDirFor(settings.stackId, opts.workRoot, ctx.env));
      await reportTeardown(io, undefined, report, { provider: settings.provider });
      await failOnLeftovers(io, report);
      return notifyPrDown(io, settings);
    }
    case 'sweep': {
      const reports = await provider().sweep(ctx.now, {
        io,
        bakeKeep: settings.bakeKeep,
        repository: ctx.repository,
      });
      const expired = reports.filter((r) => r.deleted.some((d) => !BAKED_KINDS.has(d.kind)) || r.leftovers.length);
      io.info(`Sweep: ${expired.length} expired stack(s) found`);
      const leftovers = reports.flatMap((r) => r.leftovers);
      for (const r of reports) await reportTeardown(io, undefined, r, { sweep: true });
      if (leftovers.length > 0) throw new TeardownError(leftovers.map((r) => `${r.kind} ${r.id}`));
      return;
    }
  }
}

/** The tags that tell this run's resources from another run's under the same stack id. */
function runTags(plan: Plan): Record<string, string> {
  const keys: string[] = [Tags.RunId, Tags.RunAttempt, Tags.CreatedAt];
  return Object.fromEntries(Object.entries(plan.tags).filter(([k]) => keys.includes(k)));
}

/** The post step's scope: what main saved (an empty scope, from an older state, claims nothing by tag). */
function runScope(io: Io): RunScope {
  const saved = io.getState(States.RunTags);
  return { tags: saved ? (JSON.parse(saved) as Record<string, string>) : {} };
}

/**
 * The post step: runs always; tears down what main brought up, as the teardown input says.
 * Resolves true when a teardown ran (the CLI then deletes its own credential files too).
 */
export async function runPost(io: Io, opts: PipelineOptions = {}): Promise<boolean> {
  const saved = io.getState(States.Settings);
  if (!saved) {
    io.info('Nothing to tear down: the main step saved no settings (it failed before reading its inputs).');
    return false;
  }
  const settings: Settings = settingsFromJson(saved);
  if (settings.mode !== 'up') {
    io.info(`Nothing to tear down: mode was '${settings.mode}'.`);
    return false;
  }
  const outcome = io.getState(States.UpOutcome) as UpOutcome | '';
  const decision = decideTeardown(settings.teardown, outcome);
  if (decision.nothingCreated) {
    io.info(`Nothing to tear down for stack ${settings.stackId}: ${decision.why}.`);
    deleteRunnerSecrets(io, io.getState(States.WorkDir) || undefined);
    return false;
  }
  if (!decision.teardown) {
    io.info(
      `Keeping stack ${settings.stackId}: ${decision.why}. Delete it with mode: down and stack-id: ${settings.stackId}; its instances terminate themselves when its lifetime ends, and mode: sweep deletes the rest.`,
    );
    await reportKept(io, settings.stackId, decision.why);
    return false;
  }
  io.info(`Tearing down stack ${settings.stackId}: ${decision.why}.`);
  const provider = (opts.providerFor ?? providerFor)(settings);
  const downStarted = Date.now();
  const report = await provider.down(settings.stackId, { io, known: savedResources(io), run: runScope(io) });
  deleteRunnerSecrets(io, io.getState(States.WorkDir) || undefined);
  const startedAt = io.getState(States.StartedAt);
  const savedCost = io.getState(States.CostBasis);
  // What the cost table needs of the Plan, as the main step saved it: the post step builds no Plan.
  const cost = savedCost ? (JSON.parse(savedCost) as CostBasis) : undefined;
  const billed = startedAt ? (Date.now() - Date.parse(startedAt)) / 1000 : undefined;
  await reportTeardown(io, cost, report, {
    billedSeconds: billed,
    startedAt: downStarted,
    provider: settings.provider,
  });
  await failOnLeftovers(io, report);
  return true;
}
