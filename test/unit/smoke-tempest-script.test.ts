// tempest-smoke.sh run for real by bash, with stand-ins for the tools it drives (tempest, openstack,
// ip, curl; subunit2junitxml too, except where the real subunit tool chain is the point) that record
// how they were called: the tempest.conf it writes under each network fix and image login, where it
// runs Tempest (router namespace or host), the selection it runs (smoke set or tempest-regex), the
// exclude list (probed, with its reasons), and what it leaves for the log bundle.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AS_ROOT, itIf } from '../helpers/requires';
import { needSubunitTools, SYSTEM_PYTHON } from '../helpers/tempest-standin';
import { imageSshUser, metadataApiDeployed } from '../../src/smoke/checks/tempest-smoke';
import { listExclusions } from '../../src/smoke/tempest-results';
import { controllerDashboardUrl } from '../../src/report/credentials';

const SCRIPT = path.join(__dirname, '../../src/smoke/tempest-smoke.sh');
const FIXTURES = path.join(__dirname, '../fixtures/smoke');
const JUNIT = path.join(FIXTURES, 'tempest-junit-pass.xml');
const PASSWORD = 'Vb5Nc8Xz1Lk4Jh7Gf2Ds9Aq3';
const NS = 'qrouter-d6e7f8a9-b0c1-4d2e-9f3a-4b5c6d7e8f9a';

// tempest run: records each argument on its own line (a regex with spaces stays one), writes a log
// line where tempest.conf's log_dir says, and prints a subunit stream: the stand-in suite's real
// one with TEMPEST_STANDIN=1, else placeholder bytes.
const stubs: Record<string, string> = {
  tempest: `case "$1" in
  --version) echo "tempest 41.0.0" ;;
  init) # as the real one: Debian's /etc/tempest has a logging.conf; tempest.conf is written 0644
    mkdir -p "$2/etc" "$2/logs"; echo '[handler_file]' >"$2/etc/logging.conf"
    printf '[DEFAULT]\\nlog_dir = %s/logs\\n' "$2" >"$2/etc/tempest.conf"; chmod 0644 "$2/etc/tempest.conf" ;;
  run)
    { echo "tempest $1"; shift; printf 'arg %s\\n' "$@"; echo "SSL_CERT_FILE=\${SSL_CERT_FILE:-}"; } >>"$CALLS"
    mkdir -p logs; echo "INFO tempest ran" >>logs/tempest.log
    if [ -n "\${TEMPEST_SLEEP:-}" ]; then printf 'partial'; sleep "$TEMPEST_SLEEP"; fi
    if [ -n "\${TEMPEST_STANDIN:-}" ]; then
      PYTHONPATH="$STANDIN_DIR" PYTHONDONTWRITEBYTECODE=1 ${SYSTEM_PYTHON} -m subunit.run tempest_standin
    else printf 'subunit-v2-bytes'; fi
    exit "\${TEMPEST_RC:-0}" ;;
esac`,
  subunit2junitxml: 'cat "$JUNIT_FIXTURE"',
  openstack: `echo "openstack $*" >>"$CALLS"
case "$1 $2" in
  "extension list") printf 'router\\nexternal-net\\nagent\\n' ;;
  "network list") echo "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b provider" ;;
  "credential create") echo "c0ffee00c0ffee00c0ffee00c0ffee00" ;;
  # KEYSTONE_BLOB_ONLY=1: this Keystone's schema refuses the update's type and project, as from 2026.
  "credential set") if [ -n "\${KEYSTONE_BLOB_ONLY:-}" ]; then
      echo "Invalid input for field/attribute credential. Additional properties are not allowed ('project_id', 'type', 'user_id' were unexpected) (HTTP 400)" >&2; exit 1
    fi ;;
esac`,
  ip: `if [ "$1 $2" = "netns exec" ]; then echo "netns $3" >>"$CALLS"; shift 3; exec "$@"; fi; exit 1`,
  curl: 'exit "${CURL_RC:-0}"',
};

interface RunOptions {
  env?: Record<string, string>;
  /** Leave these stand-ins out, so the host's real tool is found (subunit2junitxml). */
  without?: string[];
  timeoutMs?: number;
}

function runScript(extraEnv: Record<string, string>, opts: RunOptions = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempest-script-'));
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  for (const [name, body] of Object.entries(stubs))
    if (!opts.without?.includes(name))
      fs.writeFileSync(path.join(bin, name), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
  const openrc = path.join(dir, 'admin-openrc');
  fs.writeFileSync(
    openrc,
    `export OS_USERNAME=admin\nexport OS_PASSWORD=${PASSWORD}\nexport OS_PROJECT_NAME=admin\nexport OS_USER_DOMAIN_NAME=Default\nexport OS_AUTH_URL=http://controller:5000/v3\n`,
    { mode: 0o600 },
  );
  const calls = path.join(dir, 'calls');
  const tempestDir = path.join(dir, 'tempest');
  const r = spawnSync('bash', [SCRIPT], {
    env: {
      PATH: `${bin}:/usr/bin:/bin`,
      CALLS: calls,
      JUNIT_FIXTURE: JUNIT,
      STANDIN_DIR: FIXTURES,
      OPENRC: openrc,
      IMAGE_ID: '8e2f5c1a-7b3d-4e6f-9a0b-1c2d3e4f5a6b',
      FLAVOR_ID: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
      NETWORK_NAME: 'selfservice',
      ROUTER_ID: 'd6e7f8a9-b0c1-4d2e-9f3a-4b5c6d7e8f9a',
      TENANT_CIDR: '192.168.100.0/24',
      HAS_CINDER: 'false',
      HAS_SWIFT: 'false',
      OS_FAMILY: 'debian',
      TEMPEST_DIR: tempestDir,
      ...extraEnv,
    },
    timeout: opts.timeoutMs,
    killSignal: 'SIGTERM',
  });
  const read = (p: string) => (fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : undefined);
  const conf = path.join(tempestDir, 'etc/tempest.conf');
  const logsDir = path.join(tempestDir, 'logs');
  const result = {
    code: r.status,
    signal: r.signal,
    stdout: r.stdout.toString(),
    stderr: r.stderr.toString(),
    conf: read(conf) ?? '',
    loggingConf: fs.existsSync(path.join(tempestDir, 'etc/logging.conf')),
    confMode: fs.existsSync(conf) ? fs.statSync(conf).mode & 0o777 : 0,
    exclude: read(path.join(tempestDir, 'exclude.txt')) ?? 'missing',
    junit: read(path.join(tempestDir, 'junit.xml')) ?? '',
    logs: fs.existsSync(logsDir) ? fs.readdirSync(logsDir).sort() : [],
    logFile: (name: string) => read(path.join(logsDir, name)),
    calls: (read(calls) ?? '').trim().split('\n').filter(Boolean),
  };
  const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
  return { ...result, cleanup };
}

/** Runs and cleans up at once: for the tests that look only at the result. */
function run(extraEnv: Record<string, string>, opts: RunOptions = {}) {
  const r = runScript(extraEnv, opts);
  r.cleanup();
  return r;
}

/** The tempest run command line the stub recorded, arguments joined by spaces. */
const runLine = (calls: string[]) => {
  const start = calls.lastIndexOf('tempest run');
  return start < 0
    ? ''
    : [
        'tempest run',
        ...calls
          .slice(start + 1)
          .filter((c) => c.startsWith('arg '))
          .map((c) => c.slice(4)),
      ].join(' ');
};
const SMOKE_RUN = 'tempest run --smoke --concurrency 2 --exclude-list exclude.txt --subunit';
/** A conf section's body. */
const section = (conf: string, name: string) =>
  new RegExp(`\\[${name.replace(/[-]/g, '\\-')}\\]\\n([^[]*)`).exec(conf)?.[1] ?? '';

describe('validation', () => {
  it('seeds with a known login: inside the router namespace with fixed-IP validation when the APIs answer there', () => {
    const r = run({ CURL_RC: '0', IMAGE_SSH_USER: 'ooa', NETWORK_FIX: 'seeds', METADATA_API: 'true' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`the APIs answer from ${NS}: running inside it with fixed-IP validation as ooa`);
    const v = section(r.conf, 'validation');
    expect(v).toContain('run_validation = true\n');
    expect(v).toContain('connect_method = fixed\n');
    expect(v).toContain('auth_method = keypair\n');
    expect(v).toContain('network_for_ssh = selfservice\n');
    expect(v).toContain('image_ssh_user = ooa\n');
    expect(v).toContain('image_alt_ssh_user = ooa\n');
    expect(v).toMatch(/ssh_timeout = 900\n[^]*ping_timeout = 600\n/);
    expect(section(r.conf, 'network-feature-enabled')).toContain('floating_ips = false\n');
    // the metadata's public-ipv4 would never match the fixed address Tempest logged in at
    expect(section(r.conf, 'compute-feature-enabled')).toContain('config_drive = true\nmetadata_service = false\n');
    expect(r.stdout).toContain('metadata_service = false: validation does not log in over a floating IP');
    expect(r.conf).toContain(`admin_password = ${PASSWORD}`);
    expect(r.conf).toContain('image_ref = 8e2f5c1a-7b3d-4e6f-9a0b-1c2d3e4f5a6b');
    expect(r.conf).toContain('flavor_ref = 0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d');
    expect(r.conf).toContain(
      'public_network_id = e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b\nfloating_network_name = provider\n',
    );
    // the stack's router is admin's: a dynamic project's show_router of it would answer 404
    expect(section(r.conf, 'network')).toMatch(/\npublic_router_id =\n/);
    expect(r.conf).not.toContain('d6e7f8a9-b0c1-4d2e-9f3a-4b5c6d7e8f9a');
    expect(r.conf).toContain('uri_v3 = http://controller:5000/v3');
    expect(r.confMode).toBe(0o600);
    // the probe and then the run itself went through the namespace
    expect(r.calls.filter((c) => c.startsWith('netns '))).toEqual([`netns ${NS}`, `netns ${NS}`]);
    expect(r.calls[r.calls.indexOf('tempest run') - 1]).toBe(`netns ${NS}`);
    expect(runLine(r.calls)).toBe(SMOKE_RUN);
    expect(r.junit).toContain('test_list_networks');
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  });

  it('routed with a known login: floating-IP validation from the host, floating IPs and the metadata service on', () => {
    const r = run({ CURL_RC: '7', IMAGE_SSH_USER: 'ooa', NETWORK_FIX: 'routed', METADATA_API: 'true' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('network-fix routed: validation as ooa over floating IPs, from the host');
    const v = section(r.conf, 'validation');
    expect(v).toContain('run_validation = true\nconnect_method = floating\nauth_method = keypair\n');
    expect(section(r.conf, 'network-feature-enabled')).toContain('floating_ips = true\n');
    expect(section(r.conf, 'compute-feature-enabled')).toContain('config_drive = true\nmetadata_service = true\n');
    // no namespace at all: neither probed nor entered
    expect(r.calls.filter((c) => c.startsWith('netns '))).toEqual([]);
    expect(runLine(r.calls)).toBe(SMOKE_RUN);
  });

  it('routed where the OS and release deploy no metadata API: metadata_service off, the config drive still on', () => {
    const r = run({ IMAGE_SSH_USER: 'ooa', NETWORK_FIX: 'routed', METADATA_API: 'false' });
    expect(section(r.conf, 'compute-feature-enabled')).toContain('config_drive = true\nmetadata_service = false\n');
    expect(r.stdout).toContain('metadata_service = false: this OS and release deploy no Nova metadata API');
    expect(section(r.conf, 'validation')).toContain('connect_method = floating\n');
  });

  it('routed: each test project gets a network and a router of its own; seeds: they share the stack network', () => {
    const routed = run({ IMAGE_SSH_USER: 'ooa', NETWORK_FIX: 'routed', METADATA_API: 'true' });
    expect(section(routed.conf, 'auth')).toContain('create_isolated_networks = true\n');
    const seeds = run({ CURL_RC: '0', IMAGE_SSH_USER: 'ooa', NETWORK_FIX: 'seeds', METADATA_API: 'true' });
    expect(section(seeds.conf, 'auth')).toContain('create_isolated_networks = false\n');
  });

  it("Horizon: its scenario runs through the HTTPS proxy, trusting the stack's CA; not from a router namespace", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempest-ca-'));
    const ca = path.join(dir, 'ca.crt');
    fs.writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n');
    try {
      const dashboard = { DASHBOARD_URL: 'https://10.0.1.10/horizon/', DASHBOARD_CA: ca };
      const host = run({ ...dashboard, IMAGE_SSH_USER: 'ooa', NETWORK_FIX: 'routed', METADATA_API: 'true' });
      expect(section(host.conf, 'service_available')).toContain('horizon = true\n');
      expect(section(host.conf, 'dashboard')).toContain('dashboard_url = https://10.0.1.10/horizon/\n');
      expect(host.calls).toContain(`SSL_CERT_FILE=${ca}`);
      expect(runLine(host.calls)).toBe(SMOKE_RUN);

      const inNs = run({ ...dashboard, CURL_RC: '0', IMAGE_SSH_USER: 'ooa', NETWORK_FIX: 'seeds' });
      expect(section(inNs.conf, 'service_available')).toContain('horizon = false\n');
      expect(inNs.stdout).toContain(`horizon = false: Tempest runs inside ${NS}`);
      expect(inNs.calls).toContain('SSL_CERT_FILE=');

      const noCa = run({ DASHBOARD_URL: dashboard.DASHBOARD_URL, DASHBOARD_CA: path.join(dir, 'missing.crt') });
      expect(section(noCa.conf, 'service_available')).toContain('horizon = false\n');
      expect(noCa.stdout).toContain('horizon = false: no dashboard URL or CA certificate given');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('no known login: validation off on the host, without probing the namespace; floating IPs follow the fix', () => {
    for (const fix of ['seeds', 'routed']) {
      const r = run({ CURL_RC: '0', IMAGE_SSH_USER: '', NETWORK_FIX: fix, METADATA_API: 'true' });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('no known login for the image');
      expect(section(r.conf, 'validation')).toContain('run_validation = false\n');
      expect(section(r.conf, 'network-feature-enabled')).toContain(`floating_ips = ${fix === 'routed'}\n`);
      expect(r.calls.filter((c) => c.startsWith('netns '))).toEqual([]);
      expect(runLine(r.calls)).toBe(SMOKE_RUN);
    }
  });

  it('seeds where the namespace cannot reach the APIs: on the host without validation, and passes on the exit code', () => {
    const r = run({ CURL_RC: '7', TEMPEST_RC: '1', IMAGE_SSH_USER: 'cirros', NETWORK_FIX: 'seeds' });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('running on the host without validation (no path to fixed IPs)');
    expect(section(r.conf, 'validation')).toContain('run_validation = false\n');
    // the namespace was entered only for the reachability probe, not for the run
    expect(r.calls.filter((c) => c.startsWith('netns '))).toEqual([`netns ${NS}`]);
    expect(r.junit).toContain('<testsuite'); // the JUnit is written even when tests fail
  });
});

it('puts every service on its internal endpoint and names the network extensions this Neutron has', () => {
  const r = run({ CURL_RC: '0' });
  for (const name of ['compute', 'network', 'image', 'volume', 'placement', 'object-storage'])
    expect(section(r.conf, name)).toMatch(/(^|\n)endpoint_type = internal\n/);
  expect(r.conf).toContain('v3_endpoint_type = internal');
  expect(r.conf).toContain('api_extensions = agent,external-net,router');
  // Neutron's IPv6 API tests run: project networks are overlays, whatever the VPC carries.
  expect(section(r.conf, 'network-feature-enabled')).toMatch(/(^|\n)ipv6 = true\n/);
});

it("excludes the credential smoke test where this Keystone refuses Tempest's update (probed), with the reason in stestr's list and the log", () => {
  const refused = run({ CURL_RC: '0', NETWORK_FIX: 'routed', KEYSTONE_BLOB_ONLY: '1' });
  expect(refused.exclude).toMatch(
    /^test_credentials_create_get_update_delete # this Keystone takes only the blob .*tempest 41\.0\.0 still sends project_id and type \(HTTP 400\)\n$/,
  );
  expect(refused.stdout).toContain(
    'excluded for this cloud: test_credentials_create_get_update_delete # this Keystone',
  );
  // the probe's own credential is made, updated as Tempest does, and deleted again
  expect(refused.calls.filter((c) => c.startsWith('openstack credential')).map((c) => c.split(' ')[2])).toEqual([
    'create',
    'set',
    'delete',
  ]);
  expect(refused.calls.find((c) => c.startsWith('openstack credential set'))).toContain('--type ec2 --project admin');
  const taken = run({ CURL_RC: '0', NETWORK_FIX: 'routed' });
  expect(taken.stdout).not.toContain('excluded');
  expect(taken.exclude).toBe('');
});

describe('seeds: the tests that need a second external address are excluded, with the reason', () => {
  const REASON =
    "seeds: the external pool is the one registered address, held by the stack's router; use network-fix routed";
  const ROUTER_TEST =
    'tempest.api.network.test_routers.RoutersTest.test_create_show_list_update_delete_router[id-f64403e2-8483-4b34-8ccd-b09a87bcc68c,smoke]';
  const BASIC_OPS =
    'tempest.scenario.test_network_basic_ops.TestNetworkBasicOps.test_network_basic_ops[compute,id-f323b3ba-82f8-4db7-8ea6-6a895869ec49,network,smoke]';
  const KEPT = [
    'tempest.api.network.test_routers.RoutersTest.test_add_remove_router_interface_with_subnet_id[id-b42e6e39-2e37-49cc-a6f4-8467e940900a,smoke]',
    'tempest.scenario.test_server_basic_ops.TestServerBasicOps.test_server_basic_ops[compute,id-7fff3fb3-91d8-4fd0-bd7d-0204f1f180ba,network,smoke]',
  ];

  it("seeds (the default): both in the list after the release's, logged, and they match the tests as stestr matches", () => {
    const r = run({ CURL_RC: '0', NETWORK_FIX: 'seeds', KEYSTONE_BLOB_ONLY: '1' });
    const lines = r.exclude.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^test_credentials_create_get_update_delete # /);
    for (const l of lines.slice(1)) {
      expect(l.split(' # ')[1]).toBe(REASON);
      expect(r.stdout).toContain(`excluded for network-fix seeds: ${l}`);
    }
    // what the report lists: each with its reason
    expect(listExclusions(r.exclude).slice(1)).toEqual(lines.slice(1).map((l) => l.replace(' # ', ': ')));
    // stestr searches each test id with each regex (Python's re: these are plain ERE too)
    const regexes = lines.slice(1).map((l) => l.split(' # ')[0]);
    const py = spawnSync('/usr/bin/python3', [
      '-c',
      'import re,sys; rx=[re.compile(r) for r in sys.argv[1:3]]; [print(any(r.search(t) for r in rx)) for t in sys.argv[3:]]',
      ...regexes,
      ROUTER_TEST,
      BASIC_OPS,
      ...KEPT,
    ]);
    expect(py.stdout.toString().trim().split('\n')).toEqual(['True', 'True', 'False', 'False']);
    expect(run({ CURL_RC: '0' }).exclude).toBe(lines.slice(1).join('\n') + '\n');
  });

  it('routed: neither is excluded', () => {
    const r = run({ CURL_RC: '0', NETWORK_FIX: 'routed' });
    expect(r.exclude).toBe('');
    expect(r.stdout).not.toContain('excluded');
  });
});

describe("what the check tells the script (the image's login, the metadata API)", () => {
  it('knows the logins of CirrOS and the test image by file name; tempest-ssh-user names any other', () => {
    const user = (imageUrl: string, tempestSshUser?: string) => imageSshUser({ imageUrl, tempestSshUser });
    expect(user('https://download.cirros-cloud.net/0.6.3/cirros-0.6.3-x86_64-disk.img')).toBe('cirros');
    expect(user('file:///work/build/test-image/ooa-test-disk.img')).toBe('ooa');
    expect(user('https://mirror.example/cirros/ubuntu-24.04.img')).toBeUndefined();
    expect(user('https://cloud.debian.org/images/debian-12-generic-amd64.qcow2')).toBeUndefined();
    expect(user('https://cloud.debian.org/images/debian-12-generic-amd64.qcow2', 'debian')).toBe('debian');
    expect(user('file:///work/build/test-image/ooa-test-disk.img', 'root')).toBe('root');
  });

  it("names the dashboard at the controller's public NIC, under each family's path; none without that NIC", () => {
    const controller = (nics: Array<{ purpose: string; ip: string }>) => ({ role: 'controller', nics });
    const plan = (family: string, nics: Array<{ purpose: string; ip: string }>) =>
      ({ os: { family }, nodes: [controller(nics)] }) as unknown as Parameters<typeof controllerDashboardUrl>[0];
    const nics = [
      { purpose: 'management', ip: '10.0.0.10' },
      { purpose: 'public', ip: '10.0.1.10' },
    ];
    expect(controllerDashboardUrl(plan('debian', nics))).toBe('https://10.0.1.10/horizon/');
    expect(controllerDashboardUrl(plan('rhel', nics))).toBe('https://10.0.1.10/dashboard/');
    expect(controllerDashboardUrl(plan('ubuntu', nics.slice(0, 1)))).toBeUndefined();
  });

  it('has the metadata API everywhere but on Ubuntu from Gazpacho (its packages ship none)', () => {
    const deployed = (family: string, id: string) => metadataApiDeployed({ os: { family }, release: { id } });
    expect(deployed('ubuntu', '2026.1')).toBe(false);
    expect(deployed('ubuntu', '2026.2')).toBe(false);
    expect(deployed('ubuntu', '2025.2')).toBe(true);
    expect(deployed('ubuntu', '2024.1')).toBe(true);
    expect(deployed('debian', 'zed')).toBe(true);
    expect(deployed('debian', '2026.1')).toBe(true);
    expect(deployed('rhel', '2024.1')).toBe(true);
  });
});

describe('tempest-regex', () => {
  const builder = (regex: string | undefined) => {
    const r = spawnSync(
      'bash',
      ['--norc', '-c', `. ${JSON.stringify(SCRIPT)}; tempest_run_args; printf '%s\\n' "\${RUN_ARGS[@]}"`],
      {
        env: {
          PATH: '/usr/bin:/bin',
          OOA_TEMPEST_SOURCE_ONLY: '1',
          ...(regex === undefined ? {} : { TEMPEST_REGEX: regex }),
        },
      },
    );
    expect(r.stderr.toString()).toBe('');
    return r.stdout.toString().trimEnd().split('\n');
  };

  it('the run-command builder: a regex replaces --smoke, as one argument; none runs the smoke set', () => {
    expect(builder(undefined)).toEqual(SMOKE_RUN.split(' '));
    expect(builder('')).toEqual(SMOKE_RUN.split(' '));
    const regex = String.raw`^tempest\.api\.(network|compute)\.test_.*(?!negative) $"x`;
    expect(builder(regex)).toEqual([
      'tempest',
      'run',
      '--regex',
      regex,
      '--concurrency',
      '2',
      '--exclude-list',
      'exclude.txt',
      '--subunit',
    ]);
  });

  it('end to end: the script runs the selection, the exclude list still applied', () => {
    const regex = String.raw`tempest\.api\.network\.test_routers`;
    const r = run({ TEMPEST_REGEX: regex, KEYSTONE_BLOB_ONLY: '1' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`running the tests matching tempest-regex instead of the smoke set: ${regex}`);
    expect(runLine(r.calls)).toBe(`tempest run --regex ${regex} --concurrency 2 --exclude-list exclude.txt --subunit`);
    expect(r.exclude).toContain('test_credentials_create_get_update_delete # ');
  });

  it("a regex Python's re refuses stops the script before Tempest is installed or configured", () => {
    const r = run({ TEMPEST_REGEX: 'tempest.api.(network' });
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('tempest-regex is not a regular expression Python accepts: tempest.api.(network');
    expect(r.calls).toEqual([]);
    expect(r.conf).toBe('');
  });
});

describe('what the log bundle gets (logs/)', () => {
  itIf(needSubunitTools(), AS_ROOT)(
    "a real subunit stream: the real subunit2junitxml's JUnit, the stream, tempest.log and the exclude list; never tempest.conf",
    () => {
      const r = runScript({ TEMPEST_STANDIN: '1', KEYSTONE_BLOB_ONLY: '1' }, { without: ['subunit2junitxml'] });
      try {
        expect(r.code).toBe(0); // tempest's code (the stub's 0), whatever the results say
        expect(r.logs).toEqual(['exclude.txt', 'junit.xml', 'results.subunit', 'tempest.log']);
        expect(r.junit).toMatch(/<testsuite errors="0" failures="3" name="" tests="8"/);
        expect(r.logFile('junit.xml')).toBe(r.junit);
        expect(r.logFile('tempest.log')).toContain('INFO tempest ran');
        // Tempest logs to logs/tempest.log (tempest.conf's log_dir), not through the copied logging.conf
        expect(r.loggingConf).toBe(false);
        expect(r.logFile('exclude.txt')).toContain('test_credentials_create_get_update_delete # ');
        // the real subunit-stats read the same stream
        expect(r.stdout).toMatch(
          /tempest run exited with 0; Total tests: +8 Passed tests: +2 Failed tests: +3 Skipped tests: +3/,
        );
        for (const f of r.logs) expect(r.logFile(f)).not.toContain(PASSWORD);
      } finally {
        r.cleanup();
      }
    },
  );

  it('a run cut short (SIGTERM) still leaves what it wrote', () => {
    const r = runScript({ TEMPEST_SLEEP: '3' }, { timeoutMs: 1500 });
    try {
      expect(r.code).toBe(143);
      expect(r.logs).toEqual(['exclude.txt', 'junit.xml', 'results.subunit', 'tempest.log']);
      expect(r.logFile('results.subunit')).toMatch(/^partial/); // the stand-in, not killed, wrote on
    } finally {
      r.cleanup();
    }
  });
});
