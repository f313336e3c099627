// The runtimes agree: action.yml declares node24; package.json's engines admit both that and the
// Node 20 the CLI and tests run on; the README says so; and CI really runs the bundled action's
// tests on Node 24 (npm run test:node24 in .ci/run and in ci.yml), covering every test file that
// runs dist/.
import * as fs from 'fs';
import * as path from 'path';
import { actionYml, loadYaml, ROOT, YamlMap } from '../helpers/workflow-yaml';

const read = (rel: string) => fs.readFileSync(path.join(ROOT, rel), 'utf8');
const pkg = JSON.parse(read('package.json')) as { engines: { node: string }; scripts: Record<string, string> };
const runsUsing = () => (actionYml().runs as YamlMap).using as string;

/** Every test file under test/ (recursively). */
function testFiles(dir = path.join(ROOT, 'test')): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return testFiles(p);
    return e.name.endsWith('.test.ts') ? [path.relative(ROOT, p)] : [];
  });
}

describe('declared runtimes', () => {
  it('the action runs on node24', () => {
    expect(runsUsing()).toBe('node24');
  });

  it("engines admit Node 20 (CLI, build, tests) and the action's Node 24, and this run's Node", () => {
    const m = /^>=(\d+)$/.exec(pkg.engines.node);
    expect(m).not.toBeNull();
    const min = Number(m![1]);
    expect(min).toBe(20);
    expect(Number(runsUsing().replace('node', ''))).toBeGreaterThanOrEqual(min);
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(min);
  });

  it('the README says the same', () => {
    const readme = read('README.md');
    expect(readme).toContain('`runs.using: node24`');
    expect(readme).toContain('`>=20`');
    expect(readme).toMatch(/Node\.js 20\+/);
  });

  it("scripts/node24.sh takes a release of the action's major", () => {
    const m = /version="\$\{NODE24_VERSION:-(\d+)\.\d+\.\d+\}"/.exec(read('scripts/node24.sh'));
    expect(m).not.toBeNull();
    expect(`node${m![1]}`).toBe(runsUsing());
  });
});

describe('the bundled action is tested on Node 24', () => {
  const node24Files = () => pkg.scripts['test:node24'].split(/\s+/).filter((w) => w.endsWith('.test.ts'));

  it('test:node24 runs jest on the Node 24 binary', () => {
    expect(pkg.scripts['test:node24']).toMatch(/node24="\$\(bash scripts\/node24\.sh\)"/);
    expect(pkg.scripts['test:node24']).toContain('"$node24" node_modules/jest/bin/jest.js');
  });

  it('it covers every test file that runs the committed bundles (dist/)', () => {
    const runsDist = testFiles().filter((f) => /runBundled\(|dist\/cli\/index\.js|'\.\.\/\.\.\/dist\//.test(read(f)));
    expect(runsDist).toEqual(
      expect.arrayContaining(['test/integration/bundled-action.test.ts', 'test/unit/cli.test.ts']),
    );
    expect(node24Files().sort()).toEqual(runsDist.sort());
  });

  it('.ci/run runs it after npm test and counts it in its closing line', () => {
    const ci = read('.ci/run');
    expect(ci.indexOf('npm run -s test:node24')).toBeGreaterThan(ci.indexOf('npm test -- --json'));
    expect(ci).toContain('"$results_dir/node20.json" "$results_dir/node24.json"');
  });

  it("ci.yml runs .ci/run on Node 20 and test:node24 on GitHub's Node 24", () => {
    const jobs = (loadYaml(read('.github/workflows/ci.yml')) as YamlMap).jobs as Record<string, YamlMap>;
    const nodeOf = (j: YamlMap) =>
      ((j.steps as YamlMap[]).find((s) => String(s.uses).startsWith('actions/setup-node@'))!.with as YamlMap)[
        'node-version'
      ];
    const runs = (j: YamlMap) => (j.steps as YamlMap[]).map((s) => s.run).filter(Boolean);
    expect(nodeOf(jobs.test)).toBe(20);
    expect(runs(jobs.test)).toContain('sudo --preserve-env=PATH,CI bash .ci/run');
    expect(nodeOf(jobs['bundled-action-node24'])).toBe(24);
    expect(runs(jobs['bundled-action-node24'])).toContain('npm run test:node24');
  });
});
