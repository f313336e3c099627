// The one sticky pull-request comment per stack: where the environment is, how to get credentials
// without them ever being posted, and when it expires. It is found again by a hidden marker naming
// the stack, and edited in place, so a pull request that is pushed twenty times has one comment.

/** Where the pull-request template uploads the encrypted credentials (one convention, two users). */
export function credentialsArtifactName(stackId: string): string {
  return `${stackId}-credentials`;
}

/** The repository secret the pull-request template encrypts the credentials with. */
export const CREDENTIALS_PASSPHRASE_SECRET = 'OPENSTACK_PR_PASSPHRASE';

/**
 * openssl options shared by the template's encryption step and the decryption command in the
 * comment (a test runs both against each other). PBKDF2 with many iterations because the artifact
 * can be downloaded by anyone who can read the repository; only the passphrase protects it.
 */
export const CREDENTIALS_CIPHER_OPTIONS = '-aes-256-cbc -pbkdf2 -iter 600000 -md sha256';

/** The file inside the credentials artifact. */
export const CREDENTIALS_FILE = 'credentials.tar.enc';

const MARKER_PREFIX = '<!-- openstack-on-aws:stack=';
const MARKER_SUFFIX = ' -->';

/** The hidden first line that identifies this stack's comment. */
export function prCommentMarker(stackId: string): string {
  // Stack ids are validated in inputs.ts; this guard only keeps a broken caller from writing a
  // marker that ends the HTML comment early or cannot be found again.
  if (!/^[a-z0-9][a-z0-9-]*$/.test(stackId) || stackId.includes('--')) {
    throw new Error(`stack id '${stackId}' cannot be used in a comment marker`);
  }
  return `${MARKER_PREFIX}${stackId}${MARKER_SUFFIX}`;
}

/** The marker a body starts with, or undefined. */
export function markerOf(body: string | null | undefined): string | undefined {
  const first = (body ?? '').trimStart().split('\n', 1)[0].trim();
  return first.startsWith(MARKER_PREFIX) && first.endsWith(MARKER_SUFFIX) ? first : undefined;
}

interface PrCommentEnvironment {
  stackId: string;
  authUrl: string;
  dashboardUrl: string;
  controllerIp: string;
  /** ISO 8601; the stack's instances terminate themselves then. */
  expiresAt: string;
  /** How to SSH to the controller, e.g. `ssh -i id_ed25519 ubuntu@198.51.100.7`. */
  sshHint: string;
  /** Link to the run that built it (its masked outputs and artifacts live there). */
  runUrl?: string;
  /** Who may connect (the security group's sources); empty: the runner's own /32 only. */
  allowedCidrs?: string[];
  smokeResult?: 'passed' | 'failed' | 'skipped';
}

/** Inline code that cannot break out of its backticks or its table cell. */
function code(value: string): string {
  return '`' + value.replace(/[`|\r\n]/g, ' ').trim() + '`';
}

/** Plain text that cannot end its table cell or row. */
function cell(value: string): string {
  return value.replace(/[|\r\n]/g, ' ').trim();
}

/** "2026-11-22 00:30 UTC"; the raw value when it is not a date. */
export function formatUtc(iso: string): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return iso;
  return `${t.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function credentialsSection(stackId: string, runUrl: string | undefined): string {
  const run = runUrl ? `[the run that built it](${runUrl})` : 'the run that built it';
  const artifact = credentialsArtifactName(stackId);
  return [
    '**Credentials are not in this comment**: everyone who can read this pull request could read',
    `them. The admin password and the SSH key exist only inside ${run}, as masked outputs. When the`,
    `repository secret \`${CREDENTIALS_PASSPHRASE_SECRET}\` is set, the pull-request template encrypts`,
    `\`clouds.yaml\`, \`openrc\` and the SSH key into the artifact \`${artifact}\` of that run (kept`,
    'one day). Whoever holds the passphrase downloads the artifact, unzips it and decrypts it:',
    '',
    '```sh',
    `read -rs ${CREDENTIALS_PASSPHRASE_SECRET} && export ${CREDENTIALS_PASSPHRASE_SECRET}   # type the passphrase; it stays off the command line`,
    `openssl enc -d ${CREDENTIALS_CIPHER_OPTIONS} -pass env:${CREDENTIALS_PASSPHRASE_SECRET} -in ${CREDENTIALS_FILE} | tar -x`,
    'export OS_CLIENT_CONFIG_FILE="$PWD/clouds.yaml"; openstack --os-cloud openstack-on-aws server list',
    '```',
    '',
    'Without the secret, nobody outside the job gets the password: re-running the job replaces the',
    'environment and the new credentials stay in that job.',
  ].join('\n');
}

/** The comment for a stack that is up. */
export function renderPrComment(env: PrCommentEnvironment): string {
  const reach =
    env.allowedCidrs && env.allowedCidrs.length > 0
      ? env.allowedCidrs.map(code).join(', ')
      : "the runner's own address only (set `allowed-cidrs` so reviewers can connect)";
  const rows: Array<[string, string]> = [
    ['Keystone (auth URL)', cell(env.authUrl)],
    ['Dashboard', cell(env.dashboardUrl)],
    ['Controller', `${code(env.controllerIp)}; SSH: ${code(env.sshHint)}`],
    ...(env.smokeResult ? ([['Smoke checks', env.smokeResult]] as Array<[string, string]>) : []),
    ['Reachable from', reach],
    [
      'Expires',
      `**${formatUtc(env.expiresAt)}**: its instances terminate themselves then and the sweeper deletes the rest`,
    ],
  ];
  return [
    prCommentMarker(env.stackId),
    env.smokeResult === 'failed'
      ? `### OpenStack environment ${code(env.stackId)} is up, but its smoke checks failed`
      : `### OpenStack environment ${code(env.stackId)} is up`,
    '',
    '| | |',
    '| --- | --- |',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    '',
    credentialsSection(env.stackId, env.runUrl),
    '',
    'Pushing to this pull request replaces the environment; closing the pull request deletes it.',
  ].join('\n');
}

/** The comment once the stack is gone (mode down on close), so nobody tries the old endpoints. */
export function renderPrCommentDeleted(stackId: string, runUrl?: string): string {
  const by = runUrl ? ` by [this run](${runUrl})` : '';
  return [
    prCommentMarker(stackId),
    `### OpenStack environment ${code(stackId)} was deleted${by}`,
    '',
    'Its endpoints and credentials no longer work. Reopening the pull request creates a new one.',
  ].join('\n');
}

interface IssueComment {
  id: number;
  body?: string | null;
  html_url?: string;
}

/** The part of Octokit (`github.getOctokit(token)`) this file uses; tests pass a fake. */
export interface IssueCommentsApi {
  rest: {
    issues: {
      listComments(params: {
        owner: string;
        repo: string;
        issue_number: number;
        per_page?: number;
        page?: number;
      }): Promise<{ data: IssueComment[] }>;
      createComment(params: {
        owner: string;
        repo: string;
        issue_number: number;
        body: string;
      }): Promise<{ data: IssueComment }>;
      updateComment(params: {
        owner: string;
        repo: string;
        comment_id: number;
        body: string;
      }): Promise<{ data: IssueComment }>;
    };
  };
}

interface UpsertPrCommentArgs {
  octokit: IssueCommentsApi;
  owner: string;
  repo: string;
  issueNumber: number;
  /** Must start with prCommentMarker(stackId): that is how the comment is found next time. */
  body: string;
}

interface UpsertResult {
  action: 'created' | 'updated' | 'unchanged';
  commentId: number;
  url?: string;
}

const PAGE_SIZE = 100;

/** Edits this stack's comment on the pull request, or creates it when there is none yet. */
export async function upsertPrComment(args: UpsertPrCommentArgs): Promise<UpsertResult> {
  const { octokit, owner, repo, issueNumber, body } = args;
  const marker = markerOf(body);
  if (!marker) throw new Error('the comment body must start with its stack marker (prCommentMarker)');
  const existing = await findComment(octokit, owner, repo, issueNumber, marker);
  if (existing) {
    if (existing.body === body) return { action: 'unchanged', commentId: existing.id, url: existing.html_url };
    try {
      const { data } = await octokit.rest.issues.updateComment({ owner, repo, comment_id: existing.id, body });
      return { action: 'updated', commentId: data.id, url: data.html_url };
    } catch (err) {
      // Someone deleted it between listing and editing: post a new one instead of failing the run.
      if ((err as { status?: number }).status !== 404) throw err;
    }
  }
  const { data } = await octokit.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body });
  return { action: 'created', commentId: data.id, url: data.html_url };
}

/** The oldest comment whose first line is exactly the marker (pages through every comment). */
async function findComment(
  octokit: IssueCommentsApi,
  owner: string,
  repo: string,
  issueNumber: number,
  marker: string,
): Promise<IssueComment | undefined> {
  for (let page = 1; ; page++) {
    const { data } = await octokit.rest.issues.listComments({
      owner,
      repo,
      issue_number: issueNumber,
      per_page: PAGE_SIZE,
      page,
    });
    const hit = data.find((c) => markerOf(c.body) === marker);
    if (hit) return hit;
    if (data.length < PAGE_SIZE) return undefined;
  }
}

/** The pull request a workflow run is about, from @actions/github's context; undefined otherwise. */
export function pullRequestTarget(context: {
  eventName: string;
  repo: { owner: string; repo: string };
  payload: { pull_request?: { number: number } };
}): { owner: string; repo: string; issueNumber: number } | undefined {
  const pr = context.payload.pull_request;
  if (!context.eventName.startsWith('pull_request') || !pr) return undefined;
  return { owner: context.repo.owner, repo: context.repo.repo, issueNumber: pr.number };
}
