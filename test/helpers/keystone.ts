// A real Keystone for tests: Debian's python3-keystone (keystone-manage and its wsgiref test
// server, keystone-wsgi-public) on 127.0.0.1 and a free port, with SQLite, the Fernet and
// credential key repositories and its logs all in one temp dir; no memcached, no system service
// (the package starts none). Bootstrapped as the keystone stage does it (admin, RegionOne, the
// identity endpoints). Stopped by the PID this helper started, never by name. Loopback only.

import { ChildProcess, execFile, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { generatePassword } from '../../src/core/secrets';
import { needFile, Unmet } from './requires';
import { freePort } from './sshd';

const MANAGE = '/usr/bin/keystone-manage';
const SERVER = '/usr/bin/keystone-wsgi-public';
const HOST = '127.0.0.1';

/** What a test Keystone needs: the server, keystone-manage, and the client the stages use. */
export function keystoneNeeds(): Unmet[] {
  return [
    needFile(MANAGE, 'python3-keystone'),
    needFile(SERVER, 'python3-keystone'),
    needFile('/usr/lib/python3/dist-packages/keystoneauth1/session.py', 'python3-keystoneauth1'),
  ];
}

export interface TestKeystone {
  /** http://127.0.0.1:PORT/v3 (OS_AUTH_URL). */
  authUrl: string;
  adminPassword: string;
  /** A token for a user's password: scoped to the project (Default domain) when one is named. */
  token(user: string, password: string, project?: string): Promise<string>;
  /** GET of an Identity API path (e.g. "/endpoints?interface=public") with the admin's token. */
  get<T>(apiPath: string): Promise<T>;
  /** The ends of Keystone's log and its server's (the traceback of a 500), for a failing test. */
  log(): string;
  /** Stops the server (by PID) and deletes the temp dir. */
  dispose(): Promise<void>;
}

function keystoneConf(dir: string): string {
  // The cache in the server's memory (no memcached here; a node caches in memcached): without one,
  // each request spends ~1 s looking up the token's roles in SQLite. bcrypt's fewest rounds: every
  // token issued costs a hash of the password (~0.3 s at the default 12). The log goes to a file.
  return `[DEFAULT]
log_file = ${dir}/keystone.log
use_stderr = false
[database]
connection = sqlite:///${dir}/keystone.db
[identity]
password_hash_rounds = 4
[token]
provider = fernet
[fernet_tokens]
key_repository = ${dir}/fernet-keys
[credential]
key_repository = ${dir}/credential-keys
[cache]
enabled = true
backend = dogpile.cache.memory
`;
}

/** One keystone-manage command; its output (eventlet noise on exit) is shown only when it fails. */
function manage(conf: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      MANAGE,
      ['--config-file', conf, ...args],
      { env: { ...process.env, ...env }, timeout: 120_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`keystone-manage ${args[0]} failed: ${error.message}\n${stdout}${stderr}`));
        else resolve();
      },
    );
  });
}

/**
 * SQLite's write-ahead log (it stays set in the file): in its default journal a commit of the
 * server fails with "database is locked" while another of its connections still reads.
 */
function walJournal(db: string): void {
  execFileSync('/usr/bin/python3', [
    '-c',
    'import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute("PRAGMA journal_mode=WAL")',
    db,
  ]);
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tail(file: string, lines = 30): string {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n') : '';
}

async function waitForApi(authUrl: string, child: ChildProcess, dir: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) {
      throw new Error(`keystone-wsgi-public exited with ${child.exitCode}:\n${tail(`${dir}/server.log`)}`);
    }
    try {
      if ((await fetch(authUrl)).ok) return;
    } catch {
      // not listening yet
    }
    await delay(100);
  }
  throw new Error(`Keystone on ${authUrl} did not answer in 60 s:\n${tail(`${dir}/keystone.log`)}`);
}

/** Stops the server by its PID (child.kill): SIGTERM, SIGKILL if still there after 5 s. */
async function stop(child: ChildProcess): Promise<void> {
  // exitCode and signalCode are set as 'exit' is emitted: unset, the listener below will see it.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const late = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(late);
}

export async function startKeystone(id: string): Promise<TestKeystone> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ooa-keystone-${id}-`));
  const conf = path.join(dir, 'keystone.conf');
  fs.writeFileSync(conf, keystoneConf(dir));
  const port = await freePort(HOST);
  const authUrl = `http://${HOST}:${port}/v3`;
  const adminPassword = generatePassword();
  // The key repositories belong to whoever runs the tests (keystone-manage chowns them to this).
  const me = os.userInfo().username;
  const group = execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim();
  let server: ChildProcess | undefined;
  try {
    // Each keystone-manage run spends ~5 s importing Keystone: the three independent ones at once.
    await Promise.all([
      manage(conf, ['db_sync']).then(() => walJournal(path.join(dir, 'keystone.db'))),
      manage(conf, ['fernet_setup', '--keystone-user', me, '--keystone-group', group]),
      manage(conf, ['credential_setup', '--keystone-user', me, '--keystone-group', group]),
    ]);
    // The server imports as long again and touches the database only per request: it starts while
    // bootstrap runs. Bootstrap takes the password from the environment, as the keystone stage does.
    const log = fs.openSync(path.join(dir, 'server.log'), 'a');
    server = spawn(SERVER, ['--host', HOST, '--port', String(port)], {
      env: { ...process.env, OS_KEYSTONE_CONFIG_FILES: conf },
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    const running = server;
    await Promise.all([
      manage(
        conf,
        [
          'bootstrap',
          '--bootstrap-admin-url',
          `${authUrl}/`,
          '--bootstrap-internal-url',
          `${authUrl}/`,
          '--bootstrap-public-url',
          `${authUrl}/`,
          '--bootstrap-region-id',
          'RegionOne',
        ],
        { OS_BOOTSTRAP_PASSWORD: adminPassword },
      ),
      waitForApi(authUrl, running, dir),
    ]);
  } catch (e) {
    if (server) await stop(server);
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const child = server;

  async function token(user: string, password: string, project?: string): Promise<string> {
    const scope = project ? { project: { name: project, domain: { id: 'default' } } } : undefined;
    const r = await fetch(`${authUrl}/auth/tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: { methods: ['password'], password: { user: { name: user, domain: { id: 'default' }, password } } },
          ...(scope ? { scope } : {}),
        },
      }),
    });
    // The status only: the body of a refusal is not needed, and the request carried a password.
    if (r.status !== 201) throw new Error(`Keystone refused a token for ${user} (HTTP ${r.status})`);
    return r.headers.get('x-subject-token') ?? '';
  }

  let adminToken: string | undefined;
  return {
    authUrl,
    adminPassword,
    token,
    async get<T>(apiPath: string): Promise<T> {
      adminToken ??= await token('admin', adminPassword, 'admin');
      const r = await fetch(`${authUrl}${apiPath}`, { headers: { 'X-Auth-Token': adminToken } });
      if (!r.ok) throw new Error(`GET ${apiPath}: HTTP ${r.status} ${await r.text()}`);
      return (await r.json()) as T;
    },
    log: () => `${tail(path.join(dir, 'keystone.log'))}\n${tail(path.join(dir, 'server.log'))}`,
    async dispose() {
      await stop(child);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
