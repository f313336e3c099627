// Proof of the AWS network fix (issue 5, line 3) on the emulated VPC with the Open vSwitch driver,
// as root: a private ovs-vswitchd in the controller namespace (test/helpers/ovs.ts, userspace
// datapath: this host has no openvswitch kernel module) with Neutron's OVS layout, and the same
// cases as the Linux bridge proof (test/helpers/netfix-cases.ts) run against the REAL
// src/stages/network-fix.sh with NETWORK_DRIVER=openvswitch.

import * as fs from 'fs';
import * as path from 'path';
import { networkFixCases } from '../helpers/netfix-cases';
import { GATEWAY_DEVICE, MAC, networkFixScenario, ProviderBridge } from '../helpers/netfix-scenario';
import { run } from '../helpers/netns';
import { netdevBridgeArgs, ovsNeeds, patchArgs, PrivateOvs, startOvs } from '../helpers/ovs';
import { AS_ROOT, describeIf } from '../helpers/requires';

const describeOvs = describeIf(ovsNeeds(), AS_ROOT);

/** The bridge the install makes for the provider network (src/stages/lib.sh: neutron_agent_setup). */
const PROVIDER_BRIDGE = 'br-provider';

let ovs: PrivateOvs | undefined;
const vsctl = (args: string[]) => ovs!.vsctl(args);

/**
 * Neutron's OVS layout since external_network_bridge went away: eth1 on the provider bridge, which
 * a patch pair joins to br-int, and the router's gateway on br-int as an OVS internal port that
 * the L3 agent moves into the qrouter namespace. The agent's VLAN-tagging flows are left out (one
 * flat network: NORMAL switching gives the same segment). The internal port works after the move
 * because ovs-vswitchd keeps the tap's file descriptor; it only logs that it cannot query the
 * device by name any more. (It would not survive an ovs-vswitchd restart with this datapath: the
 * switch then creates a fresh tap in its own namespace. The test never restarts it.)
 */
const openVswitch: ProviderBridge = {
  plug: async (ns, dir) => {
    ovs = await startOvs(ns.ctl, dir);
    const bridge = netdevBridgeArgs;
    const patch = patchArgs;
    await vsctl([...bridge(PROVIDER_BRIDGE), '--', 'add-port', PROVIDER_BRIDGE, 'eth1']);
    await vsctl([
      ...bridge('br-int'),
      '--',
      'add-port',
      'br-int',
      GATEWAY_DEVICE,
      '--',
      'set',
      'Interface',
      GATEWAY_DEVICE,
      'type=internal',
    ]);
    await vsctl(['add-port', PROVIDER_BRIDGE, 'phy-br-provider', '--', ...patch('phy-br-provider', 'int-br-provider')]);
    await vsctl(['add-port', 'br-int', 'int-br-provider', '--', ...patch('int-br-provider', 'phy-br-provider')]);
    // OVS never picks a locally administered MAC (every ENI's) for a bridge by itself; guides that
    // move the host's address onto the bridge pin the NIC's MAC like this. The fix must undo it.
    await vsctl(['set', 'Bridge', PROVIDER_BRIDGE, `other-config:hwaddr="${MAC.ctlEth1}"`]);
    await run(ns.ctl, ['ip', 'link', 'set', GATEWAY_DEVICE, 'netns', ns.qrouter]);
  },
  session: (base) => ovs!.session(base),
  unplug: async () => {
    await ovs?.stop();
  },
};

describeOvs('AWS network fix on the emulated VPC (Open vSwitch, userspace datapath)', () => {
  const s = networkFixScenario('openvswitch', openVswitch);
  const bridgeMac = async () =>
    (await run(s.ns.ctl, ['cat', `/sys/class/net/${PROVIDER_BRIDGE}/address`])).stdout.trim();

  it('the provider bridge starts with eth1’s original MAC, eth1 and the router’s gateway port on it', async () => {
    expect(await bridgeMac()).toBe(MAC.ctlEth1);
    expect((await vsctl(['port-to-br', 'eth1'])).stdout.trim()).toBe(PROVIDER_BRIDGE);
    expect((await vsctl(['get', 'Interface', GATEWAY_DEVICE, 'ofport'])).stdout.trim()).toMatch(/^[1-9]\d*$/);
  });

  networkFixCases(s, { eth1KeepsOriginalMac: 'path works' });

  it('the provider bridge no longer has eth1’s original MAC: it has eth1’s new one, kept in OVS’s database', async () => {
    const recorded = fs.readFileSync(path.join(s.root, 'etc/openstack-on-aws/eth1-new-mac'), 'utf8').trim();
    expect(recorded).not.toBe(MAC.ctlEth1);
    expect(await bridgeMac()).toBe(recorded);
    expect((await vsctl(['get', 'Bridge', PROVIDER_BRIDGE, 'other-config:hwaddr'])).stdout.trim()).toBe(
      `"${recorded}"`,
    );
  });
});
