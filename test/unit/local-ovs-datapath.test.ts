// The local provider refuses an Open vSwitch stack its host cannot carry (userspace datapath with an
// Open vSwitch older than 3.3: its VXLAN tunnels drop offloaded TCP), naming the input and what works.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createdNothing, InputError } from '../../src/core/errors';
import { localHost } from '../../src/local/host';
import { OVS_USERSPACE_TUNNELS_FROM, userspaceOvsRefusal } from '../../src/local/ovs-datapath';

const LIB = path.join(__dirname, '../../src/stages/lib.sh');
import { upLocal } from '../../src/local/up';
import { buildPlan } from '../../src/plan/plan';
import type { ProviderContext } from '../../src/provider';
import { memoryIo } from '../helpers/memory-io';
import { settingsFrom } from '../helpers/inputs';

const planOf = (os: string, release: string, driver: string) => {
  const s = settingsFrom({ os, release, 'network-driver': driver });
  return { os: s.os, networkDriver: s.networkDriver };
};
const noModule = () => false;
const withModule = () => true;

test('debian-12 with openvswitch on a host without the module: refused, naming the input and what is accepted', () => {
  const r = userspaceOvsRefusal(planOf('debian-12', 'zed', 'openvswitch'), noModule);
  expect(r?.message).toMatch(
    /^Input 'network-driver' has the value 'openvswitch': this host's kernel has no openvswitch module/,
  );
  expect(r?.message).toContain("debian-12's Open vSwitch 3.1.0 on its userspace datapath");
  expect(r?.message).toMatch(
    /Accepted: linuxbridge on debian-12 on this host, or openvswitch on an OS with Open vSwitch 3\.3 or later \(debian-13, ubuntu-24\.04, ubuntu-26\.04\)\.$/,
  );
});

test('the kernel datapath, Linux bridge, or an Open vSwitch from 3.3: not refused', () => {
  expect(userspaceOvsRefusal(planOf('debian-12', 'zed', 'openvswitch'), withModule)).toBeUndefined();
  expect(userspaceOvsRefusal(planOf('debian-12', 'zed', 'linuxbridge'), noModule)).toBeUndefined();
  for (const [os, release] of [
    ['debian-13', '2025.1'],
    ['ubuntu-24.04', '2024.1'],
    ['ubuntu-26.04', '2026.1'],
  ])
    expect(userspaceOvsRefusal(planOf(os, release, 'openvswitch'), noModule)).toBeUndefined();
});

test('the local provider refuses before its first host command, with the mark that spares the teardown', async () => {
  if (fs.existsSync('/sys/module/openvswitch')) return; // a host with the module takes the kernel path
  const s = settingsFrom({
    os: 'debian-12',
    release: 'zed',
    'network-driver': 'openvswitch',
    provider: 'local',
    'image-url': 'file:///nonexistent/disk.img',
  });
  const plan = buildPlan(s, { now: new Date() });
  const commands: string[] = [];
  const host = localHost({
    run: async (cmd: string, args: readonly string[] = []) => {
      commands.push([cmd, ...args].join(' '));
      return { code: 0, stdout: '', stderr: '' };
    },
  });
  const records: unknown[] = [];
  const ctx = {
    io: memoryIo({}),
    ledger: { record: (r: unknown) => records.push(r) },
  } as unknown as ProviderContext;
  const err = await upLocal(host, plan, ctx, {
    down: async () => Promise.reject(new Error('no down')),
    onVpc: () => undefined,
  }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InputError);
  expect(createdNothing(err)).toBe(true);
  expect([commands, records]).toEqual([[], []]);
});

test("the neutron stage's own refusal starts at the same Open vSwitch version (its function run by bash)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-ovs-version-'));
  try {
    const [major, minor] = OVS_USERSPACE_TUNNELS_FROM.split('.').map(Number);
    const verdict = (version: string) => {
      fs.writeFileSync(
        path.join(dir, 'ovs-vswitchd'),
        `#!/bin/sh\necho "ovs-vswitchd (Open vSwitch) ${version}"\necho "DPDK 22.11.0"\n`,
        { mode: 0o755 },
      );
      const script = `. ${JSON.stringify(LIB)}; OS_ID=debian-12; ovs_userspace_tunnels_or_die`;
      return spawnSync('bash', ['-c', script], { encoding: 'utf8', env: { PATH: `${dir}:/usr/bin:/bin` } });
    };
    for (const ok of [`${major}.${minor}.0`, `${major}.${minor}.9`, `${major}.${minor + 1}.0`, `${major + 1}.0.0`])
      expect(verdict(ok).status).toBe(0);
    for (const refused of [`${major}.${minor - 1}.9`, `${major}.${minor - 1}.0`, `${major - 1}.9.0`]) {
      const r = verdict(refused);
      expect(r.status).not.toBe(0);
      expect(r.stdout).toContain(`Open vSwitch ${refused} on the userspace datapath`);
      expect(r.stdout).toContain(`fixed in Open vSwitch ${OVS_USERSPACE_TUNNELS_FROM}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
