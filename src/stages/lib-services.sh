# shellcheck shell=bash
# Per-service configuration shared by several stage scripts, sourced by lib.sh (DevStack keeps
# these in lib/<service>): databases, Keystone objects and the common authtoken block, the
# messaging URL, Open vSwitch and the Neutron agents, Nova, Cinder and Swift settings.

# ---------------------------------------------------------------------------------------------
# Database

# SQL on stdin, as the socket-authenticated root.
mysql_root() { mysql --protocol=socket -u root -N -B; }
mysql_ping() { mysql_root <<<'SELECT 1'; }

# db_ensure DB USER PASSWORD: database and its user (localhost and any host), as in the guide.
# The SQL travels on stdin, so the password is in no process's argument list.
db_ensure() {
  local db="$1" user="$2" pass="$3" have_db have_user
  have_db="$(mysql_root <<<"SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name='$db';")"
  have_user="$(mysql_root <<<"SELECT COUNT(*) FROM mysql.user WHERE user='$user';")"
  if [[ "$have_db" == 1 && "$have_user" == 2 ]]; then
    log "database $db and its user exist"
    return 0
  fi
  mysql_root <<EOF
CREATE DATABASE IF NOT EXISTS \`$db\`;
GRANT ALL PRIVILEGES ON \`$db\`.* TO '$user'@'localhost' IDENTIFIED BY '$pass';
GRANT ALL PRIVILEGES ON \`$db\`.* TO '$user'@'%' IDENTIFIED BY '$pass';
FLUSH PRIVILEGES;
EOF
  changed "created database $db and user $user"
}

# run_as USER COMMAND: the guide's `su -s /bin/sh -c "..." user` for the db sync commands.
run_as() {
  local user="$1"
  shift
  su -s /bin/sh -c "$*" "$user"
}

# db_user_password_var USER: the settings name of USER's password (each service's database user
# is named after it, with PASS_<SERVICE>_DB; nova's three databases share nova's).
db_user_password_var() { echo "PASS_${1^^}_DB"; }

# db_url USER DB: the SQLAlchemy URL of a service's database on the controller.
db_url() {
  local var
  var="$(db_user_password_var "$1")"
  echo "mysql+pymysql://$1:${!var}@${CONTROLLER_NAME}/$2"
}

# behind_tls_proxy FILE: the API trusts X-Forwarded-Proto, which tls-proxy's HAProxy sets, so the
# links in its answers say https. Set before the API first starts (it only changes what a request
# carrying the header gets): tls-proxy then has nothing to restart.
behind_tls_proxy() { ini_set "$1" oslo_middleware enable_proxy_headers_parsing true; }

# ---------------------------------------------------------------------------------------------
# Schema syncs beside the stages. The databases stage creates every database of this controller
# and starts the syncs in two background lanes (two vCPUs: one lane takes Keystone, Glance,
# Placement and Cinder, whose stages come first; the other the slow Nova and Neutron), while
# RabbitMQ, memcached, etcd and Keystone are set up. A service's stage waits for its own sync
# (db_sync_wait) only before it starts its services. Each sync's output is in
# $OOA_LOG_DIR/db-sync-<service>.log.

DB_SYNC_DIR="${DB_SYNC_DIR:-/run/openstack-on-aws/db-sync}"

# db_services: the services whose databases this controller holds.
db_services() {
  echo keystone glance placement nova neutron
  if [[ "$HAS_BLOCK" == 1 ]]; then echo cinder; fi
}

# db_lanes: one line per lane, its services in order. Before Stein Placement's sync is Nova's API
# database sync: it goes in Nova's lane, ahead of Nova, so the two never migrate it at once.
db_lanes() {
  local cinder=""
  [[ "$HAS_BLOCK" == 1 ]] && cinder=cinder
  if placement_in_nova; then
    echo "keystone glance $cinder"
    echo "placement nova neutron"
  else
    echo "keystone glance placement $cinder"
    echo "nova neutron"
  fi
}

# db_names SERVICE: its databases.
db_names() { [[ "$1" == nova ]] && echo "nova_api nova nova_cell0" || echo "$1"; }

# db_prepare SERVICE: its databases and users, and the connection settings its sync reads.
db_prepare() {
  local svc="$1" db var
  var="$(db_user_password_var "$svc")"
  for db in $(db_names "$svc"); do db_ensure "$db" "$svc" "${!var}"; done
  case "$svc" in
    keystone) ini_set /etc/keystone/keystone.conf database connection "$(db_url keystone keystone)" ;;
    glance) ini_set /etc/glance/glance-api.conf database connection "$(db_url glance glance)" ;;
    placement)
      ini_set "$(placement_conf_path)" placement_database connection "$(db_url placement placement)"
      if placement_in_nova; then
        db_ensure nova_api nova "$PASS_NOVA_DB"
        ini_set "$(placement_conf_path)" api_database connection "$(db_url nova nova_api)"
      fi
      ;;
    nova)
      ini_set /etc/nova/nova.conf api_database connection "$(db_url nova nova_api)"
      ini_set /etc/nova/nova.conf database connection "$(db_url nova nova)"
      # create_cell records cell1's message queue from here.
      ini_set /etc/nova/nova.conf DEFAULT transport_url "$(transport_url)"
      ;;
    neutron) ini_set /etc/neutron/neutron.conf database connection "$(db_url neutron neutron)" ;;
    cinder) ini_set /etc/cinder/cinder.conf database connection "$(db_url cinder cinder)" ;;
    *) die "db_prepare: no database for $svc" ;;
  esac
}

# db_sync_run SERVICE: the guide's schema sync (idempotent: a current schema is left as it is).
db_sync_run() {
  case "$1" in
    keystone) run_as keystone "keystone-manage db_sync" ;;
    glance) run_as glance "glance-manage db_sync" ;;
    placement) placement_db_sync ;;
    nova)
      run_as nova "nova-manage api_db sync"
      if ! run_as nova "nova-manage cell_v2 list_cells" | grep -q ' cell0 '; then
        run_as nova "nova-manage cell_v2 map_cell0"
        changed "mapped cell0"
      fi
      if ! run_as nova "nova-manage cell_v2 list_cells" | grep -q ' cell1 '; then
        run_as nova "nova-manage cell_v2 create_cell --name=cell1 --verbose"
        changed "created cell1"
      fi
      run_as nova "nova-manage db sync"
      run_as nova "nova-manage cell_v2 list_cells"
      ;;
    neutron)
      run_as neutron "neutron-db-manage --config-file /etc/neutron/neutron.conf --config-file /etc/neutron/plugins/ml2/ml2_conf.ini upgrade head"
      ;;
    cinder) run_as cinder "cinder-manage db sync" ;;
    *) die "db_sync_run: no database for $1" ;;
  esac
}

# db_sync_logged SERVICE: db_sync_run in a shell of its own (errexit holds there whatever the
# caller tests), its output appended to $OOA_LOG_DIR/db-sync-<service>.log. What it changed (Nova
# mapping its cells) goes to $DB_SYNC_DIR/<service>.changes, for the stage that waits to report;
# also what it changed before it failed (written on exit).
db_sync_logged() {
  mkdir -p "$DB_SYNC_DIR"
  rm -f "$DB_SYNC_DIR/$1.changes"
  # shellcheck disable=SC2016 # expanded by the inner shell
  # (The trap names its file by a global: it may fire inside a function, with other arguments.)
  DB_SYNC_DIR="$DB_SYNC_DIR" bash -euo pipefail -c '. "$1/lib.sh"; load_settings; STAGE="db-sync $2"
    DB_SYNC_CHANGES="$DB_SYNC_DIR/$2.changes"
    trap '\''printf "%s\n" ${CHANGES[@]+"${CHANGES[@]}"} >"$DB_SYNC_CHANGES"'\'' EXIT
    log "syncing the $2 database"; db_sync_run "$2"' \
    _ "$OOA_LIB_DIR" "$1" >>"$OOA_LOG_DIR/db-sync-$1.log" 2>&1
}

# db_sync_changes SERVICE: the changes of its last sync, recorded once, as this stage's own.
db_sync_changes() {
  local line
  [[ -r "$DB_SYNC_DIR/$1.changes" ]] || return 0
  while read -r line; do [[ -z "$line" ]] || changed "$line"; done <"$DB_SYNC_DIR/$1.changes"
  rm -f "$DB_SYNC_DIR/$1.changes"
}

# db_sync_failed SERVICE RC: records what the sync changed before it failed, shows the end of its
# log and stops the stage. Its result goes, so the stage run again syncs inline instead of finding
# the same failure, once its lane is over (the lane may still sync the next service, which may
# share a database: Placement and Nova's API database before Stein).
db_sync_failed() {
  db_sync_changes "$1"
  tail -n 30 "$OOA_LOG_DIR/db-sync-$1.log" >&2 || true
  rm -f "$DB_SYNC_DIR/$1.rc"
  die "the $1 database sync failed (exit $2); its output: $OOA_LOG_DIR/db-sync-$1.log"
}

# db_sync_lane SERVICE...: runs the syncs one after another (a failed one does not stop the next:
# they are independent) and leaves each one's exit status in $DB_SYNC_DIR/<service>.rc.
db_sync_lane() {
  local svc rc
  for svc in "$@"; do
    if db_sync_logged "$svc"; then rc=0; else rc=$?; fi
    echo "$rc" >"$DB_SYNC_DIR/$svc.rc.tmp"
    mv "$DB_SYNC_DIR/$svc.rc.tmp" "$DB_SYNC_DIR/$svc.rc"
  done
}

# db_sync_over SERVICE: its sync has ended, or the lane that ran it is gone (a zombie is gone: it
# only waits for its parent to reap it).
db_sync_over() {
  local pid stat
  [[ -e "$DB_SYNC_DIR/$1.rc" ]] && return 0
  pid="$(cat "$DB_SYNC_DIR/$1.pid" 2>/dev/null || true)"
  [[ -n "$pid" ]] && read -r stat <"/proc/$pid/stat" 2>/dev/null || return 0
  stat="${stat##*) }"
  [[ "${stat%% *}" == Z ]]
}

# db_sync_wait SERVICE: waits for the sync the databases stage started. Without a result of one
# (a stage run again by hand after a failure, a lane that ended before it, a reboot: /run is gone)
# it prepares and syncs here and now, once no lane runs.
db_sync_wait() {
  local svc="$1" rc
  if [[ -e "$DB_SYNC_DIR/$svc.pid" ]]; then
    wait_until 1200 "the $svc database synced (since the databases stage)" db_sync_over "$svc"
  fi
  if [[ -e "$DB_SYNC_DIR/$svc.rc" ]]; then
    rc="$(cat "$DB_SYNC_DIR/$svc.rc")"
  else
    db_prepare "$svc"
    log "syncing the $svc database (no result of the databases stage's sync)"
    if db_sync_logged "$svc"; then rc=0; else rc=$?; fi
  fi
  [[ "$rc" == 0 ]] || db_sync_failed "$svc" "$rc"
  db_sync_changes "$svc"
}

# db_lane_busy SERVICE...: a sync of an earlier run of the databases stage still runs for one of
# them (a lane is busy until its last service is over, not only its first).
db_lane_busy() {
  local svc
  for svc in "$@"; do db_sync_over "$svc" || return 0; done
  return 1
}

# ---------------------------------------------------------------------------------------------
# Keystone objects (the guide's `openstack ... create`, made idempotent)

os_admin() {
  [[ -r "$OOA_ADMIN_RC" ]] || die "$OOA_ADMIN_RC is missing: the keystone stage writes it"
  # shellcheck disable=SC1090
  . "$OOA_ADMIN_RC"
}

# ks_bootstrap: the guide's `keystone-manage bootstrap` (admin user, project and role, region, the
# identity endpoints: public on the public address over HTTPS, internal and admin on the management
# name). Idempotent; it sets admin's password when it differs and revokes admin's older tokens
# (rekey relies on that). The password travels in the environment, not argv.
ks_bootstrap() {
  OS_BOOTSTRAP_PASSWORD="$PASS_ADMIN" keystone-manage bootstrap \
    --bootstrap-admin-url "http://$CONTROLLER_NAME:5000/v3/" \
    --bootstrap-internal-url "http://$CONTROLLER_NAME:5000/v3/" \
    --bootstrap-public-url "$(public_url 5000/v3/)" \
    --bootstrap-region-id RegionOne
}

# ks_python: the Python on stdin, after a preamble that opens the admin's Identity API session
# from the OS_* environment (os_admin): `s` is the keystoneauth session, `base` the v3 URL, `e`
# the environment. Every client of the Identity API here starts so (os_ensure_objects, rekey).
ks_python() {
  {
    cat <<'PY'
import os
import sys
from keystoneauth1 import session
from keystoneauth1.identity import v3
e = os.environ
auth = v3.Password(auth_url=e['OS_AUTH_URL'], username=e['OS_USERNAME'],
                   password=e['OS_PASSWORD'], project_name=e['OS_PROJECT_NAME'],
                   user_domain_name=e['OS_USER_DOMAIN_NAME'],
                   project_domain_name=e['OS_PROJECT_DOMAIN_NAME'])
# One connection per request: Keystone under uwsgi closes a kept-alive connection while the client
# may be sending the next request on it (measured: "Connection reset by peer" on Debian 12 + Zed).
s = session.Session(auth=auth, additional_headers={'Connection': 'close'})
base = e['OS_AUTH_URL'].rstrip('/')
PY
    cat
  } | "$(os_python)" -
}

# os_ensure_objects: get-or-create of Keystone objects, one per line on stdin, fields split by tabs
# (ks_line writes one):
#   project NAME DESCRIPTION | role NAME | user NAME PASSWORD_SETTING | grant USER PROJECT ROLE |
#   service NAME TYPE DESCRIPTION | endpoint TYPE INTERFACE URL
# All through the Identity API in one Python process and one token (the openstack CLI took 2-4 s per
# look and per create: about 25 s per service). Passwords travel in the environment, never argv.
ks_line() {
  local IFS=$'\t'
  echo "$*"
}
os_ensure_objects() {
  local spec out rc kind name var _ line
  spec="$(cat)"
  # What was created before a failure is still reported as changed, then the stage stops.
  if out="$(
    while IFS=$'\t' read -r kind name var _; do
      # The setting itself is exported, by its name (a user name need not be a shell identifier, and
      # a failed export would print the word, password included).
      if [[ "$kind" == user ]]; then
        : "${!var:?the setting $var is empty}"
        export "${var?}"
      fi
    done <<<"$spec"
    OOA_ENSURE="$spec" ks_python <<'PY'
def find(kind, **query):
    found = s.get('%s/%s' % (base, kind), params=query, connect_retries=3).json()[kind]
    return found[0] if found else None


def create(kind, body):
    return s.post('%s/%ss' % (base, kind), json={kind: body}).json()[kind]


for line in e['OOA_ENSURE'].splitlines():
    f = line.split('\t')
    if f[0] == 'project' and not find('projects', name=f[1], domain_id='default'):
        create('project', {'name': f[1], 'domain_id': 'default', 'description': f[2], 'enabled': True})
        print('created project %s' % f[1])
    elif f[0] == 'role' and not find('roles', name=f[1]):
        create('role', {'name': f[1]})
        print('created role %s' % f[1])
    elif f[0] == 'user' and not find('users', name=f[1], domain_id='default'):
        create('user', {'name': f[1], 'domain_id': 'default', 'password': e[f[2]], 'enabled': True})
        print('created user %s' % f[1])
    elif f[0] == 'grant':
        user = find('users', name=f[1], domain_id='default')['id']
        project = find('projects', name=f[2], domain_id='default')['id']
        role = find('roles', name=f[3])['id']
        have = s.get('%s/role_assignments' % base, connect_retries=3, params={
            'user.id': user, 'scope.project.id': project, 'role.id': role}).json()['role_assignments']
        if not have:
            s.put('%s/projects/%s/users/%s/roles/%s' % (base, project, user, role))
            print('granted %s on %s to %s' % (f[3], f[2], f[1]))
    elif f[0] == 'service' and not find('services', type=f[2]):
        create('service', {'name': f[1], 'type': f[2], 'description': f[3], 'enabled': True})
        print('created service %s (%s)' % (f[1], f[2]))
    elif f[0] == 'endpoint':
        service = find('services', type=f[1])['id']
        current = find('endpoints', service_id=service, interface=f[2])
        if not current:
            create('endpoint', {'service_id': service, 'interface': f[2], 'url': f[3],
                                'region_id': 'RegionOne', 'enabled': True})
            print('created %s endpoint of %s: %s' % (f[2], f[1], f[3]))
        elif current['url'] != f[3]:
            s.patch('%s/endpoints/%s' % (base, current['id']), json={'endpoint': {'url': f[3]}})
            print('moved %s endpoint of %s to %s' % (f[2], f[1], f[3]))
PY
  )"; then rc=0; else rc=$?; fi
  while read -r line; do [[ -z "$line" ]] || changed "$line"; done <<<"$out"
  ((rc == 0)) || die "the Identity API refused a get-or-create (objects: $(cut -f1,2 <<<"$spec" | tr '\t' ' ' | paste -sd, -))"
}

# os_ensure_api USER PASSWORD_SETTING SERVICE TYPE DESCRIPTION PORT[/PATH]: what each API stage
# needs in Keystone: its user with admin on the service project, its service, and the guide's
# three endpoints (public on the controller's public address over HTTPS, see public_url; internal
# and admin on the controller's management name).
os_ensure_api() {
  local user="$1" var="$2" name="$3" type="$4" desc="$5" path="$6"
  {
    ks_line user "$user" "$var"
    ks_line grant "$user" service admin
    ks_line service "$name" "$type" "$desc"
    ks_line endpoint "$type" public "$(public_url "$path")"
    ks_line endpoint "$type" internal "http://${CONTROLLER_NAME}:$path"
    ks_line endpoint "$type" admin "http://${CONTROLLER_NAME}:$path"
  } | os_ensure_objects
}

# tls_port PORT: the public HTTPS port in front of an internal plain-HTTP port, TripleO's numbers
# (the tls-proxy stage terminates TLS there). PUBLIC_TLS_PORTS in src/plan/plan.ts is the same
# list; a unit test keeps the two equal.
tls_port() {
  case "$1" in
    80) echo 443 ;;
    5000) echo 13000 ;;
    6080) echo 13080 ;;
    8080) echo 13808 ;;
    8774) echo 13774 ;;
    8776) echo 13776 ;;
    8778) echo 13778 ;;
    9292) echo 13292 ;;
    9696) echo 13696 ;;
    *) die "no public TLS port for the internal port $1" ;;
  esac
}

# public_url PORT[/PATH]: the public URL of what answers on PORT inside the VPC: HTTPS on the
# controller's public address, on the TLS port in front of PORT.
public_url() {
  local port="${1%%/*}" path="" tls
  [[ "$1" == */* ]] && path="/${1#*/}"
  tls="$(tls_port "$port")"
  if [[ "$tls" == 443 ]]; then echo "https://${PUBLIC_ADDRESS}${path}"; else echo "https://${PUBLIC_ADDRESS}:${tls}${path}"; fi
}

# keystone_authtoken FILE USER PASSWORD: the [keystone_authtoken] block every service carries.
keystone_authtoken() {
  local f="$1" user="$2" pass="$3" s=keystone_authtoken
  ini_set "$f" $s www_authenticate_uri "http://$CONTROLLER_NAME:5000"
  ini_set "$f" $s auth_url "http://$CONTROLLER_NAME:5000"
  ini_set "$f" $s memcached_servers "$CONTROLLER_NAME:11211"
  ini_set "$f" $s auth_type password
  ini_set "$f" $s project_domain_name Default
  ini_set "$f" $s user_domain_name Default
  ini_set "$f" $s project_name service
  ini_set "$f" $s username "$user"
  ini_set "$f" $s password "$pass"
  # Debian's files preset regionOne, which the catalog does not have (bootstrap made RegionOne).
  ini_set "$f" $s region_name RegionOne
}

# service_auth FILE SECTION USER PASSWORD [extra region line]: the guide's [placement]/[neutron]/
# [nova] client blocks.
service_auth() {
  local f="$1" s="$2" user="$3" pass="$4"
  ini_set "$f" "$s" auth_url "http://$CONTROLLER_NAME:5000"
  ini_set "$f" "$s" auth_type password
  ini_set "$f" "$s" project_domain_name Default
  ini_set "$f" "$s" user_domain_name Default
  ini_set "$f" "$s" region_name RegionOne
  ini_set "$f" "$s" project_name service
  ini_set "$f" "$s" username "$user"
  ini_set "$f" "$s" password "$pass"
}

transport_url() { echo "rabbit://openstack:${PASS_RABBITMQ}@${CONTROLLER_NAME}:5672/"; }


# ovs_datapath: "system" where the kernel has the openvswitch module (EC2's kernels do; the
# switch's start loads it), else "netdev", the userspace datapath ovs-vswitchd serves itself.
ovs_datapath() {
  if [[ -d /sys/module/openvswitch ]] || modprobe -q openvswitch 2>/dev/null; then echo system; else echo netdev; fi
}

# ovs_bridge NAME DATAPATH: the bridge exists with that datapath.
ovs_bridge() {
  local br="$1" dp="$2"
  if ! ovs-vsctl br-exists "$br"; then
    ovs-vsctl add-br "$br" -- set bridge "$br" datapath_type="$dp"
    changed "created OVS bridge $br (datapath $dp)"
  elif [[ "$(ovs-vsctl get bridge "$br" datapath_type | tr -d '"')" != "$dp" ]]; then
    ovs-vsctl set bridge "$br" datapath_type="$dp"
    changed "OVS bridge $br: datapath $dp"
  fi
}

# The console page the compute nodes' novncproxy_base_url names and the stages prove it by: every
# distribution's novnc has it (Debian's and Ubuntu's as a link to vnc.html).
# shellcheck disable=SC2034 # read by nova-compute.sh, nova-controller.sh and tls-proxy.sh
NOVNC_PAGE=vnc_auto.html

# novncproxy_fork_start: websockify hands each console connection to a multiprocessing child. From
# Python 3.14 that child comes from a forkserver, which must pickle the connection's socket, and
# eventlet's green socket cannot be pickled: every request, the console page included, is dropped
# ("handler exception: Can't pickle <enum 'AddressFamily'>", websockify issue 643; seen on Ubuntu
# 26.04). The unit gets the fork start method of earlier Pythons back through a sitecustomize of its
# own (on its PYTHONPATH only: no other program changes).
novncproxy_fork_start() {
  local unit dir=/usr/local/lib/openstack-on-aws/novncproxy
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 14))' || return 0
  unit="$(units nova-controller | tr ' ' '\n' | grep novncproxy)" || die "no noVNC proxy unit among $(units nova-controller)"
  write_file "$dir/sitecustomize.py" 0644 root:root <<'PY'
# Written by openstack-on-aws for the noVNC proxy only (see its unit's drop-in): websockify's
# per-connection processes need the fork start method (Python 3.14 defaults to forkserver).
import multiprocessing

multiprocessing.set_start_method("fork")
PY
  local before=$CONFIG_CHANGED
  CONFIG_CHANGED=0
  write_file "/etc/systemd/system/$unit.service.d/openstack-on-aws-fork.conf" 0644 root:root <<EOF
[Service]
Environment=PYTHONPATH=$dir
EOF
  if ((CONFIG_CHANGED)); then systemctl daemon-reload; fi
  CONFIG_CHANGED=$((before | CONFIG_CHANGED))
}

# ovs_userspace_tunnels_or_die: Open vSwitch before 3.3 cannot carry TCP over the VXLAN overlay on
# its userspace datapath. With userspace TSO it drops every packet it must push into a tunnel while
# the packet carries checksum offload (ovs-vswitchd.log: "Tunneling packets with HW offload flags is
# not supported: packet dropped"); without it the taps pass on checksums the sender left unfinished.
# Ping works either way, SSH to an instance does not (seen with Debian 12's 3.1.0 on this project's
# local provider). OVS 3.3 added tunnel offload to the userspace datapath; the kernel one has none of this.
ovs_userspace_tunnels_or_die() {
  local v
  v="$(ovs-vswitchd --version 2>/dev/null | awk 'NR == 1 {print $NF}')"
  [[ -n "$v" ]] || die "cannot read the Open vSwitch version (ovs-vswitchd --version)"
  if [[ "$(printf '%s\n' 3.3 "$v" | sort -V | head -n1)" != 3.3 ]]; then
    die "Open vSwitch $v on the userspace datapath (this node's kernel has no openvswitch module) drops the tenant networks' TCP in its VXLAN tunnels (fixed in Open vSwitch 3.3). Use network-driver linuxbridge on $OS_ID, an OS with Open vSwitch 3.3 or later, or nodes whose kernel has the openvswitch module (EC2's have)"
  fi
}

# ovs_userspace_tso UNIT: with the userspace datapath, TCP through OVS's taps needs userspace TSO
# (read once, when ovs-vswitchd starts): without it frames whose checksum the sender left to
# offload reach the namespaces' taps unfinished and their kernels drop them (ping still works).
ovs_userspace_tso() {
  if [[ "$(ovs-vsctl --if-exists get Open_vSwitch . other_config:userspace-tso-enable | tr -d '"')" != true ]]; then
    ovs-vsctl set Open_vSwitch . other_config:userspace-tso-enable=true
    systemctl restart "$1"
    changed "Open vSwitch: userspace TSO on (switch restarted)"
  fi
}

# ovs_tunnel_endpoint: the userspace datapath sends VXLAN only out of an OVS bridge that holds the
# tunnel's local IP (OVS's "userspace tunneling" guide: the NIC on a bridge, its address on the
# bridge). br-mgmt takes the management NIC and its MAC (OVS never picks a locally administered MAC
# by itself), then the address and the routes through that NIC move over in one command line, so
# the SSH session running this stage survives the move (TCP retransmits the few lost segments).
ovs_tunnel_endpoint() {
  local br=br-mgmt nic="$NIC_MANAGEMENT" mac cidr routes=() r
  [[ -n "$nic" ]] || die "no management NIC in the settings of $NODE_NAME"
  if ip -4 -o addr show dev "$br" 2>/dev/null | grep -q " $MANAGEMENT_IP/"; then return 0; fi
  mac="$(ip -o link show dev "$nic" | sed -n 's/.* link\/ether \([0-9a-f:]*\).*/\1/p')"
  cidr="$(ip -4 -o addr show dev "$nic" | awk -v ip="$MANAGEMENT_IP" '{split($4, a, "/"); if (a[1] == ip) print $4}')"
  [[ -n "$cidr" ]] || die "management address $MANAGEMENT_IP is on neither $nic nor $br"
  # awk, not grep -v: a grep without matches fails, and under the stages' ERR trap (set -E) the
  # trap's own log line would land in the list as a "route".
  while IFS= read -r r; do [[ -n "$r" ]] && routes+=("$r"); done < <(ip -4 route show dev "$nic" | awk '!/proto kernel/')
  ovs-vsctl --may-exist add-br "$br" -- set bridge "$br" datapath_type=netdev other-config:hwaddr="\"$mac\"" \
    -- --may-exist add-port "$br" "$nic"
  ip addr del "$cidr" dev "$nic" && ip link set "$br" up && ip addr add "$cidr" dev "$br" &&
    for r in "${routes[@]}"; do
      # shellcheck disable=SC2086 # a route as ip prints it: its words are its arguments
      ip route replace $r dev "$br"
    done
  changed "management address $cidr moved from $nic to OVS bridge $br (userspace VXLAN endpoint)"
}

# ebtables_among_delete: the Linux bridge agent keeps each port's MAC anti-spoofing rule as an
# --among-src match, and when it sets a port up again it deletes the old rule by its text
# (ebtables -D CHAIN RULE). Debian 12's ebtables-nft (iptables 1.8.9) refuses that delete
# ("RULE_DELETE failed (Invalid argument)", exit 4), the agent retries it without end and plugs no
# other port, and new servers never get their network ("Failed to allocate the network(s)"; seen in
# Tempest on the local provider). iptables 1.8.10 deletes it (Ubuntu 24.04's, measured). Where a
# throwaway network namespace shows this node's ebtables cannot, the wrapper below becomes the
# `ebtables` alternative; the proof then runs again through it.
ebtables_among_delete() {
  local real wrapper=/usr/local/sbin/ebtables-among-delete slaves=() tool
  unshare --net true 2>/dev/null || die "cannot make a throwaway network namespace (unshare --net) to test ebtables"
  ebtables_among_delete_works && return 0
  real="$(ebtables_real "$wrapper")" || die "ebtables on $NODE_NAME is no alternative (update-alternatives): the wrapper cannot go in front of it"
  [[ -x "$real" ]] || die "the ebtables alternative names $real, which is not a program"
  ebtables_among_wrapper "$real" | write_file "$wrapper" 0755 root:root
  if [[ "$(ebtables_alternative)" != "$wrapper" ]]; then
    for tool in restore save; do
      if [[ -e "$real-$tool" ]]; then slaves+=(--slave "/usr/sbin/ebtables-$tool" "ebtables-$tool" "$real-$tool"); fi
    done
    update-alternatives --quiet --install /usr/sbin/ebtables ebtables "$wrapper" 1 "${slaves[@]}"
    update-alternatives --quiet --set ebtables "$wrapper"
    changed "ebtables: $wrapper wraps $real (it cannot delete an --among-src rule by its text)"
  fi
  if ! ebtables_among_delete_works; then
    update-alternatives --quiet --remove ebtables "$wrapper"
    die "ebtables still cannot delete an --among-src rule by its text, even through $wrapper (removed again)"
  fi
}

# ebtables_alternative: the program the ebtables alternative names now, one link down only:
# ebtables-nft is itself a link to xtables-nft-multi, which picks its tool by the name it is
# called by (so readlink -f would name a program that is no ebtables).
ebtables_alternative() {
  local value
  value="$(update-alternatives --query ebtables 2>/dev/null | sed -n 's/^Value: //p')"
  [[ -n "$value" ]] || value="$(readlink /etc/alternatives/ebtables)" || return 1
  echo "$value"
}

# ebtables_real WRAPPER: the ebtables the wrapper is to call: the alternative's, or, when the
# wrapper is the alternative already (the stage runs again), the one it records.
ebtables_real() {
  local value
  value="$(ebtables_alternative)" || return 1
  if [[ "$value" == "$1" ]]; then sed -n 's/^real=//p' "$1"; else echo "$value"; fi
}

# ebtables_among_delete_works: the Linux bridge agent's own sequence, in a network namespace that
# ends with the command: a chain, a rule matching --among-src, and its delete by text.
ebtables_among_delete_works() {
  unshare --net sh -c 'ebtables -t nat -N ooa-probe -P DROP &&
    ebtables -t nat -I ooa-probe -i tap0 --among-src 02:00:00:00:00:01 -j RETURN &&
    ebtables -t nat -D ooa-probe -i tap0 --among-src 02:00:00:00:00:01 -j RETURN' >/dev/null 2>&1
}

# ebtables_among_wrapper REAL: the wrapper's text. Every call goes to REAL; only a delete by rule
# text with an among match that REAL refused is done again by the rule's number, read from the
# chain's numbered listing (whose text is the one the agent read and split into the command).
ebtables_among_wrapper() {
  cat <<EOF
#!/bin/bash
# Written by openstack-on-aws's neutron stage (ebtables_among_delete in its lib-services.sh): this
# node's ebtables cannot delete an --among-src rule by its text; such a delete is done by number.
EOF
  printf 'real=%q\n' "$1"
  cat <<'EOF'
"$real" "$@" && exit 0
rc=$?
table=filter opts=() chain='' rule=() args=("$@") i=0
while ((i < ${#args[@]})); do
  case "${args[i]}" in
    -t) table="${args[i + 1]}"; i=$((i + 2)) ;;
    --concurrent) opts+=(--concurrent); i=$((i + 1)) ;;
    -D) chain="${args[i + 1]}"; rule=("${args[@]:i+2}"); break ;;
    *) exit "$rc" ;;
  esac
done
[[ -n "$chain" && " ${rule[*]} " == *" --among-"* ]] || exit "$rc"
# The listing writes MACs without leading zeros (fa:16:3e:0:a:1): both sides are compared that way.
canon() { sed -E 's/(^|[ :,=])0+([0-9a-fA-F])/\1\2/g' | tr '[:upper:]' '[:lower:]'; }
want="$(printf '%s\n' "${rule[*]}" | canon)"
n="$("$real" -t "$table" "${opts[@]}" -L "$chain" --Ln 2>/dev/null | canon |
  awk -v want="$want" '$1 ~ /^[0-9]+$/ { n = $1; $1 = ""; sub(/^ +/, ""); sub(/ +$/, ""); if ($0 == want) { print n; exit } }')"
[[ -n "$n" ]] || exit "$rc"
exec "$real" -t "$table" "${opts[@]}" -D "$chain" "$n"
EOF
}

# network-fix routed (issue 15): on the controller the provider physical network is a bridge
# WITHOUT the provider NIC (br-provider, for both drivers); the network fix routes between them.
routed_external() { [[ "$NETWORK_FIX" == routed ]] && is_controller; }

# routed_linux_bridge: br-provider as a Linux bridge, made by a unit before the agent starts (the
# linuxbridge agent stops when a mapped bridge is missing), now and at every boot.
routed_linux_bridge() {
  write_file /etc/systemd/system/ooa-external-bridge.service 0644 <<'EOF'
[Unit]
Description=openstack-on-aws: the external network's bridge (network-fix routed: eth1 is routed, not bridged)
Before=neutron-linuxbridge-agent.service
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'ip link show br-provider >/dev/null 2>&1 || ip link add br-provider type bridge; ip link set br-provider up'
[Install]
WantedBy=multi-user.target
EOF
  systemctl daemon-reload
  svc_apply ooa-external-bridge.service
}

# neutron_agent_setup: the layer-2 agent on controller and compute nodes (install guide, option 2):
# the provider physical network on the provider NIC found by MAC, VXLAN over the management
# address, security groups through iptables, and the bridge netfilter sysctls. With network-fix
# routed the controller's provider network is br-provider without the NIC (both drivers).
neutron_agent_setup() {
  local f
  f="$(neutron_agent_ini)"
  [[ -n "$NIC_PROVIDER" ]] || die "no provider NIC in the settings of $NODE_NAME"
  if [[ "$NETWORK_DRIVER" == openvswitch ]]; then
    local ovs_unit dp
    ovs_unit="$(ovs_unit)"
    # Started, never restarted for Neutron's configuration (the switch reads none of it): with the
    # userspace datapath a restart would cut the ports the agents moved into namespaces.
    local saved_changed=$CONFIG_CHANGED
    CONFIG_CHANGED=0
    svc_apply "$ovs_unit"
    CONFIG_CHANGED=$saved_changed
    dp="$(ovs_datapath)"
    log "Open vSwitch datapath: $dp ($([[ "$dp" == system ]] && echo "the kernel's openvswitch module" ||
      echo "userspace: this kernel has no openvswitch module"))"
    if [[ "$dp" != system ]]; then
      ovs_userspace_tunnels_or_die
      ovs_userspace_tso "$ovs_unit"
    fi
    ovs_bridge br-provider "$dp"
    if routed_external; then
      if ovs-vsctl list-ports br-provider | grep -qx "$NIC_PROVIDER"; then
        ovs-vsctl del-port br-provider "$NIC_PROVIDER"
        changed "detached $NIC_PROVIDER from br-provider (network-fix routed)"
      fi
    elif ! ovs-vsctl list-ports br-provider | grep -qx "$NIC_PROVIDER"; then
      ovs-vsctl add-port br-provider "$NIC_PROVIDER"
      changed "attached $NIC_PROVIDER to br-provider"
    fi
    ini_set "$f" ovs bridge_mappings "$PHYSICAL_NETWORK:br-provider"
    ini_set "$f" ovs local_ip "$MANAGEMENT_IP"
    # The agent makes br-int and br-tun with this datapath; the default (system) needs the module.
    ini_set "$f" ovs datapath_type "$dp"
    [[ "$dp" == system ]] || ovs_tunnel_endpoint
    ini_set "$f" agent tunnel_types vxlan
    ini_set "$f" agent l2_population true
    ini_set "$f" securitygroup enable_security_group true
    ini_set "$f" securitygroup firewall_driver openvswitch
  else
    if routed_external; then
      routed_linux_bridge
      ini_del "$f" linux_bridge physical_interface_mappings
      ini_set "$f" linux_bridge bridge_mappings "$PHYSICAL_NETWORK:br-provider"
    else
      ini_set "$f" linux_bridge physical_interface_mappings "$PHYSICAL_NETWORK:$NIC_PROVIDER"
    fi
    ini_set "$f" vxlan enable_vxlan true
    ini_set "$f" vxlan local_ip "$MANAGEMENT_IP"
    ini_set "$f" vxlan l2_population true
    ini_set "$f" securitygroup enable_security_group true
    ini_set "$f" securitygroup firewall_driver neutron.agent.linux.iptables_firewall.IptablesFirewallDriver
    ebtables_among_delete
    modprobe br_netfilter 2>/dev/null || true
    sysctl_set net.bridge.bridge-nf-call-iptables 1
    sysctl_set net.bridge.bridge-nf-call-ip6tables 1
  fi
}

# nova_common_conf FILE: the part of nova.conf the controller and the compute nodes share
# (messaging, my_ip, Keystone auth and the service user token).
nova_common_conf() {
  local conf="$1"
  ini_set "$conf" DEFAULT transport_url "$(transport_url)"
  ini_set "$conf" DEFAULT my_ip "$MANAGEMENT_IP"
  ini_set "$conf" api auth_strategy keystone
  keystone_authtoken "$conf" nova "$PASS_NOVA"
  ini_set "$conf" service_user send_service_user_token true
  ini_set "$conf" service_user auth_url "http://$CONTROLLER_NAME:5000/v3"
  ini_set "$conf" service_user auth_strategy keystone
  ini_set "$conf" service_user auth_type password
  ini_set "$conf" service_user project_domain_name Default
  ini_set "$conf" service_user user_domain_name Default
  ini_set "$conf" service_user project_name service
  ini_set "$conf" service_user username nova
  ini_set "$conf" service_user password "$PASS_NOVA"
  if [[ "$HAS_BLOCK" == 1 ]]; then nova_uses_cinder "$conf"; fi
}

# nova_uses_cinder FILE: Nova's [cinder] section (the guide's os_region_name), on the internal
# endpoint: Nova's default is the PUBLIC one, the controller's elastic IP, which the nodes cannot
# reach from inside the VPC (the same trap broke Neutron's notifications to Nova).
nova_uses_cinder() {
  ini_set "$1" cinder os_region_name RegionOne
  ini_set "$1" cinder catalog_info volumev3:cinderv3:internalURL
}

# cinder_common_conf FILE: the part of cinder.conf the controller and the block node share.
cinder_common_conf() {
  local f="$1"
  ini_set "$f" database connection "$(db_url cinder cinder)"
  ini_set "$f" DEFAULT transport_url "$(transport_url)"
  ini_set "$f" DEFAULT auth_strategy keystone
  ini_set "$f" DEFAULT my_ip "$MANAGEMENT_IP"
  keystone_authtoken "$f" cinder "$PASS_CINDER"
  ini_set "$f" oslo_concurrency lock_path /var/lib/cinder/tmp
  # Volume events go to Nova's internal endpoint, not the public one (unreachable from the VPC).
  ini_set "$f" nova interface internal
  ini_set "$f" nova region_name RegionOne
}

# swift_conf: /etc/swift/swift.conf, identical on the proxy and the storage nodes (the hash
# prefix and suffix are per-stack secrets).
swift_conf() {
  write_file /etc/swift/swift.conf 0640 root:swift <<EOC
[swift-hash]
swift_hash_path_suffix = $PASS_SWIFT_HASH_SUFFIX
swift_hash_path_prefix = $PASS_SWIFT_HASH_PREFIX

[storage-policy:0]
name = Policy-0
default = yes
EOC
}
