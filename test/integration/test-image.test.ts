// The local end-to-end test image, for real: scripts/build-test-image.sh builds it from Debian
// packages and QEMU (TCG) boots it twice with user-mode networking whose only host forward is
// 127.0.0.1:<free port> → guest 22; the test logs in over SSH as the image's user.
//  - With a config drive made by genisoimage (label config-2, a public key and a hostname this test
//    generates): DHCP (slirp's lease), the console's login line, dropbear's real SSH banner, the key
//    and hostname from the drive, `sudo` to root, the tools Tempest runs in the guest, curl as Tempest
//    runs it (`curl -V`, a GET, `curl -X POST -d DATA` to a web server on the host loopback, which
//    checks what arrived), and that another key is refused.
//  - Without one, on a slirp network of 169.254.0.0/16 whose 169.254.169.254:80 slirp hands to a
//    per-connection responder script (EC2 paths only, no OpenStack JSON): an RSA key (PEM, as Nova
//    generates) and the hostname come from the metadata service through the image's fallback chain;
//    Tempest's own SSH client, paramiko, logs in with that key (rsa-sha2 signatures, not SHA-1).
// Prints the image's size and the seconds from QEMU's start to the first SSH login.
// Loopback only (no netns, no host lock). Kills only the QEMUs it started, by PID.

import { ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { NodeSSH } from 'node-ssh';
import { generateSshKey } from '../../src/core/secrets';
import { TEST_IMAGE_USER } from '../../src/smoke/test-image';
import { freePort } from '../helpers/sshd';
import { AS_ROOT, describeIf, itIf, needFile, needRoot } from '../helpers/requires';

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

/** An RSA key pair as Nova generates one for a keypair: 2048 bits, the private key in PEM. */
function rsaKey(dir: string): { privateKeyFile: string; privateKey: string; publicKey: string } {
  const file = path.join(dir, 'id_rsa');
  execFileSync('ssh-keygen', [
    '-q',
    '-t',
    'rsa',
    '-b',
    '2048',
    '-m',
    'PEM',
    '-N',
    '',
    '-C',
    'ooa-image-rsa',
    '-f',
    file,
  ]);
  return {
    privateKeyFile: file,
    privateKey: fs.readFileSync(file, 'utf8'),
    publicKey: fs.readFileSync(`${file}.pub`, 'utf8'),
  };
}

const SYSTEM_PYTHON = '/usr/bin/python3';
const needParamiko = needFile('/usr/lib/python3/dist-packages/paramiko/__init__.py', 'python3-paramiko');

// Logs in as Tempest's ssh.Client does (paramiko, RSAKey from the PEM, no agent, no key search) with
// some public key algorithms disabled, runs one command; prints what was agreed, as JSON.
const PARAMIKO_LOGIN = `
import io, json, sys, paramiko
host, port, user, key_file, disabled, command = sys.argv[1:7]
client = paramiko.SSHClient()
client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
pkey = paramiko.RSAKey.from_private_key(io.StringIO(open(key_file).read()))
try:
    client.connect(host, port=int(port), username=user, pkey=pkey, look_for_keys=False, allow_agent=False,
                   timeout=20, disabled_algorithms={'pubkeys': [a for a in disabled.split(',') if a]})
except Exception as e:
    print(json.dumps({'error': '%s: %s' % (type(e).__name__, e)}))
    sys.exit(0)
t = client.get_transport()
_, out, _ = client.exec_command(command)
text = out.read().decode()
print(json.dumps({'pubkeyAlgorithm': t._agreed_pubkey_algorithm, 'hostKeyType': t.host_key_type,
                  'serverSigAlgs': t.server_extensions.get('server-sig-algs', b'').decode(),
                  'stdout': text, 'exit': out.channel.recv_exit_status()}))
client.close()
`;

interface ParamikoResult {
  error?: string;
  pubkeyAlgorithm?: string;
  hostKeyType?: string;
  serverSigAlgs?: string;
  stdout?: string;
  exit?: number;
}

function paramikoLogin(port: number, keyFile: string, disabled: string[], command: string): ParamikoResult {
  const args = ['-c', PARAMIKO_LOGIN, '127.0.0.1', String(port), TEST_IMAGE_USER, keyFile, disabled.join(','), command];
  const r = spawnSync(SYSTEM_PYTHON, args, { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`paramiko login script failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as ParamikoResult;
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
      // An argument's quotes and trailing newlines reach the command as they were.
      expect(await sh("sudo printf '[%s]' 'it'\\''s\n\n'")).toMatchObject({ stdout: "[it's\n\n]", code: 0 });
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

    it('runs curl as Tempest does: -V, a GET, and -X POST -d DATA (a web server on the host loopback, 10.0.2.2 in slirp)', async () => {
      const body = `metadata-${Math.random().toString(36).slice(2)}`;
      const seen: { method: string; url: string; type: string; body: string }[] = [];
      const server = http.createServer((req, res) => {
        let data = '';
        req.on('data', (d) => (data += d.toString()));
        req.on('end', () => {
          seen.push({ method: req.method!, url: req.url!, type: req.headers['content-type'] ?? '', body: data });
          const status = req.url!.startsWith('/missing') ? 404 : 200;
          res.writeHead(status, { 'Content-Length': String(body.length) }).end(body);
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const web = `http://10.0.2.2:${(server.address() as net.AddressInfo).port}`;
        const prologue = 'set -eu -o pipefail; PATH=$PATH:/sbin;';
        // tempest/api/compute/base.py: `curl -V` must succeed before it reads the metadata API.
        const version = await sh(`${prologue} curl -V`);
        expect(version.code).toBe(0);
        expect(version.stdout).toMatch(/^curl \S+/);
        expect(await sh(`${prologue} curl ${web}/latest/meta-data/public-ipv4`)).toMatchObject({
          stdout: body,
          code: 0,
        });
        // test_server_basic_ops: `curl -X POST -d <100 characters> .../openstack/2013-10-17/password`.
        const password = `${'test'.repeat(24)}${Math.random().toString(36).slice(2, 6)}`;
        seen.length = 0;
        const posted = await sh(`${prologue} curl -X POST -d ${password} ${web}/openstack/2013-10-17/password`);
        expect(posted).toMatchObject({ stdout: body, code: 0 });
        expect(seen).toEqual([
          {
            method: 'POST',
            url: '/openstack/2013-10-17/password',
            type: 'application/x-www-form-urlencoded',
            body: password,
          },
        ]);
        // Several -d pieces join with & as curl's do; a header goes along.
        seen.length = 0;
        expect((await sh(`curl -s -H 'X-Test: 1' -d a=1 --data 'b=2 3' ${web}/form`)).code).toBe(0);
        expect(seen).toMatchObject([{ method: 'POST', body: 'a=1&b=2 3' }]);
        // Exit codes as curl's: an HTTP error is 0 without -f and 22 with it; a refused connection 7.
        expect((await sh(`curl -s ${web}/missing`)).code).toBe(0);
        expect((await sh(`curl -sf ${web}/missing`)).code).toBe(22);
        expect((await sh('curl -s http://10.0.2.2:1/')).code).toBe(7);
        const refused = await sh('curl -X DELETE http://10.0.2.2:1/');
        expect(refused.code).toBe(2);
        expect(refused.stderr).toMatch(/method DELETE is not supported.*GET, POST/);
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
    let rsa: ReturnType<typeof rsaKey>;

    beforeAll(async () => {
      const dir = tempDir();
      rsa = rsaKey(dir);
      www = path.join(dir, 'www');
      // EC2 paths only: the image tries the OpenStack JSON first, gets 404 and falls back.
      const md = path.join(www, 'latest', 'meta-data');
      fs.mkdirSync(path.join(md, 'public-keys', '0'), { recursive: true });
      fs.writeFileSync(path.join(md, 'public-keys', '0', 'openssh-key'), `${rsa.publicKey.trim()}\n`);
      fs.writeFileSync(path.join(md, 'hostname'), MD_HOSTNAME);
      const responder = path.join(dir, 'metadata-responder.sh');
      fs.writeFileSync(responder, responderScript(www), { mode: 0o755 });
      // slirp forwards a guest address only inside its own network: make that 169.254.0.0/16.
      const net169 = ',net=169.254.0.0/16,host=169.254.0.2,dhcpstart=169.254.0.15,dns=169.254.0.3';
      vm = await boot(image, dir, rsa.privateKey, `${net169},guestfwd=tcp:169.254.169.254:80-cmd:${responder}`, []);
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

    it('offers ed25519 and ECDSA host keys', () => {
      // One type a scan, with time for TCG's slow key exchange (ssh-keyscan exits 1 when none is offered).
      const offered = (type: string) =>
        spawnSync('ssh-keyscan', ['-t', type, '-T', '30', '-p', String(vm.port), '127.0.0.1'], {
          encoding: 'utf8',
        })
          .stdout.split('\n')
          .filter((l) => l && !l.startsWith('#'))
          .map((l) => l.split(' ')[1]);
      expect(offered('ed25519')).toEqual(['ssh-ed25519']);
      expect(offered('ecdsa')).toEqual(['ecdsa-sha2-nistp256']);
      expect(offered('rsa')).toEqual([]);
    }, 120_000);

    itIf([needParamiko], AS_ROOT)(
      'lets paramiko log in with the RSA key as Tempest does, signing with rsa-sha2',
      () => {
        // Tempest's defaults: paramiko picks from the server's server-sig-algs.
        const tempestWay = paramikoLogin(vm.port, rsa.privateKeyFile, [], 'id -un; sudo id -u');
        expect(tempestWay).toMatchObject({ stdout: `${TEST_IMAGE_USER}\n0\n`, exit: 0 });
        expect(tempestWay.pubkeyAlgorithm).toBe('rsa-sha2-256');
        expect(tempestWay.hostKeyType).toBe('ssh-ed25519');
        // SHA-1 (ssh-rsa) disabled, as OpenSSH clients since 8.8 and FIPS hosts have it.
        const sha256 = paramikoLogin(vm.port, rsa.privateKeyFile, ['ssh-rsa', 'rsa-sha2-512'], 'id -un');
        expect(sha256).toMatchObject({ pubkeyAlgorithm: 'rsa-sha2-256', stdout: `${TEST_IMAGE_USER}\n`, exit: 0 });
        const sha512 = paramikoLogin(vm.port, rsa.privateKeyFile, ['ssh-rsa', 'rsa-sha2-256'], 'id -un');
        // Dropbear 2022.83 verifies rsa-sha2-256 and ssh-rsa only (its server-sig-algs): a client that
        // offers rsa-sha2-512 alone is refused. Paramiko and OpenSSH offer both and agree on 256.
        expect(sha512.error).toMatch(/Unable to agree on a pubkey algorithm/);
      },
    );
  });
});
