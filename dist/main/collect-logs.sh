#!/bin/bash
# Collects one node's diagnostics into a tar.gz: OpenStack service logs, the journal, cloud-init,
# iptables, every network namespace's addresses/routes/neighbours, bridges and Open vSwitch, and the
# stage logs. Runs as root. Never fails for something that is absent: a node has only some of it.
# Usage: collect-logs.sh <output.tar.gz>
# LOG_ROOT (default /) is where /var/log is looked up; NETNS_PREFIX (default: all) limits which
# network namespaces are entered. Both exist so tests can aim the script at what they created.
set -uo pipefail

out="${1:?usage: collect-logs.sh <output.tar.gz>}"
root="${LOG_ROOT:-/}"
netns_prefix="${NETNS_PREFIX:-}"
stage="$(mktemp -d /tmp/openstack-on-aws-logs.XXXXXX)"
trap 'rm -rf "$stage"' EXIT
cmds="$stage/commands"
mkdir -p "$cmds"

# Runs a command, its output (and errors) into commands/<name>.txt; a missing tool is noted, not fatal.
capture() {
  local name="$1"
  shift
  if command -v "$1" >/dev/null 2>&1; then
    timeout 60 "$@" >"$cmds/$name.txt" 2>&1 || echo "(exit code $?)" >>"$cmds/$name.txt"
    [ -s "$cmds/$name.txt" ] || echo "(no output)" >"$cmds/$name.txt"
  else
    echo "$1: not installed on this node" >"$cmds/$name.txt"
  fi
}

# The journal can be large; its last 200000 lines cover any run of this action.
if command -v journalctl >/dev/null 2>&1; then
  timeout 120 journalctl -b --no-pager 2>&1 | tail -n 200000 >"$cmds/journal.txt"
fi
capture iptables-save iptables-save
capture ip6tables-save ip6tables-save
capture ip-addr ip addr
capture ip-route ip route
capture ip-neigh ip neigh
capture ip-link ip -d link
capture bridge-link bridge link
capture brctl-show brctl show
capture ovs-vsctl-show ovs-vsctl show
capture ip-netns ip netns list

if command -v ip >/dev/null 2>&1; then
  ip netns list 2>/dev/null | awk '{print $1}' | while read -r ns; do
    [ -n "$ns" ] || continue
    case "$ns" in "$netns_prefix"*) ;; *) continue ;; esac
    {
      echo "### ip addr"
      ip netns exec "$ns" ip addr 2>&1
      echo "### ip route"
      ip netns exec "$ns" ip route 2>&1
      echo "### ip neigh"
      ip netns exec "$ns" ip neigh 2>&1
      if command -v iptables-save >/dev/null 2>&1; then
        echo "### iptables-save"
        ip netns exec "$ns" iptables-save 2>&1
      fi
    } >"$cmds/netns-$ns.txt"
  done
fi

# Plain log files only: rotated .gz copies cannot be masked for secrets, and they predate the run.
logs="$stage/logs"
mkdir -p "$logs"
for d in nova neutron glance keystone placement cinder swift apache2 httpd rabbitmq mysql mariadb openstack-on-aws; do
  src="${root%/}/var/log/$d"
  [ -d "$src" ] || continue
  mkdir -p "$logs/$d"
  (cd "$src" && find . -type f ! -name '*.gz' ! -name '*.xz' ! -name '*.bz2' -print0 |
    xargs -0 -r cp --parents -t "$logs/$d" 2>/dev/null) || true
done
tempest_logs="${root%/}/var/lib/openstack-on-aws/tempest/logs"
if [ -d "$tempest_logs" ]; then
  mkdir -p "$logs/tempest"
  cp -r "$tempest_logs/." "$logs/tempest/" 2>/dev/null || true
fi
for f in "${root%/}"/var/log/cloud-init*.log; do
  [ -f "$f" ] && cp "$f" "$logs/"
done

hostname >"$stage/hostname.txt" 2>/dev/null || true
date -u +%Y-%m-%dT%H:%M:%SZ >"$stage/collected-at.txt"
tar -czf "$out" -C "$stage" .
chmod 600 "$out"
