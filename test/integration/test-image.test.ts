// The local end-to-end test image, for real: scripts/build-test-image.sh builds it from Debian
// packages, QEMU (TCG) boots it with a config drive made by genisoimage (label config-2, a public key
// and a hostname this test generates) and user-mode networking whose only forward is 127.0.0.1:<free
// port> → guest 22, and the test logs in over SSH as the image's user. Proves: DHCP (slirp's lease),
// the console's login line, dropbear's real SSH banner, the key and hostname taken from the config
// drive, `sudo` to root, the tools Tempest runs in the guest, and that another key is refused.
// Prints the image's size and the seconds from QEMU's start to the first SSH command.
// Loopback only (no netns, no host lock). Kills only the QEMU it started, by PID.

import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { NodeSSH } from 'node-ssh';
import { generateSshKey } from '../../src/core/secrets';
import { TEST_IMAGE_USER } from '../../src/smoke/test-image';
import { freePort } from '../helpers/sshd';
import { AS_ROOT, describeIf, needFile, needRoot } from '../helpers/requires';

const ROOT = path.join(__dirname, '..', '..');
const HOSTNAME = 'ooa-image-test';
const BOOT_DEADLINE_MS = 300_000;

const describeIfQemu = describeIf(
  [
    needRoot(),
    needFile('/usr/bin/qemu-system-x86_64', 'qemu-system-x86'),
    needFile('/usr/bin/genisoimage', 'genisoimage'),
  ],
  AS_ROOT,
);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The first line the server at 127.0.0.1:port sends (an SSH server speaks first). */
function banner(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let text = '';
    sock.setTimeout(10_000, () => sock.destroy(new Error(`no banner on 127.0.0.1:${port} within 10 s`)));
    sock.on('data', (d) => {
      text += d.toString('latin1');
      if (text.includes('\n')) {
        sock.destroy();
        resolve(text.split(/\r?\n/)[0]);
      }
    });
    sock.on('error', reject);
  });
}

describeIfQemu('the local test image under QEMU', () => {
  const key = generateSshKey('ooa-image-test');
  const otherKey = generateSshKey('ooa-image-test-other');
  let dir: string;
  let image: string;
  let qemu: ChildProcess | undefined;
  let port: number;
  let ssh: NodeSSH;
  let bootSeconds: number;

  const run = async (command: string): Promise<{ stdout: string; stderr: string; code: number | null }> => {
    const r = await ssh.execCommand(command);
    return { stdout: r.stdout, stderr: r.stderr, code: r.code };
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-image-test-'));
    // The same cache the e2e run uses: a rebuild only when the kernel package or the script changed.
    image = execFileSync(
      'bash',
      [path.join(ROOT, 'scripts', 'build-test-image.sh'), path.join(ROOT, 'build', 'test-image')],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
      .trim()
      .split('\n')
      .pop()!;
    const latest = path.join(dir, 'drive', 'openstack', 'latest');
    fs.mkdirSync(latest, { recursive: true });
    const metaData = {
      uuid: '4b1f4a62-2a1e-4c3e-9f0e-0a7e3c2d9b11',
      name: HOSTNAME,
      hostname: HOSTNAME,
      public_keys: { 'ooa-image-test': `${key.publicKey.trim()}\n` },
    };
    fs.writeFileSync(path.join(latest, 'meta_data.json'), JSON.stringify(metaData));
    const iso = path.join(dir, 'config-drive.iso');
    execFileSync('genisoimage', ['-quiet', '-o', iso, '-V', 'config-2', '-r', '-J', path.join(dir, 'drive')]);

    port = await freePort('127.0.0.1');
    const started = Date.now();
    qemu = spawn(
      'qemu-system-x86_64',
      [
        ...['-accel', 'tcg', '-m', '256', '-display', 'none', '-monitor', 'none'],
        ...['-serial', `file:${path.join(dir, 'console.log')}`],
        // snapshot=on: the cached image is never written.
        ...['-drive', `file=${image},format=raw,if=virtio,snapshot=on`],
        ...['-drive', `file=${iso},media=cdrom,readonly=on`],
        ...['-netdev', `user,id=n0,hostfwd=tcp:127.0.0.1:${port}-:22`],
        ...['-device', 'virtio-net-pci,netdev=n0,romfile='],
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let qemuErr = '';
    qemu.stderr!.on('data', (d) => (qemuErr += d.toString()));
    ssh = new NodeSSH();
    for (;;) {
      if (qemu.exitCode !== null) throw new Error(`qemu exited with ${qemu.exitCode}: ${qemuErr}`);
      try {
        await ssh.connect({
          host: '127.0.0.1',
          port,
          username: TEST_IMAGE_USER,
          privateKey: key.privateKey,
          readyTimeout: 10_000,
        });
        break;
      } catch (e) {
        if (Date.now() - started > BOOT_DEADLINE_MS)
          throw new Error(
            `no SSH login within ${BOOT_DEADLINE_MS / 1000} s (${(e as Error).message}); console:\n${consoleLog()}`,
          );
        await sleep(2000);
      }
    }
    bootSeconds = (Date.now() - started) / 1000;
    console.log(
      `test image: ${(fs.statSync(image).size / 1048576).toFixed(1)} MiB; QEMU (TCG) start to SSH login: ${bootSeconds.toFixed(1)} s`,
    );
  }, BOOT_DEADLINE_MS + 300_000);

  afterAll(async () => {
    ssh?.dispose();
    if (qemu?.pid && qemu.exitCode === null) {
      const exited = new Promise((r) => qemu!.once('exit', r));
      process.kill(qemu.pid, 'SIGTERM');
      await exited;
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const consoleLog = () => fs.readFileSync(path.join(dir, 'console.log'), 'utf8');

  it('gets a DHCP lease, prints a login line on the serial console and speaks real SSH on 22', async () => {
    expect(consoleLog()).toMatch(/lease of 10\.0\.2\.15 obtained/);
    expect(consoleLog()).toMatch(new RegExp(`^${HOSTNAME} login: `, 'm'));
    expect(await banner(port)).toMatch(/^SSH-2\.0-dropbear/);
  });

  it('takes its hostname from the config drive and lets the user become root with sudo', async () => {
    expect((await run('hostname')).stdout.trim()).toBe(HOSTNAME);
    expect((await run('id -u')).stdout.trim()).toBe('1000');
    expect(await run('sudo id -u')).toMatchObject({ stdout: '0', code: 0 });
    expect(await run('sudo -n sh -c \'echo "a b" > /root/x && cat /root/x\'')).toMatchObject({
      stdout: 'a b',
      code: 0,
    });
    expect((await run('cat /root/x')).code).not.toBe(0);
  });

  it('has the tools Tempest runs in the guest, under its shell prologue', async () => {
    const prologue = 'set -eu -o pipefail; PATH=$PATH:/sbin;';
    const dev = await run(`${prologue} blkid -L config-2 -o device`);
    expect(dev).toMatchObject({ stdout: '/dev/sr0', code: 0 });
    const mounted = await run(
      `${prologue} sudo mount /dev/sr0 /mnt && grep -c ${HOSTNAME} /mnt/openstack/latest/meta_data.json; sudo umount /mnt`,
    );
    expect(mounted).toMatchObject({ stdout: '1', code: 0 });
    expect((await run(`${prologue} ip addr show eth0 | awk '/ether/ {print $2}'`)).stdout).toBe('52:54:00:12:34:56');
    expect((await run(`${prologue} ping -c1 -w1 -s56 10.0.2.2 | grep -c 'bytes from'`)).stdout).toBe('1');
    expect((await run(`${prologue} cat /var/run/udhcpc.eth0.pid | wc -l`)).stdout.trim()).toBe('1');
    for (const tool of [
      'hostname',
      'ip',
      'ping',
      'cat',
      'grep',
      'wc',
      'awk',
      'mount',
      'umount',
      'blkid',
      'curl',
      'sudo',
    ])
      expect([tool, (await run(`command -v ${tool}`)).code]).toEqual([tool, 0]);
  });

  it('fetches a URL with curl (a web server on the host loopback, slirp maps it to 10.0.2.2)', async () => {
    const body = `metadata-${Math.random().toString(36).slice(2)}`;
    const server = net.createServer((s) => s.end(`HTTP/1.0 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const webPort = (server.address() as net.AddressInfo).port;
      expect(await run(`curl -s http://10.0.2.2:${webPort}/latest/meta-data/public-ipv4`)).toMatchObject({
        stdout: body,
        code: 0,
      });
      expect((await run('curl -s http://10.0.2.2:1/')).code).toBe(22);
    } finally {
      server.close();
    }
  });

  it('refuses a key the config drive did not name', async () => {
    const other = new NodeSSH();
    await expect(
      other.connect({
        host: '127.0.0.1',
        port,
        username: TEST_IMAGE_USER,
        privateKey: otherKey.privateKey,
        readyTimeout: 10_000,
      }),
    ).rejects.toThrow(/authentication/i);
    other.dispose();
    const root = new NodeSSH();
    await expect(
      root.connect({ host: '127.0.0.1', port, username: 'root', privateKey: key.privateKey, readyTimeout: 10_000 }),
    ).rejects.toThrow(/authentication/i);
    root.dispose();
  });
});
