# shellcheck shell=bash
# The generic half of the stage library, sourced by lib.sh (DevStack keeps the same in functions-common):
# the settings contract, logging and the stage frame, release order, idempotent file and ini edits,
# NICs found by MAC, kernel settings, disks and time sync. Nothing here names an OpenStack service.

# ---------------------------------------------------------------------------------------------
# The settings contract (written by src/remote/node-settings.ts). Declared here with empty
# defaults so every stage sees the full list, and shellcheck knows every name.
settings_defaults() {
  STACK_ID="${STACK_ID:-}"
  NODE_NAME="${NODE_NAME:-}"
  NODE_ROLE="${NODE_ROLE:-}"
  NODE_STAGES="${NODE_STAGES:-}"
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

# log is the stage's progress line: "HH:MM:SS [<stage>] text" is the one format the runner shows
# (src/remote/stage-output.ts); everything else a stage prints (apt, dnf, services) goes to the
# node's log file only. So log says what a step does, not what a package manager printed.
log() { printf '%s [%s] %s\n' "$(date -u +%H:%M:%S)" "$STAGE" "$*"; }
die() {
  log "ERROR: $*"
  exit 1
}
changed() {
  CHANGES+=("$*")
  log "changed: $*"
}

# Runs the calling script once more with all its output copied to /var/log/openstack-on-aws/<stage>.log
# (appended per run, collected by the log bundle); the runner shows only the log lines of it, and
# the last lines of all of it when the stage fails. Then loads settings.
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
OOA_RELEASES="rocky stein train ussuri victoria wallaby xena yoga zed antelope bobcat caracal dalmatian epoxy flamingo gazpacho hibiscus"

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
    # shellcheck disable=SC2034 # read by the stage scripts (lib.sh declares it)
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
