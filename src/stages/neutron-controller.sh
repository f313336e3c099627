#!/usr/bin/env bash
# neutron-controller: the guide's Networking chapter, controller part, option 2 (self-service
# networks): database, the neutron user and network endpoints, ML2 with flat + VXLAN, the Linux
# bridge agent (provider NIC mapped to the "provider" physical network, VXLAN over the management
# address) or Open vSwitch, and the L3, DHCP and metadata agents.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
stage_begin neutron-controller

resolve_nics
os_admin
os_ensure_api neutron PASS_NEUTRON neutron network "OpenStack Networking" 9696

# shellcheck disable=SC2046
pkg_install $(stage_pkgs neutron-controller)
conf=/etc/neutron/neutron.conf
ini_set $conf DEFAULT core_plugin ml2
ini_set $conf DEFAULT service_plugins router
ini_set $conf DEFAULT transport_url "$(transport_url)"
ini_set $conf DEFAULT auth_strategy keystone
ini_set $conf DEFAULT notify_nova_on_port_status_changes true
ini_set $conf DEFAULT notify_nova_on_port_data_changes true
keystone_authtoken $conf neutron "$PASS_NEUTRON"
service_auth $conf nova nova "$PASS_NOVA"
# Port events (network-vif-plugged) go to Nova's internal endpoint: the public one is the controller's
# elastic IP, which the controller itself may not reach (the first real end-to-end run timed out
# every boot on it).
ini_set $conf nova endpoint_type internal
ini_set $conf oslo_concurrency lock_path /var/lib/neutron/tmp
# Zed marks the Linux bridge driver experimental: without this the API and RPC servers refuse to start.
if [[ "$NETWORK_DRIVER" == linuxbridge ]]; then ini_set $conf experimental linuxbridge true; fi

ml2=/etc/neutron/plugins/ml2/ml2_conf.ini
ini_set $ml2 ml2 type_drivers flat,vlan,vxlan
ini_set $ml2 ml2 tenant_network_types vxlan
ini_set $ml2 ml2 mechanism_drivers "$NETWORK_DRIVER,l2population"
ini_set $ml2 ml2 extension_drivers port_security
ini_set $ml2 ml2_type_flat flat_networks "$PHYSICAL_NETWORK"
ini_set $ml2 ml2_type_vxlan vni_ranges 1:1000
ini_set $ml2 securitygroup enable_ipset true
family_network_fixups
neutron_agent_setup

l3=/etc/neutron/l3_agent.ini
ini_set $l3 DEFAULT interface_driver "$NETWORK_DRIVER"
dhcp=/etc/neutron/dhcp_agent.ini
ini_set $dhcp DEFAULT interface_driver "$NETWORK_DRIVER"
ini_set $dhcp DEFAULT dhcp_driver neutron.agent.linux.dhcp.Dnsmasq
ini_set $dhcp DEFAULT enable_isolated_metadata true
meta=/etc/neutron/metadata_agent.ini
ini_set $meta DEFAULT nova_metadata_host "$CONTROLLER_NAME"
ini_set $meta DEFAULT metadata_proxy_shared_secret "$PASS_METADATA_SECRET"
behind_tls_proxy "$conf"
web_wsgi_setup neutron-server

db_sync_wait neutron
# shellcheck disable=SC2046
svc_apply $(units neutron-server) $(units neutron-agent)
wait_until 180 "Neutron API answering on :9696" http_up "http://$CONTROLLER_NAME:9696/"
# (The guide restarts Nova's API here, as its Networking chapter adds Nova's [neutron] section. The
# nova-controller stage writes that section before Nova first starts: nothing to restart.)
stage_end
