// The routed mode's smoke checks (issue 15, line 5): floating-ip and second-router, planned only
// with network-fix routed, replayed against a fake controller (the path itself is proven on the
// emulated VPC in test/integration/netfix-routed*.test.ts).

import { buildPlan } from '../../src/plan/plan';
import type { Plan } from '../../src/plan/types';
import { runSmokeChecks } from '../../src/smoke/run';
import type { CheckResult, SmokeOptions } from '../../src/smoke/types';
import { settingsFrom } from '../helpers/inputs';
import {
  fail,
  FakeClock,
  FakeController,
  out,
  RecordingIo,
  ROUTER2,
  routedController,
  routedEnv,
} from '../fixtures/smoke/fake-controller';

const now = new Date('2026-11-21T16:30:00Z');
const planFor = (extra: Record<string, string> = {}): Plan =>
  buildPlan(settingsFrom({ 'stack-id': 'smoke1', 'ping-target': '203.0.113.10', ...extra }), { now });
const routedPlan = () => planFor({ 'network-fix': 'routed', 'floating-elastic-ips': '1' });

const env = routedEnv;

async function run(
  controller: FakeController,
  extra: Partial<SmokeOptions> = {},
): Promise<{ byId: Record<string, CheckResult>; results: CheckResult[]; connects: string[] }> {
  const connects: string[] = [];
  // keystone-token and catalog run from the runner against the public HTTPS endpoints (proven in
  // smoke-checks.test.ts against a loopback stand-in); here only the controller-side checks run.
  const plan = routedPlan();
  const results = await runSmokeChecks({
    plan: { ...plan, checks: plan.checks.filter((c) => c.id !== 'keystone-token' && c.id !== 'catalog') },
    publicAccess: { caPem: '', adminPassword: '' },
    env,
    controller,
    io: new RecordingIo(),
    clock: new FakeClock(),
    adminOpenrcPath: '/root/admin-openrc',
    // The floating IP's elastic IP answers once the floating IP points at the instance, as on EC2.
    connect: async (host, port) => {
      connects.push(`${host}:${port}`);
      if (
        host === '198.51.100.13' &&
        !controller.commands().some((c) => c.includes('openstack floating ip set --port'))
      )
        throw new Error('connect ETIMEDOUT 198.51.100.13:22');
      return { banner: 'SSH-2.0-dropbear_2022.83' };
    },
    ...extra,
  });
  return { results, connects, byId: Object.fromEntries(results.map((r) => [r.id, r])) };
}

describe('routed smoke checks', () => {
  it('are planned only with network-fix routed, the default', () => {
    const seeds = planFor({ 'network-fix': 'seeds' }).checks.map((c) => c.id);
    expect(seeds).not.toContain('floating-ip');
    expect(seeds).not.toContain('second-router');
    expect(planFor().checks.map((c) => c.id)).toEqual(routedPlan().checks.map((c) => c.id));
    expect(routedPlan().checks.map((c) => c.id)).toEqual([
      'keystone-token',
      'catalog',
      'image-upload',
      'tenant-network',
      'instance-boot',
      'router-ping',
      'instance-reach',
      'port-forward',
      'second-router',
      'floating-ip',
    ]);
  });

  it('pass: the second router gets the pool’s last free address and pings; the floating IP answers on its elastic IP', async () => {
    const c = routedController();
    const { byId, connects } = await run(c);
    expect(byId['second-router']).toMatchObject({ status: 'passed' });
    expect(byId['second-router'].notes).toEqual([
      'smoke1-smoke-router2 (gateway 10.42.1.103) reached 203.0.113.10; deleted again',
    ]);
    expect(byId['floating-ip']).toMatchObject({ status: 'passed' });
    expect(byId['floating-ip'].notes[0]).toBe(
      'floating IP 10.42.1.101 (elastic IP 198.51.100.13) → 192.168.100.10: connected from the runner: SSH-2.0-dropbear_2022.83',
    );
    // From outside: the port-forward on the router's elastic IP, then the floating IP's own: once
    // before the association (nothing may answer), once after.
    expect(connects).toEqual(['198.51.100.11:522', '198.51.100.13:22', '198.51.100.13:22']);
    const cmds = c.commands().join('\n');
    expect(cmds).toContain(
      `openstack router set --external-gateway 'provider' --fixed-ip 'subnet=provider-subnet,ip-address=10.42.1.103' '${ROUTER2.id}'`,
    );
    expect(cmds).toContain(`ip netns exec 'qrouter-${ROUTER2.id}' ping -c 3 -W 2 '203.0.113.10'`);
    expect(cmds).toContain(
      "openstack floating ip set --port 'p0p0p0p0-0000-4000-8000-000000000001' 'f1f2f3f4-0000-4000-8000-000000000001'",
    );
    expect(cmds).toContain(`openstack router delete '${ROUTER2.id}'`);
  });

  it('fail where the path fails, naming the address and where to look', async () => {
    const c = routedController().on(new RegExp(`qrouter-${ROUTER2.id}' ping`), { ...out('ping-fail.txt'), code: 1 });
    const { byId } = await run(c, {
      connect: async (host) => {
        if (host === '198.51.100.13') throw new Error('connect ETIMEDOUT 198.51.100.13:22');
        return {};
      },
      bounds: { reachMs: 20_000, portForwardMs: 20_000 },
    });
    expect(byId['second-router'].status).toBe('failed');
    expect(byId['second-router'].failure!.message).toMatch(
      /waiting for qrouter-.* \(gateway 10\.42\.1\.103\) to reach 203\.0\.113\.10/,
    );
    expect(byId['second-router'].failure!.hint).toMatch(/ip route get 10\.42\.1\.103/);
    expect(byId['floating-ip'].status).toBe('failed');
    expect(byId['floating-ip'].failure!.message).toMatch(/198\.51\.100\.13:22 .*last seen: connect ETIMEDOUT/);
    // A failed second router is left for diagnosis.
    expect(c.commands().join('\n')).not.toContain('openstack router delete');
  });

  it('floating-ip fails where its elastic IP answers before the floating IP points at the instance', async () => {
    const c = routedController();
    const { byId } = await run(c, { connect: async () => ({ banner: 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3' }) });
    expect(byId['floating-ip'].status).toBe('failed');
    expect(byId['floating-ip'].failure!.message).toBe(
      '198.51.100.13:22 answered before floating IP 10.42.1.101 was associated with the instance (SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3): something other than the instance holds 10.42.1.101',
    );
    expect(c.commands().join('\n')).not.toContain('openstack floating ip set --port');
  });

  it('skip what they need but do not have', async () => {
    const noEip = await run(routedController(), {
      env: { ...env, poolElasticIps: { '10.42.1.100': '198.51.100.11' } },
    });
    expect(noEip.byId['floating-ip'].failure!.message).toBe(
      'the provider reported no elastic IP for the pool address 10.42.1.101',
    );
    const noBoot = await run(routedController().on(/openstack server create/, fail(1, 'Quota exceeded')));
    expect(noBoot.byId['floating-ip'].status).toBe('skipped');
    expect(noBoot.byId['floating-ip'].skippedReason).toMatch(/needs the booted instance/);
  });
});
