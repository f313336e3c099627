// The CLI as a user runs it: a real node process on the sources (test/helpers/ts-register.js), its
// exit code, standard output and error, and the files it leaves (none for help, errors and plan).
// The built bundle is run from a folder without action.yml to prove it carries the input docs.
// Teardown's clean-up of the key and credential files runs in-process with a stub provider.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs, runCli } from '../../src/cli';
import { InputError, markCreatedNothing } from '../../src/core/errors';
import { inputDocs } from '../../src/core/input-docs';
import { Inputs } from '../../src/core/names';
import { PRIVATE_KEY_FILE } from '../../src/core/work-files';
import type { Provider } from '../../src/provider';
import { settingsToJson } from '../../src/settings/inputs';
import { settingsFrom } from '../helpers/inputs';

const ROOT = path.join(__dirname, '../..');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-cli-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** Every file under dir (relative), to prove a command wrote none. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).map((e) => path.join(e.parentPath, e.name));
}

/** Runs the CLI from the sources in a fresh process with its own HOME and no AWS or workflow variables. */
function cli(args: string[], home = fs.mkdtempSync(path.join(scratch, 'home-'))) {
  const r = spawnSync(process.execPath, ['-r', path.join(ROOT, 'test/helpers/ts-register.js'), 'src/cli.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: home },
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, home };
}

describe('cli arguments', () => {
  it('maps flags to input names and the command to the mode', () => {
    const a = parseArgs([
      'plan',
      '--release',
      '2024.1',
      '--os=ubuntu-24.04',
      '--topology',
      'full',
      '--state-dir',
      '/tmp/x',
    ]);
    expect(a.command).toBe('plan');
    expect(a.inputs).toEqual({ mode: 'plan', release: '2024.1', os: 'ubuntu-24.04', topology: 'full' });
    expect(a.stateDir).toBe('/tmp/x');
    expect(parseArgs(['plan', '--json']).json).toBe(true);
    expect(parseArgs(['up', '--help']).help).toBe(true);
  });

  it('refuses unknown commands and flags, naming the closest one', () => {
    expect(() => parseArgs(['deploy'])).toThrow(/unknown command 'deploy'[\s\S]*usage/);
    expect(() => parseArgs(['pln'])).toThrow(/unknown command 'pln'; did you mean plan\?/);
    expect(() => parseArgs(['plan', '--releas', '2024.1'])).toThrow(/^unknown flag --releas; did you mean --release\?/);
    expect(() => parseArgs(['plan', '--compute-cuont', '2'])).toThrow(/did you mean --compute-count\?/);
    expect(() => parseArgs(['plan', '--state-dri', 'x'])).toThrow(/did you mean --state-dir\?/);
    expect(() => parseArgs(['plan', '--colour', 'red'])).toThrow(/^unknown flag --colour\n/);
    expect(() => parseArgs(['plan', '--release'])).toThrow(/--release needs a value/);
    expect(() => parseArgs(['plan', '--mode', 'up'])).toThrow(/unknown flag --mode/);
    expect(() => parseArgs(['up', '--json'])).toThrow(/--json is for plan only/);
  });
});

describe('help', () => {
  const docs = inputDocs();

  it('--help lists every command and every input with its description and default', () => {
    const r = cli(['--help']);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/^usage: openstack-on-aws <plan\|up\|down\|sweep>/);
    for (const c of ['plan', 'up', 'down', 'sweep']) expect(r.stdout).toMatch(new RegExp(`^  ${c}$`, 'm'));
    const flat = r.stdout.replace(/\n\s+/g, ' ');
    for (const d of docs.filter((x) => x.name !== Inputs.Mode)) {
      expect(r.stdout).toContain(`  --${d.name} <value>\n`);
      expect(flat).toContain(d.description.replace(/\s+/g, ' '));
      if (d.default && !d.default.includes('${{')) expect(flat).toContain(`(default: ${d.default})`);
    }
    expect(flat).toContain('(default: 8.8.8.8)');
    expect(flat).toContain('(default in a workflow: ${{ github.token }}; in the CLI: none)');
    expect(filesUnder(r.home)).toEqual([]);
  });

  it('<command> --help answers with that command and every input (it used to fail)', () => {
    const r = cli(['up', '--help']);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/^usage: openstack-on-aws up /);
    expect(r.stdout).toMatch(/tear down as --teardown says/);
    for (const d of docs.filter((x) => x.name !== Inputs.Mode)) expect(r.stdout).toContain(`  --${d.name} <value>\n`);
    expect(filesUnder(r.home)).toEqual([]);
  });

  it('takes the input docs from action.yml through npm run docs (the generated file is fresh)', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const docsScript = require('../../scripts/docs.js') as { renderInputDocs: () => string; INPUT_DOCS_FILE: string };
    expect(fs.readFileSync(docsScript.INPUT_DOCS_FILE, 'utf8')).toBe(docsScript.renderInputDocs());
    expect(docs.map((d) => d.name).sort()).toEqual(Object.values(Inputs).sort());
  });

  it('the built bundle answers --help with every input from a folder without action.yml', () => {
    const bundle = path.join(ROOT, 'dist/cli/index.js');
    const alone = fs.mkdtempSync(path.join(scratch, 'bundle-'));
    fs.copyFileSync(bundle, path.join(alone, 'index.js'));
    const r = spawnSync(process.execPath, [path.join(alone, 'index.js'), 'plan', '--help'], {
      cwd: alone,
      encoding: 'utf8',
    });
    expect([r.status, r.stderr]).toEqual([0, '']);
    for (const d of docs.filter((x) => x.name !== Inputs.Mode)) expect(r.stdout).toContain(`  --${d.name} <value>\n`);
  });
});

describe('a refused input', () => {
  it('up --stack-id ../../x prints the input error only: no path built from it, no teardown', () => {
    // A state file where the raw id would have led: the old CLI read it and "tore down" its stack.
    const stateDir = path.join(scratch, 'refused', 'a', 'b');
    fs.mkdirSync(stateDir, { recursive: true });
    const bait = path.join(scratch, 'refused', 'x.state.json');
    const baitText = JSON.stringify({ settings: settingsToJson(settingsFrom({ 'stack-id': 'victim' })) });
    fs.writeFileSync(bait, baitText);
    const r = cli(['up', '--stack-id', '../../x', '--state-dir', stateDir]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: Input 'stack-id' has the value '\.\.\/\.\.\/x'[^\n]*Accepted: [^\n]*\n$/);
    expect(r.stderr).not.toMatch(/tear|victim/i);
    expect(fs.readFileSync(bait, 'utf8')).toBe(baitText);
    expect(filesUnder(stateDir)).toEqual([]);
  });

  it('an unknown flag names the closest one, and nothing else happens', () => {
    const r = cli(['plan', '--releas', '2024.1']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: unknown flag --releas; did you mean --release\?\n/);
    expect(filesUnder(r.home)).toEqual([]);
  });
});

describe('plan', () => {
  it('prints the plan as text, names the stack after the provider, and writes no file', () => {
    const r = cli(['plan', '--topology', 'full']);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/^Stack ec2-[a-z0-9]+ on aws in us-east-1$/m);
    expect(r.stdout).not.toContain('local-');
    expect(r.stdout).toMatch(/^ {2}object2 \(object\)/m);
    expect(r.stdout).not.toMatch(/^output plan:/m);
    expect(filesUnder(r.home)).toEqual([]);
  });

  it('--json prints the Plan alone on standard output (the log on standard error), and writes no file', () => {
    const r = cli(['plan', '--json', '--provider', 'local', '--image-url', 'file:///var/tmp/x.img']);
    expect(r.status).toBe(0);
    const plan = JSON.parse(r.stdout) as { stackId: string; provider: string; nodes: unknown[] };
    expect(plan.provider).toBe('local');
    expect(plan.stackId).toMatch(/^local-[a-z0-9]+$/);
    expect(plan.nodes.length).toBeGreaterThan(1);
    expect(r.stderr).toMatch(/^Stack local-[a-z0-9]+ on local$/m);
    expect(filesUnder(r.home)).toEqual([]);
  });
});

describe('teardown removes the key and the credential files kept on this machine', () => {
  const stub = (deleted: string[]): Provider => ({
    up: async () => {
      throw new Error('unused');
    },
    down: async (stackId) => {
      deleted.push(stackId);
      return { stackId, deleted: [{ kind: 'vpc', id: 'vpc-1' }], leftovers: [], seconds: 1 };
    },
    sweep: async () => [],
  });

  /** What an earlier `up --teardown never` leaves: the outputs file, the key and the credentials. */
  function keptStack(stateDir: string, id: string) {
    const work = path.join(stateDir, 'openstack-on-aws', id);
    fs.mkdirSync(work, { recursive: true });
    const files = ['id_ed25519', 'clouds.yaml', 'admin-openrc.sh'].map((f) => path.join(work, f));
    for (const f of files) fs.writeFileSync(f, 'secret', { mode: 0o600 });
    const junit = path.join(work, 'junit.xml');
    fs.writeFileSync(junit, '<testsuites/>');
    const outputs = path.join(stateDir, `${id}.outputs.json`);
    fs.writeFileSync(
      outputs,
      JSON.stringify({ 'admin-password': 'hunter2hunter2', 'ssh-key-path': files[0], timings: '{"stage":{}}' }),
    );
    return { files, junit, outputs };
  }

  it('down --stack-id deletes them after the stack', async () => {
    const stateDir = fs.mkdtempSync(path.join(scratch, 'down-'));
    const kept = keptStack(stateDir, 'kept');
    const deleted: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const code = await runCli(['down', '--stack-id', 'kept', '--state-dir', stateDir], {
        providerFor: () => stub(deleted),
      });
      expect(code).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(deleted).toEqual(['kept']);
    for (const f of kept.files) expect(fs.existsSync(f)).toBe(false);
    // The outputs file keeps what is not a credential (e2e:local reads the timings from it).
    expect(JSON.parse(fs.readFileSync(kept.outputs, 'utf8'))).toEqual({ 'stack-id': 'kept', timings: '{"stage":{}}' });
    // Not secret (masked): kept for the user.
    expect(fs.existsSync(kept.junit)).toBe(true);
  });

  it('down that fails before deleting anything keeps them (the stack still stands)', async () => {
    const stateDir = fs.mkdtempSync(path.join(scratch, 'down-fail-'));
    const kept = keptStack(stateDir, 'stands');
    const broken: Provider = {
      ...stub([]),
      down: async () => {
        throw new Error('ExpiredToken: the credentials have expired');
      },
    };
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(
        await runCli(['down', '--stack-id', 'stands', '--state-dir', stateDir], { providerFor: () => broken }),
      ).toBe(1);
    } finally {
      spy.mockRestore();
    }
    for (const f of kept.files) expect(fs.existsSync(f)).toBe(true);
    expect(JSON.parse(fs.readFileSync(kept.outputs, 'utf8'))).toHaveProperty('admin-password');
  });
});

describe('up then teardown in a terminal', () => {
  it('deletes the key and scrubs the credentials from the outputs file once its own teardown ran', async () => {
    const stateDir = fs.mkdtempSync(path.join(scratch, 'up-'));
    // As an earlier run of the same id left it (outputs are merged into the file).
    const outputsFile = path.join(stateDir, 'brief.outputs.json');
    fs.writeFileSync(outputsFile, JSON.stringify({ 'admin-password': 'hunter2hunter2' }));
    const failing: Provider = {
      up: async () => {
        throw new Error('InsufficientInstanceCapacity in every zone');
      },
      down: async (stackId) => ({ stackId, deleted: [], leftovers: [], seconds: 0 }),
      sweep: async () => [],
    };
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let code: number;
    try {
      code = await runCli(['up', '--stack-id', 'brief', '--state-dir', stateDir], { providerFor: () => failing });
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
    expect(code).toBe(1);
    const work = path.join(stateDir, 'openstack-on-aws', 'brief');
    expect(fs.existsSync(work)).toBe(true);
    expect(fs.existsSync(path.join(work, 'id_ed25519'))).toBe(false);
    const outputs = JSON.parse(fs.readFileSync(outputsFile, 'utf8')) as Record<string, string>;
    expect(outputs['stack-id']).toBe('brief');
    expect(outputs).not.toHaveProperty('admin-password');
  });
});

describe('an input the provider refuses (before it creates anything)', () => {
  it('ends up with the input error and starts no teardown', async () => {
    const stateDir = fs.mkdtempSync(path.join(scratch, 'preflight-'));
    const downs: string[] = [];
    const picky: Provider = {
      // As the AWS provider's preflight does: the refusal is marked as made before creating anything.
      up: async () => {
        throw markCreatedNothing(
          new InputError(
            Inputs.Ami,
            'ami-0123456789abcdef0',
            'an AMI id visible in the region',
            'EC2 does not know it',
          ),
        );
      },
      down: async (stackId) => {
        downs.push(stackId);
        return { stackId, deleted: [], leftovers: [], seconds: 0 };
      },
      sweep: async () => [],
    };
    const printed: string[] = [];
    const capture = (chunk: string | Uint8Array) => {
      printed.push(String(chunk));
      return true;
    };
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
    let code: number;
    try {
      code = await runCli(['up', '--stack-id', 'picky', '--ami', 'ami-0123456789abcdef0', '--state-dir', stateDir], {
        providerFor: () => picky,
      });
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
    expect(code).toBe(1);
    expect(downs).toEqual([]);
    const text = printed.join('');
    expect(text).toContain("error: Input 'ami' has the value 'ami-0123456789abcdef0': EC2 does not know it.");
    expect(text).not.toMatch(/tearing down/i);
    expect(text).toMatch(
      /Nothing to tear down for stack picky: the run stopped in its preflight, before it created anything/,
    );
    // The key made for the stack goes with the refused run.
    expect(
      fs
        .readdirSync(stateDir, { recursive: true })
        .map(String)
        .filter((f) => f.endsWith(PRIVATE_KEY_FILE)),
    ).toEqual([]);
  });
});

describe('npm run e2e:local -- --help', () => {
  it('answers at once: spawns nothing (no build, no image) and documents --tempest smoke', () => {
    // With an empty PATH every child process the run starts (node for the build, bash for the image)
    // would fail: a zero exit proves the help came first.
    const empty = fs.mkdtempSync(path.join(scratch, 'no-path-'));
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/e2e-local.js'), '--help'], {
      encoding: 'utf8',
      env: { PATH: empty },
    });
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/^usage: npm run e2e:local /);
    expect(r.stdout).toMatch(/^ {2}npm run e2e:local -- --tempest smoke +also install and run Tempest's smoke set$/m);
    for (const d of inputDocs().filter((x) => !['mode', 'stack-id'].includes(x.name)))
      expect(r.stdout).toMatch(new RegExp(`^  --${d.name}\\b`, 'm'));
  });
});
