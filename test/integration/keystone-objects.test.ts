// The Keystone objects every API stage needs (lib-services.sh: ks_line, os_ensure_objects,
// os_ensure_api) against a real Keystone on loopback (test/helpers/keystone.ts), under real bash
// with lib.sh sourced as a stage does. What the stages created is read back through the Identity
// API from here, with plain HTTP and the users' own passwords. `python3` on PATH is a stand-in that
// records its argv and runs the real one, to see that no password travels on a command line.

import { spawnSync } from 'child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { generatePassword } from '../../src/core/secrets';
import { keystoneNeeds, startKeystone, TestKeystone } from '../helpers/keystone';
import { AS_ROOT, describeIf } from '../helpers/requires';

const LIB = join(__dirname, '../../src/stages/lib.sh');
const PUBLIC_ADDRESS = '203.0.113.10';
const MOVED_ADDRESS = '203.0.113.20';

const describeIfKeystone = describeIf(keystoneNeeds(), AS_ROOT);

interface Endpoint {
  id: string;
  interface: string;
  url: string;
  region_id: string;
}

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** The users' passwords, as the runner's settings file carries them (PASS_<USER>). */
const passwords: Record<string, string> = {
  PASS_DEMO: generatePassword(),
  PASS_GLANCE: generatePassword(),
  PASS_PLACEMENT: generatePassword(),
  PASS_PARTIAL: generatePassword(),
  PASS_LEAKY: generatePassword(),
  PASS_HEAT_CFN: generatePassword(),
};

describeIfKeystone('os_ensure_objects against a real Keystone', () => {
  let keystone: TestKeystone;
  let dir: string;
  /** Every stage call of this file, for the leak check. */
  const runs: Run[] = [];

  const file = (name: string) => join(dir, name);

  function writeSettings(publicAddress: string) {
    const values: Record<string, string> = {
      NODE_NAME: 'controller',
      NODE_ROLE: 'controller',
      OS_ID: 'debian-12',
      OS_FAMILY: 'debian',
      // The management name the internal and admin endpoints carry; nothing connects to them here.
      CONTROLLER_NAME: '127.0.0.1',
      PUBLIC_ADDRESS: publicAddress,
      PASS_ADMIN: keystone.adminPassword,
      ...passwords,
    };
    writeFileSync(
      file('settings.env'),
      Object.entries(values)
        .map(([k, v]) => `${k}='${v}'\n`)
        .join(''),
    );
  }

  /** The keystone stage's admin-openrc, pointing at this Keystone. */
  function writeAdminRc() {
    const rc = {
      OS_PROJECT_DOMAIN_NAME: 'Default',
      OS_USER_DOMAIN_NAME: 'Default',
      OS_PROJECT_NAME: 'admin',
      OS_USERNAME: 'admin',
      OS_PASSWORD: keystone.adminPassword,
      OS_AUTH_URL: keystone.authUrl,
      OS_IDENTITY_API_VERSION: '3',
      OS_INTERFACE: 'internal',
      OS_REGION_NAME: 'RegionOne',
    };
    writeFileSync(
      file('admin-openrc'),
      Object.entries(rc)
        .map(([k, v]) => `export ${k}=${v}\n`)
        .join(''),
      { mode: 0o600 },
    );
  }

  /**
   * python3 that records its argv (NUL-separated, one file per call), then runs the distribution's
   * (the one python3-keystoneauth1 is for, as on a node; not a pyenv or venv python of this host).
   */
  function writeRecordingPython() {
    mkdirSync(file('bin'));
    mkdirSync(file('argv'));
    writeFileSync(
      file('bin/python3'),
      `#!/bin/bash
printf '%s\\0' "$@" >"$(mktemp "$ARGV_DIR/call.XXXXXX")"
exec /usr/bin/python3 "$@"
`,
    );
    chmodSync(file('bin/python3'), 0o755);
  }

  /** The argv of every python3 call so far. */
  function pythonCalls(): string[][] {
    return readdirSync(file('argv')).map((f) =>
      readFileSync(join(file('argv'), f), 'utf8')
        .split('\0')
        .slice(0, -1),
    );
  }

  /**
   * A stage's lines after lib.sh, settings and the admin credentials (os_admin), under the stages'
   * shell options; then the number of changes the stage recorded (what stage_end counts).
   * The environment is a node's, not this host's: its system PATH (behind the python3 stand-in),
   * no proxy variables for keystoneauth, and a HOME without a .bashrc (bash reads ~/.bashrc when
   * its stdin is a socket, as Node's pipes are).
   */
  function stage(snippet: string): Run {
    const r = spawnSync(
      'bash',
      [
        '-c',
        `set -euo pipefail; . ${LIB}; load_settings; STAGE=objects; os_admin
${snippet}
echo "recorded ${'$'}{#CHANGES[@]} change(s)"`,
      ],
      {
        env: {
          PATH: `${file('bin')}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
          HOME: dir,
          OOA_SETTINGS: file('settings.env'),
          OOA_NICS: file('no-nics.env'),
          OOA_LOG_DIR: file('log'),
          OOA_ADMIN_RC: file('admin-openrc'),
          ARGV_DIR: file('argv'),
        },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    const run = { code: r.status, out: r.stdout, err: r.stderr };
    runs.push(run);
    return run;
  }

  /** A stage that must succeed: else its output and Keystone's side of it, in the test's failure. */
  function expectOk(run: Run) {
    if (run.code === 0 && run.err === '') return;
    throw new Error(`the stage failed (exit ${run.code}):\n${run.out}${run.err}\nKeystone's logs:\n${keystone.log()}`);
  }

  /** The `changed:` records of a stage's output (log lines "HH:MM:SS [objects] changed: ..."). */
  const changes = (run: Run) =>
    run.out
      .split('\n')
      .map((l) => /^\d\d:\d\d:\d\d \[objects\] changed: (.*)$/.exec(l)?.[1])
      .filter((c): c is string => c !== undefined);

  const recorded = (run: Run) => Number(/recorded (\d+) change\(s\)/.exec(run.out)?.[1] ?? NaN);

  /** The guide's Image service (glance.sh), after the keystone stage's own objects. */
  const GLANCE = `{
  ks_line project service "Service Project"
  ks_line project demo "Demo Project"
  ks_line role member
  ks_line role ResellerAdmin
  ks_line user demo PASS_DEMO
  ks_line grant demo demo member
} | os_ensure_objects
os_ensure_api glance PASS_GLANCE glance image "OpenStack Image" 9292`;

  async function one<T>(apiPath: string, key: string): Promise<T> {
    const list = (await keystone.get<Record<string, T[]>>(apiPath))[key];
    expect(list).toHaveLength(1);
    return list[0];
  }

  async function imageEndpoints(): Promise<Endpoint[]> {
    const service = await one<{ id: string }>('/services?type=image', 'services');
    return (await keystone.get<{ endpoints: Endpoint[] }>(`/endpoints?service_id=${service.id}`)).endpoints;
  }

  const byInterface = (eps: Endpoint[]) =>
    Object.fromEntries(eps.map((e) => [e.interface, e.url])) as Record<string, string>;
  const ids = (eps: Endpoint[]) => eps.map((e) => e.id).sort();

  beforeAll(async () => {
    keystone = await startKeystone('objects');
    dir = mkdtempSync(join(tmpdir(), 'ooa-ks-objects-'));
    mkdirSync(file('log'));
    writeSettings(PUBLIC_ADDRESS);
    writeAdminRc();
    writeRecordingPython();
  }, 120_000);

  afterAll(async () => {
    await keystone?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('creates the projects, role, users, grants, the Image service and its three endpoints, each reported', async () => {
    const run = stage(GLANCE);
    expectOk(run);
    expect(changes(run)).toEqual([
      'created project service',
      'created project demo',
      'created role ResellerAdmin',
      'created user demo',
      'granted member on demo to demo',
      'created user glance',
      'granted admin on service to glance',
      'created service glance (image)',
      `created public endpoint of image: https://${PUBLIC_ADDRESS}:13292`,
      'created internal endpoint of image: http://127.0.0.1:9292',
      'created admin endpoint of image: http://127.0.0.1:9292',
    ]);
    // The records land in the stage's CHANGES (not in a subshell's), so stage_end counts them.
    expect(recorded(run)).toBe(11);

    // Each user logs in with its own password, scoped to the project its grant gives it.
    await expect(keystone.token('glance', passwords.PASS_GLANCE, 'service')).resolves.not.toBe('');
    await expect(keystone.token('demo', passwords.PASS_DEMO, 'demo')).resolves.not.toBe('');
    const glance = await one<{ id: string }>('/users?name=glance&domain_id=default', 'users');
    const service = await one<{ id: string }>('/projects?name=service&domain_id=default', 'projects');
    const admin = await one<{ id: string }>('/roles?name=admin', 'roles');
    await one(
      `/role_assignments?user.id=${glance.id}&scope.project.id=${service.id}&role.id=${admin.id}`,
      'role_assignments',
    );
    await one('/roles?name=ResellerAdmin', 'roles');
    const image = await one<{ name: string }>('/services?type=image', 'services');
    expect(image.name).toBe('glance');
    const endpoints = await imageEndpoints();
    expect(endpoints).toHaveLength(3);
    expect(byInterface(endpoints)).toEqual({
      public: `https://${PUBLIC_ADDRESS}:13292`,
      internal: 'http://127.0.0.1:9292',
      admin: 'http://127.0.0.1:9292',
    });
    expect(endpoints.every((e) => e.region_id === 'RegionOne')).toBe(true);
  });

  it('run again, finds everything and changes nothing', async () => {
    const before = await imageEndpoints();
    const run = stage(GLANCE);
    expectOk(run);
    expect(changes(run)).toEqual([]);
    expect(recorded(run)).toBe(0);
    expect(await imageEndpoints()).toEqual(before);
    await one('/users?name=glance&domain_id=default', 'users');
    await one('/projects?name=demo&domain_id=default', 'projects');
  });

  it('moves an endpoint whose URL changed (the same endpoint, one per interface) and reports the move', async () => {
    const before = ids(await imageEndpoints());
    writeSettings(MOVED_ADDRESS);
    try {
      const run = stage('os_ensure_api glance PASS_GLANCE glance image "OpenStack Image" 9292');
      expectOk(run);
      expect(changes(run)).toEqual([`moved public endpoint of image to https://${MOVED_ADDRESS}:13292`]);
    } finally {
      writeSettings(PUBLIC_ADDRESS);
    }
    const after = await imageEndpoints();
    expect(after).toHaveLength(3);
    expect(byInterface(after)).toEqual({
      public: `https://${MOVED_ADDRESS}:13292`,
      internal: 'http://127.0.0.1:9292',
      admin: 'http://127.0.0.1:9292',
    });
    // PATCHed in place: the same three endpoint ids as before.
    expect(ids(after)).toEqual(before);
  });

  it('a failure after a create still reports the create as changed, then stops the stage naming the objects', async () => {
    const run = stage(`{
  ks_line user partial PASS_PARTIAL
  ks_line grant partial no-such-project member
} | os_ensure_objects`);
    expect(run.code).not.toBe(0);
    const lines = run.out.split('\n');
    const created = lines.findIndex((l) => l.endsWith('[objects] changed: created user partial'));
    // The message names the objects of the spec (how they are joined is not the point here).
    const refused = lines.findIndex((l) =>
      /ERROR: the Identity API refused a get-or-create \(objects: user partial\W+grant partial\W*\)$/.test(l),
    );
    expect(changes(run)).toEqual(['created user partial']);
    expect(created).toBeGreaterThanOrEqual(0);
    expect(refused).toBeGreaterThan(created);
    // The stage stopped there: no line of the snippet after os_ensure_objects ran.
    expect(run.out).not.toContain('recorded ');
    // The user the stage reported is there, with its password.
    await expect(keystone.token('partial', passwords.PASS_PARTIAL)).resolves.not.toBe('');
  });

  it('puts no password in its output or on a command line', async () => {
    const callsBefore = pythonCalls().length;
    expectOk(stage('os_ensure_api placement PASS_PLACEMENT placement placement "Placement API" 8778'));
    // A user name that is no shell identifier (Heat's heat-cfn): its password must not end up in
    // bash's "not a valid identifier" message.
    expectOk(stage('ks_line user heat-cfn PASS_HEAT_CFN | os_ensure_objects'));
    // A failure too: Python's traceback is in the output then.
    const failed = stage(`{
  ks_line user leaky PASS_LEAKY
  ks_line grant leaky no-such-project member
} | os_ensure_objects`);
    expect(failed.code).not.toBe(0);
    expect(failed.err).toContain('Traceback');
    // The passwords did reach Keystone (through the environment).
    await expect(keystone.token('placement', passwords.PASS_PLACEMENT, 'service')).resolves.not.toBe('');
    await expect(keystone.token('leaky', passwords.PASS_LEAKY)).resolves.not.toBe('');
    await expect(keystone.token('heat-cfn', passwords.PASS_HEAT_CFN)).resolves.not.toBe('');

    const calls = pythonCalls();
    // The stand-in saw these calls, so the argv check below looks at something.
    expect(calls.length).toBeGreaterThanOrEqual(callsBefore + 3);
    // Where a password shows, by name only: a failure message must not print the value either.
    const secrets: Record<string, string> = { PASS_ADMIN: keystone.adminPassword, ...passwords };
    const leaks: string[] = [];
    for (const [name, secret] of Object.entries(secrets)) {
      runs.forEach((run, i) => {
        if (run.out.includes(secret)) leaks.push(`${name} in the stdout of stage call ${i + 1}`);
        if (run.err.includes(secret)) leaks.push(`${name} in the stderr of stage call ${i + 1}`);
      });
      calls.forEach((argv, i) => {
        if (argv.some((a) => a.includes(secret))) leaks.push(`${name} in the argv of python3 call ${i + 1}`);
      });
    }
    expect(leaks).toEqual([]);
  });
});
