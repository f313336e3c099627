// Proof of the routed network fix (issue 15, line 3) on the emulated VPC with the Open vSwitch
// driver, as root: a private userspace ovs-vswitchd in the controller namespace with Neutron's
// layout minus eth1 (br-provider patched to br-int, the routers' gateways as internal ports on
// br-int moved into their qrouter namespaces); the host routes into br-provider's own port. Same
// cases as the Linux bridge proof, the REAL network-fix.sh with NETWORK_DRIVER=openvswitch.

import { ROUTED_EXTERNAL_BRIDGE } from '../../src/netfix';
import { routedNetworkFixCases } from '../helpers/netfix-routed-cases';
import { ExternalBridge, ROUTER_DEVICES, routedScenario } from '../helpers/netfix-routed-scenario';
import { run } from '../helpers/netns';
import { netdevBridgeArgs, ovsNeeds, patchArgs, PrivateOvs, startOvs } from '../helpers/ovs';
import { AS_ROOT, describeIf } from '../helpers/requires';

const describeOvs = describeIf(ovsNeeds(), AS_ROOT);

let ovs: PrivateOvs | undefined;
const vsctl = (args: string[]) => ovs!.vsctl(args);

const openVswitch: ExternalBridge = {
  plug: async (ns, dir) => {
    ovs = await startOvs(ns.ctl, dir);
    const bridge = netdevBridgeArgs;
    const patch = patchArgs;
    await vsctl(bridge(ROUTED_EXTERNAL_BRIDGE));
    await vsctl(bridge('br-int'));
    await vsctl([
      'add-port',
      ROUTED_EXTERNAL_BRIDGE,
      'phy-br-provider',
      '--',
      ...patch('phy-br-provider', 'int-br-provider'),
    ]);
    await vsctl(['add-port', 'br-int', 'int-br-provider', '--', ...patch('int-br-provider', 'phy-br-provider')]);
    for (const [i, qrouter] of [ns.qrouter1, ns.qrouter2].entries()) {
      const dev = ROUTER_DEVICES[i];
      await vsctl(['add-port', 'br-int', dev, '--', 'set', 'Interface', dev, 'type=internal']);
      await run(ns.ctl, ['ip', 'link', 'set', dev, 'netns', qrouter]);
    }
    await run(ns.ctl, ['ip', 'link', 'set', ROUTED_EXTERNAL_BRIDGE, 'up']);
  },
  session: (base) => ovs!.session(base),
  unplug: async () => {
    await ovs?.stop();
  },
};

describeOvs('routed network fix on the emulated VPC (Open vSwitch, userspace datapath)', () => {
  const s = routedScenario('openvswitch', openVswitch);
  routedNetworkFixCases(s);

  it('names eth1 on the OVS external bridge (a seeds layout) and takes it off', async () => {
    await vsctl(['add-port', ROUTED_EXTERNAL_BRIDGE, 'eth1']);
    const r = await s.verify();
    expect(r.failures[0]).toBe(
      'eth1 (eth1) is still a port of br-provider (routed: the controller routes, it does not bridge eth1)',
    );
    // While bridged, the router reaches the VPC's gateway directly and remembers its MAC.
    await run(s.ns.qrouter1, ['ping', '-c', '1', '-W', '2', '10.42.1.1']).catch(() => undefined);
    const { changes } = await s.fixHost();
    expect(changes.join('\n')).toMatch(/eth1 \(eth1\) is no longer a port of OVS bridge br-provider/);
    expect((await vsctl(['list-ports', ROUTED_EXTERNAL_BRIDGE])).stdout).not.toMatch(/^eth1$/m);
    // The whole path at once, with no neighbour entry left to expire first.
    const after = await s.verify();
    expect(after.failures).toEqual([]);
    expect(await s.whoami(s.ns.qrouter1, s.pool[0])).toBe(`internet ${s.routerEip}`);
    expect((await s.fixHost()).changes).toEqual([]);
  });
});
