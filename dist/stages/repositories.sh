#!/usr/bin/env bash
# repositories: the install guide's "OpenStack packages" chapter for this OS and release (Ubuntu
# Cloud Archive, Debian's own archive or its OpenStack backports, RDO, or RDO from the CentOS 7
# vault), then every package this node's stages need, in one transaction (each stage's own
# pkg_install then finds its packages there), and time sync.
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
pkg_install $(stage_pkgs repositories) $(node_pkgs)
# The packages' D-Bus policies (libvirt's, polkit's) count from the bus's next reload; the install
# could not reload it (policy-rc.d holds every service back).
if systemctl is-active -q dbus 2>/dev/null; then systemctl reload dbus; fi
time_sync
firewall_open
stage_end
