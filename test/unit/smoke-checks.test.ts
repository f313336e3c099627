// Each smoke check's pass and fail path, replayed against recorded controller outputs
// (test/fixtures/smoke), with a fake clock so bounded polls run instantly but still print progress.
// keystone-token and catalog speak HTTPS from the runner to a loopback stand-in for the public
// endpoints (test/fixtures/smoke/public-keystone.ts) with a certificate of the stack's own CA.

import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { buildPlan } from '../../src/plan/plan';
import type { Plan } from '../../src/plan/types';
import type { Environment } from '../../src/provider';
import { renderJunit } from '../../src/report/junit';
import { runSmokeChecks, smokeResult } from '../../src/smoke/run';
import type { CheckResult, SmokeOptions } from '../../src/smoke/types';
import { DEFAULT_BOUNDS } from '../../src/smoke/types';
import { settingsFrom } from '../helpers/inputs';
import {
  fail,
  FakeClock,
  FakeController,
  fixture,
  healthyController,
  out,
  RecordingIo,
} from '../fixtures/smoke/fake-controller';
import { PublicKeystone, startPublicKeystone, TOKEN_ID } from '../fixtures/smoke/public-keystone';

const ADMIN_PASSWORD = 'Zq8xWm3pLk7vTn2rBy6dHs4c';
// A loopback address of its own plays the elastic IP (all of 127.0.0.0/8 is local).
const PUBLIC_IP = '127.13.0.12';
const MINIMAL = ['identity', 'image', 'placement', 'compute', 'network'];
let keystone: PublicKeystone;
beforeAll(async () => {
  keystone = await startPublicKeystone({ ip: PUBLIC_IP, password: ADMIN_PASSWORD, services: MINIMAL });
});
afterAll(() => keystone?.close());
const access = () => ({ caPem: keystone.tls.caCertPem, adminPassword: ADMIN_PASSWORD });
const now = new Date('2026-11-21T16:30:00Z');

function planFor(extra: Record<string, string> = {}): Plan {
  return buildPlan(settingsFrom({ 'stack-id': 'smoke1', 'ping-target': '203.0.113.10', ...extra }), { now });
}

const env: Environment = {
  stackId: 'smoke1',
  nodes: [],
  controllerPublicIp: PUBLIC_IP,
  sshPort: 22,
  routerPublicIp: '198.51.100.11',
  sshUser: 'ubuntu',
  privateKeyPath: '/nonexistent/key',
};

async function run(
  controller: FakeController,
  extra: Partial<SmokeOptions> = {},
): Promise<{ results: CheckResult[]; io: RecordingIo; byId: Record<string, CheckResult>; clock: FakeClock }> {
  const io = new RecordingIo();
  const clock = new FakeClock();
  const results = await runSmokeChecks({
    // The recorded outputs are the seeds' eight checks (and the seeds' router-ping hint); the checks
    // of the default fix, routed, are replayed in smoke-routed-checks.test.ts.
    plan: planFor({ 'network-fix': 'seeds' }),
    env,
    controller,
    io,
    clock,
    adminOpenrcPath: '/root/admin-openrc',
    publicAccess: access(),
    secrets: [ADMIN_PASSWORD],
    connect: async () => ({ banner: 'SSH-2.0-dropbear_2022.83' }),
    ...extra,
  });
  return { results, io, clock, byId: Object.fromEntries(results.map((r) => [r.id, r])) };
}

describe('a healthy cloud', () => {
  it('passes every planned check in order, creating what is missing', async () => {
    const c = healthyController();
    const { results, byId } = await run(c);
    expect(results.map((r) => [r.id, r.status])).toEqual([
      ['keystone-token', 'passed'],
      ['catalog', 'passed'],
      ['image-upload', 'passed'],
      ['tenant-network', 'passed'],
      ['instance-boot', 'passed'],
      ['router-ping', 'passed'],
      ['instance-reach', 'passed'],
      ['port-forward', 'passed'],
    ]);
    expect(smokeResult(results)).toBe('passed');
    expect(byId['image-upload'].notes.join()).toContain('8e2f5c1a-7b3d-4e6f-9a0b-1c2d3e4f5a6b, qcow2');
    expect(byId['instance-boot'].notes.join()).toContain('console shows a login prompt');
    expect(byId['port-forward'].notes.join()).toContain('198.51.100.11:522: SSH-2.0-dropbear');
    const cmds = c.commands();
    // admin credentials come from the 0600 file, never the command line
    for (const cmd of cmds) {
      expect(cmd).toMatch(/^set -o pipefail; \. '\/root\/admin-openrc' && /);
      expect(cmd).not.toContain(ADMIN_PASSWORD);
    }
    expect(
      cmds.some((x) =>
        /openstack image create --disk-format qcow2 .*--file '\/var\/tmp\/openstack-on-aws-smoke-image' 'smoke1-smoke-image'/.test(
          x,
        ),
      ),
    ).toBe(true);
    expect(
      cmds.some((x) =>
        x.includes(
          "curl -fsSL --retry 3 --connect-timeout 30 -o '/var/tmp/openstack-on-aws-smoke-image' 'https://download.cirros-cloud.net/0.6.3/cirros-0.6.3-x86_64-disk.img'",
        ),
      ),
    ).toBe(true);
    // The fixed address is the port's (made first, with the security group); the server takes the port.
    expect(
      cmds.some((x) =>
        x.includes(
          `openstack port create --network 'b4c5d6e7-f8a9-4b0c-9d1e-2f3a4b5c6d7e' --fixed-ip 'ip-address=${planFor().networks.tenant.smokeInstanceIp}'`,
        ),
      ),
    ).toBe(true);
    expect(cmds.some((x) => /server create .*--port '5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e'/.test(x))).toBe(true);
    expect(
      cmds.some((x) =>
        x.includes(
          "openstack router add subnet 'd6e7f8a9-b0c1-4d2e-9f3a-4b5c6d7e8f9a' 'c5d6e7f8-a9b0-4c1d-8e2f-3a4b5c6d7e8f'",
        ),
      ),
    ).toBe(true);
    expect(cmds.filter((x) => x.includes('security group rule create')).length).toBe(2);
    expect(cmds).toContain(
      "set -o pipefail; . '/root/admin-openrc' && ip netns exec 'qrouter-d6e7f8a9-b0c1-4d2e-9f3a-4b5c6d7e8f9a' ping -c 3 -W 2 '203.0.113.10'",
    );
    // the only addresses aimed at: the ping target and the stack's own instance
    for (const cmd of cmds.filter((x) => x.includes('ping -c')))
      expect(cmd).toMatch(/'(203\.0\.113\.10|192\.168\.100\.10)'$/);
  });

  it('a second run finds everything and creates nothing', async () => {
    const c = healthyController()
      .on(/openstack image list --name/, out('image-list-active.json'))
      .on(/openstack flavor show/, out('flavor-show.json'))
      .on(/openstack network show/, out('network-show.json'))
      .on(/openstack subnet show/, out('subnet-show.json'))
      .on(/openstack router show/, out('router-show-attached.json'))
      .on(/openstack security group show/, out('security-group-create.json'))
      .on(/openstack security group rule list/, out('security-group-rules-complete.json'))
      .on(/openstack server list/, {
        code: 0,
        stdout: JSON.stringify([
          { ID: 'f0a1b2c3-d4e5-4f6a-8b7c-9d0e1f2a3b4c', Name: 'smoke1-smoke-vm', Status: 'ACTIVE' },
        ]),
      })
      .on(/openstack server show/, out('server-show-active.json'))
      .on(/openstack console log show/, out('console-log-cirros.txt'));
    const { results } = await run(c);
    expect(smokeResult(results)).toBe('passed');
    expect(c.commands().filter((x) => / (create|add|delete|curl) /.test(x) || x.includes('curl '))).toEqual([]);
  });

  it('prints a progress line at least every 30 s while a server builds for two minutes', async () => {
    const build = out('server-show-build.json');
    // Enough BUILD answers for two minutes of the default pause between probes.
    const probes = Math.ceil(125_000 / DEFAULT_BOUNDS.pollIntervalMs);
    const c = healthyController().on(
      /openstack server show/,
      ...Array(probes).fill(build),
      out('server-show-active.json'),
    );
    const { byId, io, clock } = await run(c);
    expect(byId['instance-boot'].status).toBe('passed');
    expect(clock.slept).toBeGreaterThanOrEqual(120_000);
    const beats = io.lines.filter((l) => l.startsWith('… still waiting for server smoke1-smoke-vm'));
    expect(beats.length).toBeGreaterThanOrEqual(Math.floor(clock.slept / 30_000) - 1);
    expect(io.lines).toContain(
      '  server smoke1-smoke-vm (f0a1b2c3-d4e5-4f6a-8b7c-9d0e1f2a3b4c) to become ACTIVE: BUILD',
    );
  });
});

describe('each check fails with the command, its output and a hint', () => {
  it('keystone-token: a refused password', async () => {
    const { byId, results } = await run(healthyController(), {
      publicAccess: { caPem: keystone.tls.caCertPem, adminPassword: 'WrongPassword12345678901' },
      secrets: [ADMIN_PASSWORD, 'WrongPassword12345678901'],
    });
    const r = byId['keystone-token'];
    expect(r.status).toBe('failed');
    expect(r.failure).toMatchObject({
      message: 'Keystone answered HTTP 401 without a token',
      command: `POST https://${PUBLIC_IP}:13000/v3/auth/tokens (password of admin, project admin)`,
    });
    expect(r.failure!.output).toContain('requires authentication');
    expect(r.failure!.hint).toMatch(/tls-proxy stage/);
    expect(JSON.stringify(r)).not.toContain('WrongPassword12345678901');
    expect(smokeResult(results)).toBe('failed');
  });

  it('keystone-token and catalog: a certificate from another CA is refused, never accepted unverified', async () => {
    const other = await startPublicKeystone({ ip: '127.13.0.14', password: ADMIN_PASSWORD, services: MINIMAL });
    await other.close();
    const { byId } = await run(healthyController(), {
      publicAccess: { caPem: other.tls.caCertPem, adminPassword: ADMIN_PASSWORD },
    });
    for (const id of ['keystone-token', 'catalog']) {
      expect(byId[id].status).toBe('failed');
      expect(byId[id].failure!.message).toMatch(
        /^Keystone's public endpoint could not be reached over HTTPS: the TLS certificate was not accepted with the stack's CA \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)/,
      );
    }
    expect(byId['image-upload'].status).toBe('passed'); // one failure does not stop the others
  });

  it('keystone-token: the token comes from the public endpoint and is masked', async () => {
    const before = keystone.requests.length;
    const io = new RecordingIo();
    const [r] = await runSmokeChecks({
      plan: { ...planFor(), checks: [{ id: 'keystone-token', description: 'token' }] },
      env,
      controller: new FakeController(),
      io,
      clock: new FakeClock(),
      adminOpenrcPath: '/root/admin-openrc',
      publicAccess: access(),
    });
    expect(r.status).toBe('passed');
    expect(r.notes.join()).toBe(
      `token from https://${PUBLIC_IP}:13000/v3 (TLS verified with the stack's CA), expires 2026-11-21T17:30:00.000000Z`,
    );
    expect(keystone.requests.slice(before)).toEqual(['POST 13000 /v3/auth/tokens']);
    expect(io.secrets).toContain(TOKEN_ID);
  });

  it('catalog: a missing service is named', async () => {
    const partial = await startPublicKeystone({
      ip: '127.13.0.13',
      password: ADMIN_PASSWORD,
      services: MINIMAL.filter((t) => t !== 'placement'),
    });
    try {
      const { byId } = await run(healthyController(), {
        env: { ...env, controllerPublicIp: '127.13.0.13' },
        publicAccess: { caPem: partial.tls.caCertPem, adminPassword: ADMIN_PASSWORD },
      });
      expect(byId['keystone-token'].status).toBe('passed');
      expect(byId.catalog.status).toBe('failed');
      expect(byId.catalog.failure!.message).toBe('the catalog lacks placement');
      expect(byId.catalog.failure!.hint).toMatch(/install stage of placement/);
    } finally {
      await partial.close();
    }
  });

  it('catalog: every public endpoint is probed over HTTPS with the token; a 503 or an http URL fails it', async () => {
    const before = keystone.requests.length;
    const ok = await run(healthyController());
    expect(ok.byId.catalog.notes).toEqual([
      'catalog lists compute, identity, image, network, placement',
      'every public endpoint answers over HTTPS: compute 200, identity 200, image 200, network 200, placement 200',
    ]);
    expect(
      keystone.requests
        .slice(before)
        .filter((r) => r.startsWith('GET'))
        .sort(),
    ).toEqual(['GET 13000 /v3/', 'GET 13292 /', 'GET 13696 /', 'GET 13774 /v2.1', 'GET 13778 /']);
    const broken = await startPublicKeystone({
      ip: '127.13.0.15',
      password: ADMIN_PASSWORD,
      services: MINIMAL,
      status: { compute: 503 },
      urls: { network: 'http://127.13.0.15:9696' },
    });
    try {
      const { byId } = await run(healthyController(), {
        env: { ...env, controllerPublicIp: '127.13.0.15' },
        publicAccess: { caPem: broken.tls.caCertPem, adminPassword: ADMIN_PASSWORD },
      });
      expect(byId.catalog.failure!.message).toBe(
        '2 public endpoint(s) do not answer over HTTPS: compute: https://127.13.0.15:13774/v2.1 answered HTTP 503; network: public endpoint http://127.13.0.15:9696 is not https on 127.13.0.15',
      );
      expect(byId.catalog.failure!.hint).toMatch(/HAProxy/);
    } finally {
      await broken.close();
    }
  });

  it('catalog: the full topology also needs volumev3 and object-store', async () => {
    const io = new RecordingIo();
    const results = await runSmokeChecks({
      plan: { ...planFor({ topology: 'full' }), checks: [{ id: 'catalog', description: 'catalog' }] },
      env,
      controller: healthyController(),
      io,
      clock: new FakeClock(),
      adminOpenrcPath: '/root/admin-openrc',
      publicAccess: access(),
    });
    expect(results[0].failure!.message).toBe('the catalog lacks volumev3, object-store');
  });

  it('image-upload: an image Glance kills', async () => {
    const c = healthyController().on(/openstack image show/, out('image-create.json'), out('image-show-killed.json'));
    const { byId } = await run(c);
    expect(byId['image-upload'].failure!.message).toBe('image 8e2f5c1a-7b3d-4e6f-9a0b-1c2d3e4f5a6b went killed');
    expect(byId['image-upload'].failure!.hint).toMatch(/glance-api\.log/);
    // what needs the image is skipped, with the reason
    expect(byId['instance-boot']).toMatchObject({ status: 'skipped', skippedReason: expect.stringMatching(/image/) });
    expect(byId['instance-reach'].status).toBe('skipped');
    expect(byId['port-forward'].status).toBe('skipped');
  });

  it('image-upload: a download that fails', async () => {
    const c = healthyController().on(/curl -fsSL/, fail(22, 'curl: (22) The requested URL returned error: 404'));
    const { byId } = await run(c);
    expect(byId['image-upload'].failure!.message).toMatch(/could not download https:\/\/download\.cirros-cloud\.net/);
    expect(byId['image-upload'].failure!.output).toContain('404');
  });

  it('image-upload: an image that never becomes active gives up at its bound', async () => {
    const c = healthyController().on(/openstack image show/, out('image-create.json'));
    const { byId } = await run(c, { bounds: { imageActiveMs: 60_000 } });
    expect(byId['image-upload'].failure!.message).toBe(
      'gave up after 60 s waiting for image smoke1-smoke-image to become active; last seen: saving',
    );
    expect(byId['image-upload'].seconds).toBeLessThanOrEqual(60);
  });

  it('image-upload: file:// copies from the runner and detects qcow2 and raw by their magic', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smoke-image-'));
    try {
      for (const [head, format] of [
        [Buffer.from([0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 3]), 'qcow2'],
        [Buffer.from('\xeb\x63\x90 syslinux raw disk', 'latin1'), 'raw'],
      ] as const) {
        const file = path.join(dir, `img-${format}`);
        fs.writeFileSync(file, head);
        const c = healthyController();
        const io = new RecordingIo();
        const [r] = await runSmokeChecks({
          plan: { ...planFor(), imageUrl: `file://${file}`, checks: [{ id: 'image-upload', description: 'image' }] },
          env,
          controller: c,
          io,
          clock: new FakeClock(),
          adminOpenrcPath: '/root/admin-openrc',
          publicAccess: access(),
        });
        expect(r.status).toBe('passed');
        expect(c.files.get('/var/tmp/openstack-on-aws-smoke-image')).toEqual({ content: head, mode: 0o600 });
        expect(c.commands().some((x) => x.includes(`image create --disk-format ${format} `))).toBe(true);
        expect(c.commands().some((x) => x.includes('curl'))).toBe(false);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tenant-network: a subnet Neutron refuses', async () => {
    const c = healthyController().on(
      /openstack subnet create/,
      fail(
        1,
        'BadRequestException: 400: Client Error for url: http://controller:9696/v2.0/subnets, Invalid input for operation: Requested subnet with cidr: 192.168.100.0/24 for network: b4c5d6e7-f8a9-4b0c-9d1e-2f3a4b5c6d7e overlaps with another subnet.',
      ),
    );
    const { byId } = await run(c);
    expect(byId['tenant-network'].failure!.message).toBe(
      'subnet selfservice-subnet 192.168.100.0/24 could not be created (exit code 1)',
    );
    expect(byId['tenant-network'].failure!.output).toContain('overlaps with another subnet');
    expect(byId['tenant-network'].failure!.hint).toMatch(/neutron/);
  });

  it('instance-boot: a server that goes to ERROR shows its fault', async () => {
    const c = healthyController().on(
      /openstack server show/,
      out('server-show-build.json'),
      out('server-show-error.json'),
    );
    const { byId } = await run(c);
    const r = byId['instance-boot'];
    expect(r.failure!.message).toBe('server f0a1b2c3-d4e5-4f6a-8b7c-9d0e1f2a3b4c went to ERROR');
    expect(r.failure!.output).toContain('No valid host was found');
    expect(r.failure!.hint).toMatch(/nova-compute/);
  });

  it('instance-boot: a leftover server in ERROR is deleted before the new one boots', async () => {
    const c = healthyController()
      .on(/openstack server list/, {
        code: 0,
        stdout: JSON.stringify([
          { ID: 'aa11bb22-cc33-4dd4-8ee5-ff6600778899', Name: 'smoke1-smoke-vm', Status: 'ERROR' },
        ]),
      })
      .on(/openstack server delete --wait 'aa11bb22-cc33-4dd4-8ee5-ff6600778899'/, { code: 0 });
    const { byId } = await run(c);
    expect(byId['instance-boot'].status).toBe('passed');
    const cmds = c.commands();
    const del = cmds.findIndex((x) => x.includes('server delete --wait'));
    const create = cmds.findIndex((x) => x.includes('server create'));
    expect(del).toBeGreaterThan(-1);
    expect(create).toBeGreaterThan(del);
    // With a config drive: Nova builds its ISO on the compute node (genisoimage, lib.sh pkgs).
    expect(cmds[create]).toContain('--config-drive true');
  });

  it('instance-boot: a console that never shows a boot fails at its bound', async () => {
    const c = healthyController().on(/openstack console log show/, out('console-log-bios.txt'));
    const { byId } = await run(c, { bounds: { consoleBootMs: 120_000 } });
    const r = byId['instance-boot'];
    expect(r.failure!.message).toMatch(
      /^gave up after 120 s waiting for the console log of .* to show a boot; last seen: 3 console lines, no boot marker yet$/,
    );
    expect(r.failure!.output).toContain('Booting from Hard Disk');
  });

  it('router-ping: a failed ping reports the namespace state the seeds look at', async () => {
    const c = healthyController()
      .on(/ping -c 3 -W 2 '203\.0\.113\.10'/, { code: 1, stdout: fixture('ping-fail.txt') })
      .on(/ip -br addr; ip route; ip neigh/, out('qrouter-diag-incomplete.txt'));
    const { byId } = await run(c);
    const r = byId['router-ping'];
    expect(r.failure!.message).toBe('the router namespace cannot reach 203.0.113.10');
    expect(r.failure!.output).toContain('100% packet loss');
    expect(r.failure!.output).toContain('10.42.1.1 dev qg-5c1e2f3a-4b INCOMPLETE');
    expect(r.failure!.hint).toContain('10.42.1.11');
  });

  it('instance-reach: passes on tcp/22 when the guest ignores ping, fails when neither answers', async () => {
    const tcpOnly = healthyController()
      .on(/ping -c 3 -W 2 '192\.168\.100\.10'/, { code: 1, stdout: fixture('ping-fail.txt') })
      .on(/\/dev\/tcp\/192\.168\.100\.10\/22/, { code: 0 });
    const a = await run(tcpOnly);
    expect(a.byId['instance-reach'].status).toBe('passed');
    expect(a.byId['instance-reach'].notes.join()).toContain('answered tcp/22');

    const silent = healthyController()
      .on(/ping -c 3 -W 2 '192\.168\.100\.10'/, { code: 1, stdout: fixture('ping-fail.txt') })
      .on(/\/dev\/tcp\/192\.168\.100\.10\/22/, { code: 124 });
    const b = await run(silent, { bounds: { reachMs: 30_000 } });
    expect(b.byId['instance-reach'].failure!.message).toBe(
      'gave up after 30 s waiting for instance 192.168.100.10 to answer from qrouter-d6e7f8a9-b0c1-4d2e-9f3a-4b5c6d7e8f9a; last seen: no answer to ping nor tcp/22',
    );
  });
});

describe('port-forward over a real TCP connection on loopback', () => {
  const withPort = (port: number): Plan => {
    const p = planFor();
    return { ...p, portForwards: [{ ...p.portForwards[0], publicPort: port }] };
  };

  it('passes when the forwarded port accepts, reading the SSH banner', async () => {
    const server = net.createServer((s) => s.end('SSH-2.0-dropbear_2022.83\r\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const hook = jest.fn(async () => undefined);
    try {
      const { byId } = await run(healthyController(), {
        plan: withPort(port),
        env: { ...env, routerPublicIp: '127.0.0.1' },
        connect: undefined,
        beforePortForward: hook,
      });
      expect(byId['port-forward'].status).toBe('passed');
      expect(byId['port-forward'].notes.join()).toBe(
        `connected from the runner to 127.0.0.1:${port}: SSH-2.0-dropbear_2022.83`,
      );
      expect(hook).toHaveBeenCalledWith({ id: 'f0a1b2c3-d4e5-4f6a-8b7c-9d0e1f2a3b4c', fixedIp: '192.168.100.10' });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('fails with the DNAT hint when nothing listens', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((r) => server.close(r));
    const { byId } = await run(healthyController(), {
      plan: withPort(port),
      env: { ...env, routerPublicIp: '127.0.0.1' },
      connect: undefined,
      bounds: { portForwardMs: 10_000 },
    });
    const r = byId['port-forward'];
    expect(r.status).toBe('failed');
    expect(r.failure!.message).toMatch(new RegExp(`waiting for 127\\.0\\.0\\.1:${port} .*ECONNREFUSED`));
    expect(r.failure!.hint).toMatch(/DNAT rule/);
  });
});

describe('tempest-smoke', () => {
  const tempestPlan = (extra: Record<string, string> = {}) => planFor({ tempest: 'smoke', ...extra });
  const TEMPEST = '/var/lib/openstack-on-aws/tempest';
  const controllerWithJunit = (junit: string, code: number, exclude?: string) => {
    const c = healthyController().on(/bash '\/var\/tmp\/openstack-on-aws-tempest-smoke\.sh'/, (cmd) => {
      c.files.set(`${TEMPEST}/junit.xml`, { content: Buffer.from(fixture(junit)) });
      if (exclude !== undefined) c.files.set(`${TEMPEST}/exclude.txt`, { content: Buffer.from(exclude) });
      return { code, stdout: `[tempest] ran for ${cmd.length}` };
    });
    return c;
  };
  const scriptCommand = (c: FakeController) => c.commands().find((x) => x.includes('tempest-smoke.sh'))!;

  it('passes with the suite merged in, the script shipped 0700 and no password on its command line', async () => {
    const c = controllerWithJunit('tempest-junit-pass.xml', 0);
    const { byId } = await run(c, { plan: tempestPlan() });
    const r = byId['tempest-smoke'];
    expect(r.status).toBe('passed');
    expect(r.notes).toEqual(['Tempest smoke: 3 passed, 0 failed, 1 skipped of 4']);
    expect(r.listings).toEqual([
      {
        title: 'skipped tests, by reason',
        count: 1,
        lines: [
          'Cinder is not available (1; this topology deploys no Cinder (topology full does)):\n    tempest.api.volume.test_volumes_get.VolumesGetTest.test_volume_create_get_update_delete[id-27fb0e9f-fb64-41dd-8bdb-1ffa762f0d51,smoke]',
        ],
      },
    ]);
    expect(r.junit).toContain('test_list_networks');
    expect(c.files.get('/var/tmp/openstack-on-aws-tempest-smoke.sh')!.mode).toBe(0o700);
    const cmd = scriptCommand(c);
    expect(cmd).toContain("IMAGE_ID='8e2f5c1a-7b3d-4e6f-9a0b-1c2d3e4f5a6b'");
    expect(cmd).toContain("OS_FAMILY='ubuntu'");
    expect(cmd).not.toContain(ADMIN_PASSWORD);
  });

  it("hands the script the image's login, the network fix, the metadata API and the selection", async () => {
    const login = async (extra: Record<string, string>) => {
      const c = controllerWithJunit('tempest-junit-pass.xml', 0);
      await run(c, { plan: tempestPlan(extra) });
      return scriptCommand(c);
    };
    // the default image is CirrOS; routed is the default fix; the default Ubuntu 26.04 + 2026.1
    // (Gazpacho) ships no metadata API, Ubuntu 24.04 + 2024.1 serves one
    const cirros = await login({});
    expect(cirros).toContain("IMAGE_SSH_USER='cirros'");
    expect(cirros).toContain("NETWORK_FIX='routed'");
    expect(cirros).toContain("METADATA_API='false'");
    expect(cirros).toContain("TEMPEST_REGEX=''");
    expect(await login({ os: 'ubuntu-24.04', release: '2024.1' })).toContain("METADATA_API='true'");
    expect(await login({ 'image-url': 'https://images.example/debian-12-generic-amd64.qcow2' })).toContain(
      "IMAGE_SSH_USER=''",
    );
    const own = await login({
      'image-url': 'https://images.example/debian-12-generic-amd64.qcow2',
      'tempest-ssh-user': 'debian',
      'tempest-regex': 'tempest\\.api\\.network',
      'network-fix': 'seeds',
    });
    expect(own).toContain("IMAGE_SSH_USER='debian'");
    expect(own).toContain("NETWORK_FIX='seeds'");
    expect(own).toContain("TEMPEST_REGEX='tempest\\.api\\.network'");
  });

  it('fails when a Tempest test fails', async () => {
    const { byId } = await run(controllerWithJunit('tempest-junit-fail.xml', 1), { plan: tempestPlan() });
    const r = byId['tempest-smoke'];
    expect(r.failure!.message).toBe(
      'Tempest smoke: 2 passed, 1 failed, 0 skipped of 3; failed: tempest.scenario.test_server_basic_ops.TestServerBasicOps.test_server_basic_ops[compute,id-7fff3fb3-91d8-4fd0-bd7d-0204f1f180ba,network,smoke]',
    );
    expect(r.failure!.output).toMatch(
      /test_server_basic_ops.*: tempest\.lib\.exceptions\.SSHTimeout: Connection to the 192\.168\.100\.23/,
    );
    expect(r.junit).toContain('SSHTimeout');
  });

  it('counts from the results, not the exit code: failures with exit code 0 fail, each named with its error and traceback', async () => {
    const { byId, io } = await run(controllerWithJunit('tempest-run-fail.xml', 0), { plan: tempestPlan() });
    const r = byId['tempest-smoke'];
    expect(r.status).toBe('failed');
    expect(r.failure!.message).toMatch(/^Tempest smoke: 3 passed, 3 failed, 2 skipped of 8; failed: setUpClass/);
    expect(r.failure!.output).toContain('IpAddressGenerationFailure');
    expect(r.failure!.output).toContain('    Traceback (most recent call last):');
    expect(r.listings!.map((l) => [l.title, l.lines.length])).toEqual([
      ['failed tests', 3],
      ['skipped tests, by reason', 2],
    ]);
    expect(r.listings![1].lines).toContain(
      'Cinder is not available (1; this topology deploys no Cinder (topology full does)):\n    setUpClass (tempest.api.volume.test_volumes_get.VolumesGetTest)',
    );
    // the log lists them too
    expect(io.lines.join('\n')).toMatch(/failed tests \(3\):\n {2}setUpClass \(tempest\.api\.compute/);
  });

  it('masks the secrets a traceback quotes, in the listing, the failure and the merged JUnit', async () => {
    const junit = `<testsuite errors="0" failures="1" name="" tests="1" time="1.0">
<testcase classname="tempest.api.identity.v3.test_tokens.TokensV3Test" name="test_create_token[id-6f8e4436-fc96-4282-8122-e41df57197a9,smoke]" time="0.5">
<failure type="testtools.testresult.real._StringException">testtools.testresult.real._StringException: Traceback (most recent call last):
  File "/usr/lib/python3/dist-packages/tempest/api/identity/v3/test_tokens.py", line 40, in test_create_token
    resp = self.non_admin_token.get_token(password='${ADMIN_PASSWORD}')
tempest.lib.exceptions.Unauthorized: The request you have made requires authentication. password=${ADMIN_PASSWORD}
</failure>
</testcase>
</testsuite>`;
    const c = healthyController().on(/bash '\/var\/tmp\/openstack-on-aws-tempest-smoke\.sh'/, () => {
      c.files.set(`${TEMPEST}/junit.xml`, { content: Buffer.from(junit) });
      return { code: 1, stdout: '' };
    });
    const { byId, io } = await run(c, { plan: tempestPlan() });
    const r = byId['tempest-smoke'];
    expect(r.listings![0].lines[0]).toContain("get_token(password='***')");
    expect(JSON.stringify(r.listings) + r.failure!.output + io.lines.join('\n')).not.toContain(ADMIN_PASSWORD);
    expect(renderJunit([r], { stackId: 'smoke1', secrets: [ADMIN_PASSWORD] })).not.toContain(ADMIN_PASSWORD);
  });

  it("redacts by shape what the run was never told: a dynamic user's password, a keypair's private key", async () => {
    const dynamicPassword = 'Tq8-Ws3!Lx6vNb1k';
    const keyMaterial = 'MIIEowIBAAKCAQEAvR2nK8sT5qW1Lm9Pz4Xc7Yb3Hd6Jf0Ge2Ra';
    const junit = `<testsuite errors="0" failures="1" name="" tests="1" time="1.0">
<testcase classname="tempest.api.compute.keypairs.test_keypairs.KeyPairsV2TestJSON" name="test_keypair_create_delete[id-6c1d3123-4519-4742-9194-622cb1714b7d,smoke]" time="0.5">
<failure type="testtools.testresult.real._StringException">testtools.testresult.real._StringException: pythonlogging:'': {{{
2026-11-21 17:02:11,123 12345 DEBUG    [tempest.lib.common.rest_client] Request - Headers: {'Content-Type': 'application/json', 'X-Auth-Token': '&lt;omitted&gt;'}
        Body: {"user": {"name": "tempest-KeyPairsV2TestJSON-1-user", "password": "${dynamicPassword}", "project_id": "3f2a"}}
        Body: b'{"keypair": {"name": "tempest-keypair-9", "private_key": "-----BEGIN RSA PRIVATE KEY-----\\n${keyMaterial}\\n-----END RSA PRIVATE KEY-----\\n", "user_id": "u1"}}'
}}}

Traceback (most recent call last):
  File "/usr/lib/python3/dist-packages/tempest/api/compute/keypairs/test_keypairs.py", line 40, in test_keypair_create_delete
    self.assertEqual(1, 2)
testtools.matchers._impl.MismatchError: 1 != 2 ({'password': '${dynamicPassword}'})
</failure>
</testcase>
</testsuite>`;
    const c = healthyController().on(/bash '\/var\/tmp\/openstack-on-aws-tempest-smoke\.sh'/, () => {
      c.files.set(`${TEMPEST}/junit.xml`, { content: Buffer.from(junit) });
      return { code: 1, stdout: '' };
    });
    const { byId, io } = await run(c, { plan: tempestPlan() });
    const r = byId['tempest-smoke'];
    expect(r.listings![0].lines[0]).toContain("MismatchError: 1 != 2 ({'password': '***'})");
    const shown = JSON.stringify(r.listings) + r.failure!.output + r.failure!.message + io.lines.join('\n');
    const merged = renderJunit([r], { stackId: 'smoke1', secrets: [ADMIN_PASSWORD] });
    expect(merged).toContain('"password": "***"');
    for (const secret of [dynamicPassword, keyMaterial]) {
      expect(shown).not.toContain(secret);
      expect(merged).not.toContain(secret);
    }
  });

  it('redacts by shape what Tempest printed itself, in the failure of a run without results', async () => {
    const dynamicPassword = 'Vr2-Hk7!Mq4sXz9p';
    const c = healthyController().on(/bash '\/var\/tmp\/openstack-on-aws-tempest-smoke\.sh'/, () => ({
      code: 1,
      stdout: '[tempest] running on the host without validation\n',
      stderr: `Traceback (most recent call last):\n  File "/usr/lib/python3/dist-packages/tempest/lib/common/cred_client.py", line 50, in create_user\ntempest.lib.exceptions.BadRequest: Bad request Details: {'user': {'name': 'tempest-u', 'password': '${dynamicPassword}'}}\n`,
    }));
    const { byId, io } = await run(c, { plan: tempestPlan() });
    const r = byId['tempest-smoke'];
    expect(r.failure!.message).toBe('Tempest smoke: no results (exit code 1)');
    expect(r.failure!.output).toContain("'password': '***'");
    expect(r.failure!.output + io.lines.join('\n')).not.toContain(dynamicPassword);
  });

  it("lists the release's exclusions with their reasons", async () => {
    const c = controllerWithJunit(
      'tempest-junit-pass.xml',
      0,
      'test_credentials_create_get_update_delete # Keystone Zed refuses it\n',
    );
    const { byId } = await run(c, { plan: tempestPlan() });
    expect(
      byId['tempest-smoke'].listings!.find(
        (l) => l.title === "excluded (this cloud's probes and this network fix's list)",
      )!.lines,
    ).toEqual(['test_credentials_create_get_update_delete: Keystone Zed refuses it']);
  });

  it('a non-zero exit its results do not explain fails too; no results at all fails', async () => {
    const odd = await run(controllerWithJunit('tempest-run-pass.xml', 2), { plan: tempestPlan() });
    expect(odd.byId['tempest-smoke'].failure!.message).toBe(
      'Tempest smoke: 2 passed, 0 failed, 2 skipped of 4, but tempest exited with 2 (a failure its results do not show)',
    );
    const none = await run(controllerWithJunit('not-found.txt', 0), { plan: tempestPlan() });
    expect(none.byId['tempest-smoke'].failure!.message).toBe('Tempest smoke: no results (exit code 0)');
  });
});

it('smoke: false plans no checks; the result is skipped', async () => {
  const io = new RecordingIo();
  const c = new FakeController();
  const results = await runSmokeChecks({
    plan: planFor({ smoke: 'false' }),
    env,
    controller: c,
    io,
    adminOpenrcPath: '/root/admin-openrc',
    publicAccess: access(),
  });
  expect(results).toEqual([]);
  expect(smokeResult(results)).toBe('skipped');
  expect(c.calls).toEqual([]);
});
