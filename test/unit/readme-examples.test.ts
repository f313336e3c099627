// Every `with:` key that the templates and the README's examples pass to this action must be an
// input of action.yml (a renamed or misspelt input would otherwise be ignored silently: GitHub
// only warns). The README's literal values must also pass the action's own input validation.
import * as fs from 'fs';
import * as path from 'path';
import { readSettings } from '../../src/settings/inputs';
import { InputName, Inputs } from '../../src/core/names';
import {
  ActionStep,
  actionInputNames,
  actionSteps,
  loadYaml,
  ROOT,
  unknownWithKeys,
  workflowFiles,
  yamlBlocks,
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
