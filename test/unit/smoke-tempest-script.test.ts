// tempest-smoke.sh run for real by bash, with stand-ins for the tools it drives (tempest, openstack,
// ip, curl, subunit2junitxml) that record how they were called: the tempest.conf it writes, where it
// runs Tempest (router namespace or host), and what it leaves behind.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cirrosImage } from '../../src/smoke/checks/tempest-smoke';

const SCRIPT = path.join(__dirname, '../../src/smoke/tempest-smoke.sh');
const JUNIT = path.join(__dirname, '../fixtures/smoke/tempest-junit-pass.xml');
const PASSWORD = 'Vb5Nc8Xz1Lk4Jh7Gf2Ds9Aq3';

const stubs: Record<string, string> = {
  tempest: `case "$1" in
  --version) echo "tempest 41.0.0" ;;
  init) mkdir -p "$2/etc" ;;
  run) echo "tempest $*" >>"$CALLS"; printf 'subunit-v2-bytes'; exit "\${TEMPEST_RC:-0}" ;;
esac`,
  subunit2junitxml: 'cat "$JUNIT_FIXTURE"',
  openstack: `echo "openstack $*" >>"$CALLS"
if [ "$1 $2" = "extension list" ]; then printf 'router\\nexternal-net\\nagent\\n'; else echo e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b; fi`,
  ip: `if [ "$1 $2" = "netns exec" ]; then echo "netns $3" >>"$CALLS"; shift 3; exec "$@"; fi; exit 1`,
  curl: 'exit "${CURL_RC:-0}"',
};

function runScript(extraEnv: Record<string, string>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempest-script-'));
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  for (const [name, body] of Object.entries(stubs))
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
  });
  const conf = path.join(tempestDir, 'etc/tempest.conf');
  const result = {
    code: r.status,
    stdout: r.stdout.toString(),
    stderr: r.stderr.toString(),
    conf: fs.existsSync(conf) ? fs.readFileSync(conf, 'utf8') : '',
    confMode: fs.existsSync(conf) ? fs.statSync(conf).mode & 0o777 : 0,
    exclude: fs.existsSync(path.join(tempestDir, 'exclude.txt'))
      ? fs.readFileSync(path.join(tempestDir, 'exclude.txt'), 'utf8')
      : 'missing',
    junit: fs.existsSync(path.join(tempestDir, 'junit.xml'))
      ? fs.readFileSync(path.join(tempestDir, 'junit.xml'), 'utf8')
      : '',
    calls: fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8').trim().split('\n') : [],
  };
  fs.rmSync(dir, { recursive: true, force: true });
  return result;
}

it('runs inside the router namespace with fixed-IP validation when the APIs answer there', () => {
  const r = runScript({ CURL_RC: '0' });
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('the APIs answer from qrouter-d6e7f8a9-b0c1-4d2e-9f3a-4b5c6d7e8f9a: running inside it');
  expect(r.conf).toContain('run_validation = true');
  expect(r.conf).toContain('connect_method = fixed');
  expect(r.conf).toContain('network_for_ssh = selfservice');
  expect(r.conf).toContain(`admin_password = ${PASSWORD}`);
  expect(r.conf).toContain('image_ref = 8e2f5c1a-7b3d-4e6f-9a0b-1c2d3e4f5a6b');
  expect(r.conf).toContain('flavor_ref = 0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d');
  expect(r.conf).toContain('public_network_id = e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b');
  expect(r.conf).toContain('floating_ips = false');
  expect(r.conf).toContain('uri_v3 = http://controller:5000/v3');
  expect(r.confMode).toBe(0o600);
  expect(r.calls).toContain('tempest run --smoke --concurrency 2 --exclude-list exclude.txt --subunit');
  // the probe and then the run itself went through the namespace
  expect(r.calls.slice(-3)).toEqual([
    'netns qrouter-d6e7f8a9-b0c1-4d2e-9f3a-4b5c6d7e8f9a',
    'netns qrouter-d6e7f8a9-b0c1-4d2e-9f3a-4b5c6d7e8f9a',
    'tempest run --smoke --concurrency 2 --exclude-list exclude.txt --subunit',
  ]);
  expect(r.junit).toContain('test_list_networks');
  expect(r.stdout + r.stderr).not.toContain(PASSWORD);
});

it('puts every service on its internal endpoint and names the network extensions this Neutron has', () => {
  const r = runScript({ CURL_RC: '0' });
  for (const section of ['compute', 'network', 'image', 'volume', 'placement', 'object-storage'])
    expect(r.conf).toMatch(new RegExp(`\\[${section}\\]\\n(?:[^[]*\\n)?endpoint_type = internal\\n`));
  expect(r.conf).toContain('v3_endpoint_type = internal');
  expect(r.conf).toContain('api_extensions = agent,external-net,router');
  expect(r.conf).toMatch(/\[network-feature-enabled\][^[]*\nipv6 = false\n/);
});

it('excludes, on Zed only, the smoke test its Keystone refuses, and says so', () => {
  const zed = runScript({ CURL_RC: '0', RELEASE: 'zed' });
  expect(zed.stdout).toContain('excluded for zed: test_credentials_create_get_update_delete');
  expect(zed.exclude).toBe('test_credentials_create_get_update_delete\n');
  const caracal = runScript({ CURL_RC: '0', RELEASE: 'caracal' });
  expect(caracal.stdout).not.toContain('excluded');
  expect(caracal.exclude).toBe('');
});

it('keeps validation off for an image other than CirrOS (no known login), without probing the namespace', () => {
  const r = runScript({ CURL_RC: '0', VALIDATION_IMAGE: 'other' });
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('the image is not CirrOS: running on the host without validation');
  expect(r.conf).toContain('run_validation = false');
  expect(r.calls.filter((c) => c.startsWith('netns '))).toEqual([]);
  expect(r.calls[r.calls.length - 1]).toBe('tempest run --smoke --concurrency 2 --exclude-list exclude.txt --subunit');
});

it('takes only an image file named like CirrOS as CirrOS', () => {
  expect(cirrosImage('https://download.cirros-cloud.net/0.6.3/cirros-0.6.3-x86_64-disk.img')).toBe(true);
  expect(cirrosImage('file:///work/build/test-image/ooa-test-disk.img')).toBe(false);
  expect(cirrosImage('https://mirror.example/cirros/ubuntu-24.04.img')).toBe(false);
});

it('runs on the host without validation when the namespace cannot reach the APIs, and passes on the exit code', () => {
  const r = runScript({ CURL_RC: '7', TEMPEST_RC: '1' });
  expect(r.code).toBe(1);
  expect(r.stdout).toContain('running on the host without validation');
  expect(r.conf).toContain('run_validation = false');
  // the namespace was entered only for the reachability probe, not for the run
  expect(r.calls.filter((c) => c.startsWith('netns '))).toEqual(['netns qrouter-d6e7f8a9-b0c1-4d2e-9f3a-4b5c6d7e8f9a']);
  expect(r.calls[r.calls.length - 1]).toBe('tempest run --smoke --concurrency 2 --exclude-list exclude.txt --subunit');
  expect(r.junit).toContain('<testsuite'); // the JUnit is written even when tests fail
});
