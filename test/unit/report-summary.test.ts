// The job summary, the timeline and the cost estimate's arithmetic.

import { buildPlan } from '../../src/plan/plan';
import type { Plan } from '../../src/plan/types';
import type { Environment, TeardownReport } from '../../src/provider';
import { costBasisOf, estimateCost, formatUsd } from '../../src/report/cost';
import {
  GP3_GB_MONTH_USD,
  HOURS_PER_MONTH,
  INSTANCE_HOURLY_USD,
  PUBLIC_IPV4_HOURLY_USD,
} from '../../src/report/prices';
import { renderSummary } from '../../src/report/summary';
import { renderTimeline } from '../../src/report/timeline';
import { Timings } from '../../src/report/timings';
import type { CheckResult } from '../../src/smoke/types';
import { settingsFrom } from '../helpers/inputs';

const now = new Date('2026-11-21T16:30:00Z');
const T0 = now.getTime();
const planFor = (extra: Record<string, string> = {}): Plan =>
  buildPlan(settingsFrom({ 'stack-id': 'sum1', 'ping-target': '203.0.113.10', ...extra }), { now });
const SECRET = 'Zq8xWm3pLk7vTn2rBy6dHs4c';

const env: Environment = {
  stackId: 'sum1',
  nodes: [
    { name: 'controller', instanceId: 'i-0a1b2c3d4e5f60001', managementIp: '10.42.0.11', nics: [] },
    { name: 'compute1', instanceId: 'i-0a1b2c3d4e5f60002', managementIp: '10.42.0.21', nics: [] },
  ],
  controllerPublicIp: '198.51.100.12',
  sshPort: 22,
  routerPublicIp: '198.51.100.11',
  sshUser: 'ubuntu',
  privateKeyPath: '/tmp/key',
};

function timings(): Timings {
  const t = new Timings(() => T0);
  t.record('provision', 'instances', 95, T0);
  t.record('stage', 'controller:keystone', 43, T0 + 100_000);
  t.record('stage', 'compute1:nova-compute', 120, T0 + 100_000);
  t.record('netfix', 'gateway-mac', 12, T0 + 400_000);
  t.record('check', 'keystone-token', 1.5, T0 + 420_000);
  return t;
}

const results: CheckResult[] = [
  {
    id: 'keystone-token',
    name: 'token',
    status: 'passed',
    seconds: 1.5,
    startedAt: T0,
    notes: ['token expires 17:41'],
  },
  {
    id: 'router-ping',
    name: 'ping',
    status: 'failed',
    seconds: 6.1,
    startedAt: T0,
    notes: [],
    failure: {
      message: 'the router namespace cannot reach 203.0.113.10',
      command: "ip netns exec qrouter-x ping -c 3 -W 2 '203.0.113.10'",
      output: `10.42.1.1 dev qg INCOMPLETE <b> ${SECRET}`,
      hint: 'the network fix | did not take',
    },
  },
  {
    id: 'port-forward',
    name: 'pf',
    status: 'skipped',
    seconds: 0,
    startedAt: T0,
    notes: [],
    skippedReason: 'needs the booted instance',
  },
];

describe('estimateCost', () => {
  it('is instance-hours × price + elastic IPs + gp3 GB-months, per line and in total', () => {
    // The seeds' fix: two elastic IPs, both on NICs (eth1's for the router, eth2's).
    const plan = planFor({ 'network-fix': 'seeds' });
    const c = estimateCost(plan, 2 * 3600);
    const gib = 40 + 40; // controller and compute1 root disks
    expect(c.lines).toEqual([
      { item: '1 × m7i.xlarge', quantity: '2.00 instance-h', usd: 0.4032 },
      { item: '1 × m8i.xlarge', quantity: '2.00 instance-h', usd: 0.4234 },
      { item: '2 public IPv4 (elastic IPs)', quantity: '4.00 address-h', usd: 0.02 },
      { item: `${gib} GiB gp3 volumes`, quantity: '0.219 GB-month', usd: 0.0175 },
    ]);
    const exact =
      2 * (INSTANCE_HOURLY_USD['m7i.xlarge'] + INSTANCE_HOURLY_USD['m8i.xlarge']) +
      4 * PUBLIC_IPV4_HOURLY_USD +
      (gib * 2 * GP3_GB_MONTH_USD) / HOURS_PER_MONTH;
    expect(c.totalUsd).toBeCloseTo(exact, 3);
    expect(c.incomplete).toBe(false);
  });

  it('bills the default (routed) fix’s pool elastic IPs too (what main saves for post carries their count)', () => {
    const plan = planFor();
    expect(plan.networks.external.pool.filter((p) => p.elasticIp)).toHaveLength(2);
    // Saved as JSON by main and read back by post.
    const basis = JSON.parse(JSON.stringify(costBasisOf(plan)));
    const eips = estimateCost(basis, 2 * 3600).lines.find((l) => l.item.includes('elastic IPs'));
    // eth2's (the controller's public address) and the pool's router gateway and one floating address
    expect(eips).toEqual({ item: '3 public IPv4 (elastic IPs)', quantity: '6.00 address-h', usd: 0.03 });
  });

  it("bills a minimum of a minute, groups nodes of one type, and says 'n/a' for a type not in the table", () => {
    const plan = planFor({ 'compute-count': '3', 'compute-instance-type': 'm9x.xlarge' });
    const c = estimateCost(plan, 5);
    expect(c.hours).toBeCloseTo(1 / 60, 10);
    const compute = c.lines.find((l) => l.item === '3 × m9x.xlarge')!;
    expect(compute).toEqual({ item: '3 × m9x.xlarge', quantity: '0.05 instance-h', usd: undefined });
    expect(formatUsd(compute.usd)).toBe('n/a');
    expect(c.incomplete).toBe(true);
    expect(c.totalUsd).toBeCloseTo(
      c.lines.reduce((a, l) => a + (l.usd ?? 0), 0),
      4,
    );
  });
});

describe('renderTimeline', () => {
  it('sorts by start and places each bar on a shared axis', () => {
    const text = renderTimeline(timings().list(), 40);
    const lines = text.split('\n');
    // * marks the critical path: keystone ran beside nova-compute, which ended later. Of two steps
    // that start together, the longer comes first.
    expect(lines.slice(0, 5).map((l) => l.split('|')[0].trimEnd())).toEqual([
      '* provision instances',
      '* stage compute1:nova-compute',
      '  stage controller:keystone',
      '* netfix gateway-mac',
      '* check keystone-token',
    ]);
    const bar = (i: number) => lines[i].split('|')[1];
    // the span is 421.5 s: instances start at 0 and take 95 s ≈ 9 of 40 columns
    expect(bar(0)).toBe('█'.repeat(9) + ' '.repeat(31));
    // keystone and nova-compute start together; nova-compute's bar is the longer
    expect(bar(1).indexOf('█')).toBe(bar(2).indexOf('█'));
    expect(bar(1).trim().length).toBeGreaterThan(bar(2).trim().length);
    expect(lines[1]).toMatch(/\| 2 min 0 s$/);
    expect(lines[5]).toMatch(/0 s +7 min 2 s$/);
  });
});

describe('renderSummary', () => {
  const teardown: TeardownReport = {
    stackId: 'sum1',
    deleted: [{ kind: 'instance', id: 'i-0a1b2c3d4e5f60001' }],
    leftovers: [{ kind: 'eip', id: 'eipalloc-0123456789abcdef0' }],
    seconds: 88,
  };
  const md = renderSummary({
    plan: planFor(),
    env,
    results,
    timings: timings(),
    billedSeconds: 3600,
    teardown,
    secrets: [SECRET],
  });

  it('shows the environment: release, OS, topology, region, nodes with addresses, endpoints', () => {
    expect(md).toContain('## openstack-on-aws: stack `sum1` — smoke ❌ failed');
    expect(md).toContain('| 2026.1 (gazpacho) | Ubuntu 26.04 LTS | minimal | Neutron openvswitch |');
    expect(md).toContain('| minimal | Neutron');
    expect(md).toContain('aws us-east-1');
    expect(md).toMatch(
      /\| controller \| controller \| m7i\.xlarge \| i-0a1b2c3d4e5f60001 \| eth0 10\.42\.0\.11, eth1 10\.42\.1\.11, eth2 10\.42\.1\.12, public 198\.51\.100\.12, router 198\.51\.100\.11 \|/,
    );
    expect(md).toContain('| Keystone (auth URL) | https://198.51.100.12:13000/v3 |');
    expect(md).toContain('| dashboard | https://198.51.100.12/horizon |');
    expect(md).toContain('| port-forward smoke-ssh | 198.51.100.11:522 → instance port 22 |');
  });

  it('has the timeline, the smoke table with failure details, the cost flagged as an estimate, and the teardown', () => {
    expect(md).toContain('### Timeline\n\n```text\n* provision instances');
    expect(md).toContain('| keystone-token | ✅ passed | 1.5 s | token expires 17:41 |');
    expect(md).toContain(
      '| router-ping | ❌ failed | 6.1 s | the router namespace cannot reach 203.0.113.10. the network fix \\| did not take |',
    );
    expect(md).toContain('| port-forward | ⏭️ skipped | 0.0 s | needs the booted instance |');
    expect(md).toContain('INCOMPLETE &lt;b&gt;');
    expect(md).toContain('### Estimated cost');
    expect(md).toContain('An estimate, not a bill');
    expect(md).toContain('| 1 × m7i.xlarge | 1.00 instance-h | $0.20 |');
    expect(md).toContain('deleted 1 resource(s) of stack `sum1` in 1 min 28 s; 1 left over');
    expect(md).toContain('- eip `eipalloc-0123456789abcdef0`');
  });

  it('never contains a secret', () => {
    expect(md).not.toContain(SECRET);
    expect(md).toContain('INCOMPLETE &lt;b&gt; ***');
  });

  it('says when smoke checks were switched off, and has no cost for the local provider', () => {
    const off = renderSummary({ plan: planFor({ smoke: 'false' }), env, results: [], timings: new Timings() });
    expect(off).toContain('smoke ⏭️ skipped');
    expect(off).toContain('Skipped (`smoke: false`).');
    const local = renderSummary({
      plan: { ...planFor(), provider: 'local' },
      env,
      results,
      timings: timings(),
      billedSeconds: 3600,
    });
    expect(local).not.toContain('Estimated cost');
  });
});

describe('renderSummary: listings (Tempest’s failed tests and skips)', () => {
  it('shows each listed line in full, escaped, in a collapsible block per list', () => {
    const tempest: CheckResult = {
      id: 'tempest-smoke',
      name: 'tempest',
      status: 'failed',
      seconds: 900,
      startedAt: T0,
      notes: [],
      failure: {
        message: 'Tempest smoke: 1 passed, 1 failed, 1 skipped of 3',
        command: 'bash x',
        output: 'a.T.t: E <x>',
        hint: 'h',
      },
      listings: [
        { title: 'failed tests', lines: ['a.T.t: tempest.lib.exceptions.Conflict: IpAddressGenerationFailure <x>'] },
        { title: 'skipped tests', lines: ['a.T.s: Cinder is not available'] },
      ],
    };
    const out = renderSummary({
      plan: planFor(),
      env,
      results: [tempest],
      timings: timings(),
      billedSeconds: 60,
      secrets: [],
    });
    expect(out).toContain('<details><summary>tempest-smoke: failed tests (1)</summary>');
    expect(out).toContain('<pre>a.T.t: tempest.lib.exceptions.Conflict: IpAddressGenerationFailure &lt;x&gt;</pre>');
    expect(out).toContain('<details><summary>tempest-smoke: skipped tests (1)</summary>');
    expect(out).toContain('<pre>a.T.s: Cinder is not available</pre>');
  });

  it('counts what grouped lines describe (skips by reason), not the lines', () => {
    const tempest: CheckResult = {
      id: 'tempest-smoke',
      name: 'tempest',
      status: 'passed',
      seconds: 900,
      startedAt: T0,
      notes: ['Tempest smoke: 5 passed, 0 failed, 3 skipped of 8'],
      listings: [
        {
          title: 'skipped tests, by reason',
          count: 3,
          lines: [
            'Floating ips are not available (2):\n    a.T.f1\n    a.T.f2',
            'Cinder is not available (1):\n    a.T.v',
          ],
        },
      ],
    };
    const out = renderSummary({ plan: planFor(), env, results: [tempest], timings: timings(), secrets: [] });
    expect(out).toContain('<details><summary>tempest-smoke: skipped tests, by reason (3)</summary>');
    expect(out).toContain(
      '<pre>Floating ips are not available (2):\n    a.T.f1\n    a.T.f2\nCinder is not available (1):\n    a.T.v</pre>',
    );
  });
});
