// Posts (or updates) the stack's one sticky pull-request comment when `pr-comment: true` and the run
// belongs to a pull request. A failure to comment never fails the run: the cloud matters more.

import * as github from '@actions/github';
import { errorMessage } from '../core/errors';
import type { Settings } from '../settings/inputs';
import type { Io } from '../core/io';
import type { Plan } from '../plan/types';
import type { Environment } from '../provider';
import { authUrl, dashboardUrl } from './credentials';
import { pullRequestTarget, renderPrComment, renderPrCommentDeleted, upsertPrComment } from './pr-comment';

function runUrl(env: NodeJS.ProcessEnv): string | undefined {
  const { GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID } = env;
  return GITHUB_SERVER_URL && GITHUB_REPOSITORY && GITHUB_RUN_ID
    ? `${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}`
    : undefined;
}

async function post(io: Io, settings: Settings, body: string): Promise<void> {
  if (!settings.prComment) return;
  const target = pullRequestTarget(github.context);
  if (!target) {
    io.info('pr-comment: this run does not belong to a pull request; no comment posted.');
    return;
  }
  if (!settings.githubToken) {
    io.warning('pr-comment: no github-token; no comment posted.');
    return;
  }
  try {
    const r = await upsertPrComment({ octokit: github.getOctokit(settings.githubToken), ...target, body });
    io.info(`pr-comment: ${r.action} the stack's comment on #${target.issueNumber}`);
  } catch (err) {
    io.warning(`pr-comment: could not post the comment: ${errorMessage(err)}`);
  }
}

export async function notifyPrUp(
  io: Io,
  settings: Settings,
  plan: Plan,
  env: Environment,
  smoke?: 'passed' | 'failed' | 'skipped',
): Promise<void> {
  await post(
    io,
    settings,
    renderPrComment({
      stackId: plan.stackId,
      authUrl: authUrl(env),
      dashboardUrl: dashboardUrl(plan, env),
      controllerIp: env.controllerPublicIp,
      expiresAt: plan.expiresAt,
      sshHint: `ssh -i id_ed25519 ${env.sshUser}@${env.controllerPublicIp}`,
      runUrl: runUrl(process.env),
      allowedCidrs: settings.allowedCidrs,
      smokeResult: smoke,
    }),
  );
}

export async function notifyPrDown(io: Io, settings: Settings): Promise<void> {
  await post(io, settings, renderPrCommentDeleted(settings.stackId, runUrl(process.env)));
}
