#!/usr/bin/env bash
# cinder-controller: the guide's Block Storage chapter, controller part: database, the cinder
# user and the volumev3 endpoints, cinder.conf, the API and scheduler; Nova learns about Cinder.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
stage_begin cinder-controller

db_ensure cinder cinder "$PASS_CINDER_DB"
os_admin
os_ensure_user cinder "$PASS_CINDER"
os_grant cinder service admin
os_ensure_service cinderv3 volumev3 "OpenStack Block Storage"
os_ensure_endpoints volumev3 '8776/v3/%(project_id)s'

# shellcheck disable=SC2046
pkg_install $(pkgs cinder-controller)
conf=/etc/cinder/cinder.conf
cinder_common_conf "$conf"
web_wsgi_setup cinder-controller
log "cinder-manage db sync"
run_as cinder "cinder-manage db sync" >/dev/null
# Nova learns about Cinder where it is installed (nova-controller sets the same with HAS_BLOCK=1); a
# controller without Nova (the storage stage test's all-in-one node) has nothing to tell.
nova_told=0
if [[ -f /etc/nova/nova.conf ]]; then
  nova_uses_cinder /etc/nova/nova.conf
  nova_told=1
else
  log "no /etc/nova/nova.conf here: Nova is not told about Cinder"
fi
# shellcheck disable=SC2046
svc_apply $(units cinder-controller)
if ((CONFIG_CHANGED && nova_told)); then
  # shellcheck disable=SC2046
  systemctl restart $(units nova-controller)
fi
wait_until 120 "Cinder API answering on :8776" http_up "http://$CONTROLLER_NAME:8776/"
stage_end
