#!/usr/bin/env bash
# host-prep: the install guide's "Environment" chapter. Hostname, /etc/hosts for every node,
# cloud-init kept from rewriting the network, the NICs
# found by MAC, the provider NIC up without an address; on the controller also forwarding and
# MASQUERADE out the public NIC (the other nodes' way out) and the default route via the provider
# subnet's gateway. Only the controller installs a package here (iptables): the other nodes reach
# a mirror only once the controller's NAT works, so their packages start with "repositories".
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
stage_begin host-prep

resolve_nics

# Hostname (cloud-init must not put it back at the next boot).
if [[ "$(cat /etc/hostname 2>/dev/null)" != "$NODE_NAME" ]]; then
  write_file /etc/hostname 0644 <<<"$NODE_NAME"
fi
if [[ "$(hostname)" != "$NODE_NAME" ]]; then
  hostname "$NODE_NAME"
  changed "hostname set to $NODE_NAME"
fi

# /etc/hosts: every node by its management address; the guide drops the 127.0.1.1 self line.
hosts_block=""
for pair in $HOSTS; do hosts_block+="${pair#*=} ${pair%%=*}"$'\n'; done
if grep -qE "^127\.0\.1\.1[[:space:]]" /etc/hosts; then
  sed '/^127\.0\.1\.1[[:space:]]/d' /etc/hosts | write_file /etc/hosts 0644
fi
ensure_block /etc/hosts nodes <<<"${hosts_block%$'\n'}"

# cloud-init: no network rewrite, no hostname or /etc/hosts management after our changes.
if [[ -d /etc/cloud/cloud.cfg.d ]]; then
  write_file /etc/cloud/cloud.cfg.d/99-openstack-on-aws.cfg 0644 <<'YAML'
# openstack-on-aws: the stages own the network, the hostname and /etc/hosts from now on.
network: {config: disabled}
preserve_hostname: true
manage_etc_hosts: false
YAML
fi

# Everything that must hold after a reboot too goes into one small boot script: the provider NIC
# up without an address and, on the controller, forwarding, NAT and the default route.
net_script=/usr/local/sbin/openstack-on-aws-net
{
  echo '#!/bin/sh'
  echo '# Written by the openstack-on-aws host-prep stage; runs at boot (openstack-on-aws-net.service).'
  echo 'set -e'
  if [[ -n "$NIC_PROVIDER" ]]; then
    echo "# The provider NIC carries Neutron's bridge: up, no host address (install guide)."
    echo "ip -4 addr flush dev $NIC_PROVIDER scope global"
    echo "ip link set $NIC_PROVIDER up"
  fi
  if is_controller && [[ -n "$NIC_PUBLIC" ]]; then
    echo "# The controller is the NAT instance of the management subnet: forward and masquerade out"
    echo "# the public NIC; its own default route is the provider subnet's gateway on that NIC."
    echo "sysctl -q -w net.ipv4.ip_forward=1 || true"
    echo "ip route show default | grep -v ' dev $NIC_PUBLIC ' | while read -r r; do ip route del \$r || true; done"
    echo "ip route replace default via $PROVIDER_GATEWAY dev $NIC_PUBLIC"
    echo "if command -v iptables >/dev/null; then"
    echo "  iptables -t nat -C POSTROUTING -o $NIC_PUBLIC -j MASQUERADE 2>/dev/null || iptables -t nat -A POSTROUTING -o $NIC_PUBLIC -j MASQUERADE"
    echo "fi"
  fi
} | write_file "$net_script" 0755

write_file /etc/systemd/system/openstack-on-aws-net.service 0644 <<'UNIT'
[Unit]
Description=openstack-on-aws node networking (provider NIC, controller NAT and default route)
After=network-online.target
Wants=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/openstack-on-aws-net

[Install]
WantedBy=multi-user.target
UNIT

# Keep the OS's own network manager from giving the provider NIC an address at the next boot.
if [[ -n "$NIC_PROVIDER" ]]; then
  if [[ -d /etc/netplan ]]; then
    write_file /etc/netplan/60-openstack-on-aws.yaml 0600 <<YAML
network:
  version: 2
  ethernets:
    $NIC_PROVIDER:
      dhcp4: false
      dhcp6: false
      accept-ra: false
      link-local: []
YAML
  fi
  networkmanager_unmanage "$NIC_PROVIDER" "$MAC_PROVIDER"
  # With netplan, networkd is its default renderer: netplan's generator enables networkd at the next
  # daemon-reload or boot (a fresh Ubuntu 24.04 rootfs has it disabled until then), so the file is
  # written on the first run already, not only on the second.
  if [[ -d /etc/netplan ]] || systemctl is-enabled -q systemd-networkd 2>/dev/null; then
    write_file "/etc/systemd/network/05-openstack-on-aws-provider.network" 0644 <<NET
[Match]
Name=$NIC_PROVIDER

[Network]
LinkLocalAddressing=no
IPv6AcceptRA=no
DHCP=no
NET
  fi
fi

if is_controller; then
  sysctl_set net.ipv4.ip_forward 1
fi

if ((CONFIG_CHANGED)); then systemctl daemon-reload; fi
if ! systemctl is-enabled -q openstack-on-aws-net; then
  systemctl enable -q openstack-on-aws-net
  changed "enabled openstack-on-aws-net.service"
fi
if ! systemctl is-active -q openstack-on-aws-net || ((CONFIG_CHANGED)); then
  systemctl restart openstack-on-aws-net
  log "applied $net_script"
fi

if is_controller && ! command -v iptables >/dev/null; then
  # The default route is right now, so the controller reaches its package mirror.
  pkg_refresh >/dev/null
  pkg_install iptables
  systemctl restart openstack-on-aws-net
  log "applied $net_script with NAT"
fi

if in_container; then
  # Containers: libvirt-guests would hold up every shutdown for minutes (measured 317 s), and
  # stop timeouts of 90 s add up over dozens of OpenStack services.
  write_file /etc/systemd/system.conf.d/60-openstack-on-aws.conf 0644 <<'CONF'
[Manager]
DefaultTimeoutStopSec=15s
CONF
fi

firewall_open
stage_end
