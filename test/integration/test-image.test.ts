// The local end-to-end test image, for real: scripts/build-test-image.sh builds it from Debian
// packages and QEMU (TCG) boots it twice with user-mode networking whose only host forward is
// 127.0.0.1:<free port> → guest 22; the test logs in over SSH as the image's user.
//  - With a config drive made by genisoimage (label config-2, a public key and a hostname this test
//    generates): DHCP (slirp's lease), the console's login line, dropbear's real SSH banner, the key
//    and hostname from the drive, `sudo` to root, the tools Tempest runs in the guest, curl, and that
//    another key is refused.
//  - Without one, on a slirp network of 169.254.0.0/16 whose 169.254.169.254:80 slirp hands to a
//    per-connection responder script (EC2 paths only, no OpenStack JSON): the key and hostname come
//    from the metadata service through the image's fallback chain.
// Prints the image's size and the seconds from QEMU's start to the first SSH login.
// Loopback only (no netns, no host lock). Kills only the QEMUs it started, by PID.

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
const MD_HOSTNAME = 'ooa-image-md.novalocal';
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

interface Booted {
  qemu: ChildProcess;
  port: number;
  ssh: NodeSSH;
  bootSeconds: number;
  consoleLog: () => string;
}

/** Boots the image with these extra QEMU arguments and a hostfwd to guest 22; resolves at the first SSH login. */
async function boot(image: string, dir: string, privateKey: string, netOpts: string, extra: string[]): Promise<Booted> {
  const port = await freePort('127.0.0.1');
  const consolePath = path.join(dir, 'console.log');
  const consoleLog = () => (fs.existsSync(consolePath) ? fs.readFileSync(consolePath, 'utf8') : '');
  const started = Date.now();
  const qemu = spawn(
    'qemu-system-x86_64',
    [
      ...['-accel', 'tcg', '-m', '256', '-display', 'none', '-monitor', 'none', '-serial', `file:${consolePath}`],
      // snapshot=on: the cached image is never written.
      ...['-drive', `file=${image},format=raw,if=virtio,snapshot=on`],
      ...extra,
      ...['-netdev', `user,id=n0${netOpts},hostfwd=tcp:127.0.0.1:${port}-:22`],
      ...['-device', 'virtio-net-pci,netdev=n0,romfile='],
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let qemuErr = '';
  qemu.stderr!.on('data', (d) => (qemuErr += d.toString()));
  const ssh = new NodeSSH();
  for (;;) {
    if (qemu.exitCode !== null) throw new Error(`qemu exited with ${qemu.exitCode}: ${qemuErr}`);
    try {
      await ssh.connect({ host: '127.0.0.1', port, username: TEST_IMAGE_USER, privateKey, readyTimeout: 10_000 });
      break;
    } catch (e) {
      if (Date.now() - started > BOOT_DEADLINE_MS) {
        await stop(qemu);
        throw new Error(
          `no SSH login within ${BOOT_DEADLINE_MS / 1000} s (${(e as Error).message}); console:\n${consoleLog()}`,
        );
      }
      await sleep(2000);
    }
  }
  return { qemu, port, ssh, bootSeconds: (Date.now() - started) / 1000, consoleLog };
}

/** Closes an SSH client; a reset of its socket afterwards (QEMU stopping) is expected, not an error. */
function dispose(ssh: NodeSSH | undefined): void {
  ssh?.connection?.on('error', () => undefined);
  ssh?.dispose();
}

/** Ends the QEMU this test started, by its PID, and waits for it. */
async function stop(qemu: ChildProcess | undefined): Promise<void> {
  if (!qemu?.pid || qemu.exitCode !== null) return;
  const exited = new Promise((r) => qemu.once('exit', r));
  process.kill(qemu.pid, 'SIGTERM');
  await exited;
}

async function run(ssh: NodeSSH, command: string): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const r = await ssh.execCommand(command);
  return { stdout: r.stdout, stderr: r.stderr, code: r.code };
}

/** A responder QEMU runs per guest connection (guestfwd cmd:): serves files under www, else 404. */
function responderScript(www: string): string {
  return [
    '#!/bin/sh',
    'read -r method path proto',
    `f="${www}$(printf %s "\${path%%\\?*}" | tr -d '\\r')"`,
    'case "$f" in *..*) f=/nonexistent ;; esac',
    'if [ -f "$f" ]; then',
    `  printf 'HTTP/1.0 200 OK\\r\\nContent-Length: %s\\r\\n\\r\\n' "$(wc -c <"$f")"; cat "$f"`,
    'else',
    `  printf 'HTTP/1.0 404 Not Found\\r\\nContent-Length: 0\\r\\n\\r\\n'`,
    'fi',
    `printf '%s\\n' "$path" >>"${www}.requests"`,
    '',
  ].join('\n');
}

describeIfQemu('the local test image under QEMU', () => {
  const key = generateSshKey('ooa-image-test');
  const otherKey = generateSshKey('ooa-image-test-other');
  let image: string;
  const dirs: string[] = [];
  const tempDir = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-image-test-'));
    dirs.push(d);
    return d;
  };

  beforeAll(() => {
    // The same cache the e2e run uses: a rebuild only when the kernel package or the script changed.
    const out = execFileSync(
      'bash',
      [path.join(ROOT, 'scripts', 'build-test-image.sh'), path.join(ROOT, 'build', 'test-image')],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    image = out.trim().split('\n').pop()!;
    console.log(`test image: ${(fs.statSync(image).size / 1048576).toFixed(1)} MiB (${image})`);
  }, 600_000);

  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  describe('with a config drive', () => {
    let vm: Booted;
    const sh = (command: string) => run(vm.ssh, command);

    beforeAll(async () => {
      const dir = tempDir();
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
      vm = await boot(image, dir, key.privateKey, '', ['-drive', `file=${iso},media=cdrom,readonly=on`]);
      console.log(`test image with a config drive: QEMU (TCG) start to SSH login ${vm.bootSeconds.toFixed(1)} s`);
    }, BOOT_DEADLINE_MS + 60_000);

    afterAll(async () => {
      dispose(vm?.ssh);
      await stop(vm?.qemu);
    });
    it('gets a DHCP lease, prints a login line on the serial console and speaks real SSH on 22', async () => {
      expect(vm.consoleLog()).toMatch(/lease of 10\.0\.2\.15 obtained/);
      expect(vm.consoleLog()).not.toMatch(/module \S+ did not load/);
      expect(vm.consoleLog()).toMatch(new RegExp(`^${HOSTNAME} login: `, 'm'));
      expect(await banner(vm.port)).toMatch(/^SSH-2\.0-dropbear/);
    });

    it('takes its hostname from the config drive and lets the user become root with sudo', async () => {
      expect((await sh('hostname')).stdout.trim()).toBe(HOSTNAME);
      expect((await sh('id -u')).stdout.trim()).toBe('1000');
      expect(await sh('sudo id -u')).toMatchObject({ stdout: '0', code: 0 });
      expect(await sh('sudo -n sh -c \'echo "a b" > /root/x && cat /root/x\'')).toMatchObject({
        stdout: 'a b',
        code: 0,
      });
      expect((await sh('cat /root/x')).code).not.toBe(0);
    });

    it('has the tools Tempest runs in the guest, under its shell prologue', async () => {
      const prologue = 'set -eu -o pipefail; PATH=$PATH:/sbin;';
      const dev = await sh(`${prologue} blkid -L config-2 -o device`);
      expect(dev).toMatchObject({ stdout: '/dev/sr0', code: 0 });
      const mounted = await sh(
        `${prologue} sudo mount /dev/sr0 /mnt && grep -c ${HOSTNAME} /mnt/openstack/latest/meta_data.json; sudo umount /mnt`,
      );
      expect(mounted).toMatchObject({ stdout: '1', code: 0 });
      expect((await sh(`${prologue} ip addr show eth0 | awk '/ether/ {print $2}'`)).stdout).toBe('52:54:00:12:34:56');
      expect((await sh(`${prologue} ping -c1 -w1 -s56 10.0.2.2 | grep -c 'bytes from'`)).stdout).toBe('1');
      expect((await sh(`${prologue} cat /var/run/udhcpc.eth0.pid | wc -l`)).stdout.trim()).toBe('1');
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
        'lsblk',
        'mkfs',
      ])
        expect([tool, (await sh(`command -v ${tool}`)).code]).toEqual([tool, 0]);
    });

    it('fetches a URL with curl (a web server on the host loopback, slirp maps it to 10.0.2.2)', async () => {
      const body = `metadata-${Math.random().toString(36).slice(2)}`;
      const server = net.createServer((s) => s.end(`HTTP/1.0 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const webPort = (server.address() as net.AddressInfo).port;
        expect(await sh(`curl -s http://10.0.2.2:${webPort}/latest/meta-data/public-ipv4`)).toMatchObject({
          stdout: body,
          code: 0,
        });
        expect((await sh('curl -s http://10.0.2.2:1/')).code).toBe(22);
      } finally {
        server.close();
      }
    });

    it('refuses a key the config drive did not name', async () => {
      const other = new NodeSSH();
      await expect(
        other.connect({
          host: '127.0.0.1',
          port: vm.port,
          username: TEST_IMAGE_USER,
          privateKey: otherKey.privateKey,
          readyTimeout: 10_000,
        }),
      ).rejects.toThrow(/authentication/i);
      dispose(other);
      const root = new NodeSSH();
      await expect(
        root.connect({
          host: '127.0.0.1',
          port: vm.port,
          username: 'root',
          privateKey: key.privateKey,
          readyTimeout: 10_000,
        }),
      ).rejects.toThrow(/authentication/i);
      dispose(root);
    });
  });

  describe('without a config drive, from the metadata service', () => {
    let vm: Booted;
    let www: string;

    beforeAll(async () => {
      const dir = tempDir();
      www = path.join(dir, 'www');
      // EC2 paths only: the image tries the OpenStack JSON first, gets 404 and falls back.
      const md = path.join(www, 'latest', 'meta-data');
      fs.mkdirSync(path.join(md, 'public-keys', '0'), { recursive: true });
      fs.writeFileSync(path.join(md, 'public-keys', '0', 'openssh-key'), `${key.publicKey.trim()}\n`);
      fs.writeFileSync(path.join(md, 'hostname'), MD_HOSTNAME);
      const responder = path.join(dir, 'metadata-responder.sh');
      fs.writeFileSync(responder, responderScript(www), { mode: 0o755 });
      // slirp forwards a guest address only inside its own network: make that 169.254.0.0/16.
      const net169 = ',net=169.254.0.0/16,host=169.254.0.2,dhcpstart=169.254.0.15,dns=169.254.0.3';
      vm = await boot(image, dir, key.privateKey, `${net169},guestfwd=tcp:169.254.169.254:80-cmd:${responder}`, []);
      console.log(`test image from the metadata service: QEMU (TCG) start to SSH login ${vm.bootSeconds.toFixed(1)} s`);
    }, BOOT_DEADLINE_MS + 60_000);

    afterAll(async () => {
      dispose(vm?.ssh);
      await stop(vm?.qemu);
    });

    it('takes the key and the hostname from the EC2 paths after the OpenStack JSON is not found', async () => {
      expect(vm.consoleLog()).toMatch(/metadata: source metadata service \(EC2\)/);
      expect(fs.readFileSync(`${www}.requests`, 'utf8').split('\n')).toEqual(
        expect.arrayContaining([
          '/openstack/latest/meta_data.json',
          '/latest/meta-data/public-keys/0/openssh-key',
          '/latest/meta-data/hostname',
        ]),
      );
      expect((await run(vm.ssh, 'hostname')).stdout.trim()).toBe(MD_HOSTNAME);
      expect(await run(vm.ssh, 'sudo id -un')).toMatchObject({ stdout: 'root', code: 0 });
      expect(await run(vm.ssh, 'curl -s http://169.254.169.254/latest/meta-data/hostname')).toMatchObject({
        stdout: MD_HOSTNAME,
        code: 0,
      });
    });
  });
});
