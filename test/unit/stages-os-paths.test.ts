// The OS- and release-specific paths of lib.sh and the stage scripts that only AWS can run in
// full (CentOS 7 + Rocky, CentOS Stream 9 / Rocky 9 with RDO), checked under real bash with
// OS_ID and RELEASE_CODENAME set as the runner sets them. Files under /etc are written inside a
// private mount namespace whose /etc is an overlay on the host's (the upper layer is a temp dir
// of this test), so the real functions write the real paths and the host's /etc stays untouched.
// Commands that do not exist on this Debian host (rabbitmqctl of RabbitMQ 3.6, SELinux tools,
// dnf) are small stand-ins in a temp bin directory that record how they were called.

import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { RELEASES } from '../../src/settings/matrix';

const STAGES = join(__dirname, '../../src/stages');
const LIB = join(STAGES, 'lib.sh');
let dir: string;

interface RunOpts {
  os?: string;
  family?: string;
  release?: string;
  /** Run with a private /etc overlay; files to create in it first (path → content). */
  etc?: Record<string, string>;
  /** Prepended to PATH (stand-ins). */
  bin?: string;
  settings?: Record<string, string>;
}

function run(snippet: string, o: RunOpts = {}) {
  const values: Record<string, string> = {
    NODE_NAME: 'controller',
    NODE_ROLE: 'controller',
    OS_ID: o.os ?? 'rocky-9',
    OS_FAMILY: o.family ?? 'rhel',
    RELEASE_CODENAME: o.release ?? 'zed',
    ...o.settings,
  };
  const settings = join(dir, 'settings.env');
  writeFileSync(
    settings,
    Object.entries(values)
      .map(([k, v]) => `${k}='${v}'\n`)
      .join(''),
  );
  const script = `set -euo pipefail; . ${LIB}; load_settings; ${snippet}`;
  const env = {
    PATH: `${o.bin ? `${o.bin}:` : ''}${process.env.PATH ?? '/usr/bin:/bin'}`,
    OOA_SETTINGS: settings,
    OOA_NICS: join(dir, 'nics.env'),
  };
  if (!o.etc) {
    const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', env });
    return { code: r.status, out: r.stdout, err: r.stderr };
  }
  const upper = join(dir, 'etc-upper');
  const work = join(dir, 'etc-work');
  mkdirSync(upper, { recursive: true });
  mkdirSync(work, { recursive: true });
  const seed = join(dir, 'seed');
  mkdirSync(seed, { recursive: true });
  const setup = Object.entries(o.etc)
    .map(([path, content], i) => {
      writeFileSync(join(seed, String(i)), content);
      return `mkdir -p "$(dirname ${path})" && cp ${join(seed, String(i))} ${path}`;
    })
    .join(' && ');
  const wrapped =
    `mount -t overlay ooa-osfix -o lowerdir=/etc,upperdir=${upper},workdir=${work} /etc` +
    `${setup ? ` && ${setup}` : ''} && exec bash -c "$1"`;
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'bash', '-c', wrapped, 'osfix', script], {
    encoding: 'utf8',
    env,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A file the overlay's upper layer received (what the snippet wrote under /etc). */
const etcFile = (path: string) => readFileSync(join(dir, 'etc-upper', path.replace(/^\/etc\//, '')), 'utf8');

function standIn(name: string, body: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, name), `#!/bin/bash\n${body}\n`);
  chmodSync(join(bin, name), 0o755);
  return bin;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ooa-osfix-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('releases in lib.sh', () => {
  test('OOA_RELEASES is the matrix order of codenames; release_before compares by it', () => {
    expect(run('echo "$OOA_RELEASES"').out.trim()).toBe(RELEASES.map((r) => r.codename).join(' '));
    const cmp = (mine: string, other: string) =>
      run(`release_before ${other} && echo yes || echo no`, { release: mine }).out.trim();
    expect([cmp('rocky', 'stein'), cmp('stein', 'stein'), cmp('zed', 'yoga'), cmp('caracal', 'flamingo')]).toEqual([
      'yes',
      'no',
      'no',
      'yes',
    ]);
    const bad = run('release_before stein', { release: 'nonsense' });
    expect(bad.code).not.toBe(0);
    expect(bad.out).toContain("unknown OpenStack release 'nonsense'");
  });
});

describe('Placement: part of Nova before Stein (CentOS 7 + Rocky)', () => {
  const vhostRdo =
    'Listen 8778\n<VirtualHost *:8778>\n  WSGIScriptAlias / /usr/bin/nova-placement-api\n</VirtualHost>\n';

  test('rocky: openstack-nova-placement-api, nova.conf, nova-manage api_db sync', () => {
    const o = { os: 'centos-7', release: 'rocky' };
    expect(run('echo "$(pkgs placement) | $(placement_conf_path)"', o).out.trim()).toBe(
      'openstack-nova-placement-api | /etc/nova/nova.conf',
    );
    const sync = run('run_as() { echo "as $1: $2"; }; placement_db_sync', o);
    expect(sync.out).toContain('as nova: nova-manage api_db sync');
    expect(sync.out).not.toContain('placement-manage');
  });

  test('stein and later: openstack-placement-api, placement.conf, placement-manage', () => {
    for (const release of ['stein', 'zed']) {
      const o = { os: 'rocky-9', release };
      expect(run('echo "$(pkgs placement) | $(placement_conf_path)"', o).out.trim()).toBe(
        'openstack-placement-api | /etc/placement/placement.conf',
      );
      expect(run('run_as() { echo "as $1: $2"; }; placement_db_sync', o).out).toContain(
        'as placement: placement-manage db sync',
      );
    }
    expect(run('echo "$(pkgs placement)"', { family: 'ubuntu', os: 'ubuntu-22.04', release: 'yoga' }).out.trim()).toBe(
      'placement-api',
    );
  });

  test("rocky: the guide's <Directory /usr/bin> access goes into Nova's 00-nova-placement-api.conf", () => {
    const nova = '/etc/httpd/conf.d/00-nova-placement-api.conf';
    const r = run(
      `web_wsgi_setup placement; web_wsgi_setup placement; echo "n=\${#CHANGES[@]}"; ls /etc/httpd/conf.d`,
      { os: 'centos-7', release: 'rocky', etc: { [nova]: vhostRdo } },
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain('n=1');
    expect(r.out).not.toContain('00-placement-api.conf');
    const text = etcFile(nova);
    expect(text.startsWith(vhostRdo)).toBe(true);
    expect(text).toMatch(/<Directory \/usr\/bin>\n\s+<IfVersion >= 2\.4>\n\s+Require all granted/);
  });

  test('zed: the same block in the placement project’s 00-placement-api.conf', () => {
    const r = run('web_wsgi_setup placement; ls /etc/httpd/conf.d', { os: 'rocky-9', release: 'zed', etc: {} });
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('00-nova-placement-api.conf');
    expect(etcFile('/etc/httpd/conf.d/00-placement-api.conf')).toContain('<Directory /usr/bin>');
  });
});

describe('RabbitMQ user', () => {
  // Models rabbitmqctl's add_user: 3.6 (CentOS 7, RDO Rocky) needs both arguments; 3.7+ reads a
  // missing password from stdin. Records argv and stdin.
  const rabbitmqctl = (version: '3.6' | '3.8') =>
    standIn(
      'rabbitmqctl',
      [
        `log=${dir}/rabbitmqctl.calls`,
        'args=(); for a in "$@"; do [[ "$a" == -q ]] || args+=("$a"); done',
        'if [[ "${args[0]}" == add_user && ${#args[@]} -lt 3 ]]; then',
        version === '3.6'
          ? '  echo "Error: operation add_user takes 2 arguments" >&2; exit 64'
          : '  printf "argv=%s stdin=%s\\n" "${args[*]}" "$(cat)" >>"$log"; exit 0',
        'fi',
        'printf "argv=%s stdin=\\n" "${args[*]}" >>"$log"',
      ].join('\n'),
    );

  test('CentOS 7: the password as argument (3.6 has no stdin form), nothing printed', () => {
    const bin = rabbitmqctl('3.6');
    const r = run('PW=S3cret-pw; set -x; rabbitmq_add_user openstack PW; echo done', {
      os: 'centos-7',
      release: 'rocky',
      bin,
    });
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'rabbitmqctl.calls'), 'utf8')).toBe('argv=add_user openstack S3cret-pw stdin=\n');
    expect(r.err).toContain('+ rabbitmq_add_user openstack PW');
    expect(`${r.out}${r.err}`).not.toContain('S3cret-pw');
  });

  test('EL9, Debian and Ubuntu: a definitions file with the password hash, never in argv; removed after', () => {
    // RabbitMQ 4 (Debian 13, Ubuntu 26.04) never returned from add_user with a piped password.
    const bin = standIn(
      'rabbitmqctl',
      [
        `log=${dir}/rabbitmqctl.calls`,
        'args=(); for a in "$@"; do [[ "$a" == -q ]] || args+=("$a"); done',
        'printf "argv=%s\\n" "${args[*]}" >>"$log"',
        `if [[ "\${args[0]}" == import_definitions ]]; then stat -c %a "\${args[1]}" >${dir}/mode; cp "\${args[1]}" ${dir}/defs.json; fi`,
      ].join('\n'),
    );
    for (const [os, release] of [
      ['rocky-9', 'zed'],
      ['debian-13', 'epoxy'],
      ['ubuntu-26.04', 'gazpacho'],
    ]) {
      rmSync(join(dir, 'rabbitmqctl.calls'), { force: true });
      const r = run('PW=S3cret-pw; set -x; rabbitmq_add_user openstack PW; echo done', { os, release, bin });
      expect(r.code).toBe(0);
      const calls = readFileSync(join(dir, 'rabbitmqctl.calls'), 'utf8');
      expect(calls).toMatch(/^argv=import_definitions \/tmp\/ooa-rabbitmq-user-\w+\n$/);
      expect(`${calls}${r.out}${r.err}`).not.toContain('S3cret-pw');
      expect(readFileSync(join(dir, 'mode'), 'utf8').trim()).toBe('600');
      expect(existsSync(calls.trim().split(' ')[1])).toBe(false);
      const defs = JSON.parse(readFileSync(join(dir, 'defs.json'), 'utf8'));
      const [user] = defs.users;
      expect(user).toMatchObject({ name: 'openstack', hashing_algorithm: 'rabbit_password_hashing_sha256', tags: [] });
      // RabbitMQ's scheme: base64(salt(4) + sha256(salt + password)).
      const raw = Buffer.from(user.password_hash, 'base64');
      const salt = raw.subarray(0, 4);
      const digest = createHash('sha256')
        .update(Buffer.concat([salt, Buffer.from('S3cret-pw')]))
        .digest();
      expect(raw.subarray(4).equals(digest)).toBe(true);
    }
  });
});

describe('Horizon', () => {
  /** horizon.sh's settings block, rendered by bash for this release (the script's own text). */
  function renderedSettings(o: RunOpts): string {
    const script = readFileSync(join(STAGES, 'horizon.sh'), 'utf8');
    const block = script.slice(script.indexOf('<<EOP\n') + 6, script.indexOf('\nEOP\n'));
    writeFileSync(join(dir, 'block'), `cat <<EOP\n${block}\nEOP\n`);
    const r = run(`CONTROLLER_NAME=controller PASS_HORIZON_SECRET_KEY=k; . ${join(dir, 'block')}`, o);
    expect(r.code).toBe(0);
    return r.out;
  }

  test('Rocky (Django 1.11): MemcachedCache with python-memcached; Yoga on: PyMemcacheCache with pymemcache', () => {
    const rocky = renderedSettings({ os: 'centos-7', release: 'rocky' });
    expect(rocky).toContain("'BACKEND': 'django.core.cache.backends.memcached.MemcachedCache'");
    const zed = renderedSettings({ os: 'rocky-9', release: 'zed' });
    expect(zed).toContain("'BACKEND': 'django.core.cache.backends.memcached.PyMemcacheCache'");
    // The rendered block is valid Python.
    const py = spawnSync('python3', ['-c', 'import sys; compile(sys.stdin.read(), "local_settings", "exec")'], {
      input: zed,
      encoding: 'utf8',
    });
    expect(py.status).toBe(0);
    const pk = (os: string, family: string, release: string) =>
      run('echo $(pkgs horizon)', { os, family, release }).out.trim();
    expect(pk('centos-7', 'rhel', 'rocky')).toBe('openstack-dashboard python-memcached');
    expect(pk('centos-stream-9', 'rhel', 'yoga')).toBe('openstack-dashboard python3-pymemcache');
    expect(pk('rocky-9', 'rhel', 'zed')).toBe('openstack-dashboard python3-pymemcache');
    expect(pk('ubuntu-22.04', 'ubuntu', 'yoga')).toBe('openstack-dashboard python3-pymemcache');
    expect(pk('debian-12', 'debian', 'zed')).toBe('openstack-dashboard-apache python3-pymemcache');
  });

  test('RDO: WSGIApplicationGroup %{GLOBAL} in openstack-dashboard.conf (guide step 3), once', () => {
    const conf = '/etc/httpd/conf.d/openstack-dashboard.conf';
    const shipped = 'WSGIDaemonProcess dashboard\nWSGIProcessGroup dashboard\n';
    const r = run(`web_wsgi_setup horizon; web_wsgi_setup horizon; echo "n=\${#CHANGES[@]}"`, {
      os: 'centos-stream-9',
      release: 'caracal',
      etc: { [conf]: shipped },
    });
    expect(r.code).toBe(0);
    expect(r.out).toContain('n=1');
    const text = etcFile(conf);
    expect(text.startsWith(shipped)).toBe(true);
    expect(text.match(/^WSGIApplicationGroup %\{GLOBAL\}$/gm)).toHaveLength(1);
  });
});

describe('files keep their owner and group', () => {
  test('ensure_block on a 0640 file of another owner and group (RDO local_settings is root:apache)', () => {
    const f = join(dir, 'local_settings');
    writeFileSync(f, 'DEBUG = False\n');
    chmodSync(f, 0o640);
    chownSync(f, 4242, 4343);
    const r = run(`ensure_block ${f} settings <<<'TIME_ZONE = "UTC"'`);
    expect(r.code).toBe(0);
    expect(readFileSync(f, 'utf8')).toContain('TIME_ZONE = "UTC"');
    const st = statSync(f);
    expect([st.uid, st.gid, (st.mode & 0o777).toString(8)]).toEqual([4242, 4343, '640']);
  });

  test('write_file with an explicit owner still sets it', () => {
    const f = join(dir, 'swift.conf');
    writeFileSync(f, 'old\n');
    chownSync(f, 4242, 4343);
    expect(run(`write_file ${f} 0640 0:0 <<<'new'`).code).toBe(0);
    expect([statSync(f).uid, statSync(f).gid]).toEqual([0, 0]);
  });
});

describe('Swift storage', () => {
  test('EL9: rsync-daemon (rsyncd.service); CentOS 7: rsync has it', () => {
    expect(run('echo $(pkgs swift-storage)', { os: 'rocky-9' }).out.split(' ')).toContain('rsync-daemon');
    expect(run('echo $(pkgs swift-storage)', { os: 'centos-stream-9', release: 'caracal' }).out).toContain(
      'rsync rsync-daemon openstack-swift-account',
    );
    expect(run('echo $(pkgs swift-storage)', { os: 'centos-7', release: 'rocky' }).out).not.toContain('rsync-daemon');
  });

  test('selinux_relabel: restorecon -R where SELinux is enabled, nothing where it is not', () => {
    const target = join(dir, 'srv-node');
    mkdirSync(target);
    // Without SELinux tools (this host): a no-op.
    expect(run(`selinux_relabel ${target}; echo "n=\${#CHANGES[@]}"`).out).toContain('n=0');
    standIn('selinuxenabled', 'exit 0');
    const bin = standIn('restorecon', `echo "$*" >>${dir}/restorecon.calls; echo "Relabeled $3 from a to b"`);
    const r = run(`selinux_relabel ${target}; echo "n=\${#CHANGES[@]}"`, { bin });
    expect(r.out).toContain('n=1');
    expect(readFileSync(join(dir, 'restorecon.calls'), 'utf8')).toBe(`-R -v ${target}\n`);
    expect(readFileSync(join(STAGES, 'swift-storage.sh'), 'utf8')).toMatch(
      /chown -R swift:swift \/srv\/node\nselinux_relabel \/srv\/node\n/,
    );
  });
});

describe('RDO repositories on EL9', () => {
  // pkg_install/pkg_installed and dnf record instead of installing (no RPM database here).
  const stubs = (available: boolean) =>
    [
      'pkg_installed() { return 1; }',
      'pkg_install() { echo "install $*"; }',
      `dnf() { case "$1" in -q) return ${available ? 0 : 1} ;; repolist) return 0 ;; *) echo "dnf $*" ;; esac; }`,
    ].join('; ');

  test('Rocky 9: no EPEL, dnf-plugins-core before dnf config-manager, the release package', () => {
    const r = run(`${stubs(true)}; repo_setup`, { os: 'rocky-9', release: 'zed', settings: { PACKAGE_SOURCE: 'rdo' } });
    expect(r.code).toBe(0);
    const steps = r.out.split('\n').filter((l) => /^(install|dnf) /.test(l));
    expect(steps).toEqual([
      'install dnf-plugins-core',
      'install centos-release-openstack-zed',
      'dnf config-manager --set-enabled crb',
    ]);
  });

  test('without centos-release-openstack-* in its repositories: rdo-release, checked for the release', () => {
    const o = { os: 'rocky-9', release: 'zed', settings: { PACKAGE_SOURCE: 'rdo' } };
    const newer = run(`${stubs(false)}; repo_setup`, {
      ...o,
      etc: { '/etc/yum.repos.d/rdo-release.repo': '[openstack-caracal]\nname=OpenStack Caracal\n' },
    });
    expect(newer.out).toContain('install https://trunk.rdoproject.org/rdo_release/rdo-release.el9s.rpm');
    expect(newer.code).not.toBe(0);
    expect(newer.out).toContain('sets up a newer release than zed');
    const same = run(`${stubs(false)}; repo_setup`, {
      ...o,
      etc: { '/etc/yum.repos.d/rdo-release.repo': '[openstack-zed]\nname=OpenStack Zed\n' },
    });
    expect(same.code).toBe(0);
  });
});

describe('nova-compute on EL9: the modular libvirt daemons', () => {
  test('virtqemud and the secondary drivers’ sockets on EL9; libvirtd on CentOS 7 and Debian', () => {
    const u = (os: string, family: string, release: string) =>
      run('echo $(units nova-compute)', { os, family, release }).out.trim();
    expect(u('rocky-9', 'rhel', 'zed')).toBe(
      'virtqemud virtsecretd.socket virtnodedevd.socket virtstoraged.socket virtnwfilterd.socket openstack-nova-compute',
    );
    expect(u('centos-7', 'rhel', 'rocky')).toBe('libvirtd openstack-nova-compute');
    expect(u('debian-12', 'debian', 'zed')).toBe('libvirtd nova-compute');
  });

  test('unit_exists takes socket units by their full name (real systemctl)', () => {
    expect(run('unit_exists systemd-journald.socket && echo yes').out.trim()).toBe('yes');
    expect(run('unit_exists systemd-journald && echo yes').out.trim()).toBe('yes');
    expect(run('unit_exists ooa-no-such-unit.socket || echo no').out.trim()).toBe('no');
  });
});

describe('NetworkManager leaves the provider NIC alone after a reboot too', () => {
  test('a conf.d file (by name and MAC) where NetworkManager is installed; then stable', () => {
    const r = run(
      `networkmanager_unmanage eth1 02:00:00:00:00:11; CHANGES=(); networkmanager_unmanage eth1 02:00:00:00:00:11; echo "n=\${#CHANGES[@]}"`,
      { etc: { '/etc/NetworkManager/NetworkManager.conf': '[main]\nplugins=keyfile\n' } },
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain('n=0');
    expect(etcFile('/etc/NetworkManager/conf.d/90-openstack-on-aws.conf')).toMatch(
      /^\[keyfile\]\nunmanaged-devices=interface-name:eth1;mac:02:00:00:00:00:11$/m,
    );
    expect(readFileSync(join(STAGES, 'host-prep.sh'), 'utf8')).toContain(
      'networkmanager_unmanage "$NIC_PROVIDER" "$MAC_PROVIDER"',
    );
  });

  test('no NetworkManager: no file', () => {
    const r = run('networkmanager_unmanage eth1 02:00:00:00:00:11; ls /etc/NetworkManager 2>&1 || true', { etc: {} });
    expect(r.code).toBe(0);
    expect(r.out).toContain('No such file or directory');
  });
});

describe('Glance store', () => {
  const get = (f: string, s: string, k: string) =>
    spawnSync('crudini', ['--get', f, s, k], { encoding: 'utf8' }).stdout.trim();

  test('Rocky: the single-store [glance_store] options of its guide', () => {
    const f = join(dir, 'glance-api.conf');
    writeFileSync(f, '[DEFAULT]\n');
    expect(run(`glance_store_conf ${f}`, { os: 'centos-7', release: 'rocky' }).code).toBe(0);
    expect([
      get(f, 'glance_store', 'stores'),
      get(f, 'glance_store', 'default_store'),
      get(f, 'glance_store', 'filesystem_store_datadir'),
      get(f, 'DEFAULT', 'enabled_backends'),
    ]).toEqual(['file,http', 'file', '/var/lib/glance/images/', '']);
  });

  test('Zed: multi-store (enabled_backends, default_backend, [fs])', () => {
    const f = join(dir, 'glance-api.conf');
    writeFileSync(f, '[DEFAULT]\n');
    expect(run(`glance_store_conf ${f}`, { os: 'rocky-9', release: 'zed' }).code).toBe(0);
    expect([
      get(f, 'DEFAULT', 'enabled_backends'),
      get(f, 'glance_store', 'default_backend'),
      get(f, 'fs', 'filesystem_store_datadir'),
      get(f, 'glance_store', 'stores'),
    ]).toEqual(['fs:file', 'fs', '/var/lib/glance/images/', '']);
  });
});

describe('APIs under uwsgi (Debian): the RabbitMQ heartbeat in a native thread, for the API only', () => {
  const novaIni = '/etc/nova/nova-api-uwsgi.ini';
  const shipped = '[uwsgi]\nprocesses = 2\nthreads = 1\n';
  const heartbeat = 'env = OS_OSLO_MESSAGING_RABBIT__HEARTBEAT_IN_PTHREAD=true';

  test('nova-api: one env line in its uwsgi ini; nova.conf untouched; once', () => {
    const r = run(
      `echo '[DEFAULT]' > /etc/nova/nova.conf; for i in 1 2; do api_rabbit_heartbeat_thread ${novaIni}; done; echo "n=\${#CHANGES[@]}"; cat /etc/nova/nova.conf`,
      { os: 'debian-12', family: 'debian', release: 'zed', etc: { [novaIni]: shipped } },
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain('n=1');
    expect(r.out).not.toContain('heartbeat_in_pthread'); // nova.conf: the eventlet services keep the default
    expect(
      etcFile(novaIni)
        .split('\n')
        .filter((l) => l === heartbeat),
    ).toHaveLength(1);
  });

  test("an ini's own env lines stay (Debian 13 ships one), all in its one [uwsgi] section", () => {
    const own = 'env = OS_OSLO_MESSAGING_RABBIT__PROCESSNAME=nova-api';
    const r = run(
      `api_rabbit_heartbeat_thread ${novaIni}; python3 -c 'import configparser,sys; c=configparser.ConfigParser(strict=False); c.read(sys.argv[1]); print("threads="+c["uwsgi"]["threads"])' ${novaIni}`,
      { os: 'debian-13', family: 'debian', release: 'epoxy', etc: { [novaIni]: `${shipped}${own}\n` } },
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain('threads=1'); // still one [uwsgi] section the block landed in
    const lines = etcFile(novaIni).split('\n');
    expect(lines).toContain(own);
    expect(lines).toContain(heartbeat);
  });

  test('nothing where the API does not run under uwsgi', () => {
    const r = run(`api_rabbit_heartbeat_thread ${novaIni}; echo "n=\${#CHANGES[@]}"; ls /etc/nova 2>&1 || true`, {
      os: 'ubuntu-24.04',
      family: 'ubuntu',
      release: 'caracal',
      etc: {},
    });
    expect(r.code).toBe(0);
    expect(r.out).toContain('n=0');
  });
});

describe('neutron-api under uwsgi (Debian): one thread per process where it runs eventlet-patched', () => {
  const ini = '/etc/neutron/neutron-api-uwsgi.ini';
  const script = '/etc/neutron/test-neutron-api'; // the ini's wsgi-file; in /etc so the overlay holds it
  const bookwormIni = `[uwsgi]\nenable-threads = true\nprocesses = 8\nthreads = 32\nwsgi-file = ${script}\n`;
  // The first lines of each release's /usr/bin/neutron-api, as Debian ships them.
  const zedScript =
    '#! /usr/bin/python3\nimport threading\n\nfrom neutron.cmd.eventlet.server import main_api_eventlet\n';
  const epoxyScript = '#! /usr/bin/python3\nimport threading\n\nfrom neutron.cmd.server import main_api_uwsgi\n';
  const get = (key: string) => `crudini --get ${ini} uwsgi ${key}`;

  test("Zed's eventlet API: threads 1 and the heartbeat in a native thread; once", () => {
    const r = run(
      `for i in 1 2; do uwsgi_processes ${ini}; neutron_api_one_thread; done; echo "n=\${#CHANGES[@]}"; ${get('threads')}; ${get('processes')}`,
      { os: 'debian-12', family: 'debian', release: 'zed', etc: { [ini]: bookwormIni, [script]: zedScript } },
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain('n=3'); // processes, threads, the env line: each once
    expect(r.out.trim().split('\n').slice(-2)).toEqual(['1', '2']);
    expect(etcFile(ini)).toContain('env = OS_OSLO_MESSAGING_RABBIT__HEARTBEAT_IN_PTHREAD=true');
  });

  test('an API without eventlet (Debian 13) keeps its threads and environment', () => {
    const r = run(`neutron_api_one_thread; echo "n=\${#CHANGES[@]}"`, {
      os: 'debian-13',
      family: 'debian',
      release: 'epoxy',
      etc: { [ini]: bookwormIni, [script]: epoxyScript },
    });
    expect(r.code).toBe(0);
    expect(r.out).toContain('n=0');
    expect(etcFile(ini)).toBe(bookwormIni);
  });
});

describe("the dashboard's web user: the one its WSGIDaemonProcess names", () => {
  const user = (os: string, family: string, etc: Record<string, string>) =>
    run('horizon_web_user', { os, family, release: 'caracal', etc }).out.trim();

  // One case per test: the /etc overlay's upper layer lives as long as a test.
  test.each([
    [
      'ubuntu-26.04',
      'ubuntu',
      '/etc/apache2/conf-available/openstack-dashboard.conf',
      'WSGIScriptAlias /horizon /usr/share/openstack-dashboard/openstack_dashboard/wsgi.py process-group=horizon\nWSGIDaemonProcess horizon user=horizon group=horizon processes=3 threads=10 display-name=%{GROUP}\n',
      'horizon',
    ],
    [
      'debian-13',
      'debian',
      '/etc/apache2/sites-available/openstack-dashboard-alias-only.conf',
      'WSGIScriptAlias /horizon /usr/share/openstack-dashboard/wsgi.py process-group=horizon\nWSGIDaemonProcess horizon user=www-data group=www-data\n',
      'www-data',
    ],
    [
      'rocky-9',
      'rhel',
      '/etc/httpd/conf.d/openstack-dashboard.conf',
      'WSGIDaemonProcess dashboard\nWSGIProcessGroup dashboard\n',
      'apache',
    ],
  ])('%s (%s): %s names it, or not', (os, family, conf, content, expected) => {
    expect(user(os, family, { [conf]: content })).toBe(expected);
  });

  test('no dashboard configuration yet: the web server user of the family', () => {
    expect(user('debian-12', 'debian', {})).toBe('www-data');
    expect(user('rocky-9', 'rhel', {})).toBe('apache');
  });
});
