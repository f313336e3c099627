// The controller stage scripts for real on Debian 13 (trixie) with OpenStack Epoxy (2025.1) from
// Debian's own archive (Open vSwitch, the release's default now Linux bridge is gone; every API a
// uwsgi service of its own): the shared suite in stages-controller-suite.ts, every stage twice.
// Slow (minutes, package installs): runs only with OOA_STAGES_REAL=1, i.e. `npm run test:stages`.

import { controllerStagesSuite } from './stages-controller-suite';
import { DEBIAN_TRIXIE } from './stages-container';

controllerStagesSuite({
  os: 'debian-13',
  release: '2025.1',
  rootfs: DEBIAN_TRIXIE,
  // Its own /16 and proxy port, apart from the other stage tests' (10.194-10.199, 3143-3148).
  prefix: process.env.OOA_STAGES_PREFIX ?? '10.195',
  acngPort: Number(process.env.OOA_STAGES_ACNG_PORT ?? 3147),
  stackId: 'devstages-debian13',
  expected: {
    osRelease: 'debian 13',
    codename: 'epoxy',
    l2Agent: 'neutron-openvswitch-agent',
    apiUnits: ['keystone', 'glance-api', 'placement-api', 'nova-api', 'neutron-api', 'neutron-rpc-server'],
    apiSites: [],
    packaging: 'Debian packages them: each API a uwsgi service of its own',
  },
});
