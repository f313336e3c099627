#!/usr/bin/env bash
# discover-hosts: the guide's "Add the compute node to the cell database": waits until every
# compute node's nova-compute has registered, then maps the hosts into cell1.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
stage_begin discover-hosts

os_admin
all_registered() {
  local c up
  up="$(openstack compute service list --service nova-compute -f value -c Host -c State)"
  for c in $COMPUTE_NODES; do grep -qE "^$c up$" <<<"$up" || return 1; done
}
wait_until 600 "nova-compute up on: $COMPUTE_NODES" all_registered
before="$(run_as nova "nova-manage cell_v2 list_hosts" | grep -c ' cell1 ' || true)"
run_as nova "nova-manage cell_v2 discover_hosts --verbose"
after="$(run_as nova "nova-manage cell_v2 list_hosts" | grep -c ' cell1 ' || true)"
if [[ "$after" != "$before" ]]; then changed "mapped $((after - before)) compute host(s) into cell1"; fi
openstack compute service list --service nova-compute
stage_end
