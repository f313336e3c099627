// The local provider's pure parts: reading the host's mirror, MACs, the files written into a node,
// the nspawn command line, the rootfs cache stamp, and the host route pinning's parser.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { remapArgs } from '../../src/local/apt-cache';
import { FALLBACK_MIRROR, hostMirror, mirrorFrom, urisIn } from '../../src/local/host-mirror';
import { missingPackages } from '../../src/local/host-tools';
import { cgroupEnv, nspawnArgs, systemdVersion } from '../../src/local/machine';
import { nicMac } from '../../src/local/macs';
import { createLocalProvider } from '../../src/local/provider';
import { memoryIo } from '../helpers/memory-io';
import { generateSshKey } from '../../src/core/secrets';
import { routeSpec } from '../../src/local/mirror-routes';
import { hostsFile, networkUnit, writeNodeFiles } from '../../src/local/node-files';
import { aptSources, aptSourcesFile, osArchive } from '../../src/local/os-archives';
import { machineName, netnsName, stackPrefix } from '../../src/local/paths';
import { cacheIsCurrent, recipeId, rootfsDir, stampPath } from '../../src/local/rootfs';
import { listStackIds } from '../../src/local/stack-record';
import { leftoverRecords } from '../../src/local/leftovers';
import { idsOf, LocalKind } from '../../src/local/records';

describe('the host mirror', () => {
  const deb822 = [
    'Types: deb',
    '# http://snapshot.debian.org/archive/debian/20250520T000000Z',
    'URIs: https://deb.debian.org/debian/',
    'Suites: bookworm bookworm-updates',
    '',
    'Types: deb',
    'URIs: http://security.example.org/debian-security',
  ].join('\n');

  it('reads deb822 and one-line sources and turns https into http for the cache', () => {
    expect(urisIn(deb822)).toEqual(['https://deb.debian.org/debian/', 'http://security.example.org/debian-security']);
    expect(urisIn('deb [arch=amd64] http://mirror.example/debian bookworm main\n# deb http://x/debian b main')).toEqual(
      ['http://mirror.example/debian'],
    );
    expect(mirrorFrom(urisIn(deb822))).toEqual({
      archive: 'http://deb.debian.org/debian',
      security: 'http://security.example.org/debian-security',
    });
  });

  it('falls back to deb.debian.org when the host names no Debian archive', () => {
    expect(hostMirror(['a'], () => 'deb https://packages.example.com/apt stable main')).toEqual(FALLBACK_MIRROR);
  });

  it('points apt-cacher-ng’s Debian maps at that mirror', () => {
    expect(remapArgs({ archive: 'http://m/debian', security: 'http://m/debian-security' })).toEqual([
      'Remap-debrep=file:deb_mirror*.gz /debian ; http://m/debian/',
      'Remap-secdeb=security.debian.org deb.debian.org/debian-security /debian-security ; http://m/debian-security/',
    ]);
  });
});

describe('names and MACs', () => {
  it('derives stable, locally administered unicast MACs per stack, node and NIC', () => {
    const mac = nicMac('s1', 'controller', 'eth1');
    expect(mac).toMatch(/^02(:[0-9a-f]{2}){5}$/);
    expect(nicMac('s1', 'controller', 'eth1')).toBe(mac);
    expect(new Set([mac, nicMac('s1', 'controller', 'eth2'), nicMac('s2', 'controller', 'eth1')]).size).toBe(3);
  });

  it('puts the stack id between separators a stack id cannot contain', () => {
    expect(netnsName('e2e', 'compute1')).toBe('ooa.e2e.compute1');
    expect(netnsName('e2e-x', 'compute1').startsWith(stackPrefix('e2e'))).toBe(false);
    expect(machineName('e2e', 'controller')).toBe('ooa-e2e-controller');
  });
});

describe('files written into a node', () => {
  it('matches NICs by MAC; the provider NIC is up without an address; only one gateway', () => {
    const mgmt = networkUnit({ name: 'eth0', mac: '02:00:00:00:00:01', address: '10.42.0.11/24' });
    expect(mgmt).toContain('MACAddress=02:00:00:00:00:01');
    expect(mgmt).toContain('Address=10.42.0.11/24');
    expect(mgmt).not.toContain('Gateway=');
    const prov = networkUnit({ name: 'eth1', mac: '02:00:00:00:00:02' });
    expect(prov).not.toMatch(/^Address=/m);
    expect(prov).toContain('RequiredForOnline=no');
    expect(prov).toContain('LinkLocalAddressing=no');
    expect(
      networkUnit({ name: 'eth2', mac: '02:00:00:00:00:03', address: '10.42.1.12/24', gateway: '10.42.1.1' }),
    ).toContain('Gateway=10.42.1.1');
  });

  it('lists every node in /etc/hosts by management address, without a 127.0.1.1 line', () => {
    const hosts = hostsFile('compute1', [
      { name: 'controller', ip: '10.42.0.11' },
      { name: 'compute1', ip: '10.42.0.21' },
    ]);
    expect(hosts).toContain('10.42.0.11 controller\n');
    expect(hosts).toContain('10.42.0.21 compute1\n');
    expect(hosts).not.toContain('127.0.1.1');
  });

  it('writes apt sources for the archive, updates and security', () => {
    const src = aptSources(
      osArchive('debian-12', { archive: 'http://m/debian', security: 'http://m/debian-security' }),
    );
    expect(src).toContain('URIs: http://m/debian\nSuites: bookworm bookworm-updates');
    expect(src).toContain('URIs: http://m/debian-security\nSuites: bookworm-security');
  });

  it("writes each OS's own suites: Debian 13 from the host's mirror, Ubuntu from Ubuntu's archive with universe", () => {
    const mirror = { archive: 'http://m/debian', security: 'http://m/debian-security' };
    const trixie = osArchive('debian-13', mirror);
    expect(aptSources(trixie)).toContain('Suites: trixie trixie-updates\nComponents: main\n');
    expect(aptSources(trixie)).toContain('Suites: trixie-security');
    expect(aptSourcesFile(trixie)).toBe('debian.sources');
    for (const [id, suite] of [
      ['ubuntu-24.04', 'noble'],
      ['ubuntu-26.04', 'resolute'],
    ] as const) {
      const a = osArchive(id, mirror);
      expect(aptSources(a)).toBe(
        [
          'Types: deb',
          'URIs: http://archive.ubuntu.com/ubuntu',
          `Suites: ${suite} ${suite}-updates ${suite}-security`,
          'Components: main universe',
          'Signed-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg',
          '',
        ].join('\n'),
      );
      expect(aptSourcesFile(a)).toBe('ubuntu.sources');
      // Debian 12's debootstrap knows neither suite by name: Ubuntu's one script is named.
      expect(a.script).toBe('/usr/share/debootstrap/scripts/gutsy');
    }
    expect(() => osArchive('centos-stream-9', mirror)).toThrow(/cannot build centos-stream-9 nodes/);
  });
});

describe('the nspawn command line', () => {
  it('has the flags measured to work without a host systemd, in the given namespace', () => {
    const args = nspawnArgs({ name: 'ooa-s-controller', dir: '/d', netnsPath: '/run/netns/ooa.s.controller' });
    for (const flag of [
      '--boot',
      '--register=no',
      '--keep-unit',
      '--console=read-only',
      '--private-users=no',
      '--capability=all',
    ])
      expect(args).toContain(flag);
    expect(args).toContain('--network-namespace-path=/run/netns/ooa.s.controller');
    expect(args.slice(args.indexOf('-M'), args.indexOf('-M') + 2)).toEqual(['-M', 'ooa-s-controller']);
  });
});

describe('the files a node gets before it boots', () => {
  it("writes the OS's apt sources and makes /dev/null writable for every user at boot", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-nodefiles-'));
    try {
      fs.mkdirSync(path.join(root, 'etc/apt'), { recursive: true });
      fs.writeFileSync(path.join(root, 'etc/apt/sources.list'), 'deb http://archive.ubuntu.com/ubuntu resolute main\n');
      const calls: string[][] = [];
      await writeNodeFiles(
        async (cmd: string, args: string[]) => {
          calls.push([cmd, ...args]);
          return { code: 0, stdout: '', stderr: '' };
        },
        root,
        {
          hostname: 'controller',
          nics: [],
          hosts: [{ name: 'controller', ip: '10.42.0.11' }],
          sshPublicKey: 'ssh-ed25519 AAAA test',
          hostKey: generateSshKey('controller host key'),
          aptProxy: 'http://203.0.113.1:3142',
          archive: osArchive('ubuntu-26.04', { archive: 'http://m/debian' }),
        },
      );
      // nspawn copies the host's /dev/null with its mode, whatever the host's is.
      expect(fs.readFileSync(path.join(root, 'etc/tmpfiles.d/openstack-on-aws-dev.conf'), 'utf8')).toBe(
        'z /dev/null 0666 root root -\n',
      );
      expect(fs.existsSync(path.join(root, 'etc/apt/sources.list'))).toBe(false);
      expect(fs.readFileSync(path.join(root, 'etc/apt/sources.list.d/ubuntu.sources'), 'utf8')).toContain(
        'Suites: resolute resolute-updates resolute-security',
      );
      expect(calls).toEqual([['ssh-keygen', '-A', '-f', root]]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('the cgroup layout a machine gets', () => {
  const rootWith = (lib: string) => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-systemd-'));
    fs.mkdirSync(path.join(d, 'usr/lib/x86_64-linux-gnu/systemd'), { recursive: true });
    fs.writeFileSync(path.join(d, 'usr/lib/x86_64-linux-gnu/systemd', lib), '');
    return d;
  };
  it('is unified for systemd 258 and later (resolute: 259), the host default before (bookworm: 252)', () => {
    const resolute = rootWith('libsystemd-shared-259.so');
    const bookworm = rootWith('libsystemd-shared-252.so');
    try {
      expect(systemdVersion(resolute)).toBe(259);
      expect(cgroupEnv(resolute)).toEqual({ SYSTEMD_NSPAWN_UNIFIED_HIERARCHY: '1' });
      expect(systemdVersion(bookworm)).toBe(252);
      expect(cgroupEnv(bookworm)).toEqual({});
      expect(cgroupEnv('/nonexistent')).toEqual({});
    } finally {
      for (const d of [resolute, bookworm]) fs.rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('the root file system cache', () => {
  const mirror = osArchive('debian-12', { archive: 'http://m/debian' });
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-rootfs-unit-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is current only with a complete tree and a stamp of the same recipe', () => {
    expect(cacheIsCurrent(dir, mirror)).toBe(false);
    fs.mkdirSync(path.join(rootfsDir(dir, mirror), 'usr/lib/systemd'), { recursive: true });
    fs.writeFileSync(path.join(rootfsDir(dir, mirror), 'usr/lib/systemd/systemd'), '');
    expect(cacheIsCurrent(dir, mirror)).toBe(false);
    fs.writeFileSync(stampPath(dir, mirror), JSON.stringify({ recipe: recipeId(mirror) }));
    expect(cacheIsCurrent(dir, mirror)).toBe(true);
    expect(cacheIsCurrent(dir, osArchive('debian-12', { archive: 'http://other/debian' }))).toBe(false);
  });

  it('keeps one cache per OS: another suite has its own folder and stamp', () => {
    const noble = osArchive('ubuntu-24.04', { archive: 'http://m/debian' });
    expect(rootfsDir(dir, noble)).toBe(path.join(dir, 'rootfs-noble'));
    expect(rootfsDir(dir, mirror)).toBe(path.join(dir, 'rootfs-bookworm'));
    expect(recipeId(noble)).not.toBe(recipeId(mirror));
    fs.mkdirSync(path.join(rootfsDir(dir, mirror), 'usr/lib/systemd'), { recursive: true });
    fs.writeFileSync(path.join(rootfsDir(dir, mirror), 'usr/lib/systemd/systemd'), '');
    fs.writeFileSync(stampPath(dir, mirror), JSON.stringify({ recipe: recipeId(mirror) }));
    expect(cacheIsCurrent(dir, noble)).toBe(false);
  });

  it('lists stack folders only (not the files beside them)', () => {
    fs.mkdirSync(path.join(dir, 'stack-a'));
    fs.writeFileSync(path.join(dir, 'apt-cacher-ng.pid'), '1\n');
    expect(listStackIds({ cacheDir: dir, stateRoot: dir, netnsDir: dir })).toEqual(['stack-a']);
  });
});

describe('host helpers', () => {
  it('parses the host’s current route to a mirror address', () => {
    expect(routeSpec('203.0.113.80 via 192.0.2.1 dev eth0 src 192.0.2.2 uid 0 \\    cache')).toEqual([
      'via',
      '192.0.2.1',
      'dev',
      'eth0',
    ]);
    expect(routeSpec('10.0.0.5 dev br0 src 10.0.0.1')).toEqual(['dev', 'br0']);
    expect(routeSpec('unreachable')).toBeUndefined();
  });

  it('names the Debian package of every missing tool once', () => {
    expect(missingPackages(() => false)).toEqual([
      'systemd-container',
      'debootstrap',
      'iproute2',
      'nftables',
      'openssh-client',
      'util-linux',
      'mount',
    ]);
    expect(missingPackages(() => true)).toEqual([]);
  });
});

const silentIo = memoryIo({});

describe("a local machine's console for the log bundle", () => {
  it('is the tail of the console log nspawn writes, capped like EC2 keeps it', async () => {
    const stateRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-console-'));
    try {
      const provider = createLocalProvider({ paths: { cacheDir: stateRoot, stateRoot, netnsDir: stateRoot } });
      fs.mkdirSync(path.join(stateRoot, 'con-stack'));
      const log = path.join(stateRoot, 'con-stack', 'compute1.console.log');
      const node = { name: 'compute1', instanceId: 'ooa-con-stack-compute1', managementIp: '10.42.0.21', nics: [] };
      fs.writeFileSync(log, 'Welcome to Debian GNU/Linux 12 (bookworm)!\n');
      await expect(provider.consoleOutput!('con-stack', node, silentIo)).resolves.toBe(
        'Welcome to Debian GNU/Linux 12 (bookworm)!\n',
      );
      fs.writeFileSync(log, `${'x'.repeat(100_000)}\nlast line\n`);
      const tail = await provider.consoleOutput!('con-stack', node, silentIo);
      expect(tail).toHaveLength(64 * 1024);
      expect(tail.endsWith('\nlast line\n')).toBe(true);
      await expect(provider.consoleOutput!('other-stack', node, silentIo)).rejects.toThrow(/ENOENT/);
    } finally {
      fs.rmSync(stateRoot, { recursive: true, force: true });
    }
  });
});

describe("the local provider's teardown records", () => {
  it('are typed records of what was found, a process by its PID and a loop device as the ledger names it', () => {
    const records = leftoverRecords({
      namespaces: ['ooa.t1.controller'],
      processes: [4242],
      mounts: ['/var/lib/openstack-on-aws/t1/nodes/controller/proc'],
      loops: [{ loop: '/dev/loop7', file: '/var/lib/openstack-on-aws/t1/disks/block1-sdf.img' }],
      links: ['ooa1a2b3c4dh'],
      nftTables: ['inet ooa-t1-host'],
      dirs: ['/var/lib/openstack-on-aws/t1'],
    });
    expect(records).toEqual([
      { kind: 'netns', id: 'ooa.t1.controller' },
      { kind: 'process', id: '4242' },
      { kind: 'mount', id: '/var/lib/openstack-on-aws/t1/nodes/controller/proc' },
      { kind: 'loop-device', id: '/dev/loop7 /var/lib/openstack-on-aws/t1/disks/block1-sdf.img' },
      { kind: 'link', id: 'ooa1a2b3c4dh' },
      { kind: 'nft-table', id: 'inet ooa-t1-host' },
      { kind: 'local-stack-dir', id: '/var/lib/openstack-on-aws/t1' },
    ]);
  });

  it("are read back from a run's ledger by kind and node", () => {
    const known = [
      { kind: LocalKind.Process, id: '11', node: 'controller' },
      { kind: LocalKind.Process, id: '12', node: 'compute1' },
      { kind: LocalKind.ProcessLeader, id: '13', node: 'compute1' },
      { kind: LocalKind.HostRoute, id: '192.0.2.7/32' },
    ];
    expect(idsOf(known, LocalKind.Process, 'compute1')).toEqual(['12']);
    expect(idsOf(known, LocalKind.Process)).toEqual(['11', '12']);
    expect(idsOf(known, LocalKind.HostRoute)).toEqual(['192.0.2.7/32']);
  });
});
