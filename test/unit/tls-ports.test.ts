// The public endpoints are HTTPS on ports of their own: the Plan's list (security group), lib.sh's
// tls_port/public_url (the catalog, noVNC) and the tls-proxy stage's place in the graph agree, and
// the plain API ports are no longer open to allowed-cidrs.

import { spawnSync } from 'child_process';
import { join } from 'path';
import { buildPlan, PUBLIC_TCP_PORTS, PUBLIC_TLS_PORTS, publicTlsPort } from '../../src/plan/plan';
import { settingsFrom } from '../helpers/inputs';
import { stageLibText } from '../helpers/stage-lib';

const LIB = join(__dirname, '../../src/stages/lib.sh');

function bash(snippet: string): { code: number | null; out: string; err: string } {
  const r = spawnSync('bash', ['-c', `set -euo pipefail; . ${LIB}; settings_defaults; ${snippet}`], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PUBLIC_ADDRESS: '198.51.100.12' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('public TLS ports', () => {
  test("lib.sh's tls_port maps exactly the Plan's internal ports to the same public ports", () => {
    for (const p of PUBLIC_TLS_PORTS) expect(bash(`tls_port ${p.internal}`).out.trim()).toBe(String(p.port));
    const body = stageLibText().match(/\ntls_port\(\) \{\n([\s\S]*?)\n\}/)![1];
    const cases = [...body.matchAll(/^\s+(\d+)\) echo (\d+) ;;$/gm)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(cases.sort()).toEqual(PUBLIC_TLS_PORTS.map((p) => [p.internal, p.port]).sort());
    const unknown = bash('tls_port 3306');
    expect(unknown.code).not.toBe(0);
    expect(unknown.out).toContain('no public TLS port for the internal port 3306');
  });

  test('public_url gives https on the public address and the TLS port, with the path kept', () => {
    expect(bash('public_url 5000/v3/').out.trim()).toBe('https://198.51.100.12:13000/v3/');
    expect(bash('public_url 9292').out.trim()).toBe('https://198.51.100.12:13292');
    expect(bash("public_url '8776/v3/%(project_id)s'").out.trim()).toBe(
      'https://198.51.100.12:13776/v3/%(project_id)s',
    );
    expect(bash('public_url 6080/vnc_auto.html').out.trim()).toBe('https://198.51.100.12:13080/vnc_auto.html');
    expect(bash('public_url 80/horizon').out.trim()).toBe('https://198.51.100.12/horizon');
    expect(publicTlsPort(5000)).toBe(13000);
    expect(() => publicTlsPort(3306)).toThrow('no public TLS port fronts the internal port 3306');
  });

  test('the public security group opens SSH and the HTTPS ports, none of the plain API ports', () => {
    const plan = buildPlan(settingsFrom({ 'stack-id': 'tlsports' }), { now: new Date('2026-12-01T09:00:00Z') });
    const open = plan.securityGroups
      .find((g) => g.name === 'public')!
      .ingress.filter((r) => r.protocol === 'tcp' && r.fromPort === r.toPort)
      .map((r) => r.fromPort);
    expect(open.sort((a, b) => a! - b!)).toEqual([22, 443, 13000, 13080, 13292, 13696, 13774, 13776, 13778, 13808]);
    for (const plain of [80, 5000, 6080, 8080, 8774, 8776, 8778, 9292, 9696]) expect(open).not.toContain(plain);
    expect(PUBLIC_TCP_PORTS.map(([p]) => p)).toEqual([22, ...PUBLIC_TLS_PORTS.map((p) => p.port)]);
  });

  test('tls-proxy runs on the controller after every API stage, before host discovery', () => {
    const plan = buildPlan(settingsFrom({ 'stack-id': 'tlsports', topology: 'full' }), {
      now: new Date('2026-12-01T09:00:00Z'),
    });
    const controller: string[] = plan.stages.filter((s) => s.node === 'controller').map((s) => s.stage);
    const at = (stage: string) => controller.indexOf(stage);
    for (const api of [
      'keystone',
      'glance',
      'placement',
      'nova-controller',
      'neutron-controller',
      'horizon',
      'cinder-controller',
      'swift-proxy',
    ])
      expect(at(api)).toBeLessThan(at('tls-proxy'));
    expect(controller.slice(-2)).toEqual(['tls-proxy', 'discover-hosts']);
    expect(plan.stages.filter((s) => s.stage === 'tls-proxy').map((s) => s.node)).toEqual(['controller']);
  });
});
