// The test command's own machinery, run for real: scripts/host-tools.sh (the one package list npm
// test and .ci/run share), jest's globalSetup that stops a run without them, the environment that
// holds the libraries' stdout unless a test fails, and the reporter that says why each skip happened.
// Each runs a real jest on a small fixture project in a temp dir.
import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from '../helpers/workflow-yaml';
import { AS_ROOT, itIf, needRoot, skippedTitle } from '../helpers/requires';

const SCRIPT = path.join(ROOT, 'scripts', 'host-tools.sh');
const JEST = path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
const NO_SUCH = 'ooa-no-such-package';
// A user that is not root, for the refusal (nobody exists on Debian and Ubuntu).
const asNobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-jest-hooks-'));
  fs.chmodSync(dir, 0o755); // readable by nobody
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function hostTools(args: string[], env: Record<string, string> = {}, prefix: string[] = []): SpawnSyncReturns<string> {
  const argv = [...prefix, 'bash', SCRIPT, ...args];
  return spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', env: { ...process.env, ...env }, cwd: ROOT });
}

/** Writes a fixture jest project (config with this repository's hooks + the given test files). */
function fixture(name: string, files: Record<string, string>, globalSetup = false): string {
  const project = path.join(dir, name);
  fs.mkdirSync(project);
  fs.chmodSync(project, 0o755);
  const config = {
    rootDir: project,
    testMatch: ['**/*.check.js'],
    testEnvironment: path.join(ROOT, 'scripts', 'jest-quiet-environment.js'),
    reporters: ['default', path.join(ROOT, 'scripts', 'jest-skip-reporter.js')],
    ...(globalSetup ? { globalSetup: path.join(ROOT, 'scripts', 'jest-host-tools.js') } : {}),
    cacheDirectory: path.join(project, '.cache'),
  };
  fs.writeFileSync(path.join(project, 'jest.config.json'), JSON.stringify(config));
  for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(project, f), text);
  return project;
}

function jest(project: string, env: Record<string, string> = {}, prefix: string[] = []): SpawnSyncReturns<string> {
  const argv = [...prefix, process.execPath, JEST, '--config', path.join(project, 'jest.config.json'), '--ci'];
  return spawnSync(argv[0], argv.slice(1), {
    encoding: 'utf8',
    cwd: project,
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
}

describe('scripts/host-tools.sh', () => {
  it('lists the packages once, each a Debian/Ubuntu package name', () => {
    const r = hostTools(['list']);
    const names = r.stdout.trim().split('\n');
    expect(r.status).toBe(0);
    expect(names).toEqual(expect.arrayContaining(['openssh-server', 'shellcheck', 'nftables', 'crudini']));
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^[a-z0-9][a-z0-9.+-]+$/);
  });

  it('finds nothing missing on a host where npm test ran its globalSetup (this one)', () => {
    const r = hostTools(['check']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(hostTools(['missing']).stdout).toBe('');
  });

  it('names exactly what is missing and the one command that installs it', () => {
    const r = hostTools(['check'], { OOA_HOST_TOOLS_ALSO: NO_SUCH });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`not installed: ${NO_SUCH}\n`);
    expect(hostTools(['missing'], { OOA_HOST_TOOLS_ALSO: NO_SUCH }).stdout).toBe(`${NO_SUCH}\n`);
  });

  it('refuses an unknown command with its usage', () => {
    const r = hostTools(['frobnicate']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/usage: .*host-tools\.sh list\|missing\|check\|install/);
  });

  itIf([needRoot()], AS_ROOT)('not root: install installs nothing and prints the sudo command', () => {
    const r = hostTools(['install'], { OOA_HOST_TOOLS_ALSO: NO_SUCH }, asNobody);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`not installed: ${NO_SUCH}\n`); // the rest is installed, also seen as nobody
    expect(r.stderr).toContain('\n    sudo bash scripts/host-tools.sh install\n');
    expect(r.stderr).toContain('without sudo: bash scripts/host-tools.sh install');
    expect(r.stderr).not.toContain('installing');
  });
});

describe('jest globalSetup (scripts/jest-host-tools.js)', () => {
  const files = { 'a.check.js': "test('ran', () => { require('fs').writeFileSync(__dirname + '/ran', ''); });\n" };

  itIf([needRoot()], AS_ROOT)('not root and a tool missing: no test runs, the command is printed', () => {
    const project = fixture('setup-refuses', files, true);
    fs.chmodSync(project, 0o777); // nobody's jest writes its cache there
    const r = jest(project, { OOA_HOST_TOOLS_ALSO: NO_SUCH }, asNobody);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`not installed: ${NO_SUCH}`);
    expect(r.stderr).toContain('sudo bash scripts/host-tools.sh install');
    expect(r.stderr).toContain('npm test stopped before running any test');
    expect(fs.existsSync(path.join(project, 'ran'))).toBe(false);
  });

  it('every tool there: the tests run', () => {
    const project = fixture('setup-passes', files, true);
    const r = jest(project);
    expect(r.stderr).toContain('1 passed');
    expect(r.status).toBe(0);
    expect(fs.existsSync(path.join(project, 'ran'))).toBe(true);
  });
});

describe('the quiet environment and the skip reporter', () => {
  const tests = [
    // The markers are put together at run time: jest's code frame of the failure shows the source.
    "test('passes', () => { process.stdout.write('::debug::' + 'from a pass' + 'ing test\\n'); });",
    "test('fails', () => { process.stdout.write('::debug::' + 'from a fail' + 'ing test\\n'); expect(1).toBe(2); });",
    `describe.skip(${JSON.stringify(skippedTitle('needs a thing', ['needs root'], AS_ROOT))}, () => { test('a', () => {}); test('b', () => {}); });`,
    "test.skip('plain skip', () => {});",
    "test('aws sdk notice off', () => { expect(process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED).toBe('true'); });",
  ].join('\n');
  let r: SpawnSyncReturns<string>;
  beforeAll(() => {
    r = jest(fixture('quiet', { 'a.check.js': tests }));
  });

  it('drops what a passing test printed, shows what a failing one printed, under its name', () => {
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).not.toContain('from a passing test');
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('--- stdout of the failed test "fails" ---\n::debug::from a failing test\n');
    expect(r.stderr).toMatch(/✓ aws sdk notice off/);
  });

  it('lists every skipped test with the reason and how to run it, and a bare skip as such', () => {
    expect(r.stderr).toContain('Skipped: 3 test(s), with why and how to run them:');
    expect(r.stderr).toContain(`a.check.js (2): needs root. To run it: ${AS_ROOT}\n`);
    expect(r.stderr).toContain('a.check.js (1): no reason given\n');
  });
});
