// The path every real image takes: log in as an ordinary user (ubuntu, admin, rocky) and run as
// root through `sudo -n`. Needs sudo (apt: sudo); the test creates the user ooa-ssh-test and its
// sudoers drop-in when missing and removes what it created.

import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import { RemoteCommandError } from '../../src/core/errors';
import { SshSession } from '../../src/remote/session';
import { generatePassword } from '../../src/core/secrets';
import { alive, sshdNeeds, startSshd, TestSshd } from '../helpers/sshd';
import { AS_ROOT, describeIf, needFile } from '../helpers/requires';

const USER = 'ooa-ssh-test';
const SUDOERS = `/etc/sudoers.d/${USER}`;
const describeIfSudo = describeIf(
  [...sshdNeeds(), needFile('/usr/bin/sudo', 'sudo'), needFile('/usr/sbin/useradd', 'passwd')],
  AS_ROOT,
);

describeIfSudo('SshSession as a non-root user through sudo -n', () => {
  let server: TestSshd;
  let session: SshSession;
  let createdUser = false;
  let createdSudoers = false;
  const lines: string[] = [];

  beforeAll(async () => {
    server = await startSshd({ id: 'sudo', recordCommands: true });
    // sshd reads authorized_keys as the user: let it in (the file holds a public key only).
    fs.chmodSync(server.dir, 0o755);
    fs.chmodSync(`${server.dir}/authorized_keys`, 0o644);
    if (spawnSync('id', ['-u', USER]).status !== 0) {
      execFileSync('useradd', ['--system', '--shell', '/bin/bash', '--home-dir', server.dir, '--no-create-home', USER]);
      createdUser = true;
    }
    // '*' instead of useradd's '!': sshd refuses a locked account even for key logins without PAM.
    execFileSync('usermod', ['-p', '*', USER]);
    if (!fs.existsSync(SUDOERS)) {
      fs.writeFileSync(SUDOERS, `${USER} ALL=(ALL) NOPASSWD: ALL\n`, { mode: 0o440 });
      createdSudoers = true;
      execFileSync('visudo', ['-c', '-f', SUDOERS]);
    }
    session = new SshSession(
      {
        node: 'compute1',
        host: server.host,
        port: server.port,
        user: USER,
        privateKey: server.key.privateKey,
        hostKey: server.hostKey.publicKey,
      },
      {
        io: { info: (m) => lines.push(m), warning: (m) => lines.push(m) },
        execRunDir: `${server.dir}/run`,
        policy: { attempts: 3 },
      },
    );
    await session.connect();
  });

  afterAll(async () => {
    await session?.close();
    await server?.dispose();
    if (createdSudoers) fs.rmSync(SUDOERS, { force: true });
    if (createdUser) execFileSync('userdel', [USER]);
  });

  test('commands run as root, started by sudo for the login user', async () => {
    const r = await session.exec('echo "$(id -u) $SUDO_USER"');
    expect(r.stdout).toBe(`0 ${USER}\n`);
    const commands = server.commands();
    expect(commands.length).toBeGreaterThanOrEqual(2); // the cloud-init probe and this one
    expect(commands.every((c) => c.startsWith('sudo -n bash -c '))).toBe(true);
  });

  test('exit codes and the error tail pass through sudo', async () => {
    const e = (await session
      .exec('echo last words; exit 9', { stage: 'glance' })
      .catch((x: unknown) => x)) as RemoteCommandError;
    expect(e).toBeInstanceOf(RemoteCommandError);
    expect([e.node, e.stage, e.exitCode, e.tail]).toEqual(['compute1', 'glance', 9, 'last words']);
  });

  test('writeFile makes a root-owned 0600 file; the content is on no command line', async () => {
    const secret = generatePassword();
    const target = `${server.dir}/etc/settings.env`;
    await session.writeFile(target, `PASS='${secret}'\n`);
    const st = fs.statSync(target);
    expect([st.uid, st.mode & 0o777]).toEqual([0, 0o600]);
    expect(server.commands().some((c) => c.includes('settings.env'))).toBe(true);
    expect(server.commands().filter((c) => c.includes(secret))).toEqual([]);
  });

  test('a time-out kills the root-owned process group started through sudo', async () => {
    const marker = `${5000 + Math.floor(Math.random() * 1000)}.25`;
    const e = (await session
      .exec(`sleep ${marker} & sleep ${marker}; wait`, { timeoutMs: 1500, stage: 'horizon' })
      .catch((x: unknown) => x)) as RemoteCommandError;
    expect([e.stage, e.timedOut]).toEqual(['horizon', true]);
    const left = fs
      .readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p) && alive(Number(p)))
      .filter((p) => {
        try {
          return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`sleep\0${marker}`);
        } catch {
          return false;
        }
      });
    expect(left).toEqual([]);
  });
});
