# shellcheck shell=bash
# The stage library: every stage script sources this file, which sets the run's globals and loads
# the three parts below. Everything that differs between OS families lives in the library (package
# names, service names, repository setup, file locations); the stage scripts themselves read the
# same on every OS. Every function is idempotent: it looks before it changes, records what it
# changed, and a stage that finds nothing to do says so in its last line.

OOA_ETC="${OOA_ETC:-/etc/openstack-on-aws}"
OOA_SETTINGS="${OOA_SETTINGS:-$OOA_ETC/settings.env}"
OOA_NICS="${OOA_NICS:-$OOA_ETC/nics.env}"
OOA_LOG_DIR="${OOA_LOG_DIR:-/var/log/openstack-on-aws}"
OOA_ADMIN_RC="${OOA_ADMIN_RC:-/root/admin-openrc}"
STAGE="${STAGE:-lib}"
# write_file at the end of a pipeline must run in this shell, so its change records count.
shopt -s lastpipe
# What this run changed (files, packages, services, database rows, API objects).
CHANGES=()
# Set when a configuration file changed: services of the stage are then restarted.
CONFIG_CHANGED=0

# The library is three files, sourced in this order (every stage script sources only lib.sh):
# lib-common.sh generic helpers, lib-os.sh per-OS data, lib-services.sh per-service configuration.
OOA_LIB_DIR="$(dirname "${BASH_SOURCE[0]}")"
# shellcheck source=lib-common.sh
. "$OOA_LIB_DIR/lib-common.sh"
# shellcheck source=lib-os.sh
. "$OOA_LIB_DIR/lib-os.sh"
# shellcheck source=lib-services.sh
. "$OOA_LIB_DIR/lib-services.sh"
