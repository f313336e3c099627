// The emulated VPC's nft scripts and names (pure); the behaviour is proven in vpc.test.ts.

import { vpcSpecFromPlan } from '../../src/local/vpc';
import { derivedMac, hostIfname, normalizeMac } from '../../src/local/vpc/names';
import { igwRules, routerArpRules, switchRules } from '../../src/local/vpc/rules';
import { buildPlan } from '../../src/plan/plan';
import { settingsFrom } from '../helpers/inputs';

describe('emulated VPC rules', () => {
  it('binds MAC always and IP only with source/dest check on', () => {
    const on = switchRules([{ port: 'e0', mac: '0a:00:00:00:00:01', ips: ['10.42.1.11'], sourceDestCheck: true }]);
    expect(on).toContain('ether saddr != 0a:00:00:00:00:01 counter drop');
    expect(on).toContain('ip saddr != { 10.42.1.11 } counter drop');
    expect(on).toContain('ip daddr != { 10.42.1.11 } counter drop');
    const off = switchRules([{ port: 'e0', mac: '0a:00:00:00:00:01', ips: ['10.42.1.11'], sourceDestCheck: false }]);
    expect(off).toContain('ether saddr != 0a:00:00:00:00:01 counter drop');
    expect(off).not.toMatch(/ip (s|d)addr/);
    expect(off.split('\n').slice(0, 2)).toEqual(['table bridge ooa_vpc {}', 'delete table bridge ooa_vpc']);
  });

  it('lets the router hear ARP only from registered pairs, and NATs only associated addresses', () => {
    expect(routerArpRules([{ ip: '10.42.1.11', mac: '0a:00:00:00:00:01' }], 'igw')).toContain(
      'elements = { 10.42.1.11 . 0a:00:00:00:00:01 }',
    );
    expect(routerArpRules([], 'igw')).not.toContain('elements');
    const igw = igwRules(new Map([['198.51.100.10', '10.42.1.11']]), 'rtr', 'inet');
    expect(igw).toContain('elements = { 198.51.100.10 : 10.42.1.11 }');
    expect(igw).toContain('iifname "rtr" oifname "inet" ip saddr @has_public accept');
  });

  it('derives short, stable names and MACs', () => {
    expect(hostIfname('some-long-stack-id-123').length).toBeLessThanOrEqual(15);
    expect(hostIfname('a')).toBe(hostIfname('a'));
    expect(parseInt(derivedMac('x').slice(0, 2), 16) & 3).toBe(2); // locally administered, unicast
    expect(() => normalizeMac('01:00:5e:00:00:01')).toThrow(/multicast/);
  });

  it('builds the Plan’s route tables: provider → IGW, management → the controller’s eth0', () => {
    const plan = buildPlan(
      settingsFrom({
        provider: 'local',
        os: 'debian-12',
        release: 'zed',
        'stack-id': 'rules',
        'image-url': 'file:///var/tmp/unused.img',
      }),
      {
        now: new Date(),
      },
    );
    expect(vpcSpecFromPlan(plan, 'rules').subnets).toEqual([
      { name: 'management', cidr: '10.42.0.0/24', gateway: '10.42.0.1', defaultRoute: { viaIp: '10.42.0.11' } },
      { name: 'provider', cidr: '10.42.1.0/24', gateway: '10.42.1.1', defaultRoute: 'igw' },
    ]);
  });
});
