// The SSH layer against a real OpenSSH server on loopback: exit codes, streaming, the error a user
// sees, time-outs that really kill the remote process, reconnect after a server restart, file upload
// with its mode and without content on any command line.

import * as fs from 'fs';
import * as os from 'os';
import { randomBytes } from 'crypto';
import { RemoteCommandError } from '../../src/core/errors';
import { SshSession } from '../../src/remote/session';
import { generatePassword, generateSshKey } from '../../src/core/secrets';
import { alive, freePort, sshdNeeds, startSshd, TestSshd } from '../helpers/sshd';
import { AS_ROOT, describeIf } from '../helpers/requires';

const describeIfSshd = describeIf(sshdNeeds(), AS_ROOT);

function recordingIo() {
  const lines: string[] = [];
  return { lines, io: { info: (m: string) => lines.push(m), warning: (m: string) => lines.push(`warning: ${m}`) } };
}

/** Processes whose command line contains marker (read from /proc; the server runs on this host). */
function processesWith(marker: string): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(marker) && alive(Number(entry))) out.push(Number(entry));
    } catch {
      // gone while we looked
    }
  }
  return out;
}

describeIfSshd('SshSession against a real sshd', () => {
  let server: TestSshd;
  let session: SshSession;
  const { io, lines } = recordingIo();

  beforeAll(async () => {
    server = await startSshd({ id: 'session', recordCommands: true });
    session = new SshSession(
      {
        node: 'controller',
        host: server.host,
        port: server.port,
        user: server.user,
        privateKey: server.key.privateKey,
        hostKey: server.hostKey.publicKey,
      },
      { io, execRunDir: `${server.dir}/run` },
    );
    await session.connect();
  });

  afterAll(async () => {
    await session?.close();
    await server?.dispose();
  });

  test('runs a command as root in bash and returns its exit code and output', async () => {
    const r = await session.exec('id -u; echo "$BASH_VERSION" | cut -c1; echo err >&2');
    expect(r).toEqual({ code: 0, stdout: '0\n5\n', stderr: 'err\n' });
  });

  test('a non-zero exit throws RemoteCommandError with node, stage, exit code and the last 40 lines', async () => {
    const err = await session
      .exec('for i in $(seq 1 100); do echo "line $i"; done; echo "boom" >&2; exit 3', { stage: 'keystone' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteCommandError);
    const e = err as RemoteCommandError;
    expect([e.node, e.stage, e.exitCode, e.timedOut]).toEqual(['controller', 'keystone', 3, false]);
    const tail = e.tail.split('\n');
    expect(tail).toHaveLength(40);
    expect(tail[0]).toBe('line 62');
    expect(tail[38]).toBe('line 100');
    expect(tail[39]).toBe('boom');
    expect(e.message).toContain("Exit code 3 in stage 'keystone' on node 'controller'");
    expect(e.message).toContain('line 100');
    expect(e.message).not.toContain('line 61\n');
  });

  test('allowFailure returns the result instead of throwing', async () => {
    const r = await session.exec('echo out; exit 7', { allowFailure: true });
    expect(r.code).toBe(7);
    expect(r.stdout).toBe('out\n');
  });

  test('the stage name defaults to the command first word', async () => {
    const e = (await session.exec('false && true', {}).catch((x: unknown) => x)) as RemoteCommandError;
    expect(e.stage).toBe('false');
  });

  test('streams output while the command is still running', async () => {
    // The command prints, then blocks until the test creates a file it can only create after it saw
    // the first chunk: the test passes only if the chunk arrived before the command ended.
    const gate = `${server.dir}/gate-${randomBytes(4).toString('hex')}`;
    const chunks: string[] = [];
    let seenFirst = false;
    const done = session.exec(`echo first; while [ ! -e ${gate} ]; do sleep 0.05; done; echo second`, {
      onOutput: (c) => {
        chunks.push(c);
        if (!seenFirst && chunks.join('').includes('first')) {
          seenFirst = true;
          fs.writeFileSync(gate, '');
        }
      },
    });
    const r = await done;
    expect(seenFirst).toBe(true);
    expect(chunks.join('')).toBe('first\nsecond\n');
    expect(r.stdout).toBe('first\nsecond\n');
  });

  test('passes standard input to the command', async () => {
    const r = await session.exec('tr a-z A-Z', { stdin: 'hello\n' });
    expect(r.stdout).toBe('HELLO\n');
  });

  test('a time-out kills the whole remote process group and throws with timedOut', async () => {
    const marker = `${3000 + Math.floor(Math.random() * 1000)}.${Math.floor(Math.random() * 1e6)}`;
    const started = `${server.dir}/started-${marker}`;
    const err = await session
      .exec(`sleep ${marker} & sleep ${marker} & touch ${started}; echo waiting; wait`, {
        stage: 'nova-controller',
        timeoutMs: 1500,
      })
      .catch((e: unknown) => e);
    expect(fs.existsSync(started)).toBe(true); // it really ran
    expect(err).toBeInstanceOf(RemoteCommandError);
    const e = err as RemoteCommandError;
    expect([e.node, e.stage, e.exitCode, e.timedOut]).toEqual(['controller', 'nova-controller', null, true]);
    expect(e.tail).toContain('waiting');
    expect(processesWith(`sleep ${marker}`)).toEqual([]);
    // The session stays usable.
    expect((await session.exec('echo still here')).stdout).toBe('still here\n');
  });

  test('writeFile creates a root-owned 0600 file and no command line carries the content', async () => {
    const secret = generatePassword();
    const target = `${server.dir}/etc/openstack-on-aws/settings.env`;
    await session.writeFile(target, `ADMIN_PASSWORD=${secret}\n`);
    const st = fs.statSync(target);
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.uid).toBe(0);
    expect(fs.readFileSync(target, 'utf8')).toBe(`ADMIN_PASSWORD=${secret}\n`);
    const commands = server.commands();
    expect(commands.some((c) => c.includes('settings.env'))).toBe(true); // the upload was recorded
    expect(commands.filter((c) => c.includes(secret))).toEqual([]);
    expect(server.log()).not.toContain(secret);
    expect(lines.join('\n')).not.toContain(secret);
  });

  test('writeFile honours another mode, replaces content, and readFile returns exact bytes', async () => {
    const target = `${server.dir}/rings/object.ring.gz`;
    const bytes = randomBytes(70_000); // binary, larger than one SSH window packet
    await session.writeFile(target, 'old');
    await session.writeFile(target, bytes, 0o644);
    expect(fs.statSync(target).mode & 0o777).toBe(0o644);
    expect(fs.readFileSync(target).equals(bytes)).toBe(true);
    expect((await session.readFile(target)).equals(bytes)).toBe(true);
    expect(fs.readdirSync(`${server.dir}/rings`)).toEqual(['object.ring.gz']); // no temp file left
  });

  test('readFile of a missing file throws RemoteCommandError', async () => {
    const e = (await session.readFile(`${server.dir}/missing`).catch((x: unknown) => x)) as RemoteCommandError;
    expect(e).toBeInstanceOf(RemoteCommandError);
    expect(e.tail).toContain('No such file');
  });

  /**
   * A command that, the first time, leaves a sleeper in its process group and then cuts its own
   * connection (kills the sshd process serving it, its nearest sshd ancestor); run again, it says so.
   */
  function cutsItsConnectionOnce(marker: string) {
    const first = `${server.dir}/first-${marker}`;
    return [
      `if [ -e ${first} ]; then echo "second try"; exit 0; fi`,
      `touch ${first}; sleep ${marker} &`,
      'p=$$; while [ "$p" -gt 1 ]; do read -r _ c _ pp _ < /proc/$p/stat; [ "$c" = "(sshd)" ] && break; p=$pp; done',
      `[ "$p" -gt 1 ] && kill -9 "$p"; sleep ${marker}`,
    ].join('\n');
  }

  test('a lost connection fails a command with connectionLost; an idempotent one runs once more', async () => {
    const marker = `${4000 + Math.floor(Math.random() * 1000)}.${Math.floor(Math.random() * 1e6)}`;
    const err = (await session
      .exec(cutsItsConnectionOnce(marker), { stage: 'network-fix' })
      .catch((e: unknown) => e)) as RemoteCommandError;
    // Not run again, so what it started is still there: ended here, by PID (it is this test's).
    for (const pid of processesWith(`sleep ${marker}`)) process.kill(pid);
    expect(err).toBeInstanceOf(RemoteCommandError);
    expect([err.stage, err.exitCode, err.timedOut, err.connectionLost]).toEqual(['network-fix', null, false, true]);
    expect(err.message).toContain('[the SSH connection was lost]');

    const again = `${marker}1`;
    lines.length = 0;
    const r = await session.exec(cutsItsConnectionOnce(again), { stage: 'network-fix', idempotent: true });
    expect(r.stdout).toBe('second try\n');
    expect(lines).toContain("SSH connection to controller was lost during 'network-fix'; running it once more.");
    // What the lost try left running (its sleeper) was killed before the second try.
    expect(processesWith(`sleep ${again}`)).toEqual([]);
    // A failure that is no lost connection is not run again.
    const firstOf = `${server.dir}/once-${marker}`;
    const failed = await session
      .exec(`[ -e ${firstOf} ] && exit 0; touch ${firstOf}; exit 4`, { idempotent: true })
      .catch((e: unknown) => e);
    expect((failed as RemoteCommandError).exitCode).toBe(4);
  });

  test('reconnects transparently after the server restarted between commands', async () => {
    await session.exec('true');
    const before = server.pid();
    const accepted = () => (server.log().match(/Accepted publickey for root/g) ?? []).length;
    const acceptedBefore = accepted();
    await server.restart();
    expect(server.pid()).not.toBe(before);
    const r = await session.exec('echo after restart');
    expect(r.stdout).toBe('after restart\n');
    expect(accepted()).toBe(acceptedBefore + 1);
  });
});

describeIfSshd('connecting with bounded retries', () => {
  let server: TestSshd | undefined;
  afterEach(async () => {
    await server?.dispose();
    server = undefined;
  });

  test('keeps trying until sshd answers (the server starts during the first wait)', async () => {
    const port = await freePort('127.0.0.1');
    const { io, lines } = recordingIo();
    const generated = generateSshKey('retry-test');
    const hostKey = generateSshKey('retry-test-host');
    const runDir = fs.mkdtempSync(`${os.tmpdir()}/ooa-ssh-retry-`);
    let sleeps = 0;
    const session = new SshSession(
      {
        node: 'compute1',
        host: '127.0.0.1',
        port,
        user: 'root',
        privateKey: generated.privateKey,
        hostKey: hostKey.publicKey,
      },
      {
        io,
        execRunDir: runDir,
        policy: { attempts: 5, baseMs: 1000, maxMs: 1000 },
        sleep: async () => {
          sleeps++;
          if (!server) server = await startSshd({ id: 'retry', port, key: generated, hostKey });
        },
      },
    );
    await session.connect();
    expect((await session.exec('echo ok')).stdout).toBe('ok\n');
    expect(sleeps).toBe(1);
    fs.rmSync(runDir, { recursive: true, force: true });
    expect(lines.some((l) => l.includes('SSH to compute1') && l.includes('attempt 1/5'))).toBe(true);
    await session.close();
  });

  test('gives up after the configured attempts', async () => {
    const port = await freePort('127.0.0.1');
    let sleeps = 0;
    const session = new SshSession(
      {
        node: 'block1',
        host: '127.0.0.1',
        port,
        user: 'root',
        privateKey: generateSshKey('x').privateKey,
        hostKey: generateSshKey('x-host').publicKey,
      },
      {
        io: recordingIo().io,
        policy: { attempts: 3, baseMs: 1, maxMs: 1 },
        sleep: async () => {
          sleeps++;
        },
      },
    );
    await expect(session.connect()).rejects.toThrow();
    expect(sleeps).toBe(2);
    await session.close();
  });
});

describeIfSshd('readiness: cloud-init', () => {
  let server: TestSshd | undefined;
  let fakeBin: string;
  afterAll(async () => {
    await server?.dispose();
    if (fakeBin) fs.rmSync(fakeBin, { recursive: true, force: true });
  });

  test('connect() returns only after `cloud-init status --wait` finished; a non-zero status is a warning', async () => {
    // A stand-in cloud-init first in PATH: records its arguments, then blocks until the test opens
    // the gate. connect() must still be pending while it blocks.
    fakeBin = fs.mkdtempSync(`${os.tmpdir()}/ooa-fake-cloud-init-`);
    const gate = `${fakeBin}/gate`;
    const invoked = `${fakeBin}/invoked`;
    fs.writeFileSync(
      `${fakeBin}/cloud-init`,
      `#!/bin/bash\necho "$*" > ${invoked}\nwhile [ ! -e ${gate} ]; do sleep 0.05; done\necho "status: error"\nexit 2\n`,
      { mode: 0o755 },
    );
    server = await startSshd({ id: 'cloud-init', env: { PATH: `${fakeBin}:/usr/sbin:/usr/bin:/sbin:/bin` } });
    const { io, lines } = recordingIo();
    const session = new SshSession(
      {
        node: 'object1',
        host: server.host,
        port: server.port,
        user: 'root',
        privateKey: server.key.privateKey,
        hostKey: server.hostKey.publicKey,
      },
      { io, execRunDir: `${server.dir}/run` },
    );
    let connected = false;
    const connecting = session.connect().then(() => {
      connected = true;
    });
    while (!fs.existsSync(invoked)) await new Promise((r) => setTimeout(r, 20));
    expect(fs.readFileSync(invoked, 'utf8')).toBe('status --wait\n');
    expect(connected).toBe(false);
    fs.writeFileSync(gate, '');
    await connecting;
    expect(connected).toBe(true);
    expect(lines).toContain('warning: cloud-init on object1 finished with exit code 2; continuing.');
    await session.close();
  });
});
