// Proof of the routed network fix (issue 15, line 3) on the emulated VPC with the Linux bridge
// driver, as root: the external network's bridge is a Linux bridge WITHOUT eth1 (the neutron
// stage's routed layout: bridge_mappings instead of physical_interface_mappings), the routers'
// gateway taps on it. The REAL src/stages/network-fix.sh runs in the controller namespace with
// NETFIX_MODE=routed through src/netfix; the cases are shared with the Open vSwitch proof.

import { ROUTED_EXTERNAL_BRIDGE } from '../../src/netfix';
import { routedNetworkFixCases } from '../helpers/netfix-routed-cases';
import { ExternalBridge, ROUTER_DEVICES, routedScenario } from '../helpers/netfix-routed-scenario';
import { isRoot, run } from '../helpers/netns';

const describeRoot = isRoot ? describe : describe.skip;

const linuxBridge: ExternalBridge = {
  plug: async (ns) => {
    await run(ns.ctl, ['ip', 'link', 'add', ROUTED_EXTERNAL_BRIDGE, 'type', 'bridge']);
    for (const [i, qrouter] of [ns.qrouter1, ns.qrouter2].entries()) {
      const tap = `tapqg${i}`;
      await run(ns.ctl, [
        'ip',
        'link',
        'add',
        tap,
        'type',
        'veth',
        'peer',
        'name',
        ROUTER_DEVICES[i],
        'netns',
        qrouter,
      ]);
      await run(ns.ctl, ['ip', 'link', 'set', tap, 'master', ROUTED_EXTERNAL_BRIDGE]);
      await run(ns.ctl, ['ip', 'link', 'set', tap, 'up']);
    }
    await run(ns.ctl, ['ip', 'link', 'set', ROUTED_EXTERNAL_BRIDGE, 'up']);
  },
  unplug: async () => undefined,
};

describeRoot('routed network fix on the emulated VPC (Linux bridge)', () => {
  const s = routedScenario('linuxbridge', linuxBridge);
  routedNetworkFixCases(s);

  it('names eth1 bridged (a seeds layout) and takes it out of the external bridge', async () => {
    await run(s.ns.ctl, ['ip', 'link', 'set', 'eth1', 'master', ROUTED_EXTERNAL_BRIDGE]);
    const r = await s.verify();
    expect(r.failures[0]).toBe(
      'eth1 (eth1) is still a port of br-provider (routed: the controller routes, it does not bridge eth1)',
    );
    // While bridged, the router reaches the VPC's gateway directly and remembers its MAC.
    await run(s.ns.qrouter1, ['ping', '-c', '1', '-W', '2', '10.42.1.1']).catch(() => undefined);
    const { changes } = await s.fixHost();
    expect(changes.join('\n')).toMatch(/eth1 \(eth1\) is no longer a port of bridge br-provider/);
    // The whole path at once, with no neighbour entry left to expire first.
    const after = await s.verify();
    expect(after.failures).toEqual([]);
    expect(await s.whoami(s.ns.qrouter1, s.pool[0])).toBe(`internet ${s.routerEip}`);
    expect((await s.fixHost()).changes).toEqual([]);
  });
});
