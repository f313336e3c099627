// The sticky pull-request comment: rendered without secrets, found again by its marker, edited in
// place. GitHub's API is the only fake here: an in-memory issue with comments that records calls.
import * as github from '@actions/github';
import {
  credentialsArtifactName,
  formatUtc,
  IssueCommentsApi,
  markerOf,
  prCommentMarker,
  pullRequestTarget,
  renderPrComment,
  renderPrCommentDeleted,
  upsertPrComment,
} from '../../src/report/pr-comment';

interface StoredComment {
  id: number;
  body: string;
  html_url: string;
}

/** One pull request's comments, paged like GitHub's REST API, with every call recorded. */
function fakeGitHub(initial: string[] = []) {
  let nextId = 1000;
  const comments: StoredComment[] = [];
  const add = (body: string) => {
    const id = nextId++;
    const c = { id, body, html_url: `https://github.example/o/r/pull/7#issuecomment-${id}` };
    comments.push(c);
    return c;
  };
  initial.forEach(add);
  const calls: Array<{ method: string; params: Record<string, unknown> }> = [];
  const api: IssueCommentsApi = {
    rest: {
      issues: {
        listComments: async (params) => {
          calls.push({ method: 'listComments', params });
          const perPage = params.per_page ?? 30;
          const page = params.page ?? 1;
          return { data: comments.slice((page - 1) * perPage, page * perPage).map((c) => ({ ...c })) };
        },
        createComment: async (params) => {
          calls.push({ method: 'createComment', params });
          return { data: { ...add(params.body) } };
        },
        updateComment: async (params) => {
          calls.push({ method: 'updateComment', params });
          const c = comments.find((x) => x.id === params.comment_id);
          if (!c) throw Object.assign(new Error(`Not Found: comment ${params.comment_id}`), { status: 404 });
          c.body = params.body;
          return { data: { ...c } };
        },
      },
    },
  };
  const writes = () => calls.filter((c) => c.method !== 'listComments');
  return { api, comments, calls, writes };
}

/** Deletes the comment after it was listed, before it is edited (a reviewer deleting it meanwhile). */
function deletingAfterList(gh: ReturnType<typeof fakeGitHub>): IssueCommentsApi {
  const issues = gh.api.rest.issues;
  return {
    rest: {
      issues: {
        ...issues,
        listComments: async (params) => {
          const page = await issues.listComments(params);
          gh.comments.splice(0, gh.comments.length);
          return page;
        },
      },
    },
  };
}

const ready = {
  stackId: 'pr-7',
  authUrl: 'http://198.51.100.7:5000/v3',
  dashboardUrl: 'http://198.51.100.7/dashboard',
  controllerIp: '198.51.100.7',
  expiresAt: '2026-11-22T00:30:00.000Z',
  sshHint: 'ssh -i id_ed25519 ubuntu@198.51.100.7',
  runUrl: 'https://github.example/o/r/actions/runs/42',
  allowedCidrs: ['192.0.2.0/24'],
  smokeResult: 'passed' as const,
};

const target = { owner: 'o', repo: 'r', issueNumber: 7 };

describe('renderPrComment', () => {
  const body = renderPrComment(ready);

  it('starts with the hidden marker of its stack', () => {
    expect(body.split('\n')[0]).toBe('<!-- openstack-on-aws:stack=pr-7 -->');
    expect(markerOf(body)).toBe(prCommentMarker('pr-7'));
  });

  it('shows the endpoints, the SSH hint, who may connect and the expiry', () => {
    expect(body).toContain('| Keystone (auth URL) | http://198.51.100.7:5000/v3 |');
    expect(body).toContain('| Dashboard | http://198.51.100.7/dashboard |');
    expect(body).toContain('`ssh -i id_ed25519 ubuntu@198.51.100.7`');
    expect(body).toContain('`192.0.2.0/24`');
    expect(body).toContain('**2026-11-22 00:30 UTC**');
    expect(body).toContain('| Smoke checks | passed |');
  });

  it('says where the credentials are without containing any, and how to decrypt them', () => {
    expect(body).toContain(credentialsArtifactName('pr-7'));
    expect(body).toContain('[the run that built it](https://github.example/o/r/actions/runs/42)');
    expect(body).toMatch(/openssl enc -d .* -pass env:OPENSTACK_PR_PASSPHRASE -in credentials\.tar\.enc \| tar -x/);
    // The passphrase is read from the environment, never typed as an argument (shell history, ps).
    expect(body).not.toContain('-pass pass:');
  });

  it('says so in its title when the smoke checks failed', () => {
    expect(renderPrComment({ ...ready, smokeResult: 'failed' })).toContain('is up, but its smoke checks failed');
    expect(body).not.toContain('smoke checks failed');
  });

  it("warns when only the runner's own address may connect", () => {
    expect(renderPrComment({ ...ready, allowedCidrs: [] })).toContain('set `allowed-cidrs`');
  });

  it('keeps a value from breaking its table cell or backticks', () => {
    const odd = renderPrComment({ ...ready, sshHint: 'ssh `x` | y\nz' });
    const row = odd.split('\n').find((l) => l.startsWith('| Controller'))!;
    expect(row).toBe('| Controller | `198.51.100.7`; SSH: `ssh  x    y z` |');
  });

  it('refuses a stack id that would break the marker', () => {
    expect(() => prCommentMarker('a-->b')).toThrow(/cannot be used/);
    expect(() => prCommentMarker('Bad Id')).toThrow(/cannot be used/);
  });

  it('formats the expiry in UTC and keeps a non-date as it is', () => {
    expect(formatUtc('2026-01-02T03:04:59+02:00')).toBe('2026-01-02 01:04 UTC');
    expect(formatUtc('soon')).toBe('soon');
  });
});

describe('upsertPrComment', () => {
  it('creates the comment once, then updates that same comment', async () => {
    const gh = fakeGitHub(['LGTM', '<!-- openstack-on-aws:stack=pr-70 -->\nanother stack']);
    const first = await upsertPrComment({ octokit: gh.api, ...target, body: renderPrComment(ready) });
    expect(first.action).toBe('created');
    const second = await upsertPrComment({
      octokit: gh.api,
      ...target,
      body: renderPrComment({ ...ready, controllerIp: '198.51.100.9', expiresAt: '2026-11-22T09:00:00Z' }),
    });
    expect(second).toMatchObject({ action: 'updated', commentId: first.commentId });
    expect(gh.writes().map((c) => c.method)).toEqual(['createComment', 'updateComment']);
    expect(gh.comments).toHaveLength(3);
    const ours = gh.comments.filter((c) => markerOf(c.body) === prCommentMarker('pr-7'));
    expect(ours).toHaveLength(1);
    expect(ours[0].body).toContain('198.51.100.9');
    // The other stack's comment (pr-70 shares the prefix pr-7) was not touched.
    expect(gh.comments[1].body).toBe('<!-- openstack-on-aws:stack=pr-70 -->\nanother stack');
  });

  it('finds its comment on a later page', async () => {
    const chatter = Array.from({ length: 230 }, (_, i) => `comment ${i}`);
    const gh = fakeGitHub([...chatter, `${prCommentMarker('pr-7')}\nold`]);
    const result = await upsertPrComment({ octokit: gh.api, ...target, body: renderPrComment(ready) });
    expect(result).toMatchObject({ action: 'updated', commentId: 1230 });
    expect(gh.calls.filter((c) => c.method === 'listComments').map((c) => c.params.page)).toEqual([1, 2, 3]);
    expect(gh.writes()).toHaveLength(1);
  });

  it('does not edit a comment whose text is already current', async () => {
    const body = renderPrComment(ready);
    const gh = fakeGitHub([body]);
    await expect(upsertPrComment({ octokit: gh.api, ...target, body })).resolves.toMatchObject({
      action: 'unchanged',
      commentId: 1000,
    });
    expect(gh.writes()).toEqual([]);
  });

  it('ignores a comment that only quotes the marker further down', async () => {
    const gh = fakeGitHub([`> ${prCommentMarker('pr-7')}\n> quoted by a reviewer`]);
    const result = await upsertPrComment({ octokit: gh.api, ...target, body: renderPrComment(ready) });
    expect(result.action).toBe('created');
  });

  it('turns the same comment into a deletion notice', async () => {
    const gh = fakeGitHub();
    const created = await upsertPrComment({ octokit: gh.api, ...target, body: renderPrComment(ready) });
    const deleted = await upsertPrComment({
      octokit: gh.api,
      ...target,
      body: renderPrCommentDeleted('pr-7', 'https://github.example/o/r/actions/runs/43'),
    });
    expect(deleted).toMatchObject({ action: 'updated', commentId: created.commentId });
    expect(gh.comments[0].body).toContain('was deleted by [this run]');
  });

  it('posts a new comment when its old one was deleted meanwhile, and rethrows other errors', async () => {
    const gh = fakeGitHub([`${prCommentMarker('pr-7')}\nold`]);
    const result = await upsertPrComment({ octokit: deletingAfterList(gh), ...target, body: renderPrComment(ready) });
    expect(result.action).toBe('created');
    expect(gh.writes().map((c) => c.method)).toEqual(['updateComment', 'createComment']);

    const forbidden = fakeGitHub([`${prCommentMarker('pr-7')}\nold`]);
    forbidden.api.rest.issues.updateComment = async () => {
      throw Object.assign(new Error('Resource not accessible by integration'), { status: 403 });
    };
    await expect(upsertPrComment({ octokit: forbidden.api, ...target, body: renderPrComment(ready) })).rejects.toThrow(
      /not accessible/,
    );
  });

  it('refuses a body without a marker (it could never be found again)', async () => {
    const gh = fakeGitHub();
    await expect(upsertPrComment({ octokit: gh.api, ...target, body: 'hello' })).rejects.toThrow(/marker/);
    expect(gh.calls).toEqual([]);
  });

  it('accepts the real Octokit from @actions/github (checked by the compiler)', () => {
    const real: IssueCommentsApi = github.getOctokit('not-a-real-token');
    expect(typeof real.rest.issues.updateComment).toBe('function');
  });
});

describe('pullRequestTarget', () => {
  it('names the pull request of a pull_request event and nothing for other events', () => {
    const repo = { owner: 'o', repo: 'r' };
    expect(pullRequestTarget({ eventName: 'pull_request', repo, payload: { pull_request: { number: 7 } } })).toEqual(
      target,
    );
    expect(pullRequestTarget({ eventName: 'schedule', repo, payload: {} })).toBeUndefined();
  });
});
