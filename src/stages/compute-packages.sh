#!/usr/bin/env bash
# compute-packages: installs the compute node's packages (nova-compute with QEMU or KVM, libvirt,
# the Neutron layer-2 agent) while the controller still syncs its databases; no service is
# configured or started here (that is nova-compute and neutron-compute, which wait for the
# controller).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
stage_begin compute-packages

resolve_nics
# shellcheck disable=SC2046
pkg_install $(pkgs nova-compute) $(pkgs neutron-agent)
stage_end
