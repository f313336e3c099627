// The local provider refuses an Open vSwitch stack its host cannot carry (userspace datapath with an
// Open vSwitch older than 3.3: its VXLAN tunnels drop offloaded TCP), naming the input and what works.

import * as fs from 'fs';
import { createdNothing, InputError } from '../../src/core/errors';
import { localHost } from '../../src/local/host';
import { userspaceOvsRefusal } from '../../src/local/ovs-datapath';
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
