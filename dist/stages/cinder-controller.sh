#!/usr/bin/env bash
# cinder-controller: the guide's Block Storage chapter, controller part: database, the cinder
# user and the volumev3 endpoints, cinder.conf, the API and scheduler (Nova learns about Cinder
# in nova-controller, which runs first).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
stage_begin cinder-controller

os_admin
os_ensure_api cinder PASS_CINDER cinderv3 volumev3 "OpenStack Block Storage" '8776/v3/%(project_id)s'

# shellcheck disable=SC2046
pkg_install $(stage_pkgs cinder-controller)
conf=/etc/cinder/cinder.conf
cinder_common_conf "$conf"
behind_tls_proxy "$conf"
web_wsgi_setup cinder-controller
db_sync_wait cinder
# Nova's [cinder] section is nova-controller's (nova_common_conf with HAS_BLOCK=1), which runs
# before this stage: nothing to write or restart on Nova's side here.
# shellcheck disable=SC2046
svc_apply $(units cinder-controller)
wait_until 120 "Cinder API answering on :8776" http_up "http://$CONTROLLER_NAME:8776/"
stage_end
