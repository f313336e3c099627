#!/usr/bin/env bash
# One command from a fresh clone to a running two-node OpenStack (Zed on Debian 12) on this machine,
# and one to remove it again:
#
#   sudo scripts/local-cloud.sh up   [STACK_ID]   (default STACK_ID: local)
#   sudo scripts/local-cloud.sh down [STACK_ID]
#
# `up` needs no `npm ci`: it runs the committed bundle (dist/cli/index.js). It builds the small
# bootable test image once (the cloud has no way to the internet to download CirrOS), then brings
# the stack up with `--teardown never`, so it keeps running until `down`. The local provider itself
# installs the Debian packages it needs (systemd-container, debootstrap, nftables, apt-cacher-ng).
# Endpoints, credentials and the SSH key path are printed at the end and kept in
# /root/.openstack-on-aws/STACK_ID.outputs.json; the run's summary (environment, stage timeline, smoke
# results, estimated cost) in STACK_ID.summary.md beside it.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
cli="$here/dist/cli/index.js"

die() {
  printf 'local-cloud: %s\n' "$*" >&2
  exit 1
}

usage() { die "usage: $0 up|down [STACK_ID]"; }

[[ $# -ge 1 && $# -le 2 ]] || usage
action="$1"
stack="${2:-local}"
[[ "$(id -u)" == 0 ]] || die "needs root: the local provider creates network namespaces and machines (run it with sudo)"
command -v node >/dev/null || die "needs Node.js 20 or newer (node is not installed)"
major="$(node -p 'process.versions.node.split(".")[0]')"
((major >= 20)) || die "needs Node.js 20 or newer (this is $(node --version))"

case "$action" in
  up)
    image="$("$here/scripts/build-test-image.sh" /var/tmp/openstack-on-aws-image | tail -n1)"
    exec node "$cli" up --provider local --os debian-12 --release zed --topology minimal \
      --image-url "file://$image" --stack-id "$stack" --teardown never
    ;;
  down)
    exec node "$cli" down --provider local --stack-id "$stack"
    ;;
  *) usage ;;
esac
