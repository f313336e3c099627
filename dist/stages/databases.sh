#!/usr/bin/env bash
# databases: every service's database and user on this controller (the first step of each
# service chapter of the install guide), with the connection settings their syncs read, then the
# schema syncs started in two background lanes (lib-services.sh, db_lanes). The syncs run beside
# the stages after this one; each service's stage waits for its own (db_sync_wait).
#   databases.sh --lane SERVICE...   is one lane (started by this stage, never by hand)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

if [[ "${1:-}" == --lane ]]; then
  shift
  STAGE=databases
  load_settings
  db_sync_lane "$@"
  exit 0
fi

stage_begin databases
for svc in $(db_services); do db_prepare "$svc"; done

mkdir -p "$DB_SYNC_DIR"
chmod 0700 "$DB_SYNC_DIR"
while read -r lane; do
  # shellcheck disable=SC2086 # a lane is a list of service names
  set -- $lane
  (($# > 0)) || continue
  if db_lane_busy "$@"; then
    log "the syncs of $lane still run from an earlier run of this stage: left to it"
    continue
  fi
  for svc in "$@"; do rm -f "$DB_SYNC_DIR/$svc.rc" "$DB_SYNC_DIR/$svc.changes"; done
  # setsid: the lane outlives this stage's SSH session.
  setsid bash "$0" --lane "$@" </dev/null >>"$OOA_LOG_DIR/db-sync-lanes.log" 2>&1 &
  for svc in "$@"; do echo "$!" >"$DB_SYNC_DIR/$svc.pid"; done
  log "started the syncs of $lane (pid $!; output in $OOA_LOG_DIR/db-sync-<service>.log)"
done < <(db_lanes)
stage_end
