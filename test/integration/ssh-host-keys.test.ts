// Host keys are pinned, never trusted on first use, against real OpenSSH servers on loopback whose
// host keys src/core/secrets.ts made (as the runner makes every node's): the pinned key connects;
// any other key is refused at once with both fingerprints named, directly, through the jump host,
// for the jump host itself, and on a reconnect to a server that was swapped.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import { closeAll, connectEnvironment } from '../../src/remote/connect';
import { fingerprint, HostKeyMismatchError, parseHostKey, SshSession } from '../../src/remote/session';
import type { Environment } from '../../src/provider';
import { generateSshKey } from '../../src/core/secrets';
import { sshdAvailable, startSshd, TestSshd } from '../helpers/sshd';

const describeIfSshd = sshdAvailable() ? describe : describe.skip;

const io = () => {
  const lines: string[] = [];
  return { lines, io: { info: (m: string) => lines.push(m), warning: (m: string) => lines.push(m) } };
};

const blob = (line: string) => parseHostKey(line, 'x').blob;

describeIfSshd('pinned SSH host keys', () => {
  const key = generateSshKey('ooa-test-hostkeys');
  let controller: TestSshd;
  let compute: TestSshd;
  const runDir = fs.mkdtempSync(`${os.tmpdir()}/ooa-hostkeys-run-`);

  beforeAll(async () => {
    controller = await startSshd({ id: 'hostkeys-controller', listenAddress: '127.0.0.1', key });
    compute = await startSshd({ id: 'hostkeys-compute', listenAddress: '127.0.0.2', key });
  });
  afterAll(async () => {
    await compute?.dispose();
    await controller?.dispose();
    fs.rmSync(runDir, { recursive: true, force: true });
  });

  const env = (): Environment => ({
    stackId: 'hostkeys',
    nodes: [
      { name: 'controller', instanceId: 'local-1', managementIp: '127.0.0.1', nics: [] },
      { name: 'compute1', instanceId: 'local-2', managementIp: compute.host, nics: [] },
    ],
    controllerPublicIp: controller.host,
    sshPort: controller.port,
    routerPublicIp: '198.51.100.2',
    sshUser: 'root',
    privateKeyPath: '',
  });

  function direct(server: TestSshd, hostKey: string, attempts = 5) {
    let sleeps = 0;
    const rec = io();
    const session = new SshSession(
      { node: 'controller', host: server.host, port: server.port, user: 'root', privateKey: key.privateKey, hostKey },
      {
        io: rec.io,
        execRunDir: runDir,
        policy: { attempts, baseMs: 1, maxMs: 1 },
        sleep: async () => {
          sleeps++;
        },
      },
    );
    return { session, sleeps: () => sleeps, lines: rec.lines };
  }

  test('the pinned key connects; another key is refused at once, naming both fingerprints', async () => {
    const good = direct(controller, controller.hostKey.publicKey);
    expect((await good.session.exec('echo pinned')).stdout).toBe('pinned\n');
    await good.session.close();

    const impostorKey = generateSshKey('impostor').publicKey;
    const bad = direct(controller, impostorKey);
    const err = await bad.session.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HostKeyMismatchError);
    const message = (err as Error).message;
    expect(message).toContain(
      `SSH host key of controller (127.0.0.1:${controller.port}) is not the key this stack gave it`,
    );
    expect(message).toContain(`expected ${fingerprint(blob(impostorKey))}`);
    expect(message).toContain(`the server presented ssh-ed25519 ${fingerprint(blob(controller.hostKey.publicKey))}`);
    // An answer, not a hiccup: no retry, no authentication attempted with the stack key.
    expect(bad.sleeps()).toBe(0);
    expect(bad.lines.filter((l) => l.includes('not ready'))).toEqual([]);
    await bad.session.close();
  });

  test('the fingerprint is the one OpenSSH prints', () => {
    const dir = fs.mkdtempSync(`${os.tmpdir()}/ooa-fp-`);
    try {
      fs.writeFileSync(`${dir}/k.pub`, `${controller.hostKey.publicKey}\n`);
      const out = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${dir}/k.pub`], { encoding: 'utf8' });
      expect(out.split(' ')[1]).toBe(fingerprint(blob(controller.hostKey.publicKey)));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('through the jump host: both pinned keys connect, and the inner session runs via the controller', async () => {
    const sessions = await connectEnvironment(env(), {
      io: io().io,
      privateKey: key.privateKey,
      hostKeys: { controller: controller.hostKey.publicKey, compute1: compute.hostKey.publicKey },
      innerPort: compute.port,
      execRunDir: runDir,
    });
    try {
      const r = await sessions.get('compute1')!.exec('echo "$SSH_CONNECTION"');
      expect(r.stdout.trim().split(' ').slice(2)).toEqual([compute.host, String(compute.port)]);
    } finally {
      await closeAll(sessions);
    }
  });

  test('through the jump host: a wrong key for the inner node is refused, naming the node and the path', async () => {
    const wrong = generateSshKey('wrong-compute').publicKey;
    const err = await connectEnvironment(env(), {
      io: io().io,
      privateKey: key.privateKey,
      hostKeys: { controller: controller.hostKey.publicKey, compute1: wrong },
      innerPort: compute.port,
      execRunDir: runDir,
      policy: { attempts: 5, baseMs: 1, maxMs: 1 },
      sleep: async () => {
        throw new Error('a host key mismatch must not be retried');
      },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HostKeyMismatchError);
    expect((err as Error).message).toContain(`SSH host key of compute1 (127.0.0.2:${compute.port} via controller)`);
    expect((err as Error).message).toContain(
      `the server presented ssh-ed25519 ${fingerprint(blob(compute.hostKey.publicKey))}`,
    );
  });

  test('a wrong key for the jump host is refused before any inner node is tried; a node without a key is refused up front', async () => {
    const before = (compute.log().match(/Connection from/g) ?? []).length;
    await expect(
      connectEnvironment(env(), {
        io: io().io,
        privateKey: key.privateKey,
        hostKeys: { controller: compute.hostKey.publicKey, compute1: compute.hostKey.publicKey },
        innerPort: compute.port,
        execRunDir: runDir,
      }),
    ).rejects.toThrow(/SSH host key of controller \(127\.0\.0\.1:\d+\) is not the key this stack gave it/);
    expect((compute.log().match(/Connection from/g) ?? []).length).toBe(before);
    await expect(
      connectEnvironment(env(), {
        io: io().io,
        privateKey: key.privateKey,
        hostKeys: { controller: controller.hostKey.publicKey },
        innerPort: compute.port,
      }),
    ).rejects.toThrow('no host key is known for compute1: refusing to connect blind');
    expect(() => parseHostKey('not a key', 'block1')).toThrow(
      'the pinned SSH host key of block1 is not an OpenSSH public key line',
    );
  });

  test('a reconnect meets the pinned key again: a server swapped in at the same address is refused', async () => {
    const original = await startSshd({ id: 'hostkeys-swap', listenAddress: '127.0.0.3', key });
    const port = original.port;
    const s = direct(original, original.hostKey.publicKey);
    expect((await s.session.exec('echo first')).stdout).toBe('first\n');
    await original.dispose();
    const impostor = await startSshd({ id: 'hostkeys-swap2', listenAddress: '127.0.0.3', key, port });
    try {
      await expect(s.session.exec('echo again')).rejects.toThrow(HostKeyMismatchError);
      expect((impostor.log().match(/Accepted publickey/g) ?? []).length).toBe(0);
    } finally {
      await s.session.close();
      await impostor.dispose();
    }
  });
});
