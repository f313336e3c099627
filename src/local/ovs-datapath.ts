// The local nodes share the host's kernel: where it has no openvswitch module, Open vSwitch runs on
// the userspace datapath, and there its VXLAN tunnels carry the tenant networks' TCP only from Open
// vSwitch 3.3 on (lib-services.sh, ovs_userspace_tunnels_or_die, says why; the stage stops there
// too). The local provider installs each OS's own archive only, so that archive's Open vSwitch is
// the one the nodes get: a combination that cannot work is refused before anything is created.

import * as fs from 'fs';
import { InputError } from '../core/errors';
import { Inputs } from '../core/names';
import type { OsId } from '../settings/matrix';
import type { Plan } from '../plan/types';

/** Open vSwitch in each OS's own archive (its -updates included), read from the archives in 2026-12. */
const ARCHIVE_OPENVSWITCH: Partial<Record<OsId, string>> = {
  'debian-12': '3.1.0',
  'debian-13': '3.5.0',
  'ubuntu-24.04': '3.3.9',
  'ubuntu-26.04': '3.7.1',
};

/**
 * The first version with tunnel offload on the userspace datapath (the neutron stage's own refusal,
 * ovs_userspace_tunnels_or_die, names the same: test/unit/local-ovs-datapath.test.ts holds them equal).
 */
export const OVS_USERSPACE_TUNNELS_FROM = '3.3';
const TUNNELS_FROM = OVS_USERSPACE_TUNNELS_FROM.split('.').map(Number);

function before(version: string, [major, minor]: number[]): boolean {
  const [a, b] = version.split('.').map(Number);
  return a < major || (a === major && b < minor);
}

const hostHasModule = () => fs.existsSync('/sys/module/openvswitch');

/** The refusal for an Open vSwitch stack this host cannot carry, or undefined. */
export function userspaceOvsRefusal(
  plan: Pick<Plan, 'os' | 'networkDriver'>,
  hasModule: () => boolean = hostHasModule,
): InputError | undefined {
  if (plan.networkDriver !== 'openvswitch' || hasModule()) return undefined;
  const version = ARCHIVE_OPENVSWITCH[plan.os.id];
  if (!version || !before(version, TUNNELS_FROM)) return undefined;
  return new InputError(
    Inputs.NetworkDriver,
    'openvswitch',
    `linuxbridge on ${plan.os.id} on this host, or openvswitch on an OS with Open vSwitch ${OVS_USERSPACE_TUNNELS_FROM} or later (${Object.entries(
      ARCHIVE_OPENVSWITCH,
    )
      .filter(([, v]) => !before(v!, TUNNELS_FROM))
      .map(([os]) => os)
      .join(', ')})`,
    `this host's kernel has no openvswitch module (load it with modprobe openvswitch, if it has one), so the nodes would run ` +
      `${plan.os.id}'s Open vSwitch ${version} on its userspace datapath, whose VXLAN tunnels drop the tenant networks' TCP ` +
      `before Open vSwitch ${OVS_USERSPACE_TUNNELS_FROM} (ping works, SSH to an instance does not)`,
  );
}
