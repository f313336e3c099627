// The controller stage scripts for real on Ubuntu 26.04 (resolute) with OpenStack Gazpacho (2026.1)
// from Ubuntu's own archive (Open vSwitch; from Gazpacho Nova's and Neutron's APIs are Apache sites
// too): the shared suite in stages-controller-suite.ts, every controller stage twice.
// Slow (minutes, package installs): runs only with OOA_STAGES_REAL=1, i.e. `npm run test:stages`.

import { controllerStagesSuite } from './stages-controller-suite';
import { UBUNTU_RESOLUTE } from './stages-container';

controllerStagesSuite({
  os: 'ubuntu-26.04',
  release: '2026.1',
  rootfs: UBUNTU_RESOLUTE,
  // Its own /16 and proxy port, apart from the other stage tests' (10.194-10.199, 3143-3148).
  prefix: process.env.OOA_STAGES_PREFIX ?? '10.194',
  acngPort: Number(process.env.OOA_STAGES_ACNG_PORT ?? 3148),
  stackId: 'devstages-ubuntu2604',
  expected: {
    osRelease: 'ubuntu 26.04',
    codename: 'gazpacho',
    l2Agent: 'neutron-openvswitch-agent',
    apiUnits: ['apache2', 'glance-api', 'neutron-rpc-server'],
    apiSites: ['keystone', 'placement-api', 'nova-api', 'neutron-api'],
    packaging: 'Ubuntu packages them from Gazpacho on: Keystone, Placement, Nova and Neutron under Apache',
  },
});
