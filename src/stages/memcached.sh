#!/usr/bin/env bash
# memcached: the guide's memcached chapter (token caching for the services), listening on the
# management address as well as localhost.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
stage_begin memcached

# shellcheck disable=SC2046
pkg_install $(stage_pkgs memcached)
memcached_listen "$MANAGEMENT_IP"
svc_apply "$(units memcached)"
stage_end
