#!/usr/bin/env bash
# glance: the guide's Image service chapter: database, the glance user and image endpoints, the
# API with the local file store under /var/lib/glance/images.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
stage_begin glance

os_admin
os_ensure_api glance PASS_GLANCE glance image "OpenStack Image" 9292

# shellcheck disable=SC2046
pkg_install $(stage_pkgs glance)
conf=/etc/glance/glance-api.conf
keystone_authtoken $conf glance "$PASS_GLANCE"
ini_set $conf paste_deploy flavor keystone
glance_store_conf $conf
behind_tls_proxy "$conf"
web_wsgi_setup glance

db_sync_wait glance
# shellcheck disable=SC2046
svc_apply $(units glance)
wait_until 120 "Glance answering on :9292" http_up "http://$CONTROLLER_NAME:9292/"
stage_end
