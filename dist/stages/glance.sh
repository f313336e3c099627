#!/usr/bin/env bash
# glance: the guide's Image service chapter: database, the glance user and image endpoints, the
# API with the local file store under /var/lib/glance/images.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
stage_begin glance

db_ensure glance glance "$PASS_GLANCE_DB"
os_admin
os_ensure_user glance "$PASS_GLANCE"
os_grant glance service admin
os_ensure_service glance image "OpenStack Image"
os_ensure_endpoints image 9292

# shellcheck disable=SC2046
pkg_install $(pkgs glance)
conf=/etc/glance/glance-api.conf
ini_set $conf database connection "mysql+pymysql://glance:${PASS_GLANCE_DB}@${CONTROLLER_NAME}/glance"
keystone_authtoken $conf glance "$PASS_GLANCE"
ini_set $conf paste_deploy flavor keystone
glance_store_conf $conf
web_wsgi_setup glance

log "glance-manage db_sync"
run_as glance "glance-manage db_sync" >/dev/null
# shellcheck disable=SC2046
svc_apply $(units glance)
wait_until 120 "Glance answering on :9292" http_up "http://$CONTROLLER_NAME:9292/"
stage_end
