#!/usr/bin/env bash
# etcd: the guide's etcd chapter: a single-member cluster on the controller's management address
# (distributed locks and service liveness for the services that use it).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
stage_begin etcd

# shellcheck disable=SC2046
pkg_install $(stage_pkgs etcd)
ensure_block "$(etcd_conf_path)" cluster <<EOC
ETCD_NAME="$NODE_NAME"
ETCD_DATA_DIR="/var/lib/etcd"
ETCD_INITIAL_CLUSTER_STATE="new"
ETCD_INITIAL_CLUSTER_TOKEN="etcd-cluster-01"
ETCD_INITIAL_CLUSTER="$NODE_NAME=http://$MANAGEMENT_IP:2380"
ETCD_INITIAL_ADVERTISE_PEER_URLS="http://$MANAGEMENT_IP:2380"
ETCD_ADVERTISE_CLIENT_URLS="http://$MANAGEMENT_IP:2379"
ETCD_LISTEN_PEER_URLS="http://0.0.0.0:2380"
ETCD_LISTEN_CLIENT_URLS="http://$MANAGEMENT_IP:2379,http://127.0.0.1:2379"
EOC
svc_apply "$(units etcd)"
wait_until 60 "etcd answering" http_up "http://$MANAGEMENT_IP:2379/health"
stage_end
