// lib.sh's functions under real bash: files and ini edits change once and then never again, the
// change records survive pipelines, and NICs are found by MAC in a network namespace this test
// creates (a bridge that copies a port's MAC is not mistaken for the NIC; a NIC whose MAC the
// network fix changed keeps its recorded name). Package and unit names per family follow the
// install guide of each distribution.

import { ChildProcess, spawn, spawnSync } from 'child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

const LIB = join(__dirname, '../../src/stages/lib.sh');
let dir: string;

function settings(extra: Record<string, string> = {}): string {
  const values: Record<string, string> = {
    NODE_NAME: 'controller',
    NODE_ROLE: 'controller',
    OS_ID: 'debian-12',
    OS_FAMILY: 'debian',
    NETWORK_DRIVER: 'linuxbridge',
    ...extra,
  };
  const file = join(dir, 'settings.env');
  writeFileSync(
    file,
    Object.entries(values)
      .map(([k, v]) => `${k}='${v}'\n`)
      .join(''),
    { mode: 0o600 },
  );
  return file;
}

/** Runs a snippet after sourcing lib.sh and the settings; optionally inside a network namespace. */
function lib(
  snippet: string,
  opts: { netns?: string; settings?: Record<string, string>; prefix?: string; privateSbin?: boolean } = {},
) {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    OOA_SETTINGS: settings(opts.settings),
    OOA_NICS: join(dir, 'nics.env'),
  };
  const script = `${opts.prefix ?? ''}set -euo pipefail; . ${LIB}; load_settings; ${snippet}`;
  // privateSbin: an empty /usr/sbin in a mount namespace of the snippet's own, for what writes
  // there (pkg_install's policy-rc.d) without touching this host's.
  const cmd = opts.netns
    ? ['ip', 'netns', 'exec', opts.netns, 'bash', '-c', script]
    : opts.privateSbin
      ? ['unshare', '-m', '--propagation', 'private', 'bash', '-c', `mount -t tmpfs ooa-sbin /usr/sbin && ${script}`]
      : ['bash', '-c', script];
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ooa-stages-lib-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('files', () => {
  test('write_file writes once, then records nothing; the record survives a pipeline', () => {
    const f = join(dir, 'a.conf');
    const snippet = `printf 'x = 1\\n' | write_file ${f} 0640; echo "changes=\${#CHANGES[@]} config=$CONFIG_CHANGED"`;
    expect(lib(snippet).out).toContain('changes=1 config=1');
    expect(lib(snippet).out).toContain('changes=0 config=0');
    expect(readFileSync(f, 'utf8')).toBe('x = 1\n');
  });

  test('ensure_block appends, replaces in place and is then stable', () => {
    const f = join(dir, 'hosts');
    writeFileSync(f, '127.0.0.1 localhost\n');
    lib(`ensure_block ${f} nodes <<<'10.0.0.11 controller'`);
    lib(`ensure_block ${f} nodes <<<$'10.0.0.11 controller\\n10.0.0.21 compute1'`);
    expect(readFileSync(f, 'utf8')).toBe(
      '127.0.0.1 localhost\n# BEGIN openstack-on-aws nodes\n10.0.0.11 controller\n10.0.0.21 compute1\n# END openstack-on-aws nodes\n',
    );
    const again = lib(
      `ensure_block ${f} nodes <<<$'10.0.0.11 controller\\n10.0.0.21 compute1'; echo "n=\${#CHANGES[@]}"`,
    );
    expect(again.out).toContain('n=0');
  });

  test('conf_set replaces a commented default and is then stable', () => {
    const f = join(dir, 'qemu.conf');
    writeFileSync(f, '# cgroup_controllers = [ "cpu" ]\nuser = "libvirt-qemu"\n');
    lib(`conf_set ${f} cgroup_controllers '[ ]'`);
    expect(readFileSync(f, 'utf8')).toBe('user = "libvirt-qemu"\ncgroup_controllers = [ ]\n');
    expect(lib(`conf_set ${f} cgroup_controllers '[ ]'; echo "n=\${#CHANGES[@]}"`).out).toContain('n=0');
  });

  test('ini_set (crudini) sets, keeps other keys, and a repeat changes nothing', () => {
    const f = join(dir, 'keystone.conf');
    writeFileSync(f, '[DEFAULT]\ndebug = false\n\n[database]\nconnection = sqlite:///x\n');
    const url = 'mysql+pymysql://keystone:Pa55w0rd@controller/keystone';
    lib(`ini_set ${f} database connection '${url}'; ini_set ${f} token provider fernet`);
    const again = lib(`ini_set ${f} database connection '${url}'; echo "n=\${#CHANGES[@]}"`);
    expect(again.out).toContain('n=0');
    const get = (s: string, k: string) => spawnSync('crudini', ['--get', f, s, k], { encoding: 'utf8' }).stdout.trim();
    expect([get('database', 'connection'), get('token', 'provider'), get('DEFAULT', 'debug')]).toEqual([
      url,
      'fernet',
      'false',
    ]);
  });
});

describe('NICs by MAC (in a network namespace of our own)', () => {
  const ns = `ooa-devstages-lib-${process.pid}`;
  const ip = (...a: string[]) => {
    const r = spawnSync('ip', a, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip ${a.join(' ')}: ${r.stderr}`);
  };
  beforeAll(() => {
    ip('netns', 'add', ns);
    ip('-n', ns, 'link', 'add', 'ens5', 'address', '02:00:00:00:00:10', 'type', 'veth', 'peer', 'name', 'peer5');
    ip('-n', ns, 'link', 'add', 'enX1', 'address', '02:00:00:00:00:11', 'type', 'veth', 'peer', 'name', 'peer6');
    // Like Neutron's brq*: a bridge that takes the MAC of its first port.
    ip('-n', ns, 'link', 'add', 'brqtest', 'type', 'bridge');
    ip('-n', ns, 'link', 'set', 'enX1', 'master', 'brqtest');
  });
  afterAll(() => {
    spawnSync('ip', ['netns', 'del', ns]);
  });

  test('resolve_nics finds the NICs, skips the bridge, records them; a MAC change keeps the name', () => {
    const s = { MAC_MANAGEMENT: '02:00:00:00:00:10', MAC_PROVIDER: '02:00:00:00:00:11' };
    const first = lib('resolve_nics; echo "mgmt=$NIC_MANAGEMENT prov=$NIC_PROVIDER"', { netns: ns, settings: s });
    expect(first.code).toBe(0);
    expect(first.out).toContain('mgmt=ens5 prov=enX1');
    expect(readFileSync(join(dir, 'nics.env'), 'utf8')).toBe("NIC_MANAGEMENT='ens5'\nNIC_PROVIDER='enX1'\n");
    // The network fix gives the provider NIC a new MAC: the recorded name stays.
    ip('-n', ns, 'link', 'set', 'enX1', 'address', '02:00:00:00:00:99');
    const again = lib('resolve_nics; echo "prov=$NIC_PROVIDER n=${#CHANGES[@]}"', { netns: ns, settings: s });
    expect(again.out).toContain('prov=enX1 n=0');
    expect(again.out).toContain('keeping the recorded provider NIC enX1');
  });

  test('an unknown MAC stops the stage with the NIC list', () => {
    const r = lib('resolve_nics', { netns: ns, settings: { MAC_MANAGEMENT: '02:00:00:00:00:77' } });
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/no single NIC has MAC 02:00:00:00:00:77 .*ens5/);
  });
});

describe('names per OS family (the install guides)', () => {
  const names = (family: string, osId: string, expr: string, extra: Record<string, string> = {}) =>
    lib(`echo $(${expr})`, { settings: { OS_FAMILY: family, OS_ID: osId, ...extra } }).out.trim();

  test('Keystone and Placement: uwsgi units on Debian, Apache on Ubuntu and RHEL', () => {
    expect(names('debian', 'debian-12', 'units keystone')).toBe('keystone');
    expect(names('ubuntu', 'ubuntu-24.04', 'units keystone')).toBe('apache2');
    expect(names('rhel', 'rocky-9', 'units placement')).toBe('httpd');
    expect(names('debian', 'debian-12', 'units neutron-server', { RELEASE_CODENAME: 'zed' })).toBe(
      'neutron-api neutron-rpc-server neutron-dhcp-agent neutron-metadata-agent neutron-l3-agent',
    );
  });

  test('packages: Debian etcd-server, CentOS 7 python2 names, RDO openstack-* names', () => {
    expect(names('debian', 'debian-12', 'pkgs etcd')).toBe('etcd-server');
    expect(names('ubuntu', 'ubuntu-22.04', 'pkgs etcd')).toBe('etcd');
    expect(names('rhel', 'centos-7', 'pkgs mariadb')).toBe('mariadb mariadb-server python-PyMySQL');
    expect(names('rhel', 'centos-stream-9', 'pkgs nova-controller')).toBe(
      'openstack-nova-api openstack-nova-conductor openstack-nova-novncproxy openstack-nova-scheduler',
    );
    expect(names('debian', 'debian-12', 'pkgs nova-compute', { VIRT_TYPE: 'qemu' })).toBe(
      'nova-compute nova-compute-qemu genisoimage',
    );
    expect(names('debian', 'debian-12', 'pkgs neutron-agent', { NETWORK_DRIVER: 'openvswitch' })).toBe(
      'neutron-openvswitch-agent openvswitch-switch',
    );
  });

  test('swift storage units include the rsync daemon under each family’s name', () => {
    expect(names('debian', 'debian-12', 'units swift-storage').split(' ')).toContain('rsync');
    expect(names('rhel', 'rocky-9', 'units swift-storage').split(' ')).toContain('rsyncd');
    expect(names('rhel', 'rocky-9', 'units swift-storage').split(' ')).toContain('openstack-swift-object-replicator');
  });
});

describe('disk_for', () => {
  // lsblk as CentOS 7's util-linux (2.23) answers: no PATH column (added in 2.33), KNAME works.
  // Two 20 GiB disks and the root disk; xvdf carries an EBS serial.
  function oldLsblk(): string {
    const bin = join(dir, 'bin');
    spawnSync('mkdir', ['-p', bin]);
    writeFileSync(
      join(bin, 'lsblk'),
      `#!/bin/bash
[[ "$*" == *PATH* ]] && { echo "lsblk: unknown column: PATH" >&2; exit 1; }
case "$*" in
  *SERIAL*) printf 'xvda \\nxvdf vol0123456789abcdef0\\nxvdg \\n' ;;
  *MOUNTPOINT*) [[ "$*" == */dev/xvda* ]] && echo / || echo "" ;;
  *SIZE,TYPE*) printf 'xvda 21474836480 disk\\nxvdf 42949672960 disk\\nxvdg 21474836480 disk\\n' ;;
esac
`,
      { mode: 0o755 },
    );
    return bin;
  }

  test('finds disks by EBS serial and by size with an lsblk that has no PATH column', () => {
    const bin = oldLsblk();
    const disks = 'cinder-lvm:lvm:40:vol-0123456789abcdef0: swift:d1:20::';
    const r = lib(`PATH=${bin}:$PATH; DISKS='${disks}'; disk_for cinder-lvm; disk_for d1`);
    expect(r.err).not.toContain('unknown column');
    // by serial; then by size: xvda is 20 GiB too but holds the mounted root, so xvdg
    expect(r.out).toBe('/dev/xvdf\n/dev/xvdg\n');
  });
});

describe('apt under a wall-clock limit (an apt-get stand-in that hangs, fails or succeeds)', () => {
  // The stand-in records each call; its answer per call comes from $ANSWERS (hang | fail | ok),
  // one word per call. It `exec`s sleep so that timeout's signal ends the hang itself (a child
  // left behind would hold this test's pipes open).
  function standIn(answers: string): string {
    const bin = join(dir, 'bin');
    spawnSync('mkdir', ['-p', bin]);
    writeFileSync(
      join(bin, 'apt-get'),
      `#!/bin/bash
n=$(( $(wc -l <"${dir}/calls" 2>/dev/null || echo 0) + 1 ))
echo "$*" >>"${dir}/calls"
case "$(echo ${answers} | cut -d' ' -f$n)" in
  hang) exec sleep 30 ;;
  fail) exit 100 ;;
esac
exit 0
`,
      { mode: 0o755 },
    );
    writeFileSync(join(bin, 'dpkg-query'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    return bin;
  }
  const calls = () => readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n');
  const limits = 'APT_UPDATE_SECONDS=1; APT_DOWNLOAD_SECONDS=1; sleep() { :; }; ';

  test('a refresh that hangs is ended and tried again; the second try counts', () => {
    const bin = standIn('hang ok');
    const started = Date.now();
    // As the stages call it: apt-get's own output silenced, apt_net's notes still shown.
    const r = lib(`PATH=${bin}:$PATH; ${limits} pkg_refresh >/dev/null; echo refreshed`);
    expect(r.code).toBe(0);
    expect(r.out).toContain('refreshed');
    expect(r.err).toContain('apt-get update: not done within 1s; trying again (2/3)');
    expect(calls()).toEqual([
      expect.stringMatching(/Acquire::Retries=3 .* update -q$/),
      expect.stringMatching(/ update -q$/),
    ]);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  test('three failed tries stop the stage with the step, the count and the node', () => {
    const bin = standIn('fail hang fail');
    const r = lib(`PATH=${bin}:$PATH; ${limits} pkg_refresh >/dev/null; echo refreshed`);
    expect(r.code).not.toBe(0);
    expect(r.out).not.toContain('refreshed');
    expect(r.err).toContain(
      'apt-get update failed 3 times (last: exit 100); is the package mirror reachable from controller?',
    );
    expect(calls()).toHaveLength(3);
  });

  test('a download that fails for good leaves no policy-rc.d behind (it would hold every service back)', () => {
    const bin = standIn('fail fail fail');
    // pkg_install in a subshell: its die ends that, and the files of /usr/sbin are counted after.
    const r = lib(
      `PATH=${bin}:$PATH; ${limits} (pkg_install a) && echo installed; echo "policy-rc.d left: $(ls /usr/sbin | wc -l)"`,
      { privateSbin: true },
    );
    expect(r.out).not.toContain('installed\n');
    expect(r.err).toContain('apt-get install (download) failed 3 times (last: exit 100)');
    expect(r.out).toContain('policy-rc.d left: 0');
    expect(calls()).toHaveLength(3);
  });

  test('pkg_install downloads under the limit (tried again), then unpacks once, offline', () => {
    const bin = standIn('hang ok ok');
    const r = lib(
      `PATH=${bin}:$PATH; ${limits} pkg_install a b a; echo "installed; policy-rc.d left: $(ls /usr/sbin | wc -l)"`,
      { privateSbin: true },
    );
    expect(r.out).toContain('installed; policy-rc.d left: 0');
    expect(r.err).toContain('apt-get install (download): not done within 1s; trying again (2/3)');
    const [first, second, third] = calls();
    expect(first).toMatch(/Acquire::http::Timeout=30 .* install -y -q --download-only a b$/);
    expect(second).toBe(first);
    expect(third).toBe('install -y -q -o Dpkg::Options::=--force-confold a b');
  });
});

describe('readiness of a page (a real HTTP server on loopback, in a process of its own)', () => {
  let server: ChildProcess;
  let port = 0;
  beforeAll(async () => {
    // / redirects to the login page (as Horizon does), /broken answers 500 (Debian 13's dashboard did).
    const code = `const h=require('http').createServer((q,r)=>{if(q.url==='/')r.writeHead(302,{Location:'/auth/login/'}).end();else if(q.url==='/auth/login/')r.writeHead(200).end('login');else r.writeHead(500).end('boom')});h.listen(0,'127.0.0.1',()=>console.log(h.address().port))`;
    server = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    port = await new Promise<number>((resolve) =>
      server.stdout!.once('data', (d) => resolve(Number(String(d).trim()))),
    );
  });
  afterAll(() => {
    server.kill();
  });

  test('page_ok follows the redirect to a 200; a 500 is no answer, though http_up takes it', () => {
    expect(lib(`page_ok http://127.0.0.1:${port}/`).code).toBe(0);
    expect(lib(`page_ok http://127.0.0.1:${port}/broken`).code).not.toBe(0);
    expect(lib(`http_up http://127.0.0.1:${port}/broken`).code).toBe(0);
  });
});

describe('ebtables: an --among-src rule deleted by its text, as the Linux bridge agent does (own namespace)', () => {
  const ns = `ooa-devstages-ebt-${process.pid}`;
  const real = '/usr/sbin/ebtables-nft';
  let wrapper: string;
  const inNs = (...argv: string[]) => spawnSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8' });
  const chainText = () => inNs(real, '-t', 'nat', '-L', 'neutronMAC-tap1').stdout;
  // The agent installs the port's MACs, then deletes the rule by the words of its listed line.
  const installed = ['-i', 'tap1', '--among-src', 'fa:16:3e:00:0a:01,fa:16:3e:11:22:33', '-j', 'RETURN'];
  const listedRule = () => {
    const line = chainText()
      .split('\n')
      .find((l) => l.includes('--among-src'));
    if (!line) throw new Error(`no --among-src rule in:\n${chainText()}`);
    return line.split(/\s+/).filter(Boolean);
  };
  beforeAll(() => {
    spawnSync('ip', ['netns', 'add', ns]);
  });
  afterAll(() => {
    spawnSync('ip', ['netns', 'del', ns]);
  });
  beforeEach(() => {
    wrapper = join(dir, 'ebtables-among-delete');
    writeFileSync(wrapper, lib(`ebtables_among_wrapper ${real}`).out, { mode: 0o755 });
    // The agent's chain for a port: default DROP, a DROP rule at its end, the port's MACs before it.
    inNs(real, '-t', 'nat', '-F');
    inNs(real, '-t', 'nat', '-X');
    const setup = [
      ['-N', 'neutronMAC-tap1', '-P', 'DROP'],
      ['-A', 'neutronMAC-tap1', '-j', 'DROP'],
      ['-I', 'neutronMAC-tap1', ...installed],
    ];
    for (const args of setup) expect(inNs(real, '-t', 'nat', '--concurrent', ...args).status).toBe(0);
  });

  test('the wrapper passes shellcheck', () => {
    const r = spawnSync('shellcheck', ['-s', 'bash', wrapper], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test('the probe tells whether this ebtables deletes by text; through the wrapper the delete always holds', () => {
    const plain = inNs(real, '-t', 'nat', '--concurrent', '-D', 'neutronMAC-tap1', ...listedRule());
    // Debian 12's iptables 1.8.9 (this host's) refuses: exit 4, "RULE_DELETE failed".
    const probe = lib('ebtables_among_delete_works', { netns: ns });
    expect(probe.code === 0).toBe(plain.status === 0);
    if (plain.status === 0) inNs(real, '-t', 'nat', '-I', 'neutronMAC-tap1', ...installed);

    const viaWrapper = inNs(wrapper, '-t', 'nat', '--concurrent', '-D', 'neutronMAC-tap1', ...listedRule());
    expect(viaWrapper.status).toBe(0);
    expect(chainText()).not.toContain('--among-src');
    expect(chainText()).toMatch(/entries: 1\b[\s\S]*^-j DROP$/m);
  });

  test('the MACs as the caller wrote them (leading zeros, capitals) find the rule too', () => {
    const spelled = installed.map((w) => (w.startsWith('fa:') ? w.toUpperCase() : w));
    expect(inNs(wrapper, '-t', 'nat', '-D', 'neutronMAC-tap1', ...spelled).status).toBe(0);
    expect(chainText()).not.toContain('--among-src');
  });

  test('every other call goes to ebtables unchanged: output, and a refusal with its exit code', () => {
    const listed = inNs(wrapper, '-t', 'nat', '-L', 'neutronMAC-tap1');
    expect(listed.status).toBe(0);
    expect(listed.stdout).toBe(chainText());
    // A rule that is not there: the real refusal, not a delete of some other rule by number.
    const other = ['-i', 'tap1', '--among-src', 'fa:16:3e:00:00:09', '-j', 'RETURN'];
    const plainMissing = inNs(real, '-t', 'nat', '-D', 'neutronMAC-tap1', ...other);
    const wrappedMissing = inNs(wrapper, '-t', 'nat', '-D', 'neutronMAC-tap1', ...other);
    expect(plainMissing.status).not.toBe(0);
    expect(wrappedMissing.status).toBe(plainMissing.status);
    expect(listedRule()).toEqual(expect.arrayContaining(['--among-src']));
    expect(inNs(wrapper, '-t', 'nat', '-D', 'no-such-chain', ...listedRule()).status).not.toBe(0);
  });
});

describe('ebtables_among_delete on this host, in a mount namespace of its own (overlays on the alternatives)', () => {
  // update-alternatives and the wrapper write to /usr/sbin, /usr/local/sbin, /etc/alternatives and
  // dpkg's alternatives database: each gets an overlay that ends with the namespace.
  const dirs = ['/usr/sbin', '/usr/local/sbin', '/etc/alternatives', '/var/lib/dpkg/alternatives'];
  const overlays = () =>
    dirs
      .map((d, i) => {
        const up = join(dir, `upper${i}`);
        const work = join(dir, `work${i}`);
        return `mkdir -p ${up} ${work}; mount -t overlay overlay -o lowerdir=${d},upperdir=${up},workdir=${work} ${d}; `;
      })
      .join('');
  const sandboxed = (snippet: string) =>
    spawnSync('unshare', ['--mount', '--propagation', 'private', 'bash', '-c', `${overlays()}${snippet}`], {
      encoding: 'utf8',
      env: { PATH: '/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' },
    });

  test('puts the wrapper in front of ebtables-nft (not the multi-call binary it links to), proves it, and stays put on a second run', () => {
    const snippet = [
      `. ${LIB}`,
      'NODE_NAME=compute1 STAGE=neutron-compute',
      'before="$(ebtables_alternative)"',
      'ebtables_among_delete_works && echo "probe-before=ok" || echo "probe-before=refused"',
      'ebtables_among_delete; echo "first-changes=${#CHANGES[@]}"',
      'echo "alternative=$(ebtables_alternative) real=$(sed -n "s/^real=//p" /usr/local/sbin/ebtables-among-delete 2>/dev/null)"',
      'echo "restore=$(readlink /etc/alternatives/ebtables-restore) save=$(readlink /etc/alternatives/ebtables-save)"',
      'unshare --net ebtables -t nat --concurrent -L >/dev/null && echo "list=ok"',
      'CHANGES=(); ebtables_among_delete; echo "second-changes=${#CHANGES[@]}"',
      'echo "before=$before"',
    ].join('\n');
    const r = sandboxed(snippet);
    expect(r.stderr).not.toMatch(/ERROR|error/);
    const out = r.stdout;
    expect(r.status).toBe(0);
    const before = /^before=(\S+)$/m.exec(out)?.[1];
    expect(before).toBe('/usr/sbin/ebtables-nft');
    if (out.includes('probe-before=ok')) {
      // An ebtables that deletes by text needs no wrapper: nothing is changed.
      expect(out).toContain('first-changes=0');
      expect(out).toContain(`alternative=${before} real=`);
      return;
    }
    // This host's iptables 1.8.9 (Debian 12): the wrapper goes in, naming ebtables-nft itself.
    expect(out).toContain('first-changes=2'); // the wrapper written, the alternative set
    expect(out).toContain(`alternative=/usr/local/sbin/ebtables-among-delete real=${before}`);
    expect(out).toContain('restore=/usr/sbin/ebtables-nft-restore save=/usr/sbin/ebtables-nft-save');
    expect(out).toContain('list=ok');
    expect(out).toContain('second-changes=0');
  });

  test('the host itself is untouched afterwards', () => {
    const r = spawnSync('update-alternatives', ['--query', 'ebtables'], { encoding: 'utf8' });
    expect(r.stdout).toContain('Value: /usr/sbin/ebtables-nft');
    expect(readlinkSync('/etc/alternatives/ebtables')).toBe('/usr/sbin/ebtables-nft');
    expect(spawnSync('test', ['-e', '/usr/local/sbin/ebtables-among-delete']).status).not.toBe(0);
  });
});
