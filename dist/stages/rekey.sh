#!/usr/bin/env bash
# rekey: the first stage of a node booted from a baked image (src/stages/lib-bake.sh). Puts this
# stack's values where the bake left placeholders, finds the NICs again by their new MACs, gives
# every database, RabbitMQ and Keystone user this stack's password, makes new Fernet and credential
# keys, and starts the services the bake stopped, in install order. Afterwards no secret of the
# baking stack works here: every one of them was replaced.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib-bake.sh
. "$(dirname "$0")/lib-bake.sh"
stage_begin rekey

[[ -r "$BAKED_FILES" && -r "$BAKED_UNITS" ]] || die "this node was not booted from a baked image ($BAKED_FILES is missing)"
# shellcheck disable=SC1090
. "$BAKED_FACTS"
log "baked from $BAKED_NODE ($BAKED_ROLE) at $BAKED_AT"
[[ "$BAKED_ROLE" == "$NODE_ROLE" ]] || die "this image was baked for role $BAKED_ROLE, not $NODE_ROLE"
resolve_nics

values="$(bake_values_file)"
trap 'rm -f "$values" "$values.files"' EXIT
lacking="$(comm -23 "$BAKED_NAMES" <(cut -f1 "$values" | sort) | tr '\n' ' ')"
[[ -z "$lacking" ]] || die "the settings lack values the image needs: $lacking"

# The stage scripts are this run's upload, never the image's (an older bake listed them too).
grep -v "^$OOA_LIB_DIR/" "$BAKED_FILES" >"$values.files" || true
count=0
while read -r f; do
  [[ -f "$f" ]] || die "$f, listed by the bake, is missing"
  bake_replace "$f" "$values" from-placeholders
  count=$((count + 1))
done <"$values.files"
left="$(xargs -r -d '\n' grep -l '@@[A-Z_]*@@' <"$values.files" || true)"
[[ -z "$left" ]] || die "placeholders left in: $(tr '\n' ' ' <<<"$left")"
changed "this stack's values in $count file(s)"

# Services start side by side in waves: start_wave enables and starts what is not running yet,
# without waiting (one reload of systemd per wave, not one per unit); a wave's readiness is polled
# where the next step needs it.
start_wave() {
  local todo=() states=() i
  (($# > 0)) || return 0
  # One systemctl for every unit's state (one line each, in order), not one per unit.
  mapfile -t states < <(systemctl is-active "$@" || true)
  for ((i = 1; i <= $#; i++)); do [[ "${states[i - 1]-}" == active ]] || todo+=("${!i}"); done
  ((${#todo[@]} > 0)) || return 0
  # --no-reload: the units are on disk already, so starting them needs no reload of systemd (a
  # reload per wave took 8 s on the controller); the links made count from the next boot.
  systemctl enable -q --no-reload "${todo[@]}"
  systemctl start --no-block "${todo[@]}"
  changed "started ${#todo[@]} service(s): ${todo[*]}"
}

if is_controller; then
  # The Erlang cookie lets whoever holds it drive RabbitMQ: the install made one, so every stack
  # booted from this image would share it. A new one before RabbitMQ starts, beside MariaDB; the
  # new Fernet and credential keys are made while both boot.
  cookie=/var/lib/rabbitmq/.erlang.cookie
  if [[ -e "$cookie" ]]; then
    (umask 077 && python3 -c 'import secrets, string
print("".join(secrets.choice(string.ascii_uppercase) for _ in range(20)), end="")' >"$cookie.new")
    chown rabbitmq:rabbitmq "$cookie.new" && chmod 0400 "$cookie.new" && mv -f "$cookie.new" "$cookie"
    changed "new Erlang cookie for RabbitMQ"
  fi
  # shellcheck disable=SC2046 # unit lists
  start_wave $(units mariadb) $(units rabbitmq)
  keystone-manage fernet_setup --keystone-user keystone --keystone-group keystone
  keystone-manage credential_setup --keystone-user keystone --keystone-group keystone
  changed "new Fernet and credential keys"

  wait_until 60 "MariaDB answering" mysql_ping
  for user in $(db_users); do
    var="$(db_user_password_var "$user")"
    [[ -n "${!var:-}" ]] || die "database user $user has no password in the settings ($var)"
    for host in $(mysql_root <<<"SELECT host FROM mysql.user WHERE user='$user';"); do
      mysql_root <<<"ALTER USER '$user'@'$host' IDENTIFIED BY '${!var}';"
    done
  done
  mysql_root <<<"FLUSH PRIVILEGES;"
  bake_sql_endpoints from-placeholders "$values"
  bake_sql_cells from-placeholders "$values"
  changed "new passwords for the database users, the catalog's public address, the cell mappings"

  wait_until 120 "RabbitMQ answering" rabbitmqctl -q status
  rabbitmq_add_user openstack PASS_RABBITMQ
  changed "new password for the RabbitMQ user openstack"
fi

# Then the rest, in two waves: first everything but the agents, then (on the controller, once the
# RPC servers consume their queues) the agents. An agent started earlier sends its first call into
# a queue nobody reads: it times out after a minute and backs off for most of another (measured:
# the L3 agent then plugged the router's gateway 110 s late).
# controller_consumes QUEUE...: the controller's RabbitMQ takes this stack's openstack password
# and has a consumer on every named queue (asked over AMQP with the py-amqp every OpenStack node has
# under oslo.messaging; the password travels in the environment).
controller_consumes() {
  # timeout: connect_timeout bounds the connection only, and wait_until looks at its clock
  # between tries, so one probe stuck on a channel would hold the stage.
  OOA_AMQP_PASSWORD="$PASS_RABBITMQ" timeout 30 "$(os_python)" - "$CONTROLLER_NAME" "$@" <<'PY'
import os
import sys
import amqp
conn = amqp.Connection(host=sys.argv[1] + ':5672', userid='openstack',
                       password=os.environ['OOA_AMQP_PASSWORD'], virtual_host='/', connect_timeout=5)
conn.connect()
try:
    for queue in sys.argv[2:]:
        channel = conn.channel()
        try:
            _, _, consumers = channel.queue_declare(queue, passive=True)
        except amqp.exceptions.NotFound:
            sys.exit(1)
        if consumers == 0:
            sys.exit(1)
        channel.close()
finally:
    conn.close()
PY
}

mapfile -t servers < <(grep -v -- '-agent$' "$BAKED_UNITS")
mapfile -t agents < <(grep -- '-agent$' "$BAKED_UNITS")
if ! is_controller; then
  # This node's rekey runs beside the controller's (the stage graph waits for no other node): what
  # serves this node alone starts at once (libvirt probes QEMU's capabilities again on a booted
  # image, 20 s here); what talks to the controller waits for the controller's rekey to get as far
  # as it needs. nova-compute started before nova-conductor consumes sends its first call into a
  # queue nobody reads and waits a minute for it, as the agents do.
  own=() remote=() queues=()
  for u in ${servers[@]+"${servers[@]}"} ${agents[@]+"${agents[@]}"}; do
    case "$u" in
      *nova-*) remote+=("$u") queues+=(conductor) ;;
      *neutron-*) remote+=("$u") queues+=(q-plugin q-reports-plugin) ;;
      *cinder-*) remote+=("$u") ;;
      *) own+=("$u") ;;
    esac
  done
  start_wave ${own[@]+"${own[@]}"}
  # libvirt probes QEMU's capabilities on the first question, not when it starts: nova-compute's
  # first one then waited 21 s here. Asked now, while the controller's rekey runs.
  if [[ "$NODE_ROLE" == compute ]] && command -v virsh >/dev/null; then
    wait_until 180 "libvirt's QEMU capabilities" virsh -c qemu:///system capabilities
  fi
  if ((${#remote[@]} > 0)); then
    # Inside the stage's 15 minutes (REKEY_MINUTES), so this says what it waited for.
    wait_until 600 "the controller's RabbitMQ taking this stack's password${queues[*]:+, consumers on ${queues[*]}}" \
      controller_consumes ${queues[@]+"${queues[@]}"}
    start_wave "${remote[@]}"
  fi
fi

if is_controller; then
  # Keystone first, alone with memcached: started among all the servers it took 32-38 s to answer
  # (2 vCPUs, 16 services importing Python at once), alone 5 s. The others start once every
  # Keystone user has this stack's password: nova-conductor logs in to Keystone as it starts
  # (its Placement client) and exits on a refused password (seen when it started earlier).
  first=" $(units memcached) $(units keystone) "
  rest=()
  for u in ${servers[@]+"${servers[@]}"}; do [[ "$first" == *" $u "* ]] || rest+=("$u"); done
  # shellcheck disable=SC2046 # unit lists
  start_wave $(units memcached) $(units keystone)
  wait_until 120 "Keystone answering on :5000" http_up "http://$CONTROLLER_NAME:5000/v3"
  # bootstrap changes the admin password when it differs (and revokes the old tokens).
  ks_bootstrap >/dev/null
  os_admin
  # Every other user of the default domain: its password from the settings (PASS_<NAME>), set
  # through the Identity API from Python with the passwords in the environment, never in argv.
  # (A command substitution, not a pipe into `while`: changed must run in this shell to count.)
  n="$(
    for v in $(compgen -v PASS_); do export "${v?}"; done
    ks_python <<'PY'
users = s.get(base + '/users', params={'domain_id': 'default'}, connect_retries=3).json()['users']
missing = []
for u in users:
    if u['name'] == 'admin':
        continue
    pw = os.environ.get('PASS_' + u['name'].upper().replace('-', '_'))
    if not pw:
        missing.append(u['name'])
        continue
    s.patch(base + '/users/' + u['id'], json={'user': {'password': pw}})
if missing:
    sys.exit('Keystone users without a password in the settings: ' + ' '.join(missing))
print(len(users) - 1)
PY
  )"
  changed "new passwords for $n Keystone user(s) besides admin"
  start_wave ${rest[@]+"${rest[@]}"}
  wait_until 60 "admin's new password accepted" openstack token issue
  # Every API of the catalog, at its internal address (scheme, host and port of each URL).
  for api in $(openstack endpoint list --interface internal -f value -c URL | sed -E 's#^([a-z]+://[^/]+).*#\1/#' | sort -u); do
    wait_until 180 "$api answering" http_up "$api"
  done
  wait_until 180 "Nova's and Neutron's RPC servers consuming" rpc_consumed conductor scheduler q-plugin q-l3-plugin q-reports-plugin
  start_wave ${agents[@]+"${agents[@]}"}
fi
stage_end
