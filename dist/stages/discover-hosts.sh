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
# list_hosts rows: | cell1 | <uuid> | <host> |
unmapped() {
  local c out=""
  for c in $COMPUTE_NODES; do awk -F'|' -v h="$c" '$2 ~ / cell1 / && $4 ~ " "h" " {f=1} END {exit !f}' <<<"$1" || out+="$c "; done
  echo "$out"
}
to_map="$(unmapped "$(run_as nova "nova-manage cell_v2 list_hosts")")"
if [[ -z "$to_map" ]]; then
  # A node booted from a baked image keeps its name, and cell1 its mapping: nothing to discover.
  log "every compute node is mapped into cell1 already"
else
  # A nova-compute is "up" once its service row exists, a moment before its compute-node row,
  # which discover_hosts maps: tried again until every node is in cell1.
  discovered() {
    run_as nova "nova-manage cell_v2 discover_hosts --verbose" >/dev/null
    [[ -z "$(unmapped "$(run_as nova "nova-manage cell_v2 list_hosts")")" ]]
  }
  wait_until 120 "every compute node mapped into cell1 ($to_map)" discovered
  changed "mapped into cell1: $to_map"
fi
openstack compute service list --service nova-compute
stage_end
