// TLS for real on Debian 12 + Zed in an nspawn machine: Keystone, Glance, Placement and Horizon from
// Debian's archive, then the tls-proxy stage with a CA and certificate made by src/core/tls.ts. From
// the test process (the runner's side, over the machine's veth) the keystone-token check and the
// catalog's public endpoints answer over HTTPS verified with the stack's CA; another stack's CA is
// refused; the version documents link https; Horizon's login works through port 443. The proxy
// stage's second run changes nothing, and its key is 0600 and in no log. Slow (package installs):
// runs only with OOA_STAGES_REAL=1, under the host lock.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { issueStackTls, StackTls } from '../../src/core/tls';
import { generateStackSecrets, StackSecrets } from '../../src/core/secrets';
import { buildPlan } from '../../src/plan/plan';
import type { Plan } from '../../src/plan/types';
import type { Environment } from '../../src/provider';
import { renderNodeSettings } from '../../src/remote/node-settings';
import { tlsAddresses, tlsFiles } from '../../src/remote/tls-files';
import { probePublicEndpoints } from '../../src/smoke/checks/catalog';
import { httpsRequest, issuePublicToken } from '../../src/smoke/public-api';
import { runSmokeChecks } from '../../src/smoke/run';
import { settingsFrom } from '../helpers/inputs';
import { memoryIo } from '../helpers/memory-io';
import {
  controllerSnapshot,
  devControllerEnv,
  DevNode,
  expectRerunChangesNothing,
  finishDevNode,
  inNode,
  installStages,
  runStage,
  StageRun,
  startDevNode,
} from './stages-container';

const REAL = process.env.OOA_STAGES_REAL === '1';
const STAGES = [
  'host-prep',
  'repositories',
  'mariadb',
  'rabbitmq',
  'memcached',
  'keystone',
  'glance',
  'placement',
  'horizon',
  'tls-proxy',
];
// Own defaults, apart from the other stage tests' (10.197-10.199, 3143-3145).
const PREFIX = process.env.OOA_STAGES_PREFIX ?? '10.196';
const ACNG_PORT = Number(process.env.OOA_STAGES_ACNG_PORT ?? 3146);
const MIN = 60_000;

const timings: Record<string, number[]> = {};
let node: DevNode | undefined;
let plan: Plan;
let env: Environment;
let secrets: StackSecrets;
let tls: StackTls;
let otherCa: string;
let workDir: string;

function stageRun(stage: string): StageRun {
  return runStage(node!, stage, timings, 20 * MIN);
}

(REAL ? describe : describe.skip)('TLS on the public endpoints, Debian 12 + Zed in an nspawn machine', () => {
  beforeAll(async () => {
    node = startDevNode(PREFIX, ACNG_PORT);
    plan = buildPlan(
      settingsFrom({
        provider: 'local',
        os: 'debian-12',
        release: 'zed',
        'vpc-cidr': `${PREFIX}.0.0/16`,
        'stack-id': 'devtls',
        'ping-target': '203.0.113.10',
        'image-url': 'file:///var/tmp/unused.img',
      }),
      { now: new Date() },
    );
    // The runner reaches this machine on its management veth: that address plays the elastic IP.
    env = { ...devControllerEnv(node, PREFIX, plan.stackId), controllerPublicIp: `${PREFIX}.0.11` };
    secrets = generateStackSecrets(plan.stackId, () => undefined);
    workDir = mkdtempSync(join(tmpdir(), 'ooa-devtls-'));
    const issue = (ips: string[]) =>
      issueStackTls({
        stackId: plan.stackId,
        ipAddresses: ips,
        notAfter: new Date(plan.expiresAt),
        mask: () => undefined,
        workDir,
      });
    tls = await issue(tlsAddresses(plan, env));
    otherCa = (await issue(tlsAddresses(plan, env))).caCertPem;
    installStages(node, renderNodeSettings(plan, env, secrets, 'controller'));
    for (const f of tlsFiles(tls)) {
      const target = join(node.rootfs, f.path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, f.content, { mode: f.mode });
      chmodSync(target, f.mode);
    }
  }, 10 * MIN);

  afterAll(() => {
    finishDevNode(node, timings);
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  }, 5 * MIN);

  test(
    'every stage succeeds on a fresh machine, tls-proxy last',
    () => {
      for (const stage of STAGES) {
        const r = stageRun(stage);
        if (r.code !== 0) throw new Error(`${stage} failed (exit ${r.code}):\n${r.output.slice(-6000)}`);
        expect(r.output).toContain(`stage ${stage} finished`);
      }
    },
    45 * MIN,
  );

  test('the catalog has https public endpoints on the TLS ports; internal ones stay plain HTTP', () => {
    const list = inNode(
      node!,
      '. /root/admin-openrc && openstack endpoint list -f value -c "Service Type" -c Interface -c URL',
    ).output;
    const ip = env.controllerPublicIp;
    expect(list).toContain(`identity public https://${ip}:13000/v3/`);
    expect(list).toContain(`image public https://${ip}:13292`);
    expect(list).toContain(`placement public https://${ip}:13778`);
    expect(list).toContain('identity internal http://controller:5000/v3/');
    expect(list).not.toMatch(/public http:/);
    // Inside the VPC the services still answer plain HTTP on their own ports.
    expect(inNode(node!, 'curl -fsS -o /dev/null -w "%{http_code}" http://controller:5000/v3').output).toBe('200');
  });

  test("from the runner: keystone-token passes over HTTPS with the stack's CA, and fails with another CA", async () => {
    const checks = [{ id: 'keystone-token' as const, description: 'Keystone issues a token for admin' }];
    const run = (caPem: string) =>
      runSmokeChecks({
        plan: { ...plan, checks },
        env,
        controller: undefined as never, // the check runs from the runner only
        io: memoryIo(),
        adminOpenrcPath: '/root/admin-openrc',
        publicAccess: { caPem, adminPassword: secrets.passwords.admin },
        secrets: [secrets.passwords.admin],
      });
    const [good] = await run(tls.caCertPem);
    expect(good.status).toBe('passed');
    expect(good.notes.join()).toContain(`https://${env.controllerPublicIp}:13000/v3 (TLS verified`);
    const [bad] = await run(otherCa);
    expect(bad.status).toBe('failed');
    expect(bad.failure!.message).toMatch(
      /not accepted with the stack's CA \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)/,
    );
  });

  test('every public endpoint of the catalog answers over HTTPS; the version documents link https', async () => {
    const ip = env.controllerPublicIp;
    const token = await issuePublicToken(ip, { caPem: tls.caCertPem, adminPassword: secrets.passwords.admin }, []);
    const probed = await probePublicEndpoints(token.catalog, ip, tls.caCertPem, token.id, token.projectId);
    expect(probed.problems).toEqual([]);
    expect(probed.answered.map((a) => a.split(' ')[0])).toEqual(['identity', 'image', 'placement']);
    // Keystone and Glance trust X-Forwarded-Proto: the links a client follows are https too.
    const v3 = JSON.parse((await httpsRequest(`https://${ip}:13000/v3`, tls.caCertPem)).body);
    expect(v3.version.links[0].href).toBe(`https://${ip}:13000/v3/`);
    const glance = JSON.parse((await httpsRequest(`https://${ip}:13292/`, tls.caCertPem)).body);
    expect(glance.versions[0].links[0].href).toMatch(new RegExp(`^https://${ip.replace(/\./g, '\\.')}:13292/v2/`));
    // Plain HTTP on a TLS port is no way around it: HAProxy drops the connection without an answer.
    const plain = inNode(node!, `curl -sS -o /dev/null -w "%{http_code}" http://${PREFIX}.1.12:13000/v3`);
    expect(plain.code).not.toBe(0);
    expect(plain.output.startsWith('000')).toBe(true);
  });

  test('Horizon: the login page and a real login through HTTPS on port 443', async () => {
    const ip = env.controllerPublicIp;
    const page = await httpsRequest(`https://${ip}/horizon/auth/login/`, tls.caCertPem, {
      headers: { Accept: 'text/html' },
    });
    expect(page.status).toBe(200);
    const cookies = [page.headers['set-cookie'] ?? []].flat().map((c) => c.split(';')[0]);
    const csrfCookie = cookies.find((c) => c.startsWith('csrftoken='));
    expect(csrfCookie).toBeDefined();
    expect(page.headers['set-cookie']!.join()).toMatch(/csrftoken=[^;]+;.*Secure/);
    const form = page.body.slice(page.body.indexOf('<form'), page.body.indexOf('</form>'));
    const fields: Record<string, string> = {};
    for (const [tag] of form.matchAll(/<input\b[^>]*>/g)) {
      const name = /\bname="([^"]*)"/.exec(tag)?.[1];
      if (name) fields[name] = /\bvalue="([^"]*)"/.exec(tag)?.[1] ?? '';
    }
    Object.assign(fields, { username: 'admin', password: secrets.passwords.admin, domain: 'Default' });
    const body = new URLSearchParams(fields).toString();
    const login = await httpsRequest(`https://${ip}/horizon/auth/login/`, tls.caCertPem, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'Content-Length': String(Buffer.byteLength(body)),
        Cookie: cookies.join('; '),
        Origin: `https://${ip}`,
        Referer: `https://${ip}/horizon/auth/login/`,
        Accept: 'text/html',
      },
      body,
    });
    expect(login.status).toBe(302);
    expect(String(login.headers.location)).not.toContain('/auth/login');
    const session = [login.headers['set-cookie'] ?? []].flat().map((c) => c.split(';')[0]);
    expect(session.join()).toMatch(/sessionid=/);
    expect([login.headers['set-cookie'] ?? []].flat().join()).toMatch(/sessionid=[^;]+;.*Secure/);
    // The session works over HTTPS: the Identity panel lists the projects (Keystone, internal endpoint).
    const projects = await httpsRequest(`https://${ip}/horizon/identity/`, tls.caCertPem, {
      headers: {
        Cookie: [...cookies.filter((c) => !c.startsWith('csrftoken=')), ...session].join('; '),
        Accept: 'text/html',
      },
    });
    expect(projects.status).toBe(200);
    expect(projects.body).toContain('Service Project');
  });

  test(
    'the key is 0600 on the node and in no log; a second tls-proxy run changes nothing',
    () => {
      expect(
        inNode(node!, 'stat -c %a /etc/openstack-on-aws/tls/server.key /etc/haproxy/openstack-on-aws.pem')
          .output.split('\n')
          .filter(Boolean),
      ).toEqual(['600', '600']);
      const logs = inNode(
        node!,
        'cat /var/log/openstack-on-aws/*.log; journalctl -b --no-pager 2>/dev/null || true',
      ).output;
      for (const line of tls.serverKeyPem.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----')))
        expect(logs).not.toContain(line);
      expectRerunChangesNothing(['tls-proxy'], stageRun, () => controllerSnapshot(node!));
    },
    10 * MIN,
  );
});
