#!/usr/bin/env bash
# The host tools the tests drive for real, as one list of Debian/Ubuntu packages (the same names on
# Debian 12 and Ubuntu 24.04). `npm test` runs `install` before any test (jest's globalSetup,
# test/helpers/host-tools.setup.js), and .ci/run goes through npm test, so this list is the only one.
#
#   scripts/host-tools.sh list      the packages, one a line
#   scripts/host-tools.sh missing   the packages not installed, one a line (exit 0 either way)
#   scripts/host-tools.sh check     exit 0 when all are installed; else name them and the command, exit 1
#   scripts/host-tools.sh install   as root: apt-get installs the missing ones (its output goes to
#                                   build/host-tools-apt.log; the tail is shown when it fails);
#                                   not root: the same as check
#
# Every message goes to stderr: .ci/run sends jest's stdout (its JSON) to /dev/null.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"

# Package: what the tests use it for.
packages=(
  openssh-server     # sshd on loopback: test/integration/ssh-*
  openssh-client     # ssh-keygen for host keys, ssh for the jump-host test
  sudo               # the non-root SSH user test (ssh-sudo), as the cloud images have it
  shellcheck         # stage, smoke and workflow scripts pass real shellcheck
  iproute2           # ip netns: the emulated VPC, the network fix
  iptables           # the network fix's NAT rules, iptables-save in the log bundle, ebtables-nft (stages-lib)
  nftables           # the emulated VPC's AWS rules (source/destination check, ARP)
  iputils-ping       # pings between namespaces
  procps             # sysctl, ps
  util-linux         # losetup, nsenter, mount for the local provider's disks
  tar                # the log bundle
  openssl            # the PR environment's encrypted credentials, decrypted for real
  python3-yaml       # python3 and PyYAML read the JUnit and clouds.yaml outputs back as their users do
  crudini            # the stage scripts' ini edits, run on the host by the unit tests
  systemd-container  # systemd-nspawn machines of the local provider
  debootstrap        # the local provider's root file system
  apt-cacher-ng      # the package cache the local machines install through
  openvswitch-switch # the Open vSwitch network-fix tests (userspace datapath)
  qemu-system-x86    # boots the local test image (TCG): test/integration/test-image
  genisoimage        # the config drive that test boots the image with
  subunit            # subunit2junitxml: Tempest's results as the controller renders them (tempest-results)
  python3-junitxml   # what subunit2junitxml writes with
  python3-paramiko   # Tempest's SSH client, logging in to the local test image with an RSA key (test-image)
  python3-keystone   # a real Keystone on loopback (keystone-manage, keystone-wsgi-public; no service): keystone-objects
  python3-keystoneauth1 # the Identity API client os_ensure_objects runs, against that Keystone (keystone-objects)
)

# OOA_HOST_TOOLS_ALSO: more packages to require, space-separated (the tests of this script name one
# that no archive has, to see the refusal for real).
read -r -a also <<<"${OOA_HOST_TOOLS_ALSO:-}"
packages+=("${also[@]}")

say() { printf 'host-tools: %s\n' "$*" >&2; }

missing() {
  local p status
  for p in "${packages[@]}"; do
    # 2>&1, not 2>/dev/null: an unknown package's message is simply not "install ok installed".
    status="$(dpkg-query -W -f='${Status}' "$p" 2>&1 || true)"
    [[ "$status" == "install ok installed" ]] || printf '%s\n' "$p"
  done
}

# The one command that installs what is missing, for whoever runs the tests.
advise() {
  local list="$1"
  say "the tests need host tools that are not installed: $list"
  if [[ "$(id -u)" == 0 ]]; then
    say "install them (Debian 12 / Ubuntu 24.04 packages), then run npm test again (npm test as root does it itself):"
    printf '\n    bash scripts/host-tools.sh install\n\n' >&2
  else
    say "install them (Debian 12 / Ubuntu 24.04 packages) as root, then run npm test again, as root:"
    printf '\n    sudo bash scripts/host-tools.sh install\n\n' >&2
    say "(logged in as root on a host without sudo: bash scripts/host-tools.sh install; npm test as root does it itself)"
  fi
}

has_dpkg() { [[ -n "$(command -v dpkg-query)" ]]; }

no_dpkg() {
  say "this host has no dpkg-query: it is not Debian or Ubuntu. Install the equivalents of:"
  say "  ${packages[*]}"
  say "then run npm test with OOA_HOST_TOOLS=skip (no check; a test that needs a missing tool fails naming it)"
  exit 1
}

apt_install() {
  local -a list=("$@")
  local log="$here/build/host-tools-apt.log" started=$SECONDS
  mkdir -p "$here/build"
  say "installing ${#list[@]} package(s) with apt-get: ${list[*]} (log: build/host-tools-apt.log)"
  # The lock timeout makes a second run wait for a first one instead of failing on dpkg's lock.
  local -a apt=(apt-get -y -q -o DPkg::Lock::Timeout=300)
  if ! { "${apt[@]}" update && DEBIAN_FRONTEND=noninteractive "${apt[@]}" install --no-install-recommends "${list[@]}"; } >"$log" 2>&1; then
    say "apt-get failed; the end of its log:"
    tail -n 25 "$log" >&2
    exit 1
  fi
  local left
  left="$(missing | tr '\n' ' ')"
  if [[ -n "$left" ]]; then
    say "apt-get succeeded but these are still not installed: $left (see build/host-tools-apt.log)"
    exit 1
  fi
  say "installed in $((SECONDS - started)) s"
}

cmd="${1:-}"
case "$cmd" in
  list) printf '%s\n' "${packages[@]}" ;;
  missing)
    has_dpkg || no_dpkg
    missing
    ;;
  check | install)
    has_dpkg || no_dpkg
    mapfile -t absent < <(missing)
    ((${#absent[@]} == 0)) && exit 0
    if [[ "$cmd" == install && "$(id -u)" == 0 ]]; then
      apt_install "${absent[@]}"
    else
      advise "${absent[*]}"
      exit 1
    fi
    ;;
  *)
    say "usage: $0 list|missing|check|install"
    exit 2
    ;;
esac
