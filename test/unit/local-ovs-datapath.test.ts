// The local provider refuses an Open vSwitch stack its host cannot carry (userspace datapath with an
// Open vSwitch older than 3.3: its VXLAN tunnels drop offloaded TCP), naming the input and what works.

import { userspaceOvsRefusal } from '../../src/local/ovs-datapath';
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
