#!/usr/bin/env bash
# bake-clean: makes this node's disk fit to be baked into its role's image (src/stages/lib-bake.sh
# says how baking works). Runs once, after every smoke check passed, on the baking stack's own
# settings; afterwards the node is only good for its image: its services are stopped and disabled,
# and the stack's values are placeholders. It fails, and nothing is baked, when any secret of the
# stack is still found in a file or a database row.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib-bake.sh
. "$(dirname "$0")/lib-bake.sh"
stage_begin bake-clean

values="$(bake_values_file)"
trap 'rm -f "$values"' EXIT
# Every password of the settings must be in it: a check against fewer would prove nothing.
want="$(compgen -v PASS_ | while read -r v; do if [[ -n "${!v}" ]]; then echo "$v"; fi; done | wc -l)"
have="$(grep -c '^PASS_' "$values" || true)"
((want > 0 && have == want)) || die "the values file holds $have of the settings' $want passwords"
install -d -m 0755 "$BAKED_DIR"

# The services the install started, in install order; rekey starts them again. HAProxy is left to
# the tls-proxy stage at boot: it serves the new stack's certificate.
bake_units_known | awk 'NF && !seen[$0]++' | while read -r u; do
  [[ "$u" == haproxy ]] && continue
  # (Or listed by an earlier attempt of this stage, which stopped and disabled it already.)
  if unit_exists "$u" && { systemctl is-enabled -q "$u" 2>/dev/null || grep -qxF "$u" "$BAKED_UNITS" 2>/dev/null; }; then
    echo "$u"
  fi
done | write_file "$BAKED_UNITS" 0644
log "$(wc -l <"$BAKED_UNITS") service(s) to stop, started again by rekey: $(tr '\n' ' ' <"$BAKED_UNITS")"

if is_controller; then
  os_admin
  # The smoke checks' proofs go: a stack booted from this image must boot its own server, upload
  # its own image and take its own floating IP (their checks would reuse these by name). What they
  # configured (networks, routers, ports, security groups, the flavor) stays, as a re-run finds it.
  for id in $(openstack server list --all-projects -f value -c ID); do
    timeout 600 openstack server delete --wait "$id" || die "server $id was not deleted within 10 minutes"
    changed "deleted server $id"
  done
  for id in $(openstack floating ip list -f value -c ID); do
    openstack floating ip delete "$id"
    changed "deleted floating IP $id"
  done
  for id in $(openstack image list -f value -c ID); do
    openstack image delete "$id"
    changed "deleted image $id"
  done
  # What the checks named after this stack (the server's port, the security group) goes too: the
  # next stack makes its own under its own name, and this one's would hold the same addresses.
  for kind in port "security group"; do
    # shellcheck disable=SC2086 # kind is one or two words
    for id in $(openstack $kind list -f value -c ID -c Name | awk -v p="$STACK_ID-" 'index($2, p) == 1 { print $1 }'); do
      # shellcheck disable=SC2086
      openstack $kind delete "$id"
      changed "deleted $kind $id (named after this stack)"
    done
  done
  # Every Keystone user gets a new password at rekey, so each one needs a settings name.
  unknown=""
  for user in $(openstack user list --domain default -f value -c Name); do
    [[ "$user" == admin ]] && continue
    var="PASS_${user^^}"
    [[ -n "${!var:-}" ]] || unknown+=" $user"
  done
  [[ -z "$unknown" ]] || die "Keystone users without a password of the stack's settings (rekey could not change them):$unknown"
  bake_sql_endpoints to-placeholders "$values"
  bake_sql_cells to-placeholders "$values"
  leftovers="$(bake_sql_leftovers "$values")"
  [[ -z "$leftovers" ]] || die "the databases still hold the stack's values: $leftovers"
  changed "the catalog's public address and the cell mappings' passwords are placeholders"
fi

log "stopping the services (last started first)"
tac "$BAKED_UNITS" | while read -r u; do
  systemctl disable -q --now "$u" 2>/dev/null || systemctl stop "$u" || true
done
if unit_exists haproxy; then systemctl disable -q --now haproxy || true; fi
changed "stopped and disabled $(wc -l <"$BAKED_UNITS") service(s)"

# What only this stack may hold: its keys, certificates, logins and identity. Fernet and credential
# keys are made anew by rekey; the TLS files and SSH keys come with the next stack.
rm -rf /etc/keystone/fernet-keys /etc/keystone/credential-keys
rm -rf "$OOA_ETC/tls" /etc/haproxy/openstack-on-aws.pem
# Every login's authorized keys: cloud-init adds the next stack's key to the image user's file but
# would keep this one's. And EC2's dead-man's switch: this stack's expiry, armed at every boot.
rm -f /root/.ssh/authorized_keys /home/*/.ssh/authorized_keys /etc/ssh/ssh_host_*
rm -f /var/lib/cloud/scripts/per-boot/openstack-on-aws-expiry.sh
rm -f "$OOA_NICS" /var/lib/nova/compute_id
# The data disks are the next stack's own (new volumes): their mounts are made again by the
# swift-storage stage after rekey, for the file systems it finds or makes.
if grep -q '[[:space:]]/srv/node/' /etc/fstab 2>/dev/null; then sed -i '\#[[:space:]]/srv/node/#d' /etc/fstab; fi
rm -rf /var/lib/openstack-on-aws/tempest /root/.cache /root/.bash_history
pkg_cache_clean
# Logs may quote a URL with a password: emptied, not deleted (services expect their files).
find /var/log -type f -exec truncate -s 0 {} +
rm -rf /var/log/journal/*
# cloud-init runs as on a new instance: host-prep told it to leave the network alone, but the next
# instance has other MACs, so it must render the network for them (host-prep says so again later).
rm -f /etc/cloud/cloud.cfg.d/99-openstack-on-aws.cfg
if command -v cloud-init >/dev/null 2>&1; then cloud-init clean --logs >/dev/null 2>&1 || true; fi
: >/etc/machine-id
changed "removed the stack's keys, certificates, logins, logs and machine id"

# Compiled Python next to a settings file holds its values too (Horizon's local settings): Python
# compiles it again from the file rekey writes.
# shellcheck disable=SC2086 # the list of directories
find $BAKE_SCAN_DIRS -xdev -type d -name __pycache__ -prune -exec rm -rf {} + 2>/dev/null || true

# Every file that holds a value of this stack gets placeholders instead, and is listed for rekey.
# shellcheck disable=SC2086 # the list of directories
bake_files_holding "$values" $BAKE_SCAN_DIRS | { grep -vxF "$OOA_SETTINGS" || true; } | while read -r f; do
  bake_replace "$f" "$values" to-placeholders
  echo "$f"
done | write_file "$BAKED_FILES" 0644
cut -f1 "$values" | sort | write_file "$BAKED_NAMES" 0644
log "$(wc -l <"$BAKED_FILES") file(s) now hold placeholders instead of the stack's values"
rm -f "$OOA_SETTINGS"

# The proof: no secret of this stack is left in any file (the database and RabbitMQ stores are
# skipped: their users get new passwords at rekey, and a dump above found no row holding one).
secrets="$(umask 077 && mktemp /tmp/ooa-bake-secrets-XXXXXX)"
trap 'rm -f "$values" "$secrets"' EXIT
awk -F'\t' '$1 ~ /^PASS_/ { print $2 }' "$values" >"$secrets"
prune=()
for d in $BAKE_CHECK_SKIP; do prune+=(-path "$d" -prune -o); done
leaked="$(find / -xdev "${prune[@]}" -type f -size -64M -print0 2>/dev/null |
  xargs -0 -r grep -lF -f "$secrets" 2>/dev/null | grep -v "^$OOA_LOG_DIR/bake-clean.log$" || true)"
[[ -z "$leaked" ]] || die "files still hold a secret of the stack: $(tr "\n" " " <<<"$leaked")"
log "no file holds a secret of the stack"

cat <<EOF | write_file "$BAKED_FACTS" 0644
BAKED_NODE='$NODE_NAME'
BAKED_ROLE='$NODE_ROLE'
BAKED_AT='$(date -u +%Y-%m-%dT%H:%M:%SZ)'
EOF
sync
stage_end
