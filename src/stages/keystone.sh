#!/usr/bin/env bash
# keystone: the guide's Identity chapter. Database, Fernet tokens, `keystone-manage bootstrap`
# (admin user, project and role, region, the identity endpoints: public on the controller's public
# address, internal and admin on its management name), the "service" and "demo" projects, the demo
# user, and /root/admin-openrc + /root/demo-openrc. Ends with a token issued for admin.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
stage_begin keystone

# shellcheck disable=SC2046
pkg_install $(stage_pkgs keystone)

conf=/etc/keystone/keystone.conf
ini_set $conf token provider fernet
ini_set $conf cache backend dogpile.cache.memcached
ini_set $conf cache enabled true
ini_set $conf cache memcache_servers "$CONTROLLER_NAME:11211"
behind_tls_proxy "$conf"
web_wsgi_setup keystone

db_sync_wait keystone
if [[ ! -e /etc/keystone/fernet-keys/0 ]]; then
  keystone-manage fernet_setup --keystone-user keystone --keystone-group keystone
  changed "created the Fernet key repository"
fi
if [[ ! -e /etc/keystone/credential-keys/0 ]]; then
  keystone-manage credential_setup --keystone-user keystone --keystone-group keystone
  changed "created the credential key repository"
fi

svc_apply "$(units keystone)"
wait_until 120 "Keystone answering on :5000" http_up "http://$CONTROLLER_NAME:5000/v3"

log "keystone-manage bootstrap"
ks_bootstrap

openrc() {
  cat <<RC
# openstack-on-aws: credentials of $1 (install guide "Create OpenStack client environment scripts").
export OS_PROJECT_DOMAIN_NAME=Default
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_NAME=$1
export OS_USERNAME=$1
export OS_PASSWORD=$2
export OS_AUTH_URL=http://$CONTROLLER_NAME:5000/v3
export OS_IDENTITY_API_VERSION=3
export OS_IMAGE_API_VERSION=2
export OS_INTERFACE=internal
export OS_REGION_NAME=RegionOne
RC
}
openrc admin "$PASS_ADMIN" | write_file "$OOA_ADMIN_RC" 0600
openrc demo "$PASS_DEMO" | write_file /root/demo-openrc 0600

os_admin
{
  ks_line project service "Service Project"
  ks_line project demo "Demo Project"
  ks_line role member
  ks_line user demo PASS_DEMO
  ks_line grant demo demo member
} | os_ensure_objects

openstack token issue -f value -c expires >/dev/null
log "admin gets a token from Keystone"
stage_end
