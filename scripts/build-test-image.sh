#!/usr/bin/env bash
# Builds the small bootable raw disk the local end-to-end run uploads to Glance and boots with Nova,
# without downloading anything but Debian packages through apt (the internet is out of reach here).
#
#   scripts/build-test-image.sh [OUTPUT_DIR]      prints the image path (default dir: build/test-image)
#
# The disk is one FAT file system without a partition table (a "superfloppy"; SeaBIOS boots its boot
# sector): syslinux, Debian's own kernel from the linux-image-amd64 package, and a busybox initramfs
# whose /init, as PID 1:
#   - loads the virtio NIC/disk/SCSI, IDE/AHCI CD-ROM, iso9660 and vfat drivers (what QEMU/libvirt
#     attach a config drive with), brings eth0 up with udhcpc (address, router, MTU, static routes, DNS);
#   - reads the instance's public SSH key and hostname from the config drive (label config-2,
#     openstack/latest/meta_data.json) or else from the metadata service at 169.254.169.254
#     (OpenStack JSON first, then the EC2-style paths);
#   - generates SSH host keys (ed25519, ecdsa) and starts dropbear (Debian's dropbear-bin) on TCP 22,
#     public-key logins only (ed25519, ECDSA, or RSA as Nova generates it, signed with rsa-sha2-256
#     or ssh-rsa: dropbear 2022.83 has no rsa-sha2-512), no root login;
#   - prints "<hostname> login:" on the serial console (what Nova's console log check looks for).
#
# The login: user `ooa` (uid 1000, shell /bin/sh, home /home/ooa, key in ~/.ssh/authorized_keys);
# src/smoke/test-image.ts exports the name for the TypeScript side. `sudo CMD...` runs CMD as root:
# a shim over busybox `su` (busybox is setuid root and drops root for every applet not marked as
# needing it, such as sh; root's password is empty, which dropbear never accepts for a login).
# A real sudo would need PAM and its dlopen'ed modules; the shim is a few lines, and the image's
# only user may do everything anyway.
# `curl` is a shim over busybox wget for the way Tempest uses it (`curl URL`, `curl -V`, `curl -X POST
# -d DATA URL` to the metadata service's password path): a real curl pulls ~30 shared libraries
# (TLS, HTTP/2, LDAP, Kerberos) into a tiny image.
# blkid and lsblk are util-linux's (Tempest runs `blkid -L config-2 -o device` and `lsblk -lb
# --nodeps`, which busybox lacks); `mkfs -t vfat|ext2` is a shim over busybox's mkdosfs/mke2fs.
# Needs root for apt-get only when a tool is missing (see `tools` below). Rebuilds only when the
# kernel package, this script or a host package whose files it copies changes (all in the cache key).
set -euo pipefail

out_dir="${1:-build/test-image}"
image="$out_dir/ooa-test-disk.img"
# zstd and xz-utils decompress a kernel's modules when they are .ko.zst or .ko.xz.
tools=(syslinux syslinux-common mtools dosfstools busybox-static cpio dropbear-bin util-linux kmod zstd xz-utils)
# The host binaries copied into the image with their shared libraries (see copy_binary).
host_binaries=(/usr/sbin/dropbear /usr/bin/dropbearkey /sbin/blkid /usr/bin/lsblk)

log() { printf 'build-test-image: %s\n' "$*" >&2; }

missing=()
for p in "${tools[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
    { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; }
fi

# Debian's kernel: the package linux-image-amd64 depends on, fetched (not installed) with apt.
kpkg="$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')"
[[ -n "$kpkg" ]] || { log "apt knows no linux-image-amd64 (run apt-get update)"; exit 1; }
# The package owning each library a copied binary links (dpkg knows a usr-merged library by
# either path, so both are asked).
library_packages() {
  local lib
  for lib in $(ldd "${host_binaries[@]}" 2>/dev/null | grep -o '/[^ ]*' | sort -u); do
    { dpkg -S "$lib" 2>/dev/null || dpkg -S "/usr$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")" 2>/dev/null; } |
      head -n1 | cut -d: -f1
  done | sort -u
}
# Rebuild when the kernel, this script, or any host package whose files go into the image changes.
mapfile -t key_packages < <({ printf '%s\n' "${tools[@]}"; library_packages; } | sort -u)
cache_key="$kpkg $(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1) $(dpkg-query -W "${key_packages[@]}" | tr '\t\n' '= ')"
if [[ -f "$out_dir/.cache-key" && "$(cat "$out_dir/.cache-key")" == "$cache_key" && -f "$image" ]]; then
  log "up to date ($kpkg, same script, same host packages)"
  printf '%s\n' "$(cd "$out_dir" && pwd)/$(basename "$image")"
  exit 0
fi

mkdir -p "$out_dir"
work="$(mktemp -d "${TMPDIR:-/tmp}/ooa-test-image.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Debian 12's and 13's kernel is one package; newer ones (sid) split it into linux-base-VERSION
# (modules.order, modules.builtin), linux-binary-VERSION (the vmlinuz) and linux-modules-VERSION,
# on which linux-image-VERSION depends: fetch each dependency named with the same VERSION.
kparts=("$kpkg")
mapfile -t -O 1 kparts < <(apt-cache depends "$kpkg" 2>/dev/null |
  awk -v v="${kpkg#linux-image-}" '$1 == "Depends:" && $2 ~ /^linux-/ && substr($2, length($2) - length(v) + 1) == v { print $2 }')
log "kernel package ${kparts[*]}"
(cd "$work" && apt-get download -q "${kparts[@]}" >&2)
for deb in "$work"/linux-*.deb; do dpkg-deb -x "$deb" "$work/kernel"; done
# Modules in lib/modules (Debian 12's package) or usr/lib/modules (a usr-merged package).
kmods=""
for d in "$work"/kernel/lib/modules/* "$work"/kernel/usr/lib/modules/*; do
  [[ -f "$d/modules.order" ]] && { kmods="$d"; break; }
done
[[ -n "$kmods" ]] || { log "${kparts[*]} have no modules in lib/modules/* or usr/lib/modules/*"; exit 1; }
kver="$(basename "$kmods")"
# The kernel in boot/vmlinuz-VERSION, or beside its modules (sid's linux-binary package).
vmlinuz=""
for f in "$work/kernel/boot/vmlinuz-$kver" "$kmods/vmlinuz"; do [[ -f "$f" ]] && { vmlinuz="$f"; break; }; done
[[ -n "$vmlinuz" ]] || { log "${kparts[*]} have no boot/vmlinuz-$kver nor $kver/vmlinuz beside the modules"; exit 1; }
# depmod -b BASE reads BASE/lib/modules/VERSION: give it that path to usr/lib/modules too.
if [[ "$kmods" == "$work/kernel/usr/lib/modules/$kver" && ! -e "$work/kernel/lib/modules" ]]; then
  mkdir -p "$work/kernel/lib"
  ln -s ../usr/lib/modules "$work/kernel/lib/modules"
fi
depmod -b "$work/kernel" "$kver" # the package ships no modules.dep (its postinst writes it)

root="$work/initramfs"
mkdir -p "$root"/{bin,usr,etc,proc,sys,dev,tmp,run,mnt,root,var/log,home/ooa/.ssh,usr/share/udhcpc}
mkdir -p "$root/lib/modules/$kver" "$root/etc/dropbear"
ln -s ../run "$root/var/run"
chmod 1777 "$root/tmp"
chmod 0700 "$root/root"

# Copies a host binary into the initramfs at the same path, with every shared library ldd names
# (and the dynamic loader), so it runs there as it does here.
copy_binary() {
  local bin="$1" lib
  install -D -m 0755 "$bin" "$root$bin"
  while read -r lib; do
    [[ -e "$root$lib" ]] || install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
  done < <(ldd "$bin" | grep -o '/[^ ]*' | sort -u)
}

# Busybox with every applet (CirrOS, the image Tempest knows, is busybox too); setuid so that its
# `su` works for the sudo shim (busybox drops root for every applet not marked as needing it).
cp /bin/busybox "$root/bin/busybox"
chmod 4755 "$root/bin/busybox"
for applet in $(/bin/busybox --list); do
  [[ -e "$root/bin/$applet" ]] || ln -s busybox "$root/bin/$applet"
done
# One bin directory; the others point at it (relative links: copy_binary writes through them).
ln -s bin "$root/sbin"
ln -s ../bin "$root/usr/bin"
ln -s ../bin "$root/usr/sbin"
# blkid replaces busybox's; lsblk: Tempest lists the guest's disks with `lsblk -lb --nodeps`.
rm -f "$root/bin/blkid"
for b in "${host_binaries[@]}"; do copy_binary "$b"; done

# Kernel modules by name with what they depend on (modules.dep), decompressed so busybox's modprobe
# loads them; depmod then writes the subset's own modules.dep.
# The config drive: a CD-ROM on IDE (libvirt's pc machine), SATA (q35) or virtio-scsi, or a vfat disk
# on virtio-blk; 8021q for Tempest's VLAN checks (loaded on demand by modprobe).
want=(virtio_net virtio_blk virtio_scsi virtio_pci ata_piix ahci sr_mod sd_mod isofs vfat nls_cp437 nls_ascii nls_utf8 8021q)
declare -A copied=()
copy_module() {
  local name="$1" rel dep
  rel="$(awk -v n="$name" -F: '{ f = $1; sub(/.*\//, "", f); sub(/\.ko(\.[a-z]+)?$/, "", f); gsub(/-/, "_", f); if (f == n) { print $1; exit } }' "$kmods/modules.dep")"
  if [[ -z "$rel" ]]; then
    grep -qw "$name" "$kmods/modules.builtin" || { log "kernel $kver has no module $name"; exit 1; }
    return 0
  fi
  [[ -n "${copied[$rel]:-}" ]] && return 0
  copied[$rel]=1
  mkdir -p "$root/lib/modules/$kver/$(dirname "$rel")"
  case "$rel" in
    *.xz) xz -dc "$kmods/$rel" >"$root/lib/modules/$kver/${rel%.xz}" ;;
    *.zst) zstd -qdc "$kmods/$rel" >"$root/lib/modules/$kver/${rel%.zst}" ;;
    *) cp "$kmods/$rel" "$root/lib/modules/$kver/$rel" ;;
  esac
  for dep in $(awk -v r="$rel" -F': *' '$1 == r { print $2 }' "$kmods/modules.dep" | tr ' ' '\n'); do
    dep="${dep##*/}"
    dep="${dep%%.ko*}"
    copy_module "${dep//-/_}"
  done
}
for m in "${want[@]}"; do copy_module "$m"; done
cp "$kmods"/modules.{order,builtin,builtin.modinfo} "$root/lib/modules/$kver/"
depmod -b "$root" "$kver"

# root's password is empty in shadow (busybox's passwd parser rejects an empty field in passwd):
# busybox su lets anyone become root without a prompt, dropbear never accepts it for a login.
cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
ooa:*:1000:1000:OpenStack-on-AWS test user:/home/ooa:/bin/sh
EOF
printf 'root::19000:0:99999:7:::\n' >"$root/etc/shadow"
chmod 0600 "$root/etc/shadow"
cat >"$root/etc/group" <<'EOF'
root:x:0:
ooa:x:1000:
EOF
printf '/bin/sh\n/bin/ash\n' >"$root/etc/shells"
printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
chmod 0700 "$root/home/ooa/.ssh"

rm -f "$root/bin/sudo" "$root/bin/curl" "$root/bin/mkfs" # never write through a busybox link
cat >"$root/bin/sudo" <<'EOF'
#!/bin/sh
# sudo shim: runs its arguments as root through busybox su (setuid; root's password is empty and
# dropbear refuses it for logins). The options Tempest and people pass are accepted and ignored.
while [ $# -gt 0 ]; do
  case "$1" in
    -n|-E|-H|-S|-i|-s|--) shift ;;
    -u) [ "$2" = root ] || { echo "sudo: only root is known here" >&2; exit 1; }; shift 2 ;;
    -*) echo "sudo: option $1 is not supported by this image's shim" >&2; exit 1 ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || set -- /bin/sh
if [ "$(id -u)" = 0 ]; then exec "$@"; fi
cmd=""
# Each argument single-quoted, each ' in it as '\'' (shell expansions only: a command substitution
# would drop the argument's trailing newlines).
for a in "$@"; do
  q=""
  while :; do
    case "$a" in
      *"'"*) q="$q${a%%"'"*}'\\''"; a="${a#*"'"}" ;;
      *) q="$q$a"; break ;;
    esac
  done
  cmd="$cmd '$q'"
done
exec su root -c "$cmd"
EOF
cat >"$root/bin/curl" <<'EOF'
#!/bin/sh
# curl shim over busybox wget for the way Tempest and its users run curl in a guest:
#   curl [-sSfLk] [-m SECONDS] [-o FILE] [-X GET|POST] [-d DATA]... [-H 'Name: value']... [-A AGENT] URL
#   curl -V
# prints the body (or writes it to FILE); -m defaults to 30 s here (curl has no limit). -d joins its pieces with & and POSTs them as curl does
# (-d @FILE: the file without CR/LF; --data-binary @FILE: the file as it is). Exit codes as curl's:
# 7 connection refused or unreachable, 6 unknown host, 28 time-out, 22 an HTTP error under -f;
# without -f an HTTP error exits 0 as curl's does, but wget does not print the error's body.
out=- timeout=30 url="" method="" fail="" silent="" show="" post=""
tmp="$(mktemp -d)" || exit 2
trap 'rm -rf "$tmp"' EXIT
headers="$tmp/headers" body="$tmp/body" err="$tmp/err"
: >"$headers"
: >"$body"
die() { echo "curl: $*" >&2; exit 2; }
# One -d piece: joined to the earlier ones with &, from a file for @FILE.
add_data() {
  [ -n "$post" ] && printf '&' >>"$body"
  post=1
  case "$2" in
    @*) [ -r "${2#@}" ] || die "cannot read the data file ${2#@}"
        if [ "$1" = binary ]; then cat "${2#@}" >>"$body"; else tr -d '\r\n' <"${2#@}" >>"$body"; fi ;;
    *) printf '%s' "$2" >>"$body" ;;
  esac
}
while [ $# -gt 0 ]; do
  case "$1" in
    -V|--version)
      echo "curl 0.0.0-ooa-shim (x86_64-pc-linux-gnu) $(busybox 2>&1 | head -n1 | cut -d' ' -f1,2) wget"
      echo "Protocols: http"
      echo "Features:"
      exit 0 ;;
    --silent) silent=1; shift ;;
    --show-error) show=1; shift ;;
    --fail) fail=1; shift ;;
    --location|--insecure) shift ;;
    -m|--max-time) [ $# -ge 2 ] || die "option $1 needs a value"; timeout="${2%%.*}"; shift 2 ;;
    --connect-timeout) [ $# -ge 2 ] || die "option $1 needs a value"; shift 2 ;;
    -o|--output) [ $# -ge 2 ] || die "option $1 needs a value"; out="$2"; shift 2 ;;
    -X|--request) [ $# -ge 2 ] || die "option $1 needs a value"; method="$2"; shift 2 ;;
    -X*) method="${1#-X}"; shift ;;
    -d|--data|--data-ascii|--data-raw) [ $# -ge 2 ] || die "option $1 needs a value"; add_data text "$2"; shift 2 ;;
    --data-binary) [ $# -ge 2 ] || die "option $1 needs a value"; add_data binary "$2"; shift 2 ;;
    -H|--header) [ $# -ge 2 ] || die "option $1 needs a value"; printf '%s\n' "$2" >>"$headers"; shift 2 ;;
    -A|--user-agent) [ $# -ge 2 ] || die "option $1 needs a value"; printf 'User-Agent: %s\n' "$2" >>"$headers"; shift 2 ;;
    --) shift; [ $# -eq 1 ] || die "one URL after --"; url="$1"; shift ;;
    -[sSfLk]*)
      # A cluster of flags without values (-fsSL).
      f="${1#-}"; shift
      while [ -n "$f" ]; do
        c="${f%"${f#?}"}"; f="${f#?}"
        case "$c" in
          s) silent=1 ;; S) show=1 ;; f) fail=1 ;; L|k) ;;
          *) die "option -$c is not supported by this image's shim (busybox wget)" ;;
        esac
      done ;;
    -*) die "option $1 is not supported by this image's shim (busybox wget)" ;;
    *) [ -z "$url" ] || die "one URL only (got $url and $1)"; url="$1"; shift ;;
  esac
done
[ -n "$url" ] || die "no URL given"
case "$url" in *://*) ;; *) url="http://$url" ;; esac
case "$method" in
  "") [ -z "$post" ] || method=POST ;;
  GET) [ -z "$post" ] || die "-X GET with -d is not supported by this image's shim (wget sends data by POST)" ;;
  POST) ;;
  *) die "method $method is not supported by this image's shim (GET, POST)" ;;
esac
set -- -q -O "$out"
while IFS= read -r h; do set -- "$@" --header "$h"; done <"$headers"
[ "$method" = POST ] && set -- "$@" --post-file "$body"
# timeout, not wget -T: busybox 1.35's wget crashes (SIGSEGV) with -T.
timeout "$timeout" wget "$@" "$url" 2>"$err"
rc=$?
[ "$rc" = 0 ] && exit 0
if [ "$rc" = 124 ] || [ "$rc" = 143 ]; then msg="Operation timed out after $timeout seconds"; code=28
elif grep -q 'server returned error' "$err"; then msg="$(sed -n 's/.*server returned error: //p' "$err" | head -n1)"; code=22
elif grep -q 'bad address' "$err"; then msg="Could not resolve host in $url"; code=6
else msg="Failed to connect: $(head -n1 "$err" | sed 's/^wget: //')"; code=7
fi
if [ -z "$silent" ] || [ -n "$show" ]; then echo "curl: ($code) $msg" >&2; fi
[ "$code" = 22 ] && [ -z "$fail" ] && exit 0
exit "$code"
EOF
cat >"$root/bin/mkfs" <<'EOF'
#!/bin/sh
# mkfs -t TYPE DEVICE (Tempest formats attached volumes so): busybox has the per-type tools only.
[ "$1" = -t ] || { echo "mkfs: usage: mkfs -t vfat|ext2 DEVICE" >&2; exit 1; }
case "$2" in
  vfat|fat|msdos) shift 2; exec mkdosfs "$@" ;;
  ext2) shift 2; exec mke2fs "$@" ;;
  *) echo "mkfs: type $2 is not supported here (vfat, ext2)" >&2; exit 1 ;;
esac
EOF
chmod 0755 "$root/bin/sudo" "$root/bin/curl" "$root/bin/mkfs"

cat >"$root/usr/share/udhcpc/default.script" <<'EOF'
#!/bin/sh
# udhcpc hook: apply the lease (address, router, MTU, classless static routes, DNS) to the interface.
case "$1" in
  bound|renew)
    ip addr flush dev "$interface"
    [ -n "$mtu" ] && ip link set dev "$interface" mtu "$mtu"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    # staticroutes: "dest/len gateway dest/len gateway ..." (Neutron sends the metadata route so).
    set -- $staticroutes
    while [ $# -ge 2 ]; do
      if [ "$2" = 0.0.0.0 ]; then ip route replace "$1" dev "$interface"; else ip route replace "$1" via "$2" dev "$interface"; fi
      shift 2
    done
    [ -n "$router" ] && ip route replace default via "${router%% *}" dev "$interface"
    : >/etc/resolv.conf
    for d in $dns; do echo "nameserver $d" >>/etc/resolv.conf; done
    [ -n "$domain" ] && echo "search $domain" >>/etc/resolv.conf
    ;;
esac
exit 0
EOF
chmod 0755 "$root/usr/share/udhcpc/default.script"

cat >"$root/bin/ooa-metadata" <<'EOF'
#!/bin/sh
# Prints the instance's metadata as lines "hostname NAME" and "key PUBLIC-KEY", from the config drive
# (label config-2) or else the metadata service. Used once by /init.

# String values of one JSON object member (e.g. public_keys: {"name": "ssh-ed25519 AAA…\n"}), or of
# a top-level string member (hostname). Enough JSON for Nova's meta_data.json, which has no nesting
# inside these two members.
json_keys() { tr -d '\n' | grep -o '"public_keys": *{[^}]*}' | grep -o ': *"[^"]*"' | sed 's/^: *"//; s/"$//; s/\\n$//; s#\\/#/#g'; }
json_string() { tr -d '\n' | grep -o "\"$1\": *\"[^\"]*\"" | head -n1 | sed 's/^[^:]*: *"//; s/"$//'; }

from_json() {
  h="$(json_string hostname <"$1")"
  [ -n "$h" ] || h="$(json_string name <"$1")"
  [ -n "$h" ] && echo "hostname $h"
  json_keys <"$1" | sed 's/^/key /'
}

# The CD-ROM may still be probing right after its driver loaded: look a few times.
dev=""
for i in 1 2 3 4 5 6; do
  dev="$(blkid -L config-2 2>/dev/null)" && [ -n "$dev" ] && break
  sleep 0.5
done
if [ -n "$dev" ]; then
  mkdir -p /run/config-drive
  if mount -o ro "$dev" /run/config-drive 2>/dev/null; then
    if [ -f /run/config-drive/openstack/latest/meta_data.json ]; then
      echo "source config drive $dev" >&2
      from_json /run/config-drive/openstack/latest/meta_data.json
      umount /run/config-drive
      exit 0
    fi
    umount /run/config-drive
  fi
fi
md=http://169.254.169.254
for i in $(seq 1 10); do
  if timeout 5 wget -q -O /run/meta_data.json "$md/openstack/latest/meta_data.json" 2>/dev/null; then
    echo "source metadata service (OpenStack)" >&2
    from_json /run/meta_data.json
    exit 0
  fi
  if key="$(timeout 5 wget -q -O - "$md/latest/meta-data/public-keys/0/openssh-key" 2>/dev/null)"; then
    echo "source metadata service (EC2)" >&2
    h="$(timeout 5 wget -q -O - "$md/latest/meta-data/hostname" 2>/dev/null)" && echo "hostname $h"
    echo "key $key"
    exit 0
  fi
  sleep 2
done
echo "no config drive and no metadata service" >&2
exit 1
EOF
chmod 0755 "$root/bin/ooa-metadata"

cat >"$root/init" <<EOF
#!/bin/sh
# PID 1 of the test instance: drivers, DHCP, metadata (key, hostname), dropbear on 22, login prompt.
kver=$kver
EOF
cat >>"$root/init" <<'EOF'
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts
mount -t devpts -o gid=5,mode=620 devpts /dev/pts
hostname ooa-test
for m in virtio_pci virtio_net virtio_blk virtio_scsi ata_piix ahci sr_mod sd_mod isofs vfat nls_cp437 nls_ascii nls_utf8; do
  modprobe "$m" 2>/dev/null || echo "ooa-test: module $m did not load"
done
# Unprivileged ping (ICMP datagram sockets) for every group.
echo "0 2147483647" >/proc/sys/net/ipv4/ping_group_range
# The NIC and the CD-ROM appear asynchronously after their drivers load.
for i in $(seq 1 25); do ip link show eth0 >/dev/null 2>&1 && break; sleep 0.2; done
ip link set lo up
ip link set eth0 up
udhcpc -i eth0 -t 10 -T 2 -n -O mtu -O staticroutes -p /var/run/udhcpc.eth0.pid \
  -s /usr/share/udhcpc/default.script || echo "ooa-test: no DHCP lease on eth0"
ip -4 addr show eth0

if ooa-metadata >/run/metadata 2>/run/metadata.log; then
  h="$(sed -n 's/^hostname //p' /run/metadata | head -n1)"
  [ -n "$h" ] && hostname "$h"
  sed -n 's/^key //p' /run/metadata >/home/ooa/.ssh/authorized_keys
else
  echo "ooa-test: no metadata: nobody can log in"
fi
sed 's/^/ooa-test: metadata: /' /run/metadata.log
echo "ooa-test: $(wc -l </home/ooa/.ssh/authorized_keys 2>/dev/null || echo 0) authorized key(s) for ooa"
printf '127.0.0.1 localhost\n127.0.1.1 %s\n' "$(hostname)" >/etc/hosts
chown -R 1000:1000 /home/ooa
chmod 0755 /home/ooa
chmod 0700 /home/ooa/.ssh
chmod 0600 /home/ooa/.ssh/authorized_keys 2>/dev/null

# Host keys of this boot (first boot: the disk is read-only), fingerprints on the console as
# cloud-init prints them.
for t in ed25519 ecdsa; do
  dropbearkey -t "$t" -f "/etc/dropbear/dropbear_${t}_host_key" 2>/dev/null | grep -i fingerprint | sed "s/^/ooa-test: host key $t /"
done
# -s: no passwords; -w: no root login; -F -E: foreground, log to a file.
dropbear -F -E -s -w -p 22 -r /etc/dropbear/dropbear_ed25519_host_key -r /etc/dropbear/dropbear_ecdsa_host_key \
  2>>/var/log/dropbear.log &
echo
echo "$(hostname) login: "
while true; do sleep 3600; done
EOF
chmod 0755 "$root/init"
(cd "$root" && find . | cpio -o -H newc -R +0:+0 --quiet | gzip -9) >"$work/initrd.gz"

# The disk: FAT over the whole image, syslinux in its boot sector, kernel + initramfs beside it.
size_kib=$(( ($(stat -c %s "$vmlinuz") + $(stat -c %s "$work/initrd.gz")) / 1024 + 4096 ))
rm -f "$work/disk.img"
mkfs.vfat -C -n OOATEST "$work/disk.img" "$size_kib" >/dev/null
cat >"$work/syslinux.cfg" <<'EOF'
DEFAULT linux
PROMPT 0
TIMEOUT 0
SERIAL 0 115200
LABEL linux
  KERNEL vmlinuz
  INITRD initrd.gz
  APPEND console=tty0 console=ttyS0,115200 quiet panic=10
EOF
mcopy -i "$work/disk.img" "$vmlinuz" ::vmlinuz
mcopy -i "$work/disk.img" "$work/initrd.gz" ::initrd.gz
mcopy -i "$work/disk.img" "$work/syslinux.cfg" ::syslinux.cfg
syslinux --install "$work/disk.img"
mv "$work/disk.img" "$image"
rm -f "$out_dir/.kernel"
printf '%s\n' "$cache_key" >"$out_dir/.cache-key"
log "built $image ($(du -h "$image" | cut -f1), initramfs $(du -h "$work/initrd.gz" | cut -f1), kernel $kver)"
printf '%s\n' "$(cd "$out_dir" && pwd)/$(basename "$image")"
