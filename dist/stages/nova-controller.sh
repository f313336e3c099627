#!/usr/bin/env bash
# nova-controller: the guide's Compute chapter, controller part: the nova_api, nova and
# nova_cell0 databases (made and synced beside the earlier stages, from databases), the nova user and compute endpoints, nova.conf (RabbitMQ, Keystone,
# Placement, Glance, Neutron with the metadata proxy secret, VNC on the management address),
# the cell0/cell1 mapping, and the API, scheduler, conductor and noVNC proxy services.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
stage_begin nova-controller

os_admin
os_ensure_api nova PASS_NOVA nova compute "OpenStack Compute" 8774/v2.1

# shellcheck disable=SC2046
pkg_install $(stage_pkgs nova-controller)
conf=/etc/nova/nova.conf
nova_common_conf $conf
ini_set $conf vnc enabled true
ini_set $conf vnc server_listen "$MANAGEMENT_IP"
ini_set $conf vnc server_proxyclient_address "$MANAGEMENT_IP"
ini_set $conf glance api_servers "http://$CONTROLLER_NAME:9292"
ini_set $conf oslo_concurrency lock_path /var/lib/nova/tmp
service_auth $conf placement placement "$PASS_PLACEMENT"
# The guide's neutron section, with the metadata proxy the controller's neutron-metadata-agent uses.
service_auth $conf neutron neutron "$PASS_NEUTRON"
ini_set $conf neutron service_metadata_proxy true
ini_set $conf neutron metadata_proxy_shared_secret "$PASS_METADATA_SECRET"
behind_tls_proxy "$conf"
web_wsgi_setup nova-controller

# The API database, cell0 and cell1 mapped, and the cell database (slow the first time: minutes on
# 2 vCPUs, which is why it runs beside the stages before this one).
db_sync_wait nova

novncproxy_fork_start
# shellcheck disable=SC2046
svc_apply $(units nova-controller)
wait_until 180 "Nova API answering on :8774" http_up "http://$CONTROLLER_NAME:8774/"
wait_until 60 "the noVNC console page on :6080" page_ok "http://$CONTROLLER_NAME:6080/$NOVNC_PAGE"
stage_end
