#!/usr/bin/env bash
# nova-compute: the guide's Compute chapter, compute-node part: nova.conf (RabbitMQ, Keystone,
# Placement, Glance, Neutron, VNC through the controller's noVNC proxy at its public address),
# virt_type from the Plan (kvm, or qemu where the instance type offers no nested virtualisation),
# libvirt adjusted for containers, and nova-compute started so it registers with the controller.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
stage_begin nova-compute

# shellcheck disable=SC2046
pkg_install $(stage_pkgs nova-compute)
conf=/etc/nova/nova.conf
nova_common_conf $conf
ini_set $conf vnc enabled true
ini_set $conf vnc server_listen 0.0.0.0
ini_set $conf vnc server_proxyclient_address "$MANAGEMENT_IP"
ini_set $conf vnc novncproxy_base_url "$(public_url "6080/$NOVNC_PAGE")"
ini_set $conf glance api_servers "http://$CONTROLLER_NAME:9292"
ini_set $conf oslo_concurrency lock_path /var/lib/nova/tmp
service_auth $conf placement placement "$PASS_PLACEMENT"
service_auth $conf neutron neutron "$PASS_NEUTRON"
ini_set $conf libvirt virt_type "$VIRT_TYPE"
if ! nova_metadata_api; then
  # No metadata API here: a server finds its key, user data and hostname only on a config drive, and
  # not every client asks for one (Tempest's validatable servers do not), so every server gets one.
  ini_set $conf DEFAULT force_config_drive true
fi
if [[ -f /etc/nova/nova-compute.conf ]]; then
  # Debian and Ubuntu read this file after nova.conf; its virt_type would win.
  ini_set /etc/nova/nova-compute.conf libvirt virt_type "$VIRT_TYPE"
fi
if [[ "$VIRT_TYPE" == kvm && ! -e /dev/kvm ]]; then
  die "virt_type kvm but this node has no /dev/kvm (the Plan expected nested virtualisation)"
fi

if in_container; then
  # libvirt cannot create cgroup v1 controllers in an nspawn machine (read-only cgroupfs), and
  # libvirt-guests would delay every shutdown by minutes.
  conf_set /etc/libvirt/qemu.conf cgroup_controllers '[ ]'
  if [[ "$(systemctl is-enabled libvirt-guests 2>/dev/null || true)" != masked ]]; then
    systemctl mask -q libvirt-guests
    changed "masked libvirt-guests (container)"
  fi
fi
# shellcheck disable=SC2046
svc_apply $(units nova-compute)
stage_end
