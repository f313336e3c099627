// Proof of the AWS network fix (issue 5, line 3) on the emulated VPC with the Linux bridge driver,
// as root: the linuxbridge agent's provider bridge (brq…) holds eth1 and the router's gateway tap.
// The REAL src/stages/network-fix.sh runs inside the controller namespace through src/netfix
// (runHostFix/verifyNetworkFix); the scenario and its cases are shared with the Open vSwitch proof
// (test/helpers/netfix-scenario.ts, netfix-cases.ts).

import { networkFixCases } from '../helpers/netfix-cases';
import { GATEWAY_DEVICE, networkFixScenario, ProviderBridge } from '../helpers/netfix-scenario';
import { run } from '../helpers/netns';
import { AS_ROOT, describeIf, needRoot } from '../helpers/requires';

const describeRoot = describeIf([needRoot()], AS_ROOT);

/** The linuxbridge agent's layout: eth1 and a veth whose far end is the router's gateway device. */
const linuxBridge: ProviderBridge = {
  plug: async (ns) => {
    await run(ns.ctl, ['ip', 'link', 'add', 'brqtest', 'type', 'bridge']);
    await run(ns.ctl, ['ip', 'link', 'set', 'eth1', 'master', 'brqtest']);
    await run(ns.ctl, [
      'ip',
      'link',
      'add',
      'tapqg',
      'type',
      'veth',
      'peer',
      'name',
      GATEWAY_DEVICE,
      'netns',
      ns.qrouter,
    ]);
    await run(ns.ctl, ['ip', 'link', 'set', 'tapqg', 'master', 'brqtest']);
    for (const dev of ['tapqg', 'brqtest']) await run(ns.ctl, ['ip', 'link', 'set', dev, 'up']);
  },
  unplug: async () => undefined, // nothing runs; the namespaces take the devices with them
};

describeRoot('AWS network fix on the emulated VPC (Linux bridge)', () => {
  const s = networkFixScenario('linuxbridge', linuxBridge);
  networkFixCases(s, { eth1KeepsOriginalMac: 'path breaks' });
});
