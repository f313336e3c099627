#!/usr/bin/env bash
# Builds the small bootable raw disk the local end-to-end run uploads to Glance and boots with Nova,
# without downloading anything but Debian packages through apt (the internet is out of reach here).
#
#   scripts/build-test-image.sh [OUTPUT_DIR]      prints the image path (default dir: build/test-image)
#
# The disk is one FAT file system without a partition table (a "superfloppy"; SeaBIOS boots its boot
# sector): syslinux, Debian's own kernel from the linux-image-amd64 package, and a busybox initramfs
# whose /init loads the virtio NIC driver, brings eth0 up with udhcpc, listens on TCP port 22 (so the
# smoke checks' "instance answers" and the port-forward have something to reach) and prints a
# "login:" line on the serial console (what Nova's console log check looks for).
# Needs root for apt-get only when a tool is missing (syslinux, mtools, dosfstools, busybox-static, cpio).
set -euo pipefail

out_dir="${1:-build/test-image}"
image="$out_dir/ooa-test-disk.img"
tools=(syslinux syslinux-common mtools dosfstools busybox-static cpio)

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

mkdir -p "$out_dir"
work="$(mktemp -d "${TMPDIR:-/tmp}/ooa-test-image.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Debian's kernel: the package linux-image-amd64 depends on, fetched (not installed) with apt.
kpkg="$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')"
[[ -n "$kpkg" ]] || { log "apt knows no linux-image-amd64 (run apt-get update)"; exit 1; }
if [[ -f "$out_dir/.kernel" && "$(cat "$out_dir/.kernel")" == "$kpkg" && -f "$image" ]]; then
  log "up to date ($kpkg)"
  printf '%s\n' "$(cd "$out_dir" && pwd)/$(basename "$image")"
  exit 0
fi
log "kernel package $kpkg"
(cd "$work" && apt-get download -q "$kpkg" >&2)
dpkg-deb -x "$work"/linux-image-*.deb "$work/kernel"
kver="$(basename "$(ls -d "$work"/kernel/lib/modules/*)")"
vmlinuz="$work/kernel/boot/vmlinuz-$kver"
moddir="$work/kernel/lib/modules/$kver/kernel"

# The initramfs: busybox, the virtio NIC driver and what it needs (Debian builds them as modules).
root="$work/initramfs"
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,run,lib/modules,usr/share/udhcpc}
cp /bin/busybox "$root/bin/busybox"
for applet in sh mount insmod ip udhcpc nc httpd hostname sleep cat echo poweroff ifconfig route seq; do
  ln -sf busybox "$root/bin/$applet"
done
# Debian builds even the virtio PCI transport as modules; busybox insmod resolves no dependencies,
# so /init loads the list twice (whatever failed for a missing symbol loads on the second pass).
mods=(drivers/virtio/virtio_ring.ko drivers/virtio/virtio.ko drivers/virtio/virtio_pci_modern_dev.ko
  drivers/virtio/virtio_pci_legacy_dev.ko drivers/virtio/virtio_pci.ko net/core/failover.ko
  drivers/net/net_failover.ko drivers/net/virtio_net.ko)
for mod in "${mods[@]}"; do
  for f in "$moddir/$mod" "$moddir/$mod.xz"; do
    [[ -f "$f" ]] || continue
    if [[ "$f" == *.xz ]]; then xz -dc "$f" >"$root/lib/modules/$(basename "$mod")"; else cp "$f" "$root/lib/modules/"; fi
  done
done
cat >"$root/usr/share/udhcpc/default.script" <<'EOF'
#!/bin/sh
# udhcpc hook: apply the lease (address, router) to the interface.
case "$1" in
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    [ -n "$router" ] && ip route replace default via "${router%% *}" dev "$interface"
    ;;
esac
exit 0
EOF
chmod 0755 "$root/usr/share/udhcpc/default.script"
cat >"$root/init" <<'EOF'
#!/bin/sh
# PID 1 of the test instance: network up by DHCP, a TCP listener on 22, a login prompt on the console.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
hostname ooa-test
for pass in 1 2; do
  for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net; do
    [ -f /lib/modules/$m.ko ] && insmod /lib/modules/$m.ko 2>/dev/null
  done
done
# The NIC appears asynchronously after its driver loads.
for i in $(seq 1 20); do ip link show eth0 >/dev/null 2>&1 && break; sleep 0.2; done
ip link set lo up
ip link set eth0 up
udhcpc -i eth0 -t 10 -T 2 -n -q -s /usr/share/udhcpc/default.script || echo "ooa-test: no DHCP lease on eth0"
ip -4 addr show eth0
# Answers every connection on 22 with an SSH-looking banner, forever, in the background.
( while true; do echo "SSH-2.0-ooa-test-image" | nc -l -p 22 >/dev/null 2>&1 || sleep 1; done ) &
echo
echo "ooa-test login: "
while true; do sleep 3600; done
EOF
chmod 0755 "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) >"$work/initrd.gz"

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
printf '%s\n' "$kpkg" >"$out_dir/.kernel"
log "built $image ($(du -h "$image" | cut -f1), kernel $kver)"
printf '%s\n' "$(cd "$out_dir" && pwd)/$(basename "$image")"
