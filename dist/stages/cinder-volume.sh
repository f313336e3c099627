#!/usr/bin/env bash
# cinder-volume: the guide's Block Storage chapter, storage-node part: the LVM volume group
# "cinder-volumes" on the node's second disk (found by the provider's volume serial or by its
# size, never by a device name), LVM told to scan only that disk, and cinder-volume with the LVM
# driver exporting over iSCSI.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
stage_begin cinder-volume

# shellcheck disable=SC2046
pkg_install $(stage_pkgs cinder-volume)
if vgs cinder-volumes >/dev/null 2>&1; then
  disk="$(pvs --noheadings -o pv_name -S vg_name=cinder-volumes | awk 'NR == 1 {print $1}')"
  log "volume group cinder-volumes exists on $disk"
else
  disk="$(disk_for cinder-lvm)" || die "no empty disk matches the cinder-lvm entry of DISKS ($DISKS)"
  if blkid "$disk" >/dev/null 2>&1; then die "$disk holds a filesystem or signature: refusing to overwrite it"; fi
  log "using $disk for LVM"
  pvcreate "$disk"
  vgcreate cinder-volumes "$disk"
  changed "created volume group cinder-volumes on $disk"
fi
# Only the Cinder disk is scanned: LVM would otherwise also see the instances' volumes (guide).
ensure_block /etc/lvm/lvm.conf filter <<EOC
devices {
  filter = [ "a|^${disk}\$|", "r|.*|" ]
}
EOC

conf=/etc/cinder/cinder.conf
cinder_common_conf "$conf"
ini_set $conf DEFAULT enabled_backends lvm
ini_set $conf DEFAULT glance_api_servers "http://$CONTROLLER_NAME:9292"
ini_set $conf lvm volume_driver cinder.volume.drivers.lvm.LVMVolumeDriver
ini_set $conf lvm volume_group cinder-volumes
ini_set $conf lvm target_protocol iscsi
ini_set $conf lvm target_helper "$(cinder_target_helper)"
# Zed's lvm_type "auto" makes a thin pool when the driver starts, which needs the kernel's
# device-mapper (dmsetup asks it; opening its control device loads the module where it is one).
# Without it (the local provider's machines on a kernel without dm) the driver could never start:
# thick LVM lets it start and report the group. Creating a volume needs device-mapper either way.
if ! dmsetup version >/dev/null 2>&1; then
  log "no kernel device-mapper on this node: thick LVM, so cinder-volume starts; volumes cannot be created here"
  ini_set $conf lvm lvm_type default
fi
# shellcheck disable=SC2046
svc_apply $(units cinder-volume)
stage_end
