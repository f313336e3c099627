// The smoke checks side by side (src/smoke/run.ts): a check starts only after the checks whose
// results it reads, never more than two run at once, the results come in the Plan's order whatever
// the order of ending, and the log keeps each check's lines together in its own group. Replayed
// against the fake controller, each command taking real time so that checks really overlap.

import { buildPlan } from '../../src/plan/plan';
import type { ExecOptions, ExecResult, RemoteSession } from '../../src/remote/types';
import { runSmokeChecks } from '../../src/smoke/run';
import { settingsFrom } from '../helpers/inputs';
import {
  fail,
  FakeClock,
  FakeController,
  RecordingIo,
  routedController,
  routedEnv,
} from '../fixtures/smoke/fake-controller';

const now = new Date('2026-11-21T16:30:00Z');
const env = routedEnv;
const controller = routedController;

/** Which check a command belongs to, by what it touches. */
function checkOf(command: string): string {
  if (/smoke-router2|ROUTER2|a1b2c3d4-e5f6/.test(command)) return 'second-router';
  if (/openstack image |curl -fsSL|qemu-img|rm -f/.test(command)) return 'image-upload';
  if (/openstack (flavor|network|subnet|router|security group)/.test(command)) return 'tenant-network';
  if (/floating ip|port list --server/.test(command)) return 'floating-ip';
  if (/openstack (server|port) |console log/.test(command)) return 'instance-boot';
  return 'other';
}

/** The fake controller behind real time: every command takes `ms`, and every start and end is kept. */
class SlowSession implements RemoteSession {
  readonly node = 'controller';
  readonly spans: Array<{ command: string; start: number; end: number }> = [];
  inFlight = 0;
  maxInFlight = 0;

  constructor(
    private readonly inner: FakeController,
    private readonly ms: number,
  ) {}

  async exec(command: string, opts?: ExecOptions): Promise<ExecResult> {
    const start = performance.now();
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((r) => setTimeout(r, this.ms));
      return await this.inner.exec(command, opts);
    } finally {
      this.inFlight -= 1;
      this.spans.push({ command, start, end: performance.now() });
    }
  }

  writeFile(p: string, c: string | Buffer, m?: number) {
    return this.inner.writeFile(p, c, m);
  }

  readFile(p: string) {
    return this.inner.readFile(p);
  }

  async close() {}
}

async function runRouted(ms = 15) {
  const plan = buildPlan(
    settingsFrom({
      'stack-id': 'smoke1',
      'ping-target': '203.0.113.10',
      'network-fix': 'routed',
      'floating-elastic-ips': '1',
    }),
    { now },
  );
  const fake = controller();
  const session = new SlowSession(fake, ms);
  const io = new RecordingIo();
  const results = await runSmokeChecks({
    // keystone-token and catalog speak HTTPS from the runner (smoke-checks.test.ts).
    plan: { ...plan, checks: plan.checks.filter((c) => c.id !== 'keystone-token' && c.id !== 'catalog') },
    publicAccess: { caPem: '', adminPassword: '' },
    env,
    controller: session,
    io,
    clock: new FakeClock(),
    adminOpenrcPath: '/root/admin-openrc',
    connect: async (host) => {
      if (host === '198.51.100.13' && !fake.commands().some((c) => c.includes('openstack floating ip set --port')))
        throw new Error('connect ETIMEDOUT 198.51.100.13:22');
      return { banner: 'SSH-2.0-dropbear_2022.83' };
    },
  });
  return { plan, results, session, io };
}

describe('smoke checks side by side', () => {
  it('overlap where nothing lies between them, two at a time at most, and all pass', async () => {
    const { results, session } = await runRouted();
    expect(results.map((r) => [r.id, r.status])).toEqual([
      ['image-upload', 'passed'],
      ['tenant-network', 'passed'],
      ['instance-boot', 'passed'],
      ['router-ping', 'passed'],
      ['instance-reach', 'passed'],
      ['port-forward', 'passed'],
      ['second-router', 'passed'],
      ['floating-ip', 'passed'],
    ]);
    expect(session.maxInFlight).toBe(2);
    // image-upload and tenant-network really ran at once: a command of one started while one of the
    // other was in flight.
    const of = (check: string) => session.spans.filter((s) => checkOf(s.command) === check);
    const overlaps = (a: string, b: string) => of(a).some((x) => of(b).some((y) => x.start < y.end && y.start < x.end));
    expect(overlaps('image-upload', 'tenant-network')).toBe(true);
  });

  it('a check starts only after the checks it reads from have ended', async () => {
    const { session } = await runRouted();
    const of = (check: string) => session.spans.filter((s) => checkOf(s.command) === check);
    const lastEnd = (check: string) => Math.max(...of(check).map((s) => s.end));
    const firstStart = (check: string) => Math.min(...of(check).map((s) => s.start));
    expect(firstStart('instance-boot')).toBeGreaterThanOrEqual(lastEnd('image-upload'));
    expect(firstStart('instance-boot')).toBeGreaterThanOrEqual(lastEnd('tenant-network'));
    expect(firstStart('floating-ip')).toBeGreaterThanOrEqual(lastEnd('instance-boot'));
  });

  it("keeps each check's lines in its own group, the groups in the order the checks started", async () => {
    const { io, plan } = await runRouted();
    const headers = io.lines.map((l, i) => [l, i] as const).filter(([l]) => l.startsWith('## Smoke check '));
    const ids = headers.map(([l]) => /^## Smoke check (\S+):/.exec(l)![1]);
    expect([...ids].sort()).toEqual(
      plan.checks
        .map((c) => c.id)
        .filter((id) => id !== 'keystone-token' && id !== 'catalog')
        .sort(),
    );
    headers.forEach(([, at], n) => {
      const body = io.lines.slice(at + 1, headers[n + 1]?.[1] ?? io.lines.length);
      // The group ends with its own result line, and holds no other check's.
      expect(body[body.length - 1]).toMatch(new RegExp(`^✓ ${ids[n]} passed in `));
      expect(body.filter((l) => /^[✓✗–] \S+ (passed|failed|skipped) in /.test(l))).toHaveLength(1);
    });
  });

  it('a failed prerequisite lets the checks after it end with their reason, not wait for ever', async () => {
    const plan = buildPlan(settingsFrom({ 'stack-id': 'smoke1', 'ping-target': '203.0.113.10' }), { now });
    const fake = controller().on(/openstack network create --share/, fail(1, 'Quota exceeded for network'));
    const results = await runSmokeChecks({
      plan: { ...plan, checks: plan.checks.filter((c) => c.id !== 'keystone-token' && c.id !== 'catalog') },
      publicAccess: { caPem: '', adminPassword: '' },
      env,
      controller: new SlowSession(fake, 5),
      io: new RecordingIo(),
      clock: new FakeClock(),
      adminOpenrcPath: '/root/admin-openrc',
      connect: async () => {
        throw new Error('connect ETIMEDOUT');
      },
    });
    const byId = Object.fromEntries(results.map((r) => [r.id, r]));
    expect(byId['tenant-network'].status).toBe('failed');
    expect(byId['instance-boot']).toMatchObject({ status: 'skipped' });
    expect(byId['floating-ip']).toMatchObject({ status: 'skipped' });
    expect(byId['second-router'].status).toBe('passed');
  });
});
