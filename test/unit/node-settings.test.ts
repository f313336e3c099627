// The settings file the stage scripts source: every value survives bash's `source` unchanged
// (quotes, spaces, $, backslashes, newlines), the keys match lib.sh's contract, and the values
// come from the Plan and the Environment (NICs by purpose, every node for /etc/hosts).

import { execFileSync } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { readSettings } from '../../src/settings/inputs';
import { buildPlan } from '../../src/plan/plan';
import type { Plan } from '../../src/plan/types';
import type { Environment } from '../../src/provider';
import { nodeSettings, renderNodeSettings, SETTINGS_KEYS } from '../../src/remote/node-settings';
import { PASSWORD_NAMES, PasswordName, StackSecrets } from '../../src/core/secrets';
import { stageLibText } from '../helpers/stage-lib';

function plan(inputs: Record<string, string>): Plan {
  const s = readSettings((name) => inputs[name] ?? '', { env: {} });
  return buildPlan(s, { now: new Date('2026-11-21T00:00:00Z') });
}

function environment(p: Plan): Environment {
  return {
    stackId: p.stackId,
    nodes: p.nodes.map((n, i) => ({
      name: n.name,
      instanceId: `i-${i}`,
      managementIp: n.managementIp,
      nics: n.nics.map((nic) => ({ name: nic.name, mac: `0A:00:00:00:0${i}:0${nic.deviceIndex}`, ip: nic.ip })),
      disks: n.disks
        .filter((d) => d.purpose !== 'root')
        .map((d, j) => ({ device: d.device, volumeId: `vol-0abc${i}${j}` })),
    })),
    controllerPublicIp: '198.51.100.7',
    routerPublicIp: '198.51.100.8',
    sshPort: 22,
    sshUser: 'admin',
    privateKeyPath: '/tmp/key',
  };
}

function secrets(value: (n: PasswordName) => string): StackSecrets {
  return {
    passwords: Object.fromEntries(PASSWORD_NAMES.map((n) => [n, value(n)])) as Record<PasswordName, string>,
    sshKey: { privateKey: 'x', publicKey: 'y' },
  };
}

/** Sources the file with bash and prints every key's value NUL-separated. */
function sourceWithBash(content: string): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'ooa-settings-'));
  try {
    const file = join(dir, 'settings.env');
    writeFileSync(file, content, { mode: 0o600 });
    const script = `set -euo pipefail; source "$1"; shift; for k in "$@"; do printf '%s\\0' "\${!k}"; done`;
    const out = execFileSync('bash', ['-c', script, 'bash', file, ...SETTINGS_KEYS], { encoding: 'utf8' });
    const values = out.split('\0').slice(0, -1);
    return Object.fromEntries(SETTINGS_KEYS.map((k, i) => [k, values[i]]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const full = plan({ os: 'debian-12', release: 'zed', topology: 'full', 'compute-count': '2', 'stack-id': 'unit' });

describe('node settings', () => {
  test('awkward values round-trip through bash source', () => {
    const nasty = [
      `it's`,
      'two words',
      '$HOME `id` $(id)',
      'back\\slash',
      'new\nline',
      `"double"`,
      '',
      "''",
      '*',
      '!x',
    ];
    const s = secrets((n) => nasty[PASSWORD_NAMES.indexOf(n) % nasty.length] + n);
    const content = renderNodeSettings(full, environment(full), s, 'controller');
    const sourced = sourceWithBash(content);
    const expected = nodeSettings(full, environment(full), s, 'controller');
    expect(sourced).toEqual(expected);
    for (const n of PASSWORD_NAMES) expect(sourced[`PASS_${n.toUpperCase().replace(/-/g, '_')}`]).toBe(s.passwords[n]);
  });

  test('overrides replace only the values they name', () => {
    const s = secrets((n) => `p-${n}`);
    const sourced = sourceWithBash(
      renderNodeSettings(full, environment(full), s, 'controller', { SWIFT_STORAGE_IPS: '10.9.0.11' }),
    );
    expect(sourced).toEqual({
      ...nodeSettings(full, environment(full), s, 'controller'),
      SWIFT_STORAGE_IPS: '10.9.0.11',
    });
  });

  test('the controller gets its three NICs by purpose, the stack facts and every node for /etc/hosts', () => {
    const env = environment(full);
    const v = nodeSettings(
      full,
      env,
      secrets((n) => `p-${n}`),
      'controller',
    );
    const nicMac = (name: string) => env.nodes[0].nics.find((n) => n.name === name)!.mac.toLowerCase();
    expect(v.MAC_MANAGEMENT).toBe(nicMac('eth0'));
    expect(v.MAC_PROVIDER).toBe(nicMac('eth1'));
    expect(v.MAC_PUBLIC).toBe(nicMac('eth2'));
    expect(v.PUBLIC_NIC_IP).toBe(full.nodes[0].nics.find((n) => n.purpose === 'public')!.ip);
    expect(v.PUBLIC_ADDRESS).toBe('198.51.100.7');
    expect(v.OS_FAMILY).toBe('debian');
    expect(v.OS_CODENAME).toBe('bookworm');
    expect(v.PACKAGE_SOURCE).toBe('distro');
    expect(v.HOSTS.split(' ')).toEqual(full.nodes.map((n) => `${n.name}=${n.managementIp}`));
    expect(v.COMPUTE_NODES).toBe('compute1 compute2');
    expect(v.HAS_BLOCK).toBe('1');
    expect(v.HAS_OBJECT).toBe('1');
    expect(v.SWIFT_DEVICES).toBe('d1 d2');
    expect(v.SWIFT_STORAGE_IPS.split(' ')).toEqual(
      full.nodes.filter((n) => n.role === 'object').map((n) => n.managementIp),
    );
    expect(v.ROUTER_GATEWAY_IP).toBe(full.networks.external.routerGatewayIp);
    expect(v.DISKS).toBe('');
  });

  test('a compute node has no public NIC, and its virt type comes from the Plan', () => {
    const v = nodeSettings(
      full,
      environment(full),
      secrets((n) => n),
      'compute1',
    );
    expect(v.MAC_PUBLIC).toBe('');
    expect(v.MAC_PROVIDER).not.toBe('');
    expect(['kvm', 'qemu']).toContain(v.VIRT_TYPE);
    expect(v.VIRT_TYPE).toBe(full.nodes.find((n) => n.name === 'compute1')!.virt);
  });

  test("each node's NODE_STAGES are its stages in the Plan, and node_pkgs installs each of their packages once", () => {
    const env = environment(full);
    for (const node of ['controller', 'compute1', 'block1', 'object1']) {
      const v = nodeSettings(
        full,
        env,
        secrets((n) => n),
        node,
      );
      expect(v.NODE_STAGES.split(' ')).toEqual(full.stages.filter((s) => s.node === node).map((s) => s.stage));
      const dir = mkdtempSync(join(tmpdir(), 'ooa-pkgs-'));
      try {
        writeFileSync(
          join(dir, 'settings.env'),
          renderNodeSettings(
            full,
            env,
            secrets((n) => n),
            node,
          ),
          { mode: 0o600 },
        );
        const lib = join(__dirname, '../../src/stages/lib.sh');
        const sh = (snippet: string) =>
          execFileSync('bash', ['-c', `set -euo pipefail; . ${lib}; load_settings; ${snippet}`], {
            encoding: 'utf8',
            env: { PATH: process.env.PATH, OOA_SETTINGS: join(dir, 'settings.env'), OOA_NICS: join(dir, 'none') },
          });
        const all = sh('node_pkgs').trim().split(' ');
        expect(new Set(all).size).toBe(all.length);
        // Every package any of the node's stages installs is in the one transaction.
        for (const stage of v.NODE_STAGES.split(' '))
          for (const pkg of sh(`stage_pkgs ${stage}`).trim().split(/\s+/).filter(Boolean)) expect(all).toContain(pkg);
        const want: Record<string, string[]> = {
          controller: [
            'mariadb-server',
            'rabbitmq-server',
            'keystone',
            'glance-api',
            'nova-api',
            'haproxy',
            'cinder-api',
          ],
          compute1: ['nova-compute', 'genisoimage'],
          block1: ['cinder-volume', 'lvm2'],
          object1: ['swift-object', 'xfsprogs'],
        };
        for (const pkg of want[node]) expect(all).toContain(pkg);
        if (node !== 'controller') expect(all).not.toContain('keystone');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  test('storage nodes list their disks with size and the provider volume id', () => {
    const env = environment(full);
    const block = nodeSettings(
      full,
      env,
      secrets((n) => n),
      'block1',
    );
    const blockIndex = full.nodes.findIndex((n) => n.name === 'block1');
    expect(block.DISKS).toBe(`cinder-lvm::40:vol-0abc${blockIndex}0:`);
    const object = nodeSettings(
      full,
      env,
      secrets((n) => n),
      'object2',
    );
    const objectIndex = full.nodes.findIndex((n) => n.name === 'object2');
    expect(object.DISKS).toBe(`swift:d1:20:vol-0abc${objectIndex}0: swift:d2:20:vol-0abc${objectIndex}1:`);
  });

  test('a node the provider did not report is an error, not an empty MAC', () => {
    const env = environment(full);
    env.nodes[0].nics = env.nodes[0].nics.filter((n) => n.name !== 'eth2');
    expect(() =>
      nodeSettings(
        full,
        env,
        secrets((n) => n),
        'controller',
      ),
    ).toThrow(/eth2/);
  });

  test("lib.sh's settings_defaults declares exactly the keys the file carries", () => {
    const lib = stageLibText();
    const body = lib.slice(
      lib.indexOf('settings_defaults() {'),
      lib.indexOf('\n}\n', lib.indexOf('settings_defaults() {')),
    );
    const declared = [...body.matchAll(/^\s+([A-Z_]+)="\$\{\1:-/gm)].map((m) => m[1]);
    const nics = ['NIC_MANAGEMENT', 'NIC_PROVIDER', 'NIC_PUBLIC'];
    expect(declared.filter((k) => !nics.includes(k)).sort()).toEqual([...SETTINGS_KEYS].sort());
  });

  test('ubuntu with the cloud archive and rhel render their source and codename', () => {
    const u = plan({ os: 'ubuntu-22.04', release: '2024.1', 'stack-id': 'unit' });
    const vu = nodeSettings(
      u,
      environment(u),
      secrets((n) => n),
      'controller',
    );
    expect([vu.OS_FAMILY, vu.OS_CODENAME, vu.PACKAGE_SOURCE, vu.RELEASE_CODENAME]).toEqual([
      'ubuntu',
      'jammy',
      'uca',
      'caracal',
    ]);
    const r = plan({ os: 'rocky-9', release: '2024.1', 'stack-id': 'unit' });
    const vr = nodeSettings(
      r,
      environment(r),
      secrets((n) => n),
      'controller',
    );
    expect([vr.OS_FAMILY, vr.OS_CODENAME, vr.PACKAGE_SOURCE]).toEqual(['rhel', '', 'rdo']);
  });
});
