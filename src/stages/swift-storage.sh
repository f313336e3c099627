#!/usr/bin/env bash
# swift-storage: the guide's Object Storage chapter, storage-node part: the node's two extra
# disks (found by serial or size) formatted XFS once, mounted by UUID at /srv/node/<d1|d2>, rsync
# and the account, container and object servers on the management address, with the rings the
# controller built (copied here by the runner).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
stage_begin swift-storage

# shellcheck disable=SC2046
pkg_install $(stage_pkgs swift-storage)
DISKS_TAKEN=""
for label in $SWIFT_DEVICES; do
  mnt="/srv/node/$label"
  if mountpoint -q "$mnt"; then
    log "$mnt is mounted"
    DISKS_TAKEN+=" $(findmnt -n -o SOURCE "$mnt")"
    continue
  fi
  disk="$(disk_for "$label")" || die "no empty disk for $label (DISKS: $DISKS)"
  DISKS_TAKEN+=" $disk"
  if ! blkid -s TYPE -o value "$disk" 2>/dev/null | grep -qx xfs; then
    if blkid "$disk" >/dev/null 2>&1; then die "$disk holds another filesystem: refusing to format it"; fi
    mkfs.xfs -q -L "$label" "$disk"
    changed "formatted $disk (XFS) for $label"
  fi
  uuid="$(blkid -s UUID -o value "$disk")"
  mkdir -p "$mnt"
  if ! grep -q "^UUID=$uuid " /etc/fstab; then
    echo "UUID=$uuid $mnt xfs noatime,nofail 0 2" >>/etc/fstab
    changed "added $mnt to /etc/fstab"
  fi
  mount "$mnt"
  changed "mounted $disk at $mnt"
done

write_file /etc/rsyncd.conf 0644 <<EOC
uid = swift
gid = swift
log file = /var/log/rsyncd.log
pid file = /var/run/rsyncd.pid
address = $MANAGEMENT_IP

[account]
max connections = 2
path = /srv/node/
read only = False
lock file = /var/lock/account.lock

[container]
max connections = 2
path = /srv/node/
read only = False
lock file = /var/lock/container.lock

[object]
max connections = 2
path = /srv/node/
read only = False
lock file = /var/lock/object.lock
EOC
if [[ -f /etc/default/rsync ]] && ! grep -qx 'RSYNC_ENABLE=true' /etc/default/rsync; then
  sed 's/^RSYNC_ENABLE=.*/RSYNC_ENABLE=true/' /etc/default/rsync | write_file /etc/default/rsync 0644
fi

mkdir -p /etc/swift
swift_conf
for server in account:6202 container:6201 object:6200; do
  name="${server%%:*}" port="${server##*:}"
  write_file "/etc/swift/$name-server.conf" 0640 root:swift <<EOC
[DEFAULT]
bind_ip = $MANAGEMENT_IP
bind_port = $port
user = swift
swift_dir = /etc/swift
devices = /srv/node
mount_check = True

[pipeline:main]
pipeline = healthcheck recon $name-server

[app:$name-server]
use = egg:swift#$name

[filter:healthcheck]
use = egg:swift#healthcheck

[filter:recon]
use = egg:swift#recon
recon_cache_path = /var/cache/swift
$([[ "$name" == object ]] && echo 'recon_lock_path = /var/lock')

[$name-replicator]
[$name-auditor]
$([[ "$name" == account ]] && echo '[account-reaper]' || echo "[$name-updater]")
EOC
done
for ring in account container object; do
  [[ -f "/etc/swift/$ring.ring.gz" ]] || die "/etc/swift/$ring.ring.gz is missing: the runner copies it from the controller after swift-proxy"
done
mkdir -p /var/cache/swift
chown -R root:swift /var/cache/swift /etc/swift
chmod -R 0775 /var/cache/swift
chown -R swift:swift /srv/node
selinux_relabel /srv/node
# shellcheck disable=SC2046
svc_apply $(units swift-storage)
stage_end
