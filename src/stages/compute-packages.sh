#!/usr/bin/env bash
# compute-packages: the compute node's packages (nova-compute with QEMU or KVM, libvirt, the
# Neutron layer-2 agent), there since repositories installed all of the node's packages at once
# (installed here only when that list changed since); no service is configured or started here
# (that is nova-compute and neutron-compute, which wait for the controller).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
stage_begin compute-packages

resolve_nics
# shellcheck disable=SC2046
pkg_install $(stage_pkgs compute-packages)
stage_end
