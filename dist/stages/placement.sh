#!/usr/bin/env bash
# placement: the guide's Placement chapter: database, the placement user and endpoints, the API.
# Before Stein (Rocky) Placement is part of Nova: that release's guide configures it in nova.conf
# and fills its database with `nova-manage api_db sync` together with nova_api.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
stage_begin placement

os_admin
os_ensure_api placement PASS_PLACEMENT placement placement "Placement API" 8778

# shellcheck disable=SC2046
pkg_install $(stage_pkgs placement)
conf="$(placement_conf_path)"
ini_set "$conf" api auth_strategy keystone
# The shared block: it also pins region_name to RegionOne (Debian presets regionOne, which made
# placement-api answer HTTP 500 to the scheduler in the first real end-to-end run).
if placement_in_nova; then
  # nova.conf's block is Nova's (its user comes with nova-controller, before the first request
  # that needs it); the API database is synced with placement's (db_prepare placement).
  keystone_authtoken "$conf" nova "$PASS_NOVA"
else
  keystone_authtoken "$conf" placement "$PASS_PLACEMENT"
fi
behind_tls_proxy "$conf"
web_wsgi_setup placement

db_sync_wait placement
# shellcheck disable=SC2046
svc_apply $(units placement)
wait_until 120 "Placement answering on :8778" http_up "http://$CONTROLLER_NAME:8778/"
stage_end
