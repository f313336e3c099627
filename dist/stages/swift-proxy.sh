#!/usr/bin/env bash
# swift-proxy: the guide's Object Storage chapter, controller part: the swift user and
# object-store endpoints, the proxy server with Keystone auth, and the account, container and
# object rings built here from the object nodes' disks (d1, d2 under /srv/node on each node).
# The runner copies the *.ring.gz files to the object nodes before their swift-storage stage.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
stage_begin swift-proxy

os_admin
os_ensure_api swift PASS_SWIFT swift object-store "OpenStack Object Storage" '8080/v1/AUTH_%(project_id)s'

# shellcheck disable=SC2046
pkg_install $(stage_pkgs swift-proxy)
mkdir -p /etc/swift
swift_conf
write_file /etc/swift/proxy-server.conf 0640 root:swift <<EOC
[DEFAULT]
bind_port = 8080
user = swift
swift_dir = /etc/swift

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache container_sync bulk ratelimit authtoken keystoneauth copy container-quotas account-quotas slo dlo versioned_writes symlink proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = True

[filter:keystoneauth]
use = egg:swift#keystoneauth
operator_roles = admin,member

[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
www_authenticate_uri = http://$CONTROLLER_NAME:5000
auth_url = http://$CONTROLLER_NAME:5000
memcached_servers = $CONTROLLER_NAME:11211
auth_type = password
project_domain_id = default
user_domain_id = default
project_name = service
username = swift
password = $PASS_SWIFT
delay_auth_decision = True

[filter:cache]
use = egg:swift#memcache
memcache_servers = $CONTROLLER_NAME:11211

[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:container_sync]
use = egg:swift#container_sync
[filter:bulk]
use = egg:swift#bulk
[filter:ratelimit]
use = egg:swift#ratelimit
[filter:copy]
use = egg:swift#copy
[filter:container-quotas]
use = egg:swift#container_quotas
[filter:account-quotas]
use = egg:swift#account_quotas
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
[filter:versioned_writes]
use = egg:swift#versioned_writes
[filter:symlink]
use = egg:swift#symlink
EOC

# Rings: the guide's values (2^10 partitions, 3 replicas, 1 hour between moves), one device per
# object-node disk; only what is missing is added, and a ring is rebalanced only when it changed.
# The ring builder refuses more replicas than devices, so fewer than three devices (one object
# node with d1 and d2, as in the all-in-one stage test) get one replica per device.
read -ra storage_ips <<<"$SWIFT_STORAGE_IPS"
read -ra swift_devices <<<"$SWIFT_DEVICES"
device_count=$((${#storage_ips[@]} * ${#swift_devices[@]}))
((device_count > 0)) || die "no Swift devices: SWIFT_STORAGE_IPS='$SWIFT_STORAGE_IPS' SWIFT_DEVICES='$SWIFT_DEVICES'"
replicas=$((device_count < 3 ? device_count : 3))
cd /etc/swift
for ring in account:6202 container:6201 object:6200; do
  name="${ring%%:*}" port="${ring##*:}" added=0
  if [[ ! -f "$name.builder" ]]; then
    swift-ring-builder "$name.builder" create 10 "$replicas" 1
    changed "created the $name ring builder"
  fi
  # A builder from a run with another device count (or an earlier failed run) is brought to it.
  current="$(swift-ring-builder "$name.builder" | sed -n 's/.* partitions, \([0-9]*\)\.[0-9]* replicas,.*/\1/p')"
  if [[ "$current" != "$replicas" ]]; then
    swift-ring-builder "$name.builder" set_replicas "$replicas"
    added=1
    changed "set the $name ring to $replicas replicas (was $current)"
  fi
  for ip in "${storage_ips[@]}"; do
    for dev in "${swift_devices[@]}"; do
      if ! swift-ring-builder "$name.builder" search --ip "$ip" --device "$dev" >/dev/null 2>&1; then
        swift-ring-builder "$name.builder" add --region 1 --zone 1 --ip "$ip" --port "$port" --device "$dev" --weight 100
        added=1
        changed "added $ip/$dev to the $name ring"
      fi
    done
  done
  if ((added)) || [[ ! -f "$name.ring.gz" ]]; then
    swift-ring-builder "$name.builder" rebalance || [[ $? == 1 ]] # 1 = warning (nothing to move)
    changed "rebalanced the $name ring"
  fi
done
chown -R root:swift /etc/swift
chmod 0644 /etc/swift/*.ring.gz
# shellcheck disable=SC2046
svc_apply $(units swift-proxy)
wait_until 60 "the Swift proxy answering on :8080" http_up "http://$CONTROLLER_NAME:8080/healthcheck"
stage_end
