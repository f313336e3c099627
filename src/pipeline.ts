// The one-way pipeline behind every entry point: inputs → Settings → Plan → (provision → install →
// network fix → smoke → report) → teardown. Entries (main, post, cli) only choose the Io.

import { readSettings, RunContext, Settings, settingsFromJson, settingsToJson } from './inputs';
import type { Io } from './io';
import { Outputs, States } from './names';
import { buildPlan, Plan, PlanContext } from './plan';
import { renderPlanMarkdown, renderPlanText } from './report/plan-render';

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
export async function showPlan(io: Io, plan: Plan): Promise<void> {
  await io.group(`Plan for stack ${plan.stackId}`, async () => io.info(renderPlanText(plan)));
  io.setOutput(Outputs.StackId, plan.stackId);
  io.setOutput(Outputs.ExpiresAt, plan.expiresAt);
  io.setOutput(Outputs.Plan, JSON.stringify(plan));
  await io.summary(renderPlanMarkdown(plan));
}

/** The main step. Throws typed errors; the entry turns the first one into setFailed. */
export async function runMain(io: Io, ctx: RunContext & PlanContext): Promise<void> {
  const settings = readSettings((name) => io.getInput(name), ctx);
  if (settings.githubToken) io.setSecret(settings.githubToken);
  // Saved before anything else happens, so the post step knows the mode even after a crash.
  io.saveState(States.Settings, settingsToJson(settings));
  const plan = buildPlan(settings, ctx);
  if (settings.mode === 'plan') {
    await showPlan(io, plan);
    return;
  }
  await showPlan(io, plan);
  throw new Error(
    `mode '${settings.mode}' with provider '${settings.provider}' is not available in this build yet; mode 'plan' is`,
  );
}

/** The post step: runs always; tears down what main brought up, as the teardown input says. */
export async function runPost(io: Io): Promise<void> {
  const saved = io.getState(States.Settings);
  if (!saved) {
    io.info('Nothing to tear down: the main step saved no settings (it failed before reading its inputs).');
    return;
  }
  const settings: Settings = settingsFromJson(saved);
  if (settings.mode !== 'up') {
    io.info(`Nothing to tear down: mode was '${settings.mode}'.`);
    return;
  }
  io.info(`Nothing to tear down for stack ${settings.stackId}: no resources were recorded.`);
}
