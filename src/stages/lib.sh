# shellcheck shell=bash
# Shared functions of every stage script. Everything that differs between OS families lives here
# (package names, service names, repository setup, file locations); the stage scripts themselves
# read the same on every OS. Every function is idempotent: it looks before it changes, records what
# it changed, and a stage that finds nothing to do says so in its last line.

OOA_ETC="${OOA_ETC:-/etc/openstack-on-aws}"
OOA_SETTINGS="${OOA_SETTINGS:-$OOA_ETC/settings.env}"
OOA_NICS="${OOA_NICS:-$OOA_ETC/nics.env}"
OOA_LOG_DIR="${OOA_LOG_DIR:-/var/log/openstack-on-aws}"
OOA_ADMIN_RC="${OOA_ADMIN_RC:-/root/admin-openrc}"
STAGE="${STAGE:-lib}"
# write_file at the end of a pipeline must run in this shell, so its change records count.
shopt -s lastpipe
# What this run changed (files, packages, services, database rows, API objects).
CHANGES=()
# Set when a configuration file changed: services of the stage are then restarted.
CONFIG_CHANGED=0

# ---------------------------------------------------------------------------------------------
# The settings contract (written by src/remote/node-settings.ts). Declared here with empty
# defaults so every stage sees the full list, and shellcheck knows every name.
settings_defaults() {
  STACK_ID="${STACK_ID:-}"
  NODE_NAME="${NODE_NAME:-}"
  NODE_ROLE="${NODE_ROLE:-}"
  OS_ID="${OS_ID:-}"
  OS_FAMILY="${OS_FAMILY:-}"
  OS_CODENAME="${OS_CODENAME:-}"
  RELEASE_ID="${RELEASE_ID:-}"
  RELEASE_CODENAME="${RELEASE_CODENAME:-}"
  PACKAGE_SOURCE="${PACKAGE_SOURCE:-}"
  NETWORK_DRIVER="${NETWORK_DRIVER:-linuxbridge}"
  VIRT_TYPE="${VIRT_TYPE:-qemu}"
  MANAGEMENT_IP="${MANAGEMENT_IP:-}"
  MANAGEMENT_CIDR="${MANAGEMENT_CIDR:-}"
  MANAGEMENT_GATEWAY="${MANAGEMENT_GATEWAY:-}"
  PROVIDER_CIDR="${PROVIDER_CIDR:-}"
  PROVIDER_GATEWAY="${PROVIDER_GATEWAY:-}"
  PUBLIC_NIC_IP="${PUBLIC_NIC_IP:-}"
  MAC_MANAGEMENT="${MAC_MANAGEMENT:-}"
  MAC_PROVIDER="${MAC_PROVIDER:-}"
  MAC_PUBLIC="${MAC_PUBLIC:-}"
  CONTROLLER_NAME="${CONTROLLER_NAME:-controller}"
  CONTROLLER_IP="${CONTROLLER_IP:-}"
  PUBLIC_ADDRESS="${PUBLIC_ADDRESS:-}"
  ROUTER_PUBLIC_IP="${ROUTER_PUBLIC_IP:-}"
  HOSTS="${HOSTS:-}"
  COMPUTE_NODES="${COMPUTE_NODES:-}"
  HAS_BLOCK="${HAS_BLOCK:-0}"
  HAS_OBJECT="${HAS_OBJECT:-0}"
  SWIFT_STORAGE_IPS="${SWIFT_STORAGE_IPS:-}"
  SWIFT_DEVICES="${SWIFT_DEVICES:-}"
  DISKS="${DISKS:-}"
  EXTERNAL_CIDR="${EXTERNAL_CIDR:-}"
  EXTERNAL_GATEWAY="${EXTERNAL_GATEWAY:-}"
  ROUTER_GATEWAY_IP="${ROUTER_GATEWAY_IP:-}"
  PHYSICAL_NETWORK="${PHYSICAL_NETWORK:-provider}"
  NETWORK_FIX="${NETWORK_FIX:-seeds}"
  PASS_ADMIN="${PASS_ADMIN:-}"
  PASS_DEMO="${PASS_DEMO:-}"
  PASS_MARIADB_ROOT="${PASS_MARIADB_ROOT:-}"
  PASS_RABBITMQ="${PASS_RABBITMQ:-}"
  PASS_KEYSTONE_DB="${PASS_KEYSTONE_DB:-}"
  PASS_GLANCE_DB="${PASS_GLANCE_DB:-}"
  PASS_GLANCE="${PASS_GLANCE:-}"
  PASS_PLACEMENT_DB="${PASS_PLACEMENT_DB:-}"
  PASS_PLACEMENT="${PASS_PLACEMENT:-}"
  PASS_NOVA_DB="${PASS_NOVA_DB:-}"
  PASS_NOVA="${PASS_NOVA:-}"
  PASS_NEUTRON_DB="${PASS_NEUTRON_DB:-}"
  PASS_NEUTRON="${PASS_NEUTRON:-}"
  PASS_METADATA_SECRET="${PASS_METADATA_SECRET:-}"
  PASS_CINDER_DB="${PASS_CINDER_DB:-}"
  PASS_CINDER="${PASS_CINDER:-}"
  PASS_SWIFT="${PASS_SWIFT:-}"
  PASS_SWIFT_HASH_PREFIX="${PASS_SWIFT_HASH_PREFIX:-}"
  PASS_SWIFT_HASH_SUFFIX="${PASS_SWIFT_HASH_SUFFIX:-}"
  PASS_HORIZON_SECRET_KEY="${PASS_HORIZON_SECRET_KEY:-}"
  # Written by resolve_nics: the OS names of this node's NICs.
  NIC_MANAGEMENT="${NIC_MANAGEMENT:-}"
  NIC_PROVIDER="${NIC_PROVIDER:-}"
  NIC_PUBLIC="${NIC_PUBLIC:-}"
}

# ---------------------------------------------------------------------------------------------
# Logging and stage frame

log() { printf '%s [%s] %s\n' "$(date -u +%H:%M:%S)" "$STAGE" "$*"; }
die() {
  log "ERROR: $*"
  exit 1
}
changed() {
  CHANGES+=("$*")
  log "changed: $*"
}

# Runs the calling script once more with its output copied to /var/log/openstack-on-aws/<stage>.log,
# so the full log stays on the node while the runner streams the same lines. Then loads settings.
stage_begin() {
  STAGE="$1"
  if [[ -z "${OOA_LOGGED:-}" ]]; then
    mkdir -p "$OOA_LOG_DIR"
    chmod 0750 "$OOA_LOG_DIR"
    set +e
    OOA_LOGGED=1 bash "$0" 2>&1 | tee -a "$OOA_LOG_DIR/$STAGE.log"
    local rc=${PIPESTATUS[0]}
    exit "$rc"
  fi
  set -E
  trap 'log "FAILED (exit $?) at ${BASH_SOURCE[0]##*/}:${LINENO}: ${BASH_COMMAND}"' ERR
  [[ $EUID -eq 0 ]] || die "stages run as root"
  load_settings
  log "stage $STAGE begins on $NODE_NAME ($NODE_ROLE; $OS_ID, OpenStack $RELEASE_ID from $PACKAGE_SOURCE)"
  STAGE_STARTED=$SECONDS
}

stage_end() {
  local took=$((SECONDS - ${STAGE_STARTED:-0}))
  if ((${#CHANGES[@]} == 0)); then
    log "stage $STAGE finished in ${took}s: nothing changed"
  else
    log "stage $STAGE finished in ${took}s: ${#CHANGES[@]} change(s)"
  fi
}

load_settings() {
  [[ -r "$OOA_SETTINGS" ]] || die "settings file $OOA_SETTINGS is missing (the runner uploads it)"
  # shellcheck disable=SC1090 # written by the runner per node
  . "$OOA_SETTINGS"
  if [[ -r "$OOA_NICS" ]]; then
    # shellcheck disable=SC1090
    . "$OOA_NICS"
  fi
  settings_defaults
  [[ -n "$NODE_NAME" && -n "$OS_FAMILY" ]] || die "settings file $OOA_SETTINGS lacks NODE_NAME or OS_FAMILY"
}

is_controller() { [[ "$NODE_ROLE" == controller ]]; }
in_container() { systemd-detect-virt -q -c 2>/dev/null; }

# The OpenStack releases by codename, oldest first: the order of src/matrix.ts (a unit test keeps
# the two lists equal). For rules like "Placement is part of Nova before Stein".
OOA_RELEASES="rocky stein train ussuri victoria wallaby xena yoga zed antelope bobcat caracal dalmatian epoxy flamingo"

# release_order CODENAME: its position in OOA_RELEASES; fails for a name not in the list.
release_order() {
  local i=0 r
  for r in $OOA_RELEASES; do
    if [[ "$r" == "$1" ]]; then
      echo "$i"
      return 0
    fi
    i=$((i + 1))
  done
  return 1
}

# release_before CODENAME: true when this node installs a release older than CODENAME.
release_before() {
  local mine theirs
  mine="$(release_order "$RELEASE_CODENAME")" || die "unknown OpenStack release '$RELEASE_CODENAME'"
  theirs="$(release_order "$1")" || die "unknown OpenStack release '$1'"
  ((mine < theirs))
}

# ---------------------------------------------------------------------------------------------
# Files

# write_file PATH MODE [OWNER]: content from stdin; replaced only when it differs. Without OWNER
# an existing file keeps its owner and group: `install` would make it root:root, and RDO's
# dashboard settings (root:apache 0640) would then be unreadable for httpd.
write_file() {
  local path="$1" mode="$2" owner="${3:-}" tmp
  if [[ -z "$owner" && -e "$path" ]]; then owner="$(stat -c %u:%g "$path")"; fi
  tmp="$(mktemp)"
  cat >"$tmp"
  if [[ -f "$path" ]] && cmp -s "$tmp" "$path"; then
    rm -f "$tmp"
  else
    mkdir -p "$(dirname "$path")"
    install -m "$mode" "$tmp" "$path"
    rm -f "$tmp"
    CONFIG_CHANGED=1
    changed "wrote $path"
  fi
  if [[ "$(stat -c %a "$path")" != "${mode#0}" ]]; then chmod "$mode" "$path"; fi
  if [[ -n "$owner" && "$(stat -c %U:%G "$path")" != "$owner" && "$(stat -c %u:%g "$path")" != "$owner" ]]; then
    chown "$owner" "$path"
  fi
}

# ensure_block PATH NAME: replaces the lines between "# BEGIN openstack-on-aws NAME" and its END
# marker with stdin (appends the block when absent).
ensure_block() {
  local path="$1" name="$2" body begin end current
  body="$(cat)"
  begin="# BEGIN openstack-on-aws $name"
  end="# END openstack-on-aws $name"
  current="$(cat "$path" 2>/dev/null || true)"
  awk -v b="$begin" -v e="$end" -v body="$body" '
    $0 == b { skip = 1; print b; print body; print e; done = 1; next }
    $0 == e { skip = 0; next }
    !skip { print }
    END { if (!done) { print b; print body; print e } }' <<<"$current" |
    write_file "$path" "$(stat -c %a "$path" 2>/dev/null || echo 644)"
}

# conf_set PATH KEY VALUE: "key = value" in a file without sections (libvirt's qemu.conf).
conf_set() {
  local path="$1" key="$2" value="$3"
  if grep -qxF "$key = $value" "$path" 2>/dev/null; then return 0; fi
  {
    grep -vE "^[#[:space:]]*${key}[[:space:]]*=" "$path" 2>/dev/null || true
    printf '%s = %s\n' "$key" "$value"
  } | write_file "$path" "$(stat -c %a "$path" 2>/dev/null || echo 644)"
}

# ini_set FILE SECTION KEY VALUE: crudini, with the value passed on stdin (never in argv: some
# values are passwords).
ini_set() {
  local file="$1" section="$2" key="$3" value="$4" current
  [[ -f "$file" ]] || die "ini_set: $file does not exist"
  if current="$(crudini --get "$file" "$section" "$key" 2>/dev/null)" && [[ "$current" == "$value" ]]; then
    return 0
  fi
  printf '[%s]\n%s = %s\n' "$section" "$key" "$value" | crudini --merge "$file"
  CONFIG_CHANGED=1
  changed "set [$section] $key in $file"
}

ini_del() {
  local file="$1" section="$2" key="$3"
  if crudini --get "$file" "$section" "$key" >/dev/null 2>&1; then
    crudini --del "$file" "$section" "$key"
    CONFIG_CHANGED=1
    changed "removed [$section] $key from $file"
  fi
}

# ---------------------------------------------------------------------------------------------
# NICs: found by MAC, never by name (eth0, ens5 and enX0 are all seen on EC2).

# nic_by_mac MAC: the one real NIC whose current or permanent address is MAC. Bridges, taps and
# tunnels that copy a NIC's MAC (Neutron's brq* takes its first port's) are skipped. Netlink (ip),
# not /sys/class/net: inside an nspawn machine /sys may show the host's interfaces.
nic_by_mac() {
  local want found=() line name addr perm
  want="$(tr '[:upper:]' '[:lower:]' <<<"$1")"
  while IFS= read -r line; do
    name="$(awk -F': ' '{print $2}' <<<"$line")"
    name="${name%%@*}"
    [[ "$name" == lo || "$line" == *" bridge forward_delay "* ]] && continue
    case "$name" in tap* | vxlan* | brq* | qr-* | qg-* | qvo* | qvb* | br-* | ovs-* | virbr* | vnet*) continue ;; esac
    addr="$(sed -n 's/.* link\/ether \([0-9a-f:]*\).*/\1/p' <<<"$line")"
    perm="$(sed -n 's/.* permaddr \([0-9a-f:]*\).*/\1/p' <<<"$line")"
    if [[ "$addr" == "$want" || "$perm" == "$want" ]]; then found+=("$name"); fi
  done < <(ip -o -d link show)
  ((${#found[@]} == 1)) || return 1
  printf '%s\n' "${found[0]}"
}

nic_exists() { ip link show dev "$1" >/dev/null 2>&1; }
nic_names() { ip -o link show | awk -F': ' '{sub(/@.*/, "", $2); printf "%s ", $2}'; }

# resolve_nics: NIC_<PURPOSE> for every MAC_<PURPOSE> in the settings; recorded in nics.env for
# the later stages and the network fix. After the network fix gives the provider NIC a new MAC,
# the recorded name is kept when that interface still exists.
resolve_nics() {
  local purpose macvar nicvar mac name content=""
  for purpose in MANAGEMENT PROVIDER PUBLIC; do
    macvar="MAC_$purpose"
    nicvar="NIC_$purpose"
    mac="${!macvar}"
    [[ -n "$mac" ]] || continue
    if name="$(nic_by_mac "$mac")"; then
      :
    elif [[ -n "${!nicvar}" ]] && nic_exists "${!nicvar}"; then
      name="${!nicvar}"
      log "no NIC has MAC $mac any more; keeping the recorded ${purpose,,} NIC $name (its MAC was changed)"
    else
      die "no single NIC has MAC $mac (${purpose,,}); NICs here: $(nic_names)"
    fi
    printf -v "$nicvar" '%s' "$name"
    content+="$nicvar='$name'"$'\n'
    log "${purpose,,} NIC is $name ($mac)"
  done
  printf '%s' "$content" | write_file "$OOA_NICS" 0644
}

# ---------------------------------------------------------------------------------------------
# Packages per family

pkg_installed() {
  case "$OS_FAMILY" in
    debian | ubuntu) [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]] ;;
    rhel) rpm -q --whatprovides "$1" >/dev/null 2>&1 ;;
    *) die "unknown OS family $OS_FAMILY" ;;
  esac
}

# pkg_install PKG...: installs what is missing. On Debian-family systems services are not started
# by the install itself (policy-rc.d): they start once configured, from svc_apply.
pkg_install() {
  local missing=() p
  for p in "$@"; do pkg_installed "$p" || missing+=("$p"); done
  ((${#missing[@]} > 0)) || return 0
  log "installing ${missing[*]}"
  case "$OS_FAMILY" in
    debian | ubuntu)
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
      chmod 0755 /usr/sbin/policy-rc.d
      local rc=0
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Options::=--force-confold "${missing[@]}" || rc=$?
      rm -f /usr/sbin/policy-rc.d
      ((rc == 0)) || die "apt-get install failed ($rc)"
      ;;
    rhel) $(rhel_pm) install -y "${missing[@]}" ;;
  esac
  changed "installed ${missing[*]}"
}

rhel_pm() { if command -v dnf >/dev/null 2>&1; then echo dnf; else echo yum; fi; }

# Debian's OpenStack packages ask debconf questions (database, RabbitMQ, endpoints): answered "no"
# here, everything is configured the install-guide way below.
debconf_preseed() {
  [[ "$OS_FAMILY" == debian ]] || return 0
  local p sel="" q
  for p in keystone glance placement nova neutron cinder swift horizon openstack-dashboard; do
    for q in configure_db dbconfig-install configure_rabbit configure_ksat configure_api-endpoint \
      register-endpoint create-admin-tenant configure_neutron configure_placement configure_nova; do
      sel+="$p $p/$q boolean false"$'\n'
    done
  done
  sel+="openstack-dashboard-apache horizon/use_ssl boolean false"$'\n'
  printf '%s' "$sel" | debconf-set-selections
  log "debconf answers set: the packages configure no database, RabbitMQ or endpoint (the stages do)"
}

# pkgs COMPONENT: the package names of a component on this OS.
pkgs() {
  local py=python3
  [[ "$OS_ID" == centos-7 ]] && py=python
  case "$OS_FAMILY:$1" in
    *:tools) [[ "$OS_FAMILY" == rhel ]] && echo "crudini $py-openstackclient openstack-selinux" || echo "crudini python3-openstackclient" ;;
    *:host) echo "chrony iptables curl" ;;
    rhel:mariadb) echo "mariadb mariadb-server $py-PyMySQL" ;;
    *:mariadb) echo "mariadb-server python3-pymysql" ;;
    *:rabbitmq) echo "rabbitmq-server" ;;
    rhel:memcached) echo "memcached $py-memcached" ;;
    *:memcached) echo "memcached python3-memcache" ;;
    debian:etcd) echo "etcd-server" ;;
    ubuntu:etcd) [[ "$OS_ID" == ubuntu-22.04 ]] && echo "etcd" || echo "etcd-server" ;;
    rhel:etcd) echo "etcd" ;;
    rhel:keystone) echo "openstack-keystone httpd $([[ "$OS_ID" == centos-7 ]] && echo mod_wsgi || echo python3-mod_wsgi)" ;;
    *:keystone) echo "keystone" ;;
    rhel:glance) echo "openstack-glance" ;;
    *:glance) echo "glance-api" ;;
    # Before Stein the Placement API was part of Nova (Rocky guide: openstack-nova-placement-api).
    rhel:placement) placement_in_nova && echo "openstack-nova-placement-api" || echo "openstack-placement-api" ;;
    *:placement) placement_in_nova && echo "nova-placement-api" || echo "placement-api" ;;
    rhel:nova-controller) echo "openstack-nova-api openstack-nova-conductor openstack-nova-novncproxy openstack-nova-scheduler" ;;
    # Debian ships the console proxies in one package (nova-novncproxy is only a virtual name).
    debian:nova-controller) echo "nova-api nova-conductor nova-consoleproxy nova-scheduler" ;;
    *:nova-controller) echo "nova-api nova-conductor nova-novncproxy nova-scheduler" ;;
    rhel:nova-compute) echo "openstack-nova-compute" ;;
    debian:nova-compute) echo "nova-compute nova-compute-$([[ "$VIRT_TYPE" == kvm ]] && echo kvm || echo qemu)" ;;
    ubuntu:nova-compute) echo "nova-compute $([[ "$VIRT_TYPE" == kvm ]] && echo nova-compute-kvm || echo nova-compute-qemu)" ;;
    rhel:neutron-server) echo "openstack-neutron openstack-neutron-ml2 ebtables ipset" ;;
    debian:neutron-server) echo "neutron-api neutron-rpc-server neutron-dhcp-agent neutron-metadata-agent neutron-l3-agent" ;;
    ubuntu:neutron-server) echo "neutron-server neutron-plugin-ml2 neutron-dhcp-agent neutron-metadata-agent neutron-l3-agent" ;;
    rhel:neutron-agent) [[ "$NETWORK_DRIVER" == openvswitch ]] && echo "openstack-neutron-openvswitch ipset" || echo "openstack-neutron-linuxbridge ebtables ipset" ;;
    *:neutron-agent) [[ "$NETWORK_DRIVER" == openvswitch ]] && echo "neutron-openvswitch-agent openvswitch-switch" || echo "neutron-linuxbridge-agent ebtables ipset" ;;
    rhel:horizon) echo "openstack-dashboard $(horizon_memcache_client)" ;;
    debian:horizon) echo "openstack-dashboard-apache $(horizon_memcache_client)" ;;
    ubuntu:horizon) echo "openstack-dashboard $(horizon_memcache_client)" ;;
    rhel:cinder-controller) echo "openstack-cinder" ;;
    *:cinder-controller) echo "cinder-api cinder-scheduler" ;;
    rhel:cinder-volume) echo "lvm2 device-mapper-persistent-data openstack-cinder targetcli" ;;
    *:cinder-volume) echo "lvm2 thin-provisioning-tools cinder-volume tgt" ;;
    rhel:swift-proxy) echo "openstack-swift-proxy $py-swiftclient $py-keystonemiddleware memcached" ;;
    *:swift-proxy) echo "swift swift-proxy python3-swiftclient python3-keystonemiddleware memcached" ;;
    rhel:swift-storage)
      local swift="openstack-swift-account openstack-swift-container openstack-swift-object"
      # From EL8 on rsyncd.service is in rsync-daemon (RDO's swift packages require only rsync).
      [[ "$OS_ID" == centos-7 ]] && echo "xfsprogs rsync $swift" || echo "xfsprogs rsync rsync-daemon $swift"
      ;;
    *:swift-storage) echo "xfsprogs rsync swift swift-account swift-container swift-object" ;;
    *) die "no package list for $1 on $OS_FAMILY" ;;
  esac
}

# units COMPONENT: the systemd units of a component on this OS. Debian runs the APIs as uwsgi
# services of their own; Ubuntu and RHEL put Keystone and Placement under Apache.
units() {
  local web=apache2 agent=linuxbridge
  [[ "$OS_FAMILY" == rhel ]] && web=httpd
  [[ "$NETWORK_DRIVER" == openvswitch ]] && agent=openvswitch
  case "$OS_FAMILY:$1" in
    rhel:chrony) echo chronyd ;;
    *:chrony) echo chrony ;;
    *:mariadb) echo mariadb ;;
    *:rabbitmq) echo rabbitmq-server ;;
    *:memcached) echo memcached ;;
    *:etcd) echo etcd ;;
    debian:keystone) echo keystone ;;
    *:keystone) echo "$web" ;;
    rhel:glance) echo openstack-glance-api ;;
    *:glance) echo glance-api ;;
    debian:placement) echo placement-api ;;
    *:placement) echo "$web" ;;
    rhel:nova-controller) echo "openstack-nova-api openstack-nova-scheduler openstack-nova-conductor openstack-nova-novncproxy" ;;
    debian:nova-controller) echo "nova-api nova-api-metadata nova-scheduler nova-conductor nova-novncproxy" ;;
    *:nova-controller) echo "nova-api nova-scheduler nova-conductor nova-novncproxy" ;;
    rhel:nova-compute) echo "$(libvirt_units) openstack-nova-compute" ;;
    *:nova-compute) echo "$(libvirt_units) nova-compute" ;;
    rhel:neutron-server) echo "neutron-server neutron-dhcp-agent neutron-metadata-agent neutron-l3-agent" ;;
    debian:neutron-server) echo "neutron-api neutron-rpc-server neutron-dhcp-agent neutron-metadata-agent neutron-l3-agent" ;;
    *:neutron-server) echo "neutron-server neutron-dhcp-agent neutron-metadata-agent neutron-l3-agent" ;;
    *:neutron-agent) echo "neutron-$agent-agent" ;;
    *:horizon) echo "$web" ;;
    rhel:cinder-controller) echo "openstack-cinder-api openstack-cinder-scheduler" ;;
    debian:cinder-controller) echo "cinder-api cinder-scheduler" ;;
    *:cinder-controller) echo "cinder-scheduler $web" ;;
    rhel:cinder-volume) echo "openstack-cinder-volume target" ;;
    *:cinder-volume) echo "cinder-volume tgt" ;;
    rhel:swift-proxy) echo "openstack-swift-proxy memcached" ;;
    *:swift-proxy) echo "swift-proxy memcached" ;;
    rhel:swift-storage | *:swift-storage)
      local p="" s t
      [[ "$OS_FAMILY" == rhel ]] && p=openstack-
      for s in account container object; do
        for t in "" -auditor -replicator; do printf '%sswift-%s%s ' "$p" "$s" "$t"; done
      done
      printf '%sswift-account-reaper %sswift-container-updater %sswift-object-updater rsyncd\n' "$p" "$p" "$p" |
        sed "s/ rsyncd$/ $([[ "$OS_FAMILY" == rhel ]] && echo rsyncd || echo rsync)/"
      ;;
    *) die "no unit list for $1 on $OS_FAMILY" ;;
  esac
}

# ---------------------------------------------------------------------------------------------
# Services

# unit_exists NAME: NAME.service, or NAME itself when it has a unit suffix (virtqemud.socket).
unit_exists() {
  local u="$1"
  [[ "$u" == *.socket || "$u" == *.service ]] || u+=.service
  [[ -n "$(systemctl list-unit-files --no-legend "$u" 2>/dev/null)" ]]
}

# svc_apply UNIT...: enabled (Debian leaves some disabled), started when not running, restarted
# when this stage changed configuration.
svc_apply() {
  local u
  for u in "$@"; do
    unit_exists "$u" || die "service $u is not installed"
    if ! systemctl is-enabled -q "$u" 2>/dev/null; then
      systemctl enable -q "$u"
      changed "enabled $u"
    fi
    if ! systemctl is-active -q "$u"; then
      systemctl restart "$u"
      changed "started $u"
    elif ((CONFIG_CHANGED)) && [[ "$u" != *.socket ]]; then
      # (A listening socket is not restarted: its daemon reads the configuration.)
      log "restarting $u (configuration changed)"
      systemctl restart "$u"
    fi
  done
}

# wait_until SECONDS DESCRIPTION COMMAND...: polls once a second.
wait_until() {
  local limit="$1" what="$2" start=$SECONDS
  shift 2
  until "$@" >/dev/null 2>&1; do
    ((SECONDS - start < limit)) || die "gave up after ${limit}s waiting for $what"
    sleep 1
  done
  log "$what: ready after $((SECONDS - start))s"
}

http_up() { curl -s -o /dev/null --max-time 5 "$1"; }

# uwsgi_processes: Debian's API services start 8-16 uwsgi processes each; 2 keep the whole
# controller near 4 GB (measured) instead of 10.
uwsgi_processes() {
  local f
  for f in "$@"; do
    [[ -f "$f" ]] && ini_set "$f" uwsgi processes 2
  done
  return 0
}

# nova_api_rabbit_heartbeat_thread: under uwsgi no eventlet hub runs between requests, so the
# RabbitMQ heartbeat (a green thread by default) starves; RabbitMQ drops the connection and, under
# Tempest's load, both API workers hung on it (measured: GET / timed out after 60 s, the log full of
# "AMQP server ... is unreachable"). oslo.messaging's own help says to run the heartbeat in a
# native thread for WSGI services only, so it goes into a file only the API loads (the conductor
# and scheduler, eventlet services reading nova.conf, keep the default).
nova_api_rabbit_heartbeat_thread() {
  local ini=/etc/nova/nova-api-uwsgi.ini
  [[ -f "$ini" ]] || return 0
  write_file /etc/nova/nova-api-wsgi.conf 0640 root:nova <<'EOC'
[oslo_messaging_rabbit]
heartbeat_in_pthread = true
EOC
  # nova's WSGI app reads the files named in OS_NOVA_CONFIG_FILES (default: api-paste.ini;nova.conf).
  ini_set "$ini" uwsgi env 'OS_NOVA_CONFIG_FILES=api-paste.ini;nova.conf;nova-api-wsgi.conf'
}

# ---------------------------------------------------------------------------------------------
# Repositories per package source

repo_setup() {
  case "$OS_FAMILY:$PACKAGE_SOURCE" in
    debian:distro)
      log "Debian $OS_CODENAME ships OpenStack $RELEASE_CODENAME itself: no extra repository"
      ;;
    debian:osbpo)
      pkg_install extrepo
      local name="openstack_$RELEASE_CODENAME"
      if [[ ! -f "/etc/apt/sources.list.d/extrepo_$name.sources" ]]; then
        extrepo enable "$name"
        changed "enabled the Debian OpenStack backports ($name)"
      fi
      ;;
    ubuntu:distro)
      log "Ubuntu $OS_CODENAME ships OpenStack $RELEASE_CODENAME itself: no extra repository"
      ;;
    ubuntu:uca)
      # One-line (22.04) or deb822 (24.04) format: the suite names the archive either way.
      if ! grep -rqsF "$OS_CODENAME-updates/$RELEASE_CODENAME" /etc/apt/sources.list.d/; then
        pkg_install software-properties-common
        add-apt-repository -y "cloud-archive:$RELEASE_CODENAME"
        changed "enabled the Ubuntu Cloud Archive for $RELEASE_CODENAME"
      fi
      ;;
    rhel:rdo)
      # `dnf config-manager` is a dnf-plugins-core command; minimal cloud images can lack it. No
      # EPEL on any EL9: the RDO packages guide recommends disabling it with RDO (its updates
      # break RDO's packages), and RDO carries all its dependencies itself.
      pkg_install dnf-plugins-core
      if ! pkg_installed "centos-release-openstack-$RELEASE_CODENAME" && ! pkg_installed rdo-release; then
        if dnf -q list --available "centos-release-openstack-$RELEASE_CODENAME" >/dev/null 2>&1; then
          pkg_install "centos-release-openstack-$RELEASE_CODENAME"
        else
          rdo_release_install
        fi
      fi
      if ! dnf repolist --enabled 2>/dev/null | grep -q '^crb'; then
        dnf config-manager --set-enabled crb
        changed "enabled the crb repository"
      fi
      ;;
    rhel:rdo-vault)
      # CentOS 7 is end of life: base, updates, extras and the cloud SIG live on vault.centos.org.
      local f
      for f in /etc/yum.repos.d/CentOS-*.repo; do
        [[ -f "$f" ]] || continue
        if grep -q '^mirrorlist=' "$f" || grep -q 'mirror.centos.org' "$f"; then
          sed -i -e 's/^mirrorlist=/#mirrorlist=/' \
            -e 's|^#\?baseurl=http://mirror.centos.org/|baseurl=http://vault.centos.org/|' \
            -e "s|vault.centos.org/centos/\\\$releasever/|vault.centos.org/7.9.2009/|" \
            -e "s|vault.centos.org/\\\$contentdir/\\\$releasever/|vault.centos.org/7.9.2009/|" "$f"
          changed "pointed $f at vault.centos.org"
        fi
      done
      pkg_install "centos-release-openstack-$RELEASE_CODENAME"
      for f in /etc/yum.repos.d/CentOS-*.repo; do
        if grep -q '^mirrorlist=' "$f" || grep -q 'mirror.centos.org' "$f"; then
          sed -i -e 's/^mirrorlist=/#mirrorlist=/' \
            -e 's|^#\?baseurl=http://mirror.centos.org/|baseurl=http://vault.centos.org/|' \
            -e 's|vault.centos.org/centos/7/|vault.centos.org/7.9.2009/|' "$f"
          changed "pointed $f at vault.centos.org"
        fi
      done
      ;;
    *) die "no repository setup for package source $PACKAGE_SOURCE on $OS_FAMILY" ;;
  esac
}

# rdo_release_install: the RDO packages guide's way for RHEL-family systems other than CentOS
# (used when this system's extras repository has no centos-release-openstack-<codename>): the
# rdo-release RPM. It sets up the newest RDO release only, so the release is checked.
rdo_release_install() {
  pkg_install https://trunk.rdoproject.org/rdo_release/rdo-release.el9s.rpm
  grep -rqs -- "openstack-$RELEASE_CODENAME" /etc/yum.repos.d/ ||
    die "no centos-release-openstack-$RELEASE_CODENAME here, and RDO's rdo-release sets up a newer release than $RELEASE_CODENAME (use centos-stream-9 for it)"
}

pkg_refresh() {
  case "$OS_FAMILY" in
    debian | ubuntu) apt-get update -q ;;
    rhel) $(rhel_pm) makecache -q ;;
  esac
}

# ---------------------------------------------------------------------------------------------
# Per-family locations and differences

mariadb_conf_path() {
  case "$OS_FAMILY" in
    rhel) echo /etc/my.cnf.d/openstack.cnf ;;
    *) echo /etc/mysql/mariadb.conf.d/99-openstack.cnf ;;
  esac
}

chrony_conf_path() { [[ "$OS_FAMILY" == rhel ]] && echo /etc/chrony.conf || echo /etc/chrony/chrony.conf; }

# memcached_listen IP: the guide's change from 127.0.0.1 to the management address.
memcached_listen() {
  local ip="$1"
  case "$OS_FAMILY" in
    rhel) ensure_block /etc/sysconfig/memcached listen <<<"OPTIONS=\"-l 127.0.0.1,::1,$ip\"" ;;
    *)
      local f=/etc/memcached.conf
      if ! grep -qx -- "-l $ip" "$f"; then
        sed -e '/^-l /d' "$f" | {
          cat
          echo "-l $ip"
        } | write_file "$f" 0644
      fi
      ;;
  esac
}

etcd_conf_path() { [[ "$OS_FAMILY" == rhel ]] && echo /etc/etcd/etcd.conf || echo /etc/default/etcd; }

# Where the dashboard answers: /dashboard on RDO, /horizon on Debian and Ubuntu.
horizon_path() { [[ "$OS_FAMILY" == rhel ]] && echo dashboard || echo horizon; }

# Django's memcached backend for the dashboard's sessions: PyMemcacheCache (pymemcache) exists from
# Django 3.2, which Horizon needs from Yoga on; older Horizon (Django 1.11 in Rocky) has only
# MemcachedCache (python-memcached), the value its install guide gives.
horizon_cache_backend() {
  if release_before yoga; then
    echo django.core.cache.backends.memcached.MemcachedCache
  else
    echo django.core.cache.backends.memcached.PyMemcacheCache
  fi
}

# The client library horizon_cache_backend needs (RDO's dashboard requires only python3-memcached).
horizon_memcache_client() {
  if ! release_before yoga; then
    echo python3-pymemcache
  elif [[ "$OS_FAMILY" == rhel ]]; then
    [[ "$OS_ID" == centos-7 ]] && echo python-memcached || echo python3-memcached
  else
    echo python3-memcache
  fi
}

horizon_settings_path() {
  case "$OS_FAMILY" in
    rhel) echo /etc/openstack-dashboard/local_settings ;;
    *) echo /etc/openstack-dashboard/local_settings.py ;;
  esac
}

# web_wsgi_setup COMPONENT: Ubuntu and RHEL serve Keystone/Placement from Apache; Debian has uwsgi.
web_wsgi_setup() {
  case "$OS_FAMILY:$1" in
    rhel:keystone)
      [[ -e /etc/httpd/conf.d/wsgi-keystone.conf ]] || {
        ln -s /usr/share/keystone/wsgi-keystone.conf /etc/httpd/conf.d/
        changed "linked wsgi-keystone.conf into httpd"
      }
      ensure_block /etc/httpd/conf/httpd.conf servername <<<"ServerName $CONTROLLER_NAME"
      ;;
    ubuntu:keystone)
      ensure_block /etc/apache2/apache2.conf servername <<<"ServerName $CONTROLLER_NAME"
      ;;
    rhel:placement)
      # RDO's placement vhost lacks access to its own script directory. Before Stein it is Nova's
      # 00-nova-placement-api.conf (Rocky install guide: "Due to a packaging bug ...").
      local vhost=/etc/httpd/conf.d/00-placement-api.conf
      if placement_in_nova; then vhost=/etc/httpd/conf.d/00-nova-placement-api.conf; fi
      ensure_block "$vhost" access <<'EOF'
<Directory /usr/bin>
  <IfVersion >= 2.4>
    Require all granted
  </IfVersion>
</Directory>
EOF
      ;;
    rhel:horizon)
      # RDO guide, Dashboard step 3: the dashboard runs in the main interpreter (RDO's shipped
      # openstack-dashboard.conf lacks the line).
      ensure_block /etc/httpd/conf.d/openstack-dashboard.conf wsgi <<<'WSGIApplicationGroup %{GLOBAL}'
      ;;
    ubuntu:horizon)
      # Ubuntu's package compresses the dashboard's assets offline (COMPRESS_OFFLINE = True) in its
      # postinst, for the settings of that moment: after the settings change the login page fails
      # with OfflineGenerationError (HTTP 500) until `manage.py compress` runs again, as the postinst
      # does. A stamp with the settings' checksum makes it run once per settings version.
      local stamp=/var/lib/openstack-dashboard/.openstack-on-aws-compressed sum
      sum="$(sha256sum "$(horizon_settings_path)" | cut -d' ' -f1)"
      if [[ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]]; then
        log "compressing the dashboard's assets for its settings (manage.py compress)"
        /usr/share/openstack-dashboard/manage.py compress --force >/dev/null
        echo "$sum" >"$stamp"
        CONFIG_CHANGED=1
        changed "compressed the dashboard's assets for the current settings"
      fi
      ;;
    debian:horizon)
      # openstack-dashboard-apache enables default-ssl without mod_ssl (Apache then refuses to
      # start); the dashboard is served over HTTP at /horizon by its alias-only site.
      if [[ -e /etc/apache2/sites-enabled/default-ssl.conf && ! -e /etc/apache2/mods-enabled/ssl.load ]]; then
        a2dissite -q default-ssl
        CONFIG_CHANGED=1
        changed "disabled Apache's default-ssl site (no mod_ssl)"
      fi
      ;;
    debian:keystone) uwsgi_processes /etc/keystone/keystone-uwsgi.ini ;;
    debian:placement) uwsgi_processes /etc/placement/placement-uwsgi.ini ;;
    debian:nova-controller)
      uwsgi_processes /etc/nova/nova-api-uwsgi.ini /etc/nova/nova-api-metadata-uwsgi.ini
      nova_api_rabbit_heartbeat_thread
      # nova-consoleproxy starts only the proxy named here (Debian's default is spicehtml5).
      local d=/etc/default/nova-consoleproxy
      if [[ -f $d ]] && ! grep -qx 'NOVA_CONSOLE_PROXY_TYPE=novnc' $d; then
        sed 's/^NOVA_CONSOLE_PROXY_TYPE=.*/NOVA_CONSOLE_PROXY_TYPE=novnc/' $d | write_file $d 0644
      fi
      ;;
    debian:neutron-server) uwsgi_processes /etc/neutron/neutron-api-uwsgi.ini ;;
    debian:cinder-controller) uwsgi_processes /etc/cinder/cinder-api-uwsgi.ini ;;
    debian:glance) uwsgi_processes /etc/glance/glance-api-uwsgi.ini ;;
    *) : ;;
  esac
}

# The iSCSI target helper Cinder's LVM driver uses: tgt on Debian/Ubuntu, LIO on RHEL.
cinder_target_helper() { [[ "$OS_FAMILY" == rhel ]] && echo lioadm || echo tgtadm; }

# Where Neutron's linuxbridge/openvswitch agent configuration lives.
neutron_agent_ini() {
  [[ "$NETWORK_DRIVER" == openvswitch ]] && echo /etc/neutron/plugins/ml2/openvswitch_agent.ini ||
    echo /etc/neutron/plugins/ml2/linuxbridge_agent.ini
}

# RHEL needs the ML2 plugin link the install guide makes; firewalld would block the VPC traffic.
family_network_fixups() {
  [[ "$OS_FAMILY" == rhel ]] || return 0
  if [[ ! -e /etc/neutron/plugin.ini && -f /etc/neutron/plugins/ml2/ml2_conf.ini ]]; then
    ln -s /etc/neutron/plugins/ml2/ml2_conf.ini /etc/neutron/plugin.ini
    changed "linked /etc/neutron/plugin.ini"
  fi
}

firewall_open() {
  if unit_exists firewalld && systemctl is-active -q firewalld; then
    systemctl disable --now firewalld
    changed "stopped firewalld (the VPC's security groups filter instead)"
  fi
}

# Placement before Stein was part of Nova (Rocky guide, Compute chapter): the API is Nova's
# nova-placement-api, reads nova.conf, and `nova-manage api_db sync` fills its database together
# with nova_api. From Stein on it is the placement project with /etc/placement/placement.conf.
placement_in_nova() { release_before stein; }
placement_conf_path() { placement_in_nova && echo /etc/nova/nova.conf || echo /etc/placement/placement.conf; }
placement_db_sync() {
  if placement_in_nova; then
    log "nova-manage api_db sync (the nova_api and placement databases)"
    run_as nova "nova-manage api_db sync"
  else
    log "placement-manage db sync"
    run_as placement "placement-manage db sync"
  fi
}

# glance_store_conf FILE: the local file store under /var/lib/glance/images/. The multi-store
# options (enabled_backends) were experimental before Stein; the Rocky guide uses the single-store
# [glance_store] stores/default_store.
glance_store_conf() {
  local f="$1" dir=/var/lib/glance/images/
  if release_before stein; then
    ini_set "$f" glance_store stores file,http
    ini_set "$f" glance_store default_store file
    ini_set "$f" glance_store filesystem_store_datadir "$dir"
  else
    ini_set "$f" DEFAULT enabled_backends "fs:file"
    ini_set "$f" glance_store default_backend fs
    ini_set "$f" fs filesystem_store_datadir "$dir"
  fi
}

# rabbitmq_add_user NAME PASSWORD_VARIABLE: the password (read from the named variable, so no
# trace line carries it) on stdin, so it is in no process's argument list: rabbitmqctl 3.7+ reads
# it from there. CentOS 7's RabbitMQ 3.6 (RDO Rocky) has no stdin form: its add_user takes both
# arguments, as in the guide; then without a trace and without output.
rabbitmq_add_user() {
  { local trace=0 && [[ $- == *x* ]] && trace=1 && set +x; } 2>/dev/null
  local name="$1" rc=0
  if [[ "$OS_ID" == centos-7 ]]; then
    rabbitmqctl -q add_user "$name" "${!2}" >/dev/null 2>&1 || rc=$?
  else
    printf '%s' "${!2}" | rabbitmqctl -q add_user "$name" >/dev/null || rc=$?
  fi
  if ((trace)); then set -x; fi
  ((rc == 0)) || die "rabbitmqctl add_user $name failed ($rc)"
}

# selinux_relabel PATH: SELinux's default labels under PATH. A filesystem made and mounted by a
# stage carries none, and confined services (swift, rsyncd) are then denied. No-op without SELinux.
selinux_relabel() {
  if ! command -v selinuxenabled >/dev/null 2>&1 || ! selinuxenabled; then return 0; fi
  if [[ -n "$(restorecon -R -v "$1")" ]]; then changed "restored the SELinux labels under $1"; fi
}

# networkmanager_unmanage NIC MAC: NetworkManager (EL9's default) leaves the provider NIC alone,
# now and after a reboot: `nmcli device set ... managed no` does not persist, a conf.d file does.
# Matched by name and by MAC (the network fix gives the NIC a new MAC later).
networkmanager_unmanage() {
  local nic="$1" mac="$2" match
  [[ -d /etc/NetworkManager ]] || return 0
  match="interface-name:$nic"
  if [[ -n "$mac" ]]; then match+=";mac:$mac"; fi
  write_file /etc/NetworkManager/conf.d/90-openstack-on-aws.conf 0644 <<EOF
# Written by openstack-on-aws: the provider NIC carries Neutron's bridge, without an address.
[keyfile]
unmanaged-devices=$match
EOF
  if command -v nmcli >/dev/null 2>&1 && systemctl is-active -q NetworkManager; then
    if [[ "$(nmcli -g GENERAL.STATE device show "$nic" 2>/dev/null)" != *unmanaged* ]]; then
      nmcli device set "$nic" managed no
      changed "NetworkManager leaves $nic alone"
    fi
  fi
}

# The Python that has keystoneauth1 (installed with the OpenStack client).
os_python() { [[ "$OS_ID" == centos-7 ]] && echo python2 || echo python3; }

# libvirt_units: the libvirt daemons nova-compute talks to. On EL9 RDO's openstack-nova-compute
# (yoga-rdo and later) requires only the modular driver packages (libvirt-daemon-driver-qemu,
# -secret, -nodedev, -nwfilter, -storage-core), not libvirt-daemon with the monolithic libvirtd;
# from libvirt 9 on the drivers no longer pull it in either, and EL9 enables the modular daemons
# by preset. So: virtqemud (it starts virtlogd through its socket) and the sockets of the
# secondary drivers it calls, which start their daemons on demand. Elsewhere libvirtd.
libvirt_units() {
  if [[ "$OS_FAMILY" == rhel && "$OS_ID" != centos-7 ]]; then
    echo "virtqemud virtsecretd.socket virtnodedevd.socket virtstoraged.socket virtnwfilterd.socket"
  else
    echo libvirtd
  fi
}

# ---------------------------------------------------------------------------------------------
# Kernel settings (tolerant inside containers where /proc/sys may be read-only for some keys)

sysctl_set() {
  local key="$1" value="$2" file="/etc/sysctl.d/60-openstack-on-aws.conf"
  local current
  current="$(grep -v "^${key}[[:space:]]*=" "$file" 2>/dev/null || true)"
  printf '%s\n%s = %s\n' "$current" "$key" "$value" | sed '/^$/d' | sort -u | write_file "$file" 0644
  if [[ "$(sysctl -n "$key" 2>/dev/null || true)" != "$value" ]]; then
    if sysctl -q -w "$key=$value" >/dev/null 2>&1; then
      changed "sysctl $key=$value"
    else
      log "cannot set $key here (read-only /proc/sys in a container?); left as $(sysctl -n "$key" 2>/dev/null || echo unknown)"
    fi
  fi
}

# ---------------------------------------------------------------------------------------------
# Database

# SQL on stdin, as the socket-authenticated root.
mysql_root() { mysql --protocol=socket -u root -N -B; }
mysql_ping() { mysql_root <<<'SELECT 1'; }

# db_ensure DB USER PASSWORD: database and its user (localhost and any host), as in the guide.
# The SQL travels on stdin, so the password is in no process's argument list.
db_ensure() {
  local db="$1" user="$2" pass="$3" have_db have_user
  have_db="$(mysql_root <<<"SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name='$db';")"
  have_user="$(mysql_root <<<"SELECT COUNT(*) FROM mysql.user WHERE user='$user';")"
  if [[ "$have_db" == 1 && "$have_user" == 2 ]]; then
    log "database $db and its user exist"
    return 0
  fi
  mysql_root <<EOF
CREATE DATABASE IF NOT EXISTS \`$db\`;
GRANT ALL PRIVILEGES ON \`$db\`.* TO '$user'@'localhost' IDENTIFIED BY '$pass';
GRANT ALL PRIVILEGES ON \`$db\`.* TO '$user'@'%' IDENTIFIED BY '$pass';
FLUSH PRIVILEGES;
EOF
  changed "created database $db and user $user"
}

# run_as USER COMMAND: the guide's `su -s /bin/sh -c "..." user` for the db sync commands.
run_as() {
  local user="$1"
  shift
  su -s /bin/sh -c "$*" "$user"
}

# ---------------------------------------------------------------------------------------------
# Keystone objects (the guide's `openstack ... create`, made idempotent)

os_admin() {
  [[ -r "$OOA_ADMIN_RC" ]] || die "$OOA_ADMIN_RC is missing: the keystone stage writes it"
  # shellcheck disable=SC1090
  . "$OOA_ADMIN_RC"
}

os_exists() { openstack "$@" >/dev/null 2>&1; }

os_ensure_project() {
  local name="$1" desc="$2"
  os_exists project show "$name" --domain default ||
    {
      openstack project create --domain default --description "$desc" "$name" >/dev/null
      changed "created project $name"
    }
}

os_ensure_role() {
  os_exists role show "$1" || {
    openstack role create "$1" >/dev/null
    changed "created role $1"
  }
}

# os_ensure_user NAME PASSWORD: created through the Identity API from Python with the password in
# the environment, because `openstack user create --password` would put it in argv.
os_ensure_user() {
  local name="$1" pass="$2"
  os_exists user show "$name" --domain default && return 0
  OOA_NEW_USER="$name" OOA_NEW_PASSWORD="$pass" "$(os_python)" - <<'PY'
import os
from keystoneauth1 import session
from keystoneauth1.identity import v3
auth = v3.Password(auth_url=os.environ['OS_AUTH_URL'], username=os.environ['OS_USERNAME'],
                   password=os.environ['OS_PASSWORD'], project_name=os.environ['OS_PROJECT_NAME'],
                   user_domain_name=os.environ['OS_USER_DOMAIN_NAME'],
                   project_domain_name=os.environ['OS_PROJECT_DOMAIN_NAME'])
s = session.Session(auth=auth)
s.post(os.environ['OS_AUTH_URL'].rstrip('/') + '/users',
       json={'user': {'name': os.environ['OOA_NEW_USER'], 'domain_id': 'default',
                      'password': os.environ['OOA_NEW_PASSWORD'], 'enabled': True}})
PY
  changed "created user $name"
}

# os_grant USER PROJECT ROLE: only when the assignment is missing.
os_grant() {
  local user="$1" project="$2" role="$3"
  if [[ -z "$(openstack role assignment list --user "$user" --user-domain default --project "$project" \
    --project-domain default --role "$role" -f value -c Role 2>/dev/null)" ]]; then
    openstack role add --project "$project" --user "$user" "$role"
    changed "granted $role on $project to $user"
  fi
}

os_ensure_service() {
  local name="$1" type="$2" desc="$3"
  os_exists service show "$type" || {
    openstack service create --name "$name" --description "$desc" "$type" >/dev/null
    changed "created service $name ($type)"
  }
}

# os_ensure_endpoints TYPE PORT_AND_PATH: public on the controller's public address, internal and
# admin on the controller's management name (the guide's three endpoints).
os_ensure_endpoints() {
  local type="$1" path="$2" iface url current id
  for iface in public internal admin; do
    if [[ "$iface" == public ]]; then url="http://${PUBLIC_ADDRESS}:$path"; else url="http://${CONTROLLER_NAME}:$path"; fi
    current="$(openstack endpoint list --service "$type" --interface "$iface" -f value -c ID -c URL 2>/dev/null | head -n1)"
    id="${current%% *}"
    if [[ -z "$current" ]]; then
      openstack endpoint create --region RegionOne "$type" "$iface" "$url" >/dev/null
      changed "created $iface endpoint of $type: $url"
    elif [[ "${current#* }" != "$url" ]]; then
      openstack endpoint set --url "$url" "$id"
      changed "moved $iface endpoint of $type to $url"
    fi
  done
}

# keystone_authtoken FILE USER PASSWORD: the [keystone_authtoken] block every service carries.
keystone_authtoken() {
  local f="$1" user="$2" pass="$3" s=keystone_authtoken
  ini_set "$f" $s www_authenticate_uri "http://$CONTROLLER_NAME:5000"
  ini_set "$f" $s auth_url "http://$CONTROLLER_NAME:5000"
  ini_set "$f" $s memcached_servers "$CONTROLLER_NAME:11211"
  ini_set "$f" $s auth_type password
  ini_set "$f" $s project_domain_name Default
  ini_set "$f" $s user_domain_name Default
  ini_set "$f" $s project_name service
  ini_set "$f" $s username "$user"
  ini_set "$f" $s password "$pass"
  # Debian's files preset regionOne, which the catalog does not have (bootstrap made RegionOne).
  ini_set "$f" $s region_name RegionOne
}

# service_auth FILE SECTION USER PASSWORD [extra region line]: the guide's [placement]/[neutron]/
# [nova] client blocks.
service_auth() {
  local f="$1" s="$2" user="$3" pass="$4"
  ini_set "$f" "$s" auth_url "http://$CONTROLLER_NAME:5000"
  ini_set "$f" "$s" auth_type password
  ini_set "$f" "$s" project_domain_name Default
  ini_set "$f" "$s" user_domain_name Default
  ini_set "$f" "$s" region_name RegionOne
  ini_set "$f" "$s" project_name service
  ini_set "$f" "$s" username "$user"
  ini_set "$f" "$s" password "$pass"
}

transport_url() { echo "rabbit://openstack:${PASS_RABBITMQ}@${CONTROLLER_NAME}:5672/"; }

# ---------------------------------------------------------------------------------------------
# Disks: found by the provider's serial (EBS volume id on Nitro) or by size, never by name.

# disk_for LABEL_OR_PURPOSE: the whole-disk device for a DISKS entry "purpose:label:sizeGiB:serial:path".
disk_for() {
  local want="$1" entry purpose label size serial path dev
  for entry in $DISKS; do
    IFS=: read -r purpose label size serial path <<<"$entry"
    [[ "$label" == "$want" || "$purpose" == "$want" ]] || continue
    if [[ -n "$path" && -b "$path" ]]; then
      echo "$path"
      return 0
    fi
    if [[ -n "$serial" ]]; then
      # KNAME, not PATH: CentOS 7's util-linux has no PATH column.
      dev="$(lsblk -dn -o KNAME,SERIAL | awk -v s="${serial//-/}" '$2 == s { print "/dev/" $1; exit }')"
      if [[ -n "$dev" ]]; then
        echo "$dev"
        return 0
      fi
    fi
    # By size: an unpartitioned whole disk of exactly that size that holds no mounted filesystem
    # and is not the root disk. With two disks of one size the order of their names decides, which
    # is fine: both are empty and get the same treatment.
    local taken=" ${DISKS_TAKEN:-} " bytes=$((size * 1024 * 1024 * 1024))
    dev="$(lsblk -dbn -o KNAME,SIZE,TYPE | awk -v b="$bytes" '$2 == b && $3 == "disk" { print "/dev/" $1 }' |
      while read -r d; do
        [[ "$taken" == *" $d "* ]] && continue
        [[ -n "$(lsblk -n -o MOUNTPOINT "$d" | tr -d '[:space:]')" ]] && continue
        echo "$d"
        break
      done)"
    if [[ -n "$dev" ]]; then
      echo "$dev"
      return 0
    fi
    return 1
  done
  return 1
}

# time_sync: chrony; the controller follows the provider's time source and serves the VPC, the
# other nodes follow the controller only (install guide, "Network Time Protocol").
time_sync() {
  local conf
  conf="$(chrony_conf_path)"
  if is_controller; then
    ensure_block "$conf" openstack <<<"allow $MANAGEMENT_CIDR"
  else
    local own="server $CONTROLLER_NAME iburst"
    if grep -E '^(pool|server) ' "$conf" | grep -vqxF "$own"; then
      sed -E "\\|^$own\$|! s/^(pool|server) /#&/" "$conf" | write_file "$conf" 0644
    fi
    ensure_block "$conf" openstack <<<"server $CONTROLLER_NAME iburst"
  fi
  if in_container; then
    # chronyd cannot set the clock in a container (no CAP_SYS_TIME); the host keeps the time.
    log "in a container: chrony configured, not started"
  else
    svc_apply "$(units chrony)"
  fi
}

# neutron_agent_setup: the layer-2 agent on controller and compute nodes (install guide, option 2):
# the provider physical network on the provider NIC found by MAC, VXLAN over the management
# address, security groups through iptables, and the bridge netfilter sysctls.
# network-fix routed (issue 15): on the controller the provider physical network is a bridge
# WITHOUT the provider NIC (br-provider, for both drivers); the network fix routes between them.
routed_external() { [[ "$NETWORK_FIX" == routed ]] && is_controller; }

# routed_linux_bridge: br-provider as a Linux bridge, made by a unit before the agent starts (the
# linuxbridge agent stops when a mapped bridge is missing), now and at every boot.
routed_linux_bridge() {
  write_file /etc/systemd/system/ooa-external-bridge.service 0644 <<'EOF'
[Unit]
Description=openstack-on-aws: the external network's bridge (network-fix routed: eth1 is routed, not bridged)
Before=neutron-linuxbridge-agent.service
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'ip link show br-provider >/dev/null 2>&1 || ip link add br-provider type bridge; ip link set br-provider up'
[Install]
WantedBy=multi-user.target
EOF
  systemctl daemon-reload
  svc_apply ooa-external-bridge.service
}

neutron_agent_setup() {
  local f
  f="$(neutron_agent_ini)"
  [[ -n "$NIC_PROVIDER" ]] || die "no provider NIC in the settings of $NODE_NAME"
  if [[ "$NETWORK_DRIVER" == openvswitch ]]; then
    svc_apply "$([[ "$OS_FAMILY" == rhel ]] && echo openvswitch || echo openvswitch-switch)"
    if ! ovs-vsctl br-exists br-provider; then
      ovs-vsctl add-br br-provider
      changed "created OVS bridge br-provider"
    fi
    if routed_external; then
      if ovs-vsctl list-ports br-provider | grep -qx "$NIC_PROVIDER"; then
        ovs-vsctl del-port br-provider "$NIC_PROVIDER"
        changed "detached $NIC_PROVIDER from br-provider (network-fix routed)"
      fi
    elif ! ovs-vsctl list-ports br-provider | grep -qx "$NIC_PROVIDER"; then
      ovs-vsctl add-port br-provider "$NIC_PROVIDER"
      changed "attached $NIC_PROVIDER to br-provider"
    fi
    ini_set "$f" ovs bridge_mappings "$PHYSICAL_NETWORK:br-provider"
    ini_set "$f" ovs local_ip "$MANAGEMENT_IP"
    ini_set "$f" agent tunnel_types vxlan
    ini_set "$f" agent l2_population true
    ini_set "$f" securitygroup enable_security_group true
    ini_set "$f" securitygroup firewall_driver openvswitch
  elif routed_external; then
    routed_linux_bridge
    ini_del "$f" linux_bridge physical_interface_mappings
    ini_set "$f" linux_bridge bridge_mappings "$PHYSICAL_NETWORK:br-provider"
  else
    ini_set "$f" linux_bridge physical_interface_mappings "$PHYSICAL_NETWORK:$NIC_PROVIDER"
    ini_set "$f" vxlan enable_vxlan true
    ini_set "$f" vxlan local_ip "$MANAGEMENT_IP"
    ini_set "$f" vxlan l2_population true
    ini_set "$f" securitygroup enable_security_group true
    ini_set "$f" securitygroup firewall_driver neutron.agent.linux.iptables_firewall.IptablesFirewallDriver
    modprobe br_netfilter 2>/dev/null || true
    sysctl_set net.bridge.bridge-nf-call-iptables 1
    sysctl_set net.bridge.bridge-nf-call-ip6tables 1
  fi
}

# nova_common_conf FILE: the part of nova.conf the controller and the compute nodes share
# (messaging, my_ip, Keystone auth and the service user token).
nova_common_conf() {
  local conf="$1"
  ini_set "$conf" DEFAULT transport_url "$(transport_url)"
  ini_set "$conf" DEFAULT my_ip "$MANAGEMENT_IP"
  ini_set "$conf" api auth_strategy keystone
  keystone_authtoken "$conf" nova "$PASS_NOVA"
  ini_set "$conf" service_user send_service_user_token true
  ini_set "$conf" service_user auth_url "http://$CONTROLLER_NAME:5000/v3"
  ini_set "$conf" service_user auth_strategy keystone
  ini_set "$conf" service_user auth_type password
  ini_set "$conf" service_user project_domain_name Default
  ini_set "$conf" service_user user_domain_name Default
  ini_set "$conf" service_user project_name service
  ini_set "$conf" service_user username nova
  ini_set "$conf" service_user password "$PASS_NOVA"
  if [[ "$HAS_BLOCK" == 1 ]]; then nova_uses_cinder "$conf"; fi
}

# nova_uses_cinder FILE: Nova's [cinder] section (the guide's os_region_name), on the internal
# endpoint: Nova's default is the PUBLIC one, the controller's elastic IP, which the nodes cannot
# reach from inside the VPC (the same trap broke Neutron's notifications to Nova).
nova_uses_cinder() {
  ini_set "$1" cinder os_region_name RegionOne
  ini_set "$1" cinder catalog_info volumev3:cinderv3:internalURL
}

# cinder_common_conf FILE: the part of cinder.conf the controller and the block node share.
cinder_common_conf() {
  local f="$1"
  ini_set "$f" database connection "mysql+pymysql://cinder:${PASS_CINDER_DB}@${CONTROLLER_NAME}/cinder"
  ini_set "$f" DEFAULT transport_url "$(transport_url)"
  ini_set "$f" DEFAULT auth_strategy keystone
  ini_set "$f" DEFAULT my_ip "$MANAGEMENT_IP"
  keystone_authtoken "$f" cinder "$PASS_CINDER"
  ini_set "$f" oslo_concurrency lock_path /var/lib/cinder/tmp
  # Volume events go to Nova's internal endpoint, not the public one (unreachable from the VPC).
  ini_set "$f" nova interface internal
  ini_set "$f" nova region_name RegionOne
}

# swift_conf: /etc/swift/swift.conf, identical on the proxy and the storage nodes (the hash
# prefix and suffix are per-stack secrets).
swift_conf() {
  write_file /etc/swift/swift.conf 0640 root:swift <<EOC
[swift-hash]
swift_hash_path_suffix = $PASS_SWIFT_HASH_SUFFIX
swift_hash_path_prefix = $PASS_SWIFT_HASH_PREFIX

[storage-policy:0]
name = Policy-0
default = yes
EOC
}
