// The network fix's inputs (issue 15, line 2): the mode, the routed pool's size bounded by the
// controller's instance type, the floating addresses with elastic IPs, and the Plan they make
// (fixed pool addresses, the router gateway on the first).

import { InputError } from '../../src/core/errors';
import { buildPlan, controllerOf } from '../../src/plan/plan';
import { renderPlanText } from '../../src/report/plan-render';
import { knownIpv4PerEni } from '../../src/settings/instance-types';
import { settingsFrom } from '../helpers/inputs';

const aws = { provider: 'aws', os: 'debian-12', release: 'zed', 'stack-id': 'nfi' } as const;
const local = { provider: 'local', 'stack-id': 'nfi', 'image-url': 'file:///var/tmp/unused.img' } as const;
const errorOf = (f: () => unknown): InputError => {
  try {
    f();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('no InputError');
};

describe('network-fix inputs', () => {
  it('defaults to routed: a pool of 4, one floating elastic IP, valid on both providers, smoke on or off, Tempest or not', () => {
    // Defaults are validated like given inputs before anything is created: each of these must pass.
    const cases: [Partial<Record<string, string>>, number, number][] = [
      [aws, 4, 1],
      [{ ...aws, smoke: 'false' }, 4, 1],
      [{ ...aws, tempest: 'smoke' }, 14, 1],
      [local, 4, 1],
      [{ ...local, smoke: 'false' }, 4, 1],
      [{ ...local, tempest: 'smoke' }, 14, 1],
    ];
    for (const [inputs, pool, eips] of cases) {
      const s = settingsFrom(inputs);
      expect([s.networkFix, s.externalPoolSize, s.floatingElasticIps]).toEqual(['routed', pool, eips]);
      const plan = buildPlan(s, { now: new Date() });
      expect(plan.networkFix).toBe('routed');
      expect(plan.networks.external.pool).toHaveLength(pool);
      expect(plan.networks.external.routerGatewayIp).toBe('10.42.1.100');
    }
    // With smoke checks on, the default plan has the checks only routed can pass.
    const checks = buildPlan(settingsFrom(aws), { now: new Date() }).checks.map((c) => c.id);
    expect(checks).toEqual(expect.arrayContaining(['second-router', 'floating-ip', 'port-forward']));
  });

  it('seeds, when asked: no pool, the router gateway on eth1’s registered address with eth1’s elastic IP', () => {
    const s = settingsFrom({ ...aws, 'network-fix': 'seeds' });
    expect([s.networkFix, s.externalPoolSize, s.floatingElasticIps]).toEqual(['seeds', 0, 0]);
    const plan = buildPlan(s, { now: new Date() });
    expect(plan.networkFix).toBe('seeds');
    expect(plan.networks.external.pool).toEqual([]);
    expect(plan.networks.external.routerGatewayIp).toBe('10.42.1.11');
    const eth1 = controllerOf(plan).nics.find((n) => n.name === 'eth1')!;
    expect([eth1.elasticIp, eth1.secondaryIps]).toEqual([true, undefined]);
    expect(plan.checks.map((c) => c.id)).not.toContain('floating-ip');
  });

  it('routed: a pool of fixed secondary addresses on eth1, the router gateway first with its elastic IP', () => {
    const s = settingsFrom({ ...aws, 'network-fix': 'Routed' });
    expect([s.networkFix, s.externalPoolSize, s.floatingElasticIps]).toEqual(['routed', 4, 1]);
    const plan = buildPlan(s, { now: new Date() });
    expect(plan.networks.external.pool).toEqual([
      { ip: '10.42.1.100', use: 'router-gateway', elasticIp: true },
      { ip: '10.42.1.101', use: 'floating', elasticIp: true },
      { ip: '10.42.1.102', use: 'floating', elasticIp: false },
      { ip: '10.42.1.103', use: 'floating', elasticIp: false },
    ]);
    expect(plan.networks.external.routerGatewayIp).toBe('10.42.1.100');
    const eth1 = controllerOf(plan).nics.find((n) => n.name === 'eth1')!;
    expect(eth1).toMatchObject({ ip: '10.42.1.11', hostAddress: false, elasticIp: false, sourceDestCheck: true });
    expect(eth1.secondaryIps).toEqual(['10.42.1.100', '10.42.1.101', '10.42.1.102', '10.42.1.103']);
    // Same inputs, same addresses: the Plan is fixed.
    expect(buildPlan(s, { now: new Date(0) }).networks.external.pool).toEqual(plan.networks.external.pool);
  });

  it('routed with Tempest: a larger default pool (its scenarios make routers and floating IPs), still bounded by the type', () => {
    expect(settingsFrom({ ...aws, 'network-fix': 'routed', tempest: 'smoke' }).externalPoolSize).toBe(14);
    // m7i.large holds 10 addresses per interface: 9 besides the primary.
    const small = settingsFrom({
      ...aws,
      'network-fix': 'routed',
      tempest: 'smoke',
      'controller-instance-type': 'm7i.large',
    });
    expect(small.externalPoolSize).toBe(9);
    // Given explicitly, the size is the user's, Tempest or not.
    expect(
      settingsFrom({ ...aws, 'network-fix': 'routed', tempest: 'smoke', 'external-pool-size': '5' }).externalPoolSize,
    ).toBe(5);
  });

  it('routed: sizes and elastic IPs as asked, all meaning every floating address', () => {
    const s = settingsFrom({
      ...aws,
      'network-fix': 'routed',
      'external-pool-size': '14',
      'floating-elastic-ips': 'all',
    });
    const pool = buildPlan(s, { now: new Date() }).networks.external.pool;
    expect(pool).toHaveLength(14);
    expect(pool.every((p) => p.elasticIp)).toBe(true);
    expect(pool[13].ip).toBe('10.42.1.113');
    const none = settingsFrom({ ...aws, 'network-fix': 'routed', smoke: 'false', 'floating-elastic-ips': '0' });
    expect(buildPlan(none, { now: new Date() }).networks.external.pool.filter((p) => p.elasticIp)).toHaveLength(1);
  });

  it('bounds the pool by the controller type’s addresses per interface, before anything exists', () => {
    expect(knownIpv4PerEni('m7i.xlarge')).toBe(15);
    expect(knownIpv4PerEni('t3.medium')).toBe(6);
    expect(knownIpv4PerEni('m5.4xlarge')).toBe(30);
    expect(knownIpv4PerEni('x2iedn.xlarge')).toBeUndefined();
    // Variants whose large sizes break the size table are left to DescribeInstanceTypes.
    expect(knownIpv4PerEni('m5zn.12xlarge')).toBeUndefined();
    expect(knownIpv4PerEni('c6in.32xlarge')).toBeUndefined();
    expect(knownIpv4PerEni('m6id.12xlarge')).toBe(30);
    expect(knownIpv4PerEni('m7i-flex.xlarge')).toBe(15);
    const tooMany = errorOf(() => settingsFrom({ ...aws, 'network-fix': 'routed', 'external-pool-size': '15' }));
    expect(tooMany.input).toBe('external-pool-size');
    expect(tooMany.message).toMatch(
      /from 3 to 14 \(m7i\.xlarge allows 15 private IPv4 addresses per network interface\)/,
    );
    const small = errorOf(() =>
      settingsFrom({
        ...aws,
        'network-fix': 'routed',
        'controller-instance-type': 't3.xlarge',
        'external-pool-size': '15',
      }),
    );
    expect(small.message).toMatch(/to 14 \(t3\.xlarge allows 15/);
    expect(
      settingsFrom({
        ...aws,
        'network-fix': 'routed',
        'controller-instance-type': 'm7i.4xlarge',
        'external-pool-size': '29',
      }).externalPoolSize,
    ).toBe(29);
    // The local provider's emulated VPC: only the largest EC2 bound.
    expect(settingsFrom({ ...local, 'network-fix': 'routed', 'external-pool-size': '49' }).externalPoolSize).toBe(49);
    expect(errorOf(() => settingsFrom({ ...local, 'network-fix': 'routed', 'external-pool-size': '50' })).input).toBe(
      'external-pool-size',
    );
  });

  it('refuses what cannot work, naming the input, the value and what is accepted', () => {
    expect(errorOf(() => settingsFrom({ ...aws, 'network-fix': 'bridged' })).message).toBe(
      "Input 'network-fix' has the value 'bridged'. Accepted: seeds, routed.",
    );
    const seeds = { ...aws, 'network-fix': 'seeds' } as const;
    expect(errorOf(() => settingsFrom({ ...seeds, 'external-pool-size': '4' })).message).toMatch(
      /^Input 'external-pool-size' has the value '4': only the 'routed' network fix has a pool/,
    );
    expect(errorOf(() => settingsFrom({ ...seeds, 'floating-elastic-ips': '1' })).input).toBe('floating-elastic-ips');
    // On the default (routed) the same inputs are the pool's.
    expect(settingsFrom({ ...aws, 'external-pool-size': '4', 'floating-elastic-ips': '1' }).networkFix).toBe('routed');
    // The smoke checks need the router, a floating IP with an elastic IP and a second router.
    expect(errorOf(() => settingsFrom({ ...aws, 'network-fix': 'routed', 'external-pool-size': '2' })).message).toMatch(
      /the smoke checks need 3/,
    );
    expect(
      settingsFrom({ ...aws, 'network-fix': 'routed', smoke: 'false', 'external-pool-size': '1' }).externalPoolSize,
    ).toBe(1);
    expect(
      errorOf(() => settingsFrom({ ...aws, 'network-fix': 'routed', 'floating-elastic-ips': '0' })).message,
    ).toMatch(/floating-ip smoke check needs one/);
    expect(
      errorOf(() => settingsFrom({ ...aws, 'network-fix': 'routed', 'floating-elastic-ips': '4' })).message,
    ).toMatch(/from 1 to 3/);
    expect(errorOf(() => settingsFrom({ ...aws, 'network-fix': 'routed', 'external-pool-size': '3.5' })).input).toBe(
      'external-pool-size',
    );
    // t3.small allows 4 per interface: the default pool shrinks to what fits (3).
    expect(
      settingsFrom({ ...aws, 'network-fix': 'routed', 'controller-instance-type': 't3.small' }).externalPoolSize,
    ).toBe(3);
  });
});

describe('the printed plan names the network fix it will apply', () => {
  it('routed: the pool with each address’s use and whether the internet reaches it; seeds: the MAC move', () => {
    const routed = renderPlanText(buildPlan(settingsFrom({ ...aws, 'network-fix': 'routed' }), { now: new Date(0) }));
    expect(routed).toContain("routed: eth1 keeps its MAC; its 4 secondary addresses are the external subnet's pool");
    expect(routed).toContain('    10.42.1.100 router gateway (elastic IP)');
    expect(routed).toContain('    10.42.1.101 floating (elastic IP)');
    expect(routed).toContain('    10.42.1.103 floating (reachable inside the VPC only)');
    expect(routed).not.toContain('original MAC');
    const seeds = renderPlanText(buildPlan(settingsFrom({ ...aws, 'network-fix': 'seeds' }), { now: new Date(0) }));
    expect(seeds).toContain(
      "seeds: router gateway on 10.42.1.11 (controller eth1's registered address) with eth1's original MAC",
    );
  });
});
