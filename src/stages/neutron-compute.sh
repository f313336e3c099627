#!/usr/bin/env bash
# neutron-compute: the guide's Networking chapter, compute-node part: neutron.conf (RabbitMQ,
# Keystone), the layer-2 agent (provider NIC found by MAC, VXLAN over the management address), and
# Nova told where Neutron is.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
stage_begin neutron-compute

resolve_nics
# shellcheck disable=SC2046
pkg_install $(stage_pkgs neutron-compute)
conf=/etc/neutron/neutron.conf
ini_set $conf DEFAULT transport_url "$(transport_url)"
ini_set $conf DEFAULT auth_strategy keystone
keystone_authtoken $conf neutron "$PASS_NEUTRON"
ini_set $conf oslo_concurrency lock_path /var/lib/neutron/tmp
if [[ "$NETWORK_DRIVER" == linuxbridge ]]; then ini_set $conf experimental linuxbridge true; fi
neutron_agent_setup
# shellcheck disable=SC2046
svc_apply $(units neutron-agent)
if ((CONFIG_CHANGED)); then
  # shellcheck disable=SC2046
  systemctl restart $(units nova-compute | awk '{print $NF}')
fi
stage_end
