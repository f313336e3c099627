// The controller stage scripts for real on Ubuntu 24.04 with OpenStack Caracal (2024.1) from
// Ubuntu's own archive (Linux bridge, Keystone and Placement under Apache): the shared suite in
// stages-controller-suite.ts, every controller stage twice.
// Slow (minutes, package installs): runs only with OOA_STAGES_REAL=1, i.e. `npm run test:stages`.

import { controllerStagesSuite } from './stages-controller-suite';
import { UBUNTU_NOBLE } from './stages-container';

controllerStagesSuite({
  os: 'ubuntu-24.04',
  release: '2024.1',
  rootfs: UBUNTU_NOBLE,
  // Its own /16 and proxy port (Debian 12: 10.197/3143, storage 10.198/3144, TLS 10.196/3146).
  prefix: process.env.OOA_STAGES_PREFIX ?? '10.199',
  acngPort: Number(process.env.OOA_STAGES_ACNG_PORT ?? 3145),
  stackId: 'devstages-ubuntu',
  expected: {
    osRelease: 'ubuntu 24.04',
    codename: 'caracal',
    l2Agent: 'neutron-linuxbridge-agent',
    apiUnits: ['apache2', 'glance-api'],
    apiSites: ['keystone', 'placement-api'],
    packaging: 'Ubuntu packages them: Keystone and Placement under Apache, Glance a service of its own',
  },
});
