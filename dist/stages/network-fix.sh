#!/usr/bin/env bash
# network-fix: the host side of the seeds' AWS network fix, run as root on the controller (the
# network node). Neutron's side (external network, router gateway on eth1's registered IP, gateway
# port MAC = eth1's original MAC) is done through the API by src/netfix; this script does the rest:
#
#   1. cloud-init's network configuration off (seed 000 step 2; seed 001 note 1: it blocks MAC changes)
#   2. eth1 (found by MAC, never by name) keeps its original MAC on record once
#      (/etc/openstack-on-aws/eth1-original-mac) and gets a new locally administered MAC
#      (seed 000 steps 3-5): the original now belongs to the router's gateway port, and a Linux
#      bridge treats its own ports' MACs as local addresses, so eth1 keeping it would swallow the
#      replies (Open vSwitch forwards by its learned table only; there the move is hygiene: one
#      MAC, one owner on the segment). The provider bridge gives up the original MAC as well.
#   3. IP forwarding on, MASQUERADE out eth2 (seed 000 step 12) for what the controller forwards
#      (the other nodes' internet traffic: their subnet's default route is the controller's eth0)
#   4. DNAT port-forwards inside the qrouter namespace: <registered IP>:522 -> instance:22
#      (seed 001 note 3; floating IPs cannot work on AWS)
#   5. everything again at every boot: a systemd unit runs the installed copy of this script
#
# NETFIX_MODE=routed (issue 15) replaces steps 2 and 4's "registered IP" with a pool: the provider
# ENI carries secondary private addresses (POOL) that Neutron's external subnet hands out, and the
# controller ROUTES between eth1 and the external bridge (EXTERNAL_BRIDGE, which the neutron stage
# made without eth1) instead of bridging them:
#   R1. eth1 keeps the ENI's MAC (restored if a seeds run moved it), is no bridge's port, and holds
#       the ENI's primary PROVIDER_IP/32 (the sender of its own ARP requests must be the ENI's)
#   R2. for every pool address: a host route towards the external bridge (the router port that
#       holds it answers there) and a proxy ARP entry on eth1 (the VPC's hosts find it behind eth1)
#   R3. proxy ARP on the external bridge: the routers resolve their gateway (the VPC router) to it
#   R4. pool addresses with an elastic IP (POOL_PUBLIC) leave through eth1 unchanged (table 220:
#       default via the subnet gateway on eth1): the frame has the ENI's MAC and one of its
#       addresses, so AWS forwards it and the elastic IP maps to it. The other pool addresses take
#       the host's default route and are masqueraded out eth2 (step 3), like the other nodes.
# No MAC moves, no Neutron database edit; the same for the Linux bridge and Open vSwitch.
#
# Usage:  network-fix.sh apply   (inputs from the environment, see below; records them for boot)
#         network-fix.sh boot    (the unit: inputs from the recorded file; waits for the qrouter)
#         network-fix.sh probe   (prints key=value facts for the verification in src/netfix)
# Inputs: MAC_PROVIDER  eth1's AWS MAC (the original)     MAC_PUBLIC  eth2's MAC
#         ROUTER_GATEWAY_IP  eth1's AWS-registered IP     EXTERNAL_CIDR / EXTERNAL_GATEWAY  provider subnet
#         QROUTER_NS  the router's namespace (qrouter-<id>) PORT_FORWARDS  "522=192.168.100.5:22 …"
#         NETWORK_DRIVER linuxbridge|openvswitch          PING_TARGET  for probe
#         NETFIX_ROOT  file system prefix (tests only; '' on a node)
#         NETFIX_PING_ATTEMPTS  probe pings (2 s each) before it reports ping=fail (default 3)
#         NETFIX_MODE  seeds (when unset) | routed: src/netfix always passes the action's network-fix
#         input (routed unless the workflow asks for seeds); routed also: PROVIDER_IP  eth1's primary address,
#         POOL / POOL_PUBLIC  "10.42.1.100 …" (the pool / those with an elastic IP, a subset),
#         EXTERNAL_BRIDGE  the bridge Neutron's external network is on (br-provider)
#
# Known trap, deliberately avoided: with a Linux bridge on eth1, br_netfilter hands bridged frames
# (the qrouter's own traffic to and from AWS) to iptables here as well. A MASQUERADE without
# "-o <eth2>" would rewrite them; the rule names eth2, so only routed traffic leaving eth2 matches.
set -euo pipefail

ROOT="${NETFIX_ROOT:-}"
ETC="$ROOT/etc/openstack-on-aws"
ORIGINAL_MAC_FILE="$ETC/eth1-original-mac"
NEW_MAC_FILE="$ETC/eth1-new-mac"
ENV_FILE="$ETC/network-fix.env"
INSTALLED="$ROOT/usr/local/sbin/ooa-network-fix"
UNIT_NAME=ooa-network-fix.service
UNIT_FILE="$ROOT/etc/systemd/system/$UNIT_NAME"
WANTS_LINK="$ROOT/etc/systemd/system/multi-user.target.wants/$UNIT_NAME"
CLOUD_CFG="$ROOT/etc/cloud/cloud.cfg.d/99-disable-network-config.cfg"
SYSCTL_FILE="$ROOT/etc/sysctl.d/90-ooa-network-fix.conf"
CHAIN=OOA-PORTFWD
# The routed mode's table for what leaves through eth1 (pool addresses with an elastic IP).
ROUTED_TABLE=220
CHANGES=0

log() { printf '%s [network-fix] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
die() {
  log "ERROR: $*"
  exit 1
}
changed() {
  CHANGES=$((CHANGES + 1))
  log "changed: $*"
}

is_mac() { [[ "$1" =~ ^([0-9a-f]{2}:){5}[0-9a-f]{2}$ ]]; }
is_ip() { [[ "$1" =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}$ ]]; }
is_cidr() { [[ "$1" =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}/[0-9]{1,2}$ ]]; }

# write_file PATH MODE: content from stdin; written only when it differs.
write_file() {
  local path="$1" mode="$2" content
  content="$(cat)"
  if [[ -f "$path" && "$(cat "$path")" == "$content" ]]; then return 0; fi
  mkdir -p "$(dirname "$path")"
  printf '%s\n' "$content" >"$path.tmp"
  chmod "$mode" "$path.tmp"
  mv "$path.tmp" "$path"
  changed "wrote $path"
}

load_inputs() {
  MAC_PROVIDER="$(tr '[:upper:]' '[:lower:]' <<<"${MAC_PROVIDER:-}")"
  MAC_PUBLIC="$(tr '[:upper:]' '[:lower:]' <<<"${MAC_PUBLIC:-}")"
  ROUTER_GATEWAY_IP="${ROUTER_GATEWAY_IP:-}"
  EXTERNAL_CIDR="${EXTERNAL_CIDR:-}"
  EXTERNAL_GATEWAY="${EXTERNAL_GATEWAY:-}"
  QROUTER_NS="${QROUTER_NS:-}"
  PORT_FORWARDS="${PORT_FORWARDS:-}"
  NETWORK_DRIVER="${NETWORK_DRIVER:-linuxbridge}"
  PING_TARGET="${PING_TARGET:-}"
  is_mac "$MAC_PROVIDER" || die "MAC_PROVIDER '$MAC_PROVIDER' is not a MAC address"
  is_mac "$MAC_PUBLIC" || die "MAC_PUBLIC '$MAC_PUBLIC' is not a MAC address"
  is_ip "$ROUTER_GATEWAY_IP" || die "ROUTER_GATEWAY_IP '$ROUTER_GATEWAY_IP' is not an IPv4 address"
  [[ -z "$EXTERNAL_CIDR" ]] || is_cidr "$EXTERNAL_CIDR" || die "EXTERNAL_CIDR '$EXTERNAL_CIDR' is not a CIDR"
  [[ -z "$EXTERNAL_GATEWAY" ]] || is_ip "$EXTERNAL_GATEWAY" || die "EXTERNAL_GATEWAY '$EXTERNAL_GATEWAY' is not an IPv4 address"
  [[ "$QROUTER_NS" =~ ^[A-Za-z0-9_.-]*$ ]] || die "QROUTER_NS '$QROUTER_NS' is not a namespace name"
  [[ "$NETWORK_DRIVER" == linuxbridge || "$NETWORK_DRIVER" == openvswitch ]] ||
    die "NETWORK_DRIVER '$NETWORK_DRIVER' is neither linuxbridge nor openvswitch"
  local pf
  for pf in $PORT_FORWARDS; do
    [[ "$pf" =~ ^[0-9]{1,5}=([0-9]{1,3}\.){3}[0-9]{1,3}:[0-9]{1,5}$ ]] ||
      die "port-forward '$pf' is not PUBLICPORT=IP:PORT"
  done
  if [[ -n "$PORT_FORWARDS" && -z "$QROUTER_NS" ]]; then die "PORT_FORWARDS needs QROUTER_NS"; fi
  NETFIX_MODE="${NETFIX_MODE:-seeds}"
  PROVIDER_IP="${PROVIDER_IP:-}"
  POOL="${POOL:-}"
  POOL_PUBLIC="${POOL_PUBLIC:-}"
  EXTERNAL_BRIDGE="${EXTERNAL_BRIDGE:-}"
  case "$NETFIX_MODE" in
    seeds) ;;
    routed)
      is_ip "$PROVIDER_IP" || die "PROVIDER_IP '$PROVIDER_IP' is not an IPv4 address"
      is_ip "$EXTERNAL_GATEWAY" || die "routed mode needs EXTERNAL_GATEWAY (the provider subnet's gateway)"
      [[ "$EXTERNAL_BRIDGE" =~ ^[A-Za-z0-9_.-]{1,15}$ ]] || die "EXTERNAL_BRIDGE '$EXTERNAL_BRIDGE' is not an interface name"
      [[ -n "$POOL" ]] || die "routed mode needs POOL (the provider NIC's secondary addresses)"
      local a
      for a in $POOL; do is_ip "$a" || die "pool address '$a' is not an IPv4 address"; done
      for a in $POOL_PUBLIC; do
        [[ " $POOL " == *" $a "* ]] || die "POOL_PUBLIC address $a is not in POOL"
      done
      [[ " $POOL " == *" $ROUTER_GATEWAY_IP "* ]] || die "ROUTER_GATEWAY_IP $ROUTER_GATEWAY_IP is not in POOL"
      ;;
    *) die "NETFIX_MODE '$NETFIX_MODE' is neither seeds nor routed" ;;
  esac
}

# nic_with_mac MAC: the one non-bridge interface whose current or permanent (permaddr) MAC is MAC.
nic_with_mac() {
  local want="$1" dev name addr perm found=()
  for dev in /sys/class/net/*; do
    name="${dev##*/}"
    [[ "$name" == lo || -d "$dev/bridge" ]] && continue
    case "$name" in tap* | vxlan* | brq* | qr-* | qg-* | qvo* | qvb* | br-* | ovs-* | virbr* | vnet*) continue ;; esac
    addr="$(cat "$dev/address" 2>/dev/null || true)"
    perm="$(ip -d -o link show dev "$name" 2>/dev/null | sed -n 's/.* permaddr \([0-9a-f:]*\).*/\1/p')"
    if [[ "$addr" == "$want" || "$perm" == "$want" ]]; then found+=("$name"); fi
  done
  ((${#found[@]} == 1)) || return 1
  printf '%s\n' "${found[0]}"
}

# The provider NIC: by its original MAC (first run, or after a reboot gave it back), else by the
# new MAC this script gave it.
provider_nic() {
  local name
  if name="$(nic_with_mac "$MAC_PROVIDER")"; then
    printf '%s\n' "$name"
    return 0
  fi
  if [[ -s "$NEW_MAC_FILE" ]] && name="$(nic_with_mac "$(cat "$NEW_MAC_FILE")")"; then
    printf '%s\n' "$name"
    return 0
  fi
  return 1
}

random_local_mac() {
  local bytes first octets
  bytes="$(od -An -N6 -tx1 /dev/urandom | tr -s ' \n' ' ')"
  read -r -a octets <<<"$bytes"
  # Locally administered (bit 1 set), unicast (bit 0 clear).
  first=$(((16#${octets[0]} & 0xfc) | 0x02))
  printf '%02x:%s:%s:%s:%s:%s\n' "$first" "${octets[1]}" "${octets[2]}" "${octets[3]}" "${octets[4]}" "${octets[5]}"
}

step_cloud_init() {
  write_file "$CLOUD_CFG" 0644 <<<"network: {config: disabled}"
}

step_provider_mac() {
  local nic new current br
  nic="$(provider_nic)" || die "no single NIC has MAC $MAC_PROVIDER (eth1) or the recorded new MAC"
  if [[ -s "$ORIGINAL_MAC_FILE" ]]; then
    [[ "$(cat "$ORIGINAL_MAC_FILE")" == "$MAC_PROVIDER" ]] ||
      die "$ORIGINAL_MAC_FILE holds $(cat "$ORIGINAL_MAC_FILE"), not MAC_PROVIDER $MAC_PROVIDER"
  else
    write_file "$ORIGINAL_MAC_FILE" 0644 <<<"$MAC_PROVIDER"
  fi
  if [[ -s "$NEW_MAC_FILE" ]]; then
    new="$(cat "$NEW_MAC_FILE")"
  else
    new="$(random_local_mac)"
    write_file "$NEW_MAC_FILE" 0644 <<<"$new"
  fi
  current="$(cat "/sys/class/net/$nic/address")"
  if [[ "$current" != "$new" ]]; then
    ip link set dev "$nic" down
    ip link set dev "$nic" address "$new"
    changed "$nic (eth1) MAC $current -> $new (the original $MAC_PROVIDER goes to the router gateway port)"
  fi
  ip link set dev "$nic" up
  # The provider bridge must not keep the original MAC either: a Linux bridge recomputes its own MAC
  # from its ports unless it was set explicitly. An OVS bridge never picks a locally administered
  # MAC (every ENI's) by itself, so it has eth1's only when other-config:hwaddr pins it (guides that
  # move the host's address onto the bridge do): re-pin it to the new MAC. ovs-vsctl is bounded: it
  # waits forever by default when ovsdb-server or ovs-vswitchd is not up (yet, at boot).
  if [[ "$NETWORK_DRIVER" == openvswitch ]]; then
    if command -v ovs-vsctl >/dev/null 2>&1 && br="$(ovs-vsctl --timeout=30 port-to-br "$nic" 2>/dev/null)" &&
      [[ "$(cat "/sys/class/net/$br/address" 2>/dev/null)" == "$MAC_PROVIDER" ]]; then
      ovs-vsctl --timeout=30 set bridge "$br" other-config:hwaddr="\"$new\""
      changed "OVS bridge $br hwaddr -> $new"
    fi
  else
    br="$(basename "$(readlink "/sys/class/net/$nic/master" 2>/dev/null || echo none)")"
    if [[ -e "/sys/class/net/$br/bridge" && "$(cat "/sys/class/net/$br/address")" == "$MAC_PROVIDER" ]]; then
      ip link set dev "$br" address "$new"
      changed "bridge $br MAC -> $new"
    fi
  fi
}

step_forwarding() {
  write_file "$SYSCTL_FILE" 0644 <<<"net.ipv4.ip_forward = 1"
  if [[ "$(cat /proc/sys/net/ipv4/ip_forward)" != 1 ]]; then
    sysctl -q -w net.ipv4.ip_forward=1
    changed "net.ipv4.ip_forward=1"
  fi
}

step_masquerade() {
  local pub
  pub="$(nic_with_mac "$MAC_PUBLIC")" || die "no single NIC has MAC $MAC_PUBLIC (eth2)"
  if ! iptables -w -t nat -C POSTROUTING -o "$pub" -j MASQUERADE 2>/dev/null; then
    iptables -w -t nat -A POSTROUTING -o "$pub" -j MASQUERADE
    changed "MASQUERADE out $pub (eth2)"
  fi
}

# qrouter_ipt ARGS: iptables inside the router's namespace.
qrouter_ipt() { ip netns exec "$QROUTER_NS" iptables -w "$@"; }

namespace_exists() { [[ -n "$1" ]] && ip netns exec "$1" true 2>/dev/null; }

# The desired set of DNAT rules, in a chain of our own (Neutron's L3 agent rewrites only its own
# neutron-* chains, so ours survives its syncs; the boot unit puts it back after a reboot).
step_port_forwards() {
  if [[ -z "$QROUTER_NS" ]]; then
    log "no qrouter namespace given: no port-forwards"
    return 0
  fi
  namespace_exists "$QROUTER_NS" || die "the router namespace $QROUTER_NS does not exist"
  local want="" have pf public target
  for pf in $PORT_FORWARDS; do
    public="${pf%%=*}"
    target="${pf#*=}"
    want+="-A $CHAIN -d $ROUTER_GATEWAY_IP/32 -p tcp -m tcp --dport $public -j DNAT --to-destination $target"$'\n'
  done
  qrouter_ipt -t nat -N "$CHAIN" 2>/dev/null || true
  have="$(qrouter_ipt -t nat -S "$CHAIN" | grep -v -- "^-N $CHAIN" || true)"
  if [[ "$have" != "${want%$'\n'}" ]]; then
    qrouter_ipt -t nat -F "$CHAIN"
    for pf in $PORT_FORWARDS; do
      public="${pf%%=*}"
      target="${pf#*=}"
      qrouter_ipt -t nat -A "$CHAIN" -d "$ROUTER_GATEWAY_IP/32" -p tcp -m tcp --dport "$public" -j DNAT --to-destination "$target"
    done
    changed "port-forwards in $QROUTER_NS: ${PORT_FORWARDS:-none}"
  fi
  if ! qrouter_ipt -t nat -C PREROUTING -j "$CHAIN" 2>/dev/null; then
    qrouter_ipt -t nat -I PREROUTING 1 -j "$CHAIN"
    changed "PREROUTING jumps to $CHAIN in $QROUTER_NS"
  fi
}

# R1: eth1 keeps (or gets back) the ENI's MAC, leaves any bridge, holds the ENI's primary /32.
step_provider_routed() {
  local nic current br
  nic="$(provider_nic)" || die "no single NIC has MAC $MAC_PROVIDER (eth1) or the recorded new MAC"
  current="$(cat "/sys/class/net/$nic/address")"
  if [[ "$current" != "$MAC_PROVIDER" ]]; then
    ip link set dev "$nic" down
    ip link set dev "$nic" address "$MAC_PROVIDER"
    changed "$nic (eth1) MAC $current -> $MAC_PROVIDER (routed: eth1 keeps the ENI's MAC)"
  fi
  rm -f "$NEW_MAC_FILE"
  if [[ "$NETWORK_DRIVER" == openvswitch ]] && command -v ovs-vsctl >/dev/null 2>&1 &&
    br="$(ovs-vsctl --timeout=30 port-to-br "$nic" 2>/dev/null)"; then
    ovs-vsctl --timeout=30 del-port "$br" "$nic"
    changed "$nic (eth1) is no longer a port of OVS bridge $br (routed, not bridged)"
  fi
  if [[ -e "/sys/class/net/$nic/master" ]]; then
    br="$(basename "$(readlink "/sys/class/net/$nic/master")")"
    ip link set dev "$nic" nomaster
    changed "$nic (eth1) is no longer a port of bridge $br (routed, not bridged)"
  fi
  ip link set dev "$nic" up
  if ! ip -4 -o addr show dev "$nic" | grep -q " $PROVIDER_IP/32 "; then
    ip addr add "$PROVIDER_IP/32" dev "$nic"
    changed "$nic (eth1) has the ENI's primary address $PROVIDER_IP/32"
  fi
  # Loose reverse-path filtering: replies to pool addresses without an elastic IP come back in
  # through eth1 from sources the main table reaches through eth0 or eth2. Proxy ARP answers at
  # once (the kernel's default delays each proxied reply by up to 0.8 s).
  sysctl -q -w "net.ipv4.conf.$nic.rp_filter=2" "net.ipv4.neigh.$nic.proxy_delay=0"
}

# The routed mode's address list as "X Y …" of what is there now (for reconciling).
proxy_entries() { ip -4 neigh show proxy dev "$1" | awk '{print $1}'; }
pool_routes() { ip -4 route show dev "$EXTERNAL_BRIDGE" proto static | awk '$1 ~ /^[0-9.]+$/ {print $1}'; }
pool_rules() { ip -4 rule show | sed -n "s/^[0-9]*:[[:space:]]*from \([0-9.]*\) lookup $ROUTED_TABLE.*/\1/p"; }

# R2-R4: routes, proxy ARP and the policy rule for every pool address; anything of ours for an
# address that left the pool goes.
step_external_routes() {
  local nic a
  nic="$(provider_nic)" || die "no single NIC has MAC $MAC_PROVIDER (eth1)"
  [[ -e "/sys/class/net/$EXTERNAL_BRIDGE" ]] ||
    die "the external bridge $EXTERNAL_BRIDGE does not exist (the neutron stage makes it in routed mode)"
  ip link set dev "$EXTERNAL_BRIDGE" up
  if [[ "$(cat "/proc/sys/net/ipv4/conf/$EXTERNAL_BRIDGE/proxy_arp")" != 1 ]]; then
    sysctl -q -w "net.ipv4.conf.$EXTERNAL_BRIDGE.proxy_arp=1"
    changed "proxy ARP on $EXTERNAL_BRIDGE (the routers' gateway $EXTERNAL_GATEWAY answers there)"
  fi
  sysctl -q -w "net.ipv4.conf.$EXTERNAL_BRIDGE.rp_filter=2" "net.ipv4.neigh.$EXTERNAL_BRIDGE.proxy_delay=0"
  if ! ip -4 route show table "$ROUTED_TABLE" | grep -q "^default via $EXTERNAL_GATEWAY dev $nic "; then
    ip route replace default via "$EXTERNAL_GATEWAY" dev "$nic" onlink table "$ROUTED_TABLE"
    changed "table $ROUTED_TABLE: default via $EXTERNAL_GATEWAY on $nic (eth1)"
  fi
  for a in $POOL; do
    if ! ip -4 route show "$a/32" dev "$EXTERNAL_BRIDGE" proto static | grep -q .; then
      ip route replace "$a/32" dev "$EXTERNAL_BRIDGE" proto static
      changed "route $a -> $EXTERNAL_BRIDGE"
    fi
    if ! proxy_entries "$nic" | grep -qx "$a"; then
      ip neigh replace proxy "$a" dev "$nic"
      changed "proxy ARP for $a on $nic (eth1)"
    fi
  done
  for a in $POOL_PUBLIC; do
    if ! pool_rules | grep -qx "$a"; then
      ip rule add from "$a/32" lookup "$ROUTED_TABLE" pref "$ROUTED_TABLE"
      changed "$a (elastic IP) leaves through $nic (eth1)"
    fi
  done
  for a in $(pool_routes); do
    [[ " $POOL " == *" $a "* ]] || { ip route del "$a/32" dev "$EXTERNAL_BRIDGE" && changed "route $a removed (not in the pool)"; }
  done
  for a in $(proxy_entries "$nic"); do
    [[ " $POOL " == *" $a "* ]] || { ip neigh del proxy "$a" dev "$nic" && changed "proxy ARP for $a removed"; }
  done
  for a in $(pool_rules); do
    [[ " $POOL_PUBLIC " == *" $a "* ]] || { ip rule del from "$a/32" lookup "$ROUTED_TABLE" && changed "rule for $a removed"; }
  done
}

# Neighbour entries that failed while the path did not exist yet (a router plugged before the fix,
# after a reboot before the boot unit, eth1 bridged by an earlier layout) are forgotten, on the
# host's two sides and in the routers' namespaces, so nothing waits for them to expire. So is a
# router's entry for the VPC's gateway that names any MAC but the external bridge's: one learnt
# while eth1 was bridged points at the VPC router itself, which the bridge no longer reaches, and
# the kernel would keep sending there until its probes gave up.
step_forget_failed() {
  local nic ns bridge_mac dev mac
  nic="$(provider_nic)" || return 0
  ip neigh flush dev "$nic" nud failed 2>/dev/null || true
  ip neigh flush dev "$EXTERNAL_BRIDGE" nud failed 2>/dev/null || true
  bridge_mac="$(cat "/sys/class/net/$EXTERNAL_BRIDGE/address" 2>/dev/null || true)"
  for ns in $QROUTER_NS $(ip netns list 2>/dev/null | awk '$1 ~ /^qrouter-/ && $1 != "'"$QROUTER_NS"'" {print $1}'); do
    ip -n "$ns" neigh flush nud failed 2>/dev/null || true
    [[ -n "$bridge_mac" ]] || continue
    while read -r dev mac; do
      [[ -n "$mac" && "$mac" != "$bridge_mac" ]] || continue
      ip -n "$ns" neigh del "$EXTERNAL_GATEWAY" dev "$dev" 2>/dev/null || true
      changed "$ns forgot $EXTERNAL_GATEWAY at $mac on $dev (the host answers for it with $bridge_mac)"
    done < <(ip -n "$ns" -4 neigh show "$EXTERNAL_GATEWAY" 2>/dev/null | awk '{for (i = 1; i < NF; i++) {if ($i == "dev") d = $(i + 1); if ($i == "lladdr") m = $(i + 1)} print d, m; d = m = ""}')
  done
}

# Records the inputs and installs this script and a unit that re-applies everything at boot.
step_persist() {
  local self
  self="$(readlink -f "$0")"
  if [[ "$self" != "$(readlink -f "$INSTALLED" 2>/dev/null || true)" ]]; then
    write_file "$INSTALLED" 0755 <"$self"
  fi
  # Sourced as root at every boot: each value is quoted by bash itself (%q), whatever it holds.
  local var
  write_file "$ENV_FILE" 0600 < <(
    for var in MAC_PROVIDER MAC_PUBLIC ROUTER_GATEWAY_IP EXTERNAL_CIDR EXTERNAL_GATEWAY QROUTER_NS PORT_FORWARDS NETWORK_DRIVER PING_TARGET \
      NETFIX_MODE PROVIDER_IP POOL POOL_PUBLIC EXTERNAL_BRIDGE; do
      printf '%s=%q\n' "$var" "${!var-}"
    done
  )
  write_file "$UNIT_FILE" 0644 <<EOF
[Unit]
Description=openstack-on-aws: AWS network fix (eth1 MAC, NAT, port-forwards)
Wants=network-online.target
# Ordering only: with the openvswitch driver the provider bridge must exist (Debian's and RHEL's
# unit names; an absent unit is ignored).
After=network-online.target openvswitch-switch.service openvswitch.service

[Service]
Type=oneshot
RemainAfterExit=yes
# Waits for the L3 agent to recreate the router namespace before it adds the port-forwards.
TimeoutStartSec=900
ExecStart=/usr/local/sbin/ooa-network-fix boot

[Install]
WantedBy=multi-user.target
EOF
  if [[ ! -L "$WANTS_LINK" ]]; then
    mkdir -p "$(dirname "$WANTS_LINK")"
    ln -sf "/etc/systemd/system/$UNIT_NAME" "$WANTS_LINK"
    changed "enabled $UNIT_NAME"
  fi
  if [[ -z "$ROOT" && -d /run/systemd/system ]]; then systemctl daemon-reload; fi
}

summary() {
  local pf
  for pf in $PORT_FORWARDS; do log "port-forward $ROUTER_GATEWAY_IP:${pf%%=*} -> ${pf#*=}"; done
  if ((CHANGES == 0)); then log "network fix: nothing changed"; else log "network fix: $CHANGES change(s)"; fi
}

# The provider NIC's steps of the mode: the seeds' MAC move, or routing the pool.
step_provider() {
  if [[ "$NETFIX_MODE" == routed ]]; then
    step_provider_routed
  else
    step_provider_mac
  fi
}
step_routes() {
  if [[ "$NETFIX_MODE" == routed ]]; then
    step_external_routes
    step_forget_failed
  fi
}

cmd_apply() {
  load_inputs
  step_cloud_init
  step_provider
  step_forwarding
  step_masquerade
  step_routes
  step_port_forwards
  step_persist
  summary
}

cmd_boot() {
  [[ -r "$ENV_FILE" ]] || die "$ENV_FILE is missing: run 'apply' first"
  # shellcheck disable=SC1090 # written by apply
  . "$ENV_FILE"
  load_inputs
  step_provider
  step_forwarding
  step_masquerade
  step_routes
  if [[ -n "$QROUTER_NS" ]]; then
    local waited=0 limit="${NETFIX_WAIT_SECONDS:-600}"
    until namespace_exists "$QROUTER_NS"; do
      ((waited < limit)) || die "the router namespace $QROUTER_NS did not appear within ${limit}s"
      sleep 1
      waited=$((waited + 1))
    done
  fi
  if [[ "$NETFIX_MODE" == routed ]]; then step_forget_failed; fi
  step_port_forwards
  summary
}

# The routed mode's host facts: eth1's bridge and address, the external bridge, per pool address.
probe_routed() {
  local nic a
  echo "mode=routed"
  nic="$(provider_nic)" || return 0
  if [[ "$NETWORK_DRIVER" == openvswitch ]] && command -v ovs-vsctl >/dev/null 2>&1 &&
    a="$(ovs-vsctl --timeout=30 port-to-br "$nic" 2>/dev/null)"; then
    echo "provider_master=$a"
  elif [[ -e "/sys/class/net/$nic/master" ]]; then
    echo "provider_master=$(basename "$(readlink "/sys/class/net/$nic/master")")"
  fi
  ip -4 -o addr show dev "$nic" | awk '{print "provider_addr=" $4}'
  if [[ -e "/sys/class/net/$EXTERNAL_BRIDGE" ]]; then
    echo "bridge=present"
    echo "bridge_proxy_arp=$(cat "/proc/sys/net/ipv4/conf/$EXTERNAL_BRIDGE/proxy_arp")"
    for a in $(pool_routes); do echo "pool_route=$a"; done
  else
    echo "bridge=missing"
  fi
  for a in $(proxy_entries "$nic"); do echo "pool_proxy=$a"; done
  for a in $(pool_rules); do echo "pool_rule=$a"; done
  # (ip exits 2 when table 220 does not exist yet: before the first apply.)
  { ip -4 route show table "$ROUTED_TABLE" 2>/dev/null || true; } |
    sed -n "s/^default via \([0-9.]*\) dev \([^ ]*\).*/routed_default=\1@\2/p"
}

# Facts for src/netfix/verify.ts, one key=value per line (keys may repeat).
cmd_probe() {
  load_inputs
  local nic gw line
  echo "recorded_original_mac=$(cat "$ORIGINAL_MAC_FILE" 2>/dev/null || true)"
  if nic="$(provider_nic)"; then
    echo "provider_if=$nic"
    echo "provider_mac=$(cat "/sys/class/net/$nic/address")"
  fi
  echo "ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)"
  if nic="$(nic_with_mac "$MAC_PUBLIC")"; then
    echo "public_if=$nic"
    if iptables -w -t nat -C POSTROUTING -o "$nic" -j MASQUERADE 2>/dev/null; then echo "masquerade=yes"; else echo "masquerade=no"; fi
  fi
  if [[ "$NETFIX_MODE" == routed ]]; then probe_routed; fi
  namespace_exists "$QROUTER_NS" || {
    echo "qrouter=missing"
    return 0
  }
  echo "qrouter=present"
  # The gateway port is the interface that holds the provider subnet's connected route.
  gw="$(ip -n "$QROUTER_NS" -o -4 route show "$EXTERNAL_CIDR" | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -n1)"
  if [[ -n "$gw" ]]; then
    echo "gateway_if=$gw"
    echo "gateway_mac=$(ip netns exec "$QROUTER_NS" cat "/sys/class/net/$gw/address")"
    ip -n "$QROUTER_NS" -o -4 addr show dev "$gw" | awk '{print "gateway_ip=" $4}'
  fi
  if qrouter_ipt -t nat -C PREROUTING -j "$CHAIN" 2>/dev/null; then echo "portforward_jump=yes"; else echo "portforward_jump=no"; fi
  qrouter_ipt -t nat -S "$CHAIN" 2>/dev/null | sed -n 's/^-A [^ ]* -d \([0-9.]*\)\/32 -p tcp -m tcp --dport \([0-9]*\) -j DNAT --to-destination \([0-9.:]*\)$/portforward=\2>\3@\1/p' || true
  if [[ -n "$PING_TARGET" ]]; then
    local attempt result=fail
    for ((attempt = 1; attempt <= ${NETFIX_PING_ATTEMPTS:-3}; attempt++)); do
      if ip netns exec "$QROUTER_NS" ping -n -q -c 1 -W 2 "$PING_TARGET" >/dev/null 2>&1; then
        result=ok
        break
      fi
    done
    echo "ping=$result"
  fi
  if [[ -n "$EXTERNAL_GATEWAY" && -n "$gw" ]]; then
    # "10.42.1.1 lladdr 02:… REACHABLE" or "10.42.1.1 INCOMPLETE" (iproute2 may add a trailing blank).
    line="$(ip -n "$QROUTER_NS" neigh show "$EXTERNAL_GATEWAY" dev "$gw" | head -n1)"
    echo "neighbour_state=$(awk '{print $NF}' <<<"$line")"
    echo "neighbour_mac=$(sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p' <<<"$line")"
  fi
}

case "${1:-apply}" in
  apply) cmd_apply ;;
  boot) cmd_boot ;;
  probe) cmd_probe ;;
  *) die "usage: $0 apply|boot|probe" ;;
esac
