#!/usr/bin/env bash
# repositories: the install guide's "OpenStack packages" chapter for this OS and release (Ubuntu
# Cloud Archive, Debian's own archive or its OpenStack backports, RDO, or RDO from the CentOS 7
# vault), then the tools every later stage uses (crudini, the OpenStack client) and time sync.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
stage_begin repositories

resolve_nics
debconf_preseed
repo_setup
log "refreshing the package lists"
pkg_refresh >/dev/null
# shellcheck disable=SC2046 # word splitting of package lists is intended
pkg_install $(pkgs host) $(pkgs tools)
time_sync
firewall_open
stage_end
