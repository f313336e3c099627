# shellcheck shell=bash
# Per-OS data and mechanics, sourced by lib.sh: package names, service units, repositories per
# package source, and each family's paths and differences (Debian, Ubuntu, the RHEL family). The
# stage scripts read the same on every OS because every difference between families lives here.

# ---------------------------------------------------------------------------------------------
# Packages per family

pkg_installed() {
  case "$OS_FAMILY" in
    debian | ubuntu) [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]] ;;
    rhel) rpm -q --whatprovides "$1" >/dev/null 2>&1 ;;
    *) die "unknown OS family $OS_FAMILY" ;;
  esac
}

# pkg_install PKG...: installs what is missing. On Debian-family systems services are not started
# by the install itself (policy-rc.d): they start once configured, from svc_apply.
pkg_install() {
  local missing=() p
  for p in "$@"; do
    [[ " ${missing[*]-} " != *" $p "* ]] || continue
    pkg_installed "$p" || missing+=("$p")
  done
  ((${#missing[@]} > 0)) || return 0
  log "installing ${missing[*]}"
  case "$OS_FAMILY" in
    debian | ubuntu)
      # The download is bounded and repeatable (apt_net); the unpacking after it runs once, from
      # the archive cache, with nothing left to fetch.
      apt_net "install (download)" "$APT_DOWNLOAD_SECONDS" install -y -q --download-only "${missing[@]}"
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
      chmod 0755 /usr/sbin/policy-rc.d
      local rc=0
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Options::=--force-confold "${missing[@]}" || rc=$?
      rm -f /usr/sbin/policy-rc.d
      ((rc == 0)) || die "apt-get install failed ($rc)"
      ;;
    rhel) $(rhel_pm) install -y "${missing[@]}" ;;
  esac
  changed "installed ${missing[*]}"
}

# apt_net WHAT SECONDS ARGS...: apt-get ARGS for a step that only talks to the mirror (a list
# refresh, a download into the archive cache), under a wall-clock limit and tried again. APT's own
# timeouts end a silent connection only; a trickling mirror or a wedged method outlives them (seen
# here: an `apt-get update` whose http and gpgv methods still ran after 20 minutes). Both steps are
# safe to repeat: apt replaces partial lists and resumes partial downloads (a try that ran out of
# time keeps what it fetched). Three tries fit in the shortest stage that refreshes (host-prep,
# 10 minutes) and in repositories (40). --foreground keeps apt-get in the stage's process group,
# which the stage runner kills when a stage runs out of time. The notes go to stderr: callers
# silence apt-get's own stdout, not these.
APT_UPDATE_SECONDS="${APT_UPDATE_SECONDS:-180}"
APT_DOWNLOAD_SECONDS="${APT_DOWNLOAD_SECONDS:-600}"
APT_NET_TRIES="${APT_NET_TRIES:-3}"
apt_net() {
  local what="$1" limit="$2" try rc
  shift 2
  for ((try = 1; ; try++)); do
    rc=0
    timeout --foreground -k 10 "$limit" apt-get -o Acquire::Retries=3 -o Acquire::http::Timeout=30 \
      -o Acquire::https::Timeout=30 "$@" || rc=$?
    ((rc != 0)) || return 0
    local why="exit $rc"
    ((rc != 124 && rc != 137)) || why="not done within ${limit}s"
    ((try < APT_NET_TRIES)) || { die "apt-get $what failed $try times (last: $why); is the package mirror reachable from $NODE_NAME?"; } >&2
    log "apt-get $what: $why; trying again ($((try + 1))/$APT_NET_TRIES)" >&2
    sleep "$try"
  done
}

rhel_pm() { if command -v dnf >/dev/null 2>&1; then echo dnf; else echo yum; fi; }

# Debian's OpenStack packages ask debconf questions (database, RabbitMQ, endpoints): answered "no"
# here, everything is configured the install-guide way below.
debconf_preseed() {
  [[ "$OS_FAMILY" == debian ]] || return 0
  local p sel="" q
  for p in keystone glance placement nova neutron cinder swift horizon openstack-dashboard; do
    for q in configure_db dbconfig-install configure_rabbit configure_ksat configure_api-endpoint \
      register-endpoint create-admin-tenant configure_neutron configure_placement configure_nova; do
      sel+="$p $p/$q boolean false"$'\n'
    done
  done
  sel+="openstack-dashboard-apache horizon/use_ssl boolean false"$'\n'
  printf '%s' "$sel" | debconf-set-selections
  log "debconf answers set: the packages configure no database, RabbitMQ or endpoint (the stages do)"
}

# pkgs COMPONENT: the package names of a component on this OS.
pkgs() {
  local py=python3
  [[ "$OS_ID" == centos-7 ]] && py=python
  case "$OS_FAMILY:$1" in
    *:tools) [[ "$OS_FAMILY" == rhel ]] && echo "crudini $py-openstackclient openstack-selinux" || echo "crudini python3-openstackclient" ;;
    *:host) echo "chrony iptables curl" ;;
    rhel:mariadb) echo "mariadb mariadb-server $py-PyMySQL" ;;
    *:mariadb) echo "mariadb-server python3-pymysql" ;;
    *:rabbitmq) echo "rabbitmq-server" ;;
    rhel:memcached) echo "memcached $py-memcached" ;;
    *:memcached) echo "memcached python3-memcache" ;;
    debian:etcd) echo "etcd-server" ;;
    ubuntu:etcd) [[ "$OS_ID" == ubuntu-22.04 ]] && echo "etcd" || echo "etcd-server" ;;
    rhel:etcd) echo "etcd" ;;
    rhel:keystone) echo "openstack-keystone httpd $([[ "$OS_ID" == centos-7 ]] && echo mod_wsgi || echo python3-mod_wsgi)" ;;
    *:keystone) echo "keystone" ;;
    rhel:glance) echo "openstack-glance" ;;
    *:glance) echo "glance-api" ;;
    # Before Stein the Placement API was part of Nova (Rocky guide: openstack-nova-placement-api).
    rhel:placement) placement_in_nova && echo "openstack-nova-placement-api" || echo "openstack-placement-api" ;;
    *:placement) placement_in_nova && echo "nova-placement-api" || echo "placement-api" ;;
    rhel:nova-controller) echo "openstack-nova-api openstack-nova-conductor openstack-nova-novncproxy openstack-nova-scheduler" ;;
    # Debian ships the console proxies in one package (nova-novncproxy is only a virtual name).
    debian:nova-controller) echo "nova-api nova-conductor nova-consoleproxy nova-scheduler" ;;
    *:nova-controller) echo "nova-api nova-conductor nova-novncproxy nova-scheduler" ;;
    rhel:nova-compute) echo "openstack-nova-compute" ;;
    # genisoimage: Nova builds config drives with it (mkisofs_cmd); neither package pulls it in.
    debian:nova-compute) echo "nova-compute nova-compute-$([[ "$VIRT_TYPE" == kvm ]] && echo kvm || echo qemu) genisoimage" ;;
    ubuntu:nova-compute) echo "nova-compute $([[ "$VIRT_TYPE" == kvm ]] && echo nova-compute-kvm || echo nova-compute-qemu) genisoimage" ;;
    rhel:neutron-server) echo "openstack-neutron openstack-neutron-ml2 ebtables ipset" ;;
    debian:neutron-server) echo "neutron-api neutron-rpc-server $(neutron_periodic_workers) neutron-dhcp-agent neutron-metadata-agent neutron-l3-agent" ;;
    ubuntu:neutron-server) echo "neutron-server neutron-plugin-ml2 neutron-dhcp-agent neutron-metadata-agent neutron-l3-agent" ;;
    rhel:neutron-agent) [[ "$NETWORK_DRIVER" == openvswitch ]] && echo "openstack-neutron-openvswitch ipset" || echo "openstack-neutron-linuxbridge ebtables ipset" ;;
    *:neutron-agent) [[ "$NETWORK_DRIVER" == openvswitch ]] && echo "neutron-openvswitch-agent openvswitch-switch" || echo "neutron-linuxbridge-agent ebtables ipset" ;;
    rhel:horizon) echo "openstack-dashboard $(horizon_memcache_client)" ;;
    debian:horizon) echo "openstack-dashboard-apache $(horizon_memcache_client)" ;;
    ubuntu:horizon) echo "openstack-dashboard $(horizon_memcache_client)" ;;
    rhel:cinder-controller) echo "openstack-cinder" ;;
    *:cinder-controller) echo "cinder-api cinder-scheduler" ;;
    rhel:cinder-volume) echo "lvm2 device-mapper-persistent-data openstack-cinder targetcli" ;;
    *:cinder-volume) echo "lvm2 thin-provisioning-tools cinder-volume tgt" ;;
    rhel:swift-proxy) echo "openstack-swift-proxy $py-swiftclient $py-keystonemiddleware memcached" ;;
    *:swift-proxy) echo "swift swift-proxy python3-swiftclient python3-keystonemiddleware memcached" ;;
    rhel:swift-storage)
      local swift="openstack-swift-account openstack-swift-container openstack-swift-object"
      # From EL8 on rsyncd.service is in rsync-daemon (RDO's swift packages require only rsync).
      [[ "$OS_ID" == centos-7 ]] && echo "xfsprogs rsync $swift" || echo "xfsprogs rsync rsync-daemon $swift"
      ;;
    *:swift-storage) echo "xfsprogs rsync swift swift-account swift-container swift-object" ;;
    *) die "no package list for $1 on $OS_FAMILY" ;;
  esac
}

# stage_pkgs STAGE: the packages a stage installs (nothing for the stages that install none).
stage_pkgs() {
  case "$1" in
    repositories) echo "$(pkgs host) $(pkgs tools)" ;;
    mariadb | rabbitmq | memcached | etcd | keystone | glance | placement | nova-controller | horizon | \
      cinder-controller | cinder-volume | swift-proxy | swift-storage) pkgs "$1" ;;
    nova-compute) pkgs nova-compute ;;
    neutron-compute) pkgs neutron-agent ;;
    neutron-controller) echo "$(pkgs neutron-server) $(pkgs neutron-agent)" ;;
    tls-proxy) echo haproxy ;;
    *) ;;
  esac
}

# node_pkgs: the packages of every stage this node runs (NODE_STAGES), each once. repositories
# installs them in one transaction: one dependency resolution, one unpack and one round of
# triggers (man-db, systemd, python byte-compiling) instead of one per stage.
node_pkgs() {
  local s
  for s in $NODE_STAGES; do stage_pkgs "$s"; done | tr ' ' '\n' | awk 'NF && !seen[$0]++' | tr '\n' ' '
}

# neutron_periodic_workers: Debian's Epoxy and later run Neutron's periodic tasks in a service of
# their own (the API under uwsgi runs none); older releases have no such package.
neutron_periodic_workers() { release_before epoxy || echo neutron-periodic-workers; }

# Whether this OS and release deploy Nova's metadata API: Debian's nova-api-metadata, the nova-api of
# RHEL and of Ubuntu before Gazpacho; Ubuntu's Gazpacho packages ship none. metadataApiDeployed in
# src/smoke/checks/tempest-smoke.ts gives the same answer to Tempest (a unit test holds them equal).
nova_metadata_api() { [[ "$OS_FAMILY" != ubuntu ]] || release_before gazpacho; }

# ovs_unit: Open vSwitch's unit on this OS (RDO names it after the package, Debian and Ubuntu after
# the switch).
ovs_unit() { [[ "$OS_FAMILY" == rhel ]] && echo openvswitch || echo openvswitch-switch; }

# units COMPONENT: the systemd units of a component on this OS. Debian runs the APIs as uwsgi
# services of their own; Ubuntu and RHEL put Keystone and Placement under Apache.
units() {
  local web=apache2 agent=linuxbridge
  [[ "$OS_FAMILY" == rhel ]] && web=httpd
  [[ "$NETWORK_DRIVER" == openvswitch ]] && agent=openvswitch
  case "$OS_FAMILY:$1" in
    rhel:chrony) echo chronyd ;;
    *:chrony) echo chrony ;;
    *:mariadb) echo mariadb ;;
    *:rabbitmq) echo rabbitmq-server ;;
    *:memcached) echo memcached ;;
    *:etcd) echo etcd ;;
    debian:keystone) echo keystone ;;
    *:keystone) echo "$web" ;;
    rhel:glance) echo openstack-glance-api ;;
    *:glance) echo glance-api ;;
    debian:placement) echo placement-api ;;
    *:placement) echo "$web" ;;
    rhel:nova-controller) echo "openstack-nova-api openstack-nova-scheduler openstack-nova-conductor openstack-nova-novncproxy" ;;
    debian:nova-controller) echo "nova-api nova-api-metadata nova-scheduler nova-conductor nova-novncproxy" ;;
    # From Gazpacho Ubuntu serves the compute API from Apache (site nova-api.conf), no nova-api unit.
    ubuntu:nova-controller) release_before gazpacho && echo "nova-api nova-scheduler nova-conductor nova-novncproxy" ||
      echo "$web nova-scheduler nova-conductor nova-novncproxy" ;;
    *:nova-controller) echo "nova-api nova-scheduler nova-conductor nova-novncproxy" ;;
    rhel:nova-compute) echo "$(libvirt_units) openstack-nova-compute" ;;
    *:nova-compute) echo "$(libvirt_units) nova-compute" ;;
    rhel:neutron-server) echo "neutron-server neutron-dhcp-agent neutron-metadata-agent neutron-l3-agent" ;;
    debian:neutron-server) echo "neutron-api neutron-rpc-server $(neutron_periodic_workers) neutron-dhcp-agent neutron-metadata-agent neutron-l3-agent" ;;
    # From Gazpacho Ubuntu's neutron-server is only a metapackage: the API under Apache
    # (neutron-api), the RPC server and the periodic workers are services of their own.
    ubuntu:neutron-server)
      if release_before gazpacho; then
        echo "neutron-server neutron-dhcp-agent neutron-metadata-agent neutron-l3-agent"
      else
        echo "$web neutron-rpc-server neutron-periodic-workers neutron-dhcp-agent neutron-metadata-agent neutron-l3-agent"
      fi
      ;;
    *:neutron-server) echo "neutron-server neutron-dhcp-agent neutron-metadata-agent neutron-l3-agent" ;;
    *:neutron-agent) echo "neutron-$agent-agent" ;;
    *:horizon) echo "$web" ;;
    rhel:cinder-controller) echo "openstack-cinder-api openstack-cinder-scheduler" ;;
    debian:cinder-controller) echo "cinder-api cinder-scheduler" ;;
    *:cinder-controller) echo "cinder-scheduler $web" ;;
    rhel:cinder-volume) echo "openstack-cinder-volume target" ;;
    *:cinder-volume) echo "cinder-volume tgt" ;;
    rhel:swift-proxy) echo "openstack-swift-proxy memcached" ;;
    *:swift-proxy) echo "swift-proxy memcached" ;;
    rhel:swift-storage | *:swift-storage)
      local p="" s t
      [[ "$OS_FAMILY" == rhel ]] && p=openstack-
      for s in account container object; do
        for t in "" -auditor -replicator; do printf '%sswift-%s%s ' "$p" "$s" "$t"; done
      done
      printf '%sswift-account-reaper %sswift-container-updater %sswift-object-updater rsyncd\n' "$p" "$p" "$p" |
        sed "s/ rsyncd$/ $([[ "$OS_FAMILY" == rhel ]] && echo rsyncd || echo rsync)/"
      ;;
    *) die "no unit list for $1 on $OS_FAMILY" ;;
  esac
}

# ---------------------------------------------------------------------------------------------
# Services

# unit_exists NAME: NAME.service, or NAME itself when it has a unit suffix (virtqemud.socket).
unit_exists() {
  local u="$1"
  [[ "$u" == *.socket || "$u" == *.service ]] || u+=.service
  [[ -n "$(systemctl list-unit-files --no-legend "$u" 2>/dev/null)" ]]
}

# svc_apply UNIT...: enabled (Debian leaves some disabled), started when not running, restarted
# when this stage changed configuration.
svc_apply() {
  local u to_enable=() to_start=() to_restart=()
  for u in "$@"; do
    unit_exists "$u" || die "service $u is not installed"
    systemctl is-enabled -q "$u" 2>/dev/null || to_enable+=("$u")
    if ! systemctl is-active -q "$u"; then
      to_start+=("$u")
    elif ((CONFIG_CHANGED)) && [[ "$u" != *.socket ]]; then
      # (A listening socket is not restarted: its daemon reads the configuration.)
      to_restart+=("$u")
    fi
  done
  # One systemctl call each: one daemon reload for all the enables, and the units start side by
  # side in one transaction (systemd keeps their own ordering). Running units restart one at a
  # time: Debian's Nova units share RuntimeDirectory=nova, and restarted together one's stop removed
  # /run/nova while another's start set it up (nova-conductor: status 233/RUNTIME_DIRECTORY).
  if ((${#to_enable[@]} > 0)); then
    systemctl enable -q "${to_enable[@]}"
    changed "enabled ${to_enable[*]}"
  fi
  if ((${#to_start[@]} > 0)); then
    systemctl restart "${to_start[@]}"
    changed "started ${to_start[*]}"
  fi
  if ((${#to_restart[@]} > 0)); then
    log "restarting ${to_restart[*]} (configuration changed)"
    for u in "${to_restart[@]}"; do systemctl restart "$u"; done
  fi
}

# wait_until SECONDS DESCRIPTION COMMAND...: polls once a second.
wait_until() {
  local limit="$1" what="$2" start=$SECONDS
  shift 2
  until "$@" >/dev/null 2>&1; do
    ((SECONDS - start < limit)) || die "gave up after ${limit}s waiting for $what"
    sleep 1
  done
  log "$what: ready after $((SECONDS - start))s"
}

http_up() { curl -s -o /dev/null --max-time 5 "$1"; }
# A page that must really render (redirects followed): an HTTP 5xx or 4xx is no answer. The dashboard
# answered 500 on every page on Debian 13 while http_up was satisfied.
page_ok() { curl -fsL -o /dev/null --max-time 15 "$1"; }

# uwsgi_processes: Debian's API services start 8-16 uwsgi processes each; 2 keep the whole
# controller near 4 GB (measured) instead of 10.
uwsgi_processes() {
  local f
  for f in "$@"; do
    [[ -f "$f" ]] && ini_set "$f" uwsgi processes 2
  done
  return 0
}

# apache_wsgi_processes COMPONENT: Ubuntu's Apache sites start 4-5 mod_wsgi processes per API
# (Gazpacho: keystone, placement, nova-api and neutron-api all under Apache); 2, as for Debian's uwsgi.
apache_wsgi_processes() {
  local site f
  case "$1" in
    keystone) site=keystone ;;
    placement) site=placement-api ;;
    nova-controller) site=nova-api ;;
    neutron-server) site=neutron-api ;;
    *) return 0 ;;
  esac
  f="/etc/apache2/sites-available/$site.conf"
  [[ -f "$f" ]] || return 0
  if grep -Eq 'WSGIDaemonProcess .*processes=([013-9]|[0-9]{2,})\b' "$f"; then
    sed -E 's/(WSGIDaemonProcess .*processes=)[0-9]+/\12/' "$f" | write_file "$f" 0644
    CONFIG_CHANGED=1
  fi
}

# uwsgi_env INI NAME=VALUE: one environment variable of a uwsgi service, as its own "env =" line
# (uwsgi takes the key any number of times; Debian 13's inis already carry one).
uwsgi_env() {
  local ini="$1" assignment="$2"
  [[ -f "$ini" ]] || return 0
  ensure_block "$ini" "env ${assignment%%=*}" <<<"env = $assignment"
}

# api_rabbit_heartbeat_thread INI: under uwsgi no eventlet hub runs between requests, so the
# RabbitMQ heartbeat (a green thread by default) starves; RabbitMQ drops the connection and, under
# Tempest's load, both nova-api workers hung on it (measured: GET / timed out after 60 s, the log
# full of "AMQP server ... is unreachable"). oslo.messaging's own help says to run the heartbeat in
# a native thread for WSGI services only, so it is set in the API's uwsgi environment, which
# oslo.config reads before the config files (the conductor, scheduler and agents, eventlet
# services reading the same files, keep the default).
api_rabbit_heartbeat_thread() {
  uwsgi_env "$1" OS_OSLO_MESSAGING_RABBIT__HEARTBEAT_IN_PTHREAD=true
}

# neutron_api_one_thread: Zed's neutron-api runs eventlet-patched (its WSGI script imports
# neutron.cmd.eventlet), and Debian 12's uwsgi ini runs 32 native threads per process. Eventlet's
# green locks do not work across native threads. Seen: nova-compute deleting a server waited
# forever on DELETE /v2.0/ports/<id>; Neutron had committed the delete but never answered or logged
# the request. Debian made neutron-api single-threaded itself from 2:26.0.0 (bug #1093303); the
# same here, and the heartbeat in a native thread as for nova-api. Found by reading the installed
# script, so a neutron-api without eventlet (Debian 13's) keeps its own settings.
neutron_api_one_thread() {
  local ini=/etc/neutron/neutron-api-uwsgi.ini app
  [[ -f "$ini" ]] || return 0
  app="$(crudini --get "$ini" uwsgi wsgi-file 2>/dev/null)" || return 0
  grep -q 'neutron\.cmd\.eventlet' "$app" 2>/dev/null || return 0
  ini_set "$ini" uwsgi threads 1
  api_rabbit_heartbeat_thread "$ini"
}

# ---------------------------------------------------------------------------------------------
# Repositories per package source

repo_setup() {
  case "$OS_FAMILY:$PACKAGE_SOURCE" in
    debian:distro)
      log "Debian $OS_CODENAME ships OpenStack $RELEASE_CODENAME itself: no extra repository"
      ;;
    debian:osbpo)
      pkg_install extrepo
      local name="openstack_$RELEASE_CODENAME"
      if [[ ! -f "/etc/apt/sources.list.d/extrepo_$name.sources" ]]; then
        extrepo enable "$name"
        changed "enabled the Debian OpenStack backports ($name)"
      fi
      ;;
    ubuntu:distro)
      log "Ubuntu $OS_CODENAME ships OpenStack $RELEASE_CODENAME itself: no extra repository"
      ;;
    ubuntu:uca)
      # One-line (22.04) or deb822 (24.04) format: the suite names the archive either way.
      if ! grep -rqsF "$OS_CODENAME-updates/$RELEASE_CODENAME" /etc/apt/sources.list.d/; then
        pkg_install software-properties-common
        # add-apt-repository knows the Cloud Archive names of its own version only: an image
        # built before the newest one shipped (resolute's 0.120 lacks hibiscus, 0.120.2 has it)
        # must take the archive's newest first.
        local spc=(software-properties-common python3-software-properties)
        apt_net "upgrade (download)" "$APT_DOWNLOAD_SECONDS" install -y -q --download-only --only-upgrade "${spc[@]}" >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --only-upgrade "${spc[@]}" >/dev/null ||
          die "could not bring software-properties-common up to date (add-apt-repository needs it to know cloud-archive:$RELEASE_CODENAME)"
        add-apt-repository -y "cloud-archive:$RELEASE_CODENAME"
        changed "enabled the Ubuntu Cloud Archive for $RELEASE_CODENAME"
      fi
      ;;
    rhel:rdo)
      # `dnf config-manager` is a dnf-plugins-core command; minimal cloud images can lack it. No
      # EPEL on any EL9: the RDO packages guide recommends disabling it with RDO (its updates
      # break RDO's packages), and RDO carries all its dependencies itself.
      pkg_install dnf-plugins-core
      if ! pkg_installed "centos-release-openstack-$RELEASE_CODENAME" && ! pkg_installed rdo-release; then
        if dnf -q list --available "centos-release-openstack-$RELEASE_CODENAME" >/dev/null 2>&1; then
          pkg_install "centos-release-openstack-$RELEASE_CODENAME"
        else
          rdo_release_install
        fi
      fi
      if ! dnf repolist --enabled 2>/dev/null | grep -q '^crb'; then
        dnf config-manager --set-enabled crb
        changed "enabled the crb repository"
      fi
      ;;
    rhel:rdo-vault)
      # CentOS 7 is end of life: base, updates, extras and the cloud SIG live on vault.centos.org.
      local f
      for f in /etc/yum.repos.d/CentOS-*.repo; do
        [[ -f "$f" ]] || continue
        if grep -q '^mirrorlist=' "$f" || grep -q 'mirror.centos.org' "$f"; then
          sed -i -e 's/^mirrorlist=/#mirrorlist=/' \
            -e 's|^#\?baseurl=http://mirror.centos.org/|baseurl=http://vault.centos.org/|' \
            -e "s|vault.centos.org/centos/\\\$releasever/|vault.centos.org/7.9.2009/|" \
            -e "s|vault.centos.org/\\\$contentdir/\\\$releasever/|vault.centos.org/7.9.2009/|" "$f"
          changed "pointed $f at vault.centos.org"
        fi
      done
      pkg_install "centos-release-openstack-$RELEASE_CODENAME"
      for f in /etc/yum.repos.d/CentOS-*.repo; do
        if grep -q '^mirrorlist=' "$f" || grep -q 'mirror.centos.org' "$f"; then
          sed -i -e 's/^mirrorlist=/#mirrorlist=/' \
            -e 's|^#\?baseurl=http://mirror.centos.org/|baseurl=http://vault.centos.org/|' \
            -e 's|vault.centos.org/centos/7/|vault.centos.org/7.9.2009/|' "$f"
          changed "pointed $f at vault.centos.org"
        fi
      done
      ;;
    *) die "no repository setup for package source $PACKAGE_SOURCE on $OS_FAMILY" ;;
  esac
}

# rdo_release_install: the RDO packages guide's way for RHEL-family systems other than CentOS
# (used when this system's extras repository has no centos-release-openstack-<codename>): the
# rdo-release RPM. It sets up the newest RDO release only, so the release is checked.
rdo_release_install() {
  pkg_install https://trunk.rdoproject.org/rdo_release/rdo-release.el9s.rpm
  grep -rqs -- "openstack-$RELEASE_CODENAME" /etc/yum.repos.d/ ||
    die "no centos-release-openstack-$RELEASE_CODENAME here, and RDO's rdo-release sets up a newer release than $RELEASE_CODENAME (use centos-stream-9 for it)"
}

pkg_refresh() {
  case "$OS_FAMILY" in
    debian | ubuntu) apt_net update "$APT_UPDATE_SECONDS" update -q ;;
    rhel) $(rhel_pm) makecache -q ;;
  esac
}

# ---------------------------------------------------------------------------------------------
# Per-family locations and differences

mariadb_conf_path() {
  case "$OS_FAMILY" in
    rhel) echo /etc/my.cnf.d/openstack.cnf ;;
    *) echo /etc/mysql/mariadb.conf.d/99-openstack.cnf ;;
  esac
}

chrony_conf_path() { [[ "$OS_FAMILY" == rhel ]] && echo /etc/chrony.conf || echo /etc/chrony/chrony.conf; }

# memcached_listen IP: the guide's change from 127.0.0.1 to the management address.
memcached_listen() {
  local ip="$1"
  case "$OS_FAMILY" in
    rhel) ensure_block /etc/sysconfig/memcached listen <<<"OPTIONS=\"-l 127.0.0.1,::1,$ip\"" ;;
    *)
      local f=/etc/memcached.conf
      if ! grep -qx -- "-l $ip" "$f"; then
        sed -e '/^-l /d' "$f" | {
          cat
          echo "-l $ip"
        } | write_file "$f" 0644
      fi
      ;;
  esac
}

etcd_conf_path() { [[ "$OS_FAMILY" == rhel ]] && echo /etc/etcd/etcd.conf || echo /etc/default/etcd; }

# Where the dashboard answers: /dashboard on RDO, /horizon on Debian and Ubuntu.
horizon_path() { [[ "$OS_FAMILY" == rhel ]] && echo dashboard || echo horizon; }

# Django's memcached backend for the dashboard's sessions: PyMemcacheCache (pymemcache) exists from
# Django 3.2, which Horizon needs from Yoga on; older Horizon (Django 1.11 in Rocky) has only
# MemcachedCache (python-memcached), the value its install guide gives.
horizon_cache_backend() {
  if release_before yoga; then
    echo django.core.cache.backends.memcached.MemcachedCache
  else
    echo django.core.cache.backends.memcached.PyMemcacheCache
  fi
}

# The user the web server runs the dashboard as (its settings create its secret key file, which
# only that user may read): the user= of the dashboard's WSGIDaemonProcess where one names it
# (Debian: www-data, Ubuntu: horizon), else the web server's own (RDO's names none: apache).
horizon_web_user() {
  local u
  u="$(grep -rhsE '^[[:space:]]*WSGIDaemonProcess[[:space:]]+(horizon|dashboard)[[:space:]](.*[[:space:]])?user=' /etc/apache2 /etc/httpd |
    sed -nE 's/.*[[:space:]]user=([^[:space:]]+).*/\1/p' | head -n1 || true)"
  if [[ -n "$u" ]]; then
    echo "$u"
  elif [[ "$OS_FAMILY" == rhel ]]; then
    echo apache
  else
    echo www-data
  fi
}

# Where Python finds openstack_dashboard: RDO keeps it out of site-packages.
horizon_python_path() { if [[ "$OS_FAMILY" == rhel ]]; then echo /usr/share/openstack-dashboard; fi; }

# horizon_session_settings: the dashboard's sessions in memcached on the controller, shared by
# every process that serves the dashboard (Python, for its settings files).
horizon_session_engine() { echo django.contrib.sessions.backends.cache; }
horizon_session_settings() {
  cat <<EOP
SESSION_ENGINE = '$(horizon_session_engine)'
CACHES = {
    'default': {
        'BACKEND': '$(horizon_cache_backend)',
        'LOCATION': '$CONTROLLER_NAME:11211',
    }
}
EOP
}

# The client library horizon_cache_backend needs (RDO's dashboard requires only python3-memcached).
horizon_memcache_client() {
  if ! release_before yoga; then
    echo python3-pymemcache
  elif [[ "$OS_FAMILY" == rhel ]]; then
    [[ "$OS_ID" == centos-7 ]] && echo python-memcached || echo python3-memcached
  else
    echo python3-memcache
  fi
}

horizon_settings_path() {
  case "$OS_FAMILY" in
    rhel) echo /etc/openstack-dashboard/local_settings ;;
    *) echo /etc/openstack-dashboard/local_settings.py ;;
  esac
}

# web_wsgi_setup COMPONENT: Ubuntu and RHEL serve Keystone/Placement from Apache; Debian has uwsgi.
web_wsgi_setup() {
  case "$OS_FAMILY:$1" in
    rhel:keystone)
      [[ -e /etc/httpd/conf.d/wsgi-keystone.conf ]] || {
        ln -s /usr/share/keystone/wsgi-keystone.conf /etc/httpd/conf.d/
        changed "linked wsgi-keystone.conf into httpd"
      }
      ensure_block /etc/httpd/conf/httpd.conf servername <<<"ServerName $CONTROLLER_NAME"
      ;;
    ubuntu:keystone)
      ensure_block /etc/apache2/apache2.conf servername <<<"ServerName $CONTROLLER_NAME"
      release_before gazpacho || apache_wsgi_processes keystone
      ;;
    rhel:placement)
      # RDO's placement vhost lacks access to its own script directory. Before Stein it is Nova's
      # 00-nova-placement-api.conf (Rocky install guide: "Due to a packaging bug ...").
      local vhost=/etc/httpd/conf.d/00-placement-api.conf
      if placement_in_nova; then vhost=/etc/httpd/conf.d/00-nova-placement-api.conf; fi
      ensure_block "$vhost" access <<'EOF'
<Directory /usr/bin>
  <IfVersion >= 2.4>
    Require all granted
  </IfVersion>
</Directory>
EOF
      ;;
    rhel:horizon)
      # RDO guide, Dashboard step 3: the dashboard runs in the main interpreter (RDO's shipped
      # openstack-dashboard.conf lacks the line).
      ensure_block /etc/httpd/conf.d/openstack-dashboard.conf wsgi <<<'WSGIApplicationGroup %{GLOBAL}'
      ;;
    ubuntu:horizon)
      # Ubuntu's package compresses the dashboard's assets offline (COMPRESS_OFFLINE = True) in its
      # postinst, for the settings of that moment: after the settings change the login page fails
      # with OfflineGenerationError (HTTP 500) until `manage.py compress` runs again, as the postinst
      # does. A stamp with the settings' checksum makes it run once per settings version.
      local stamp=/var/lib/openstack-dashboard/.openstack-on-aws-compressed sum
      sum="$(sha256sum "$(horizon_settings_path)" | cut -d' ' -f1)"
      if [[ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]]; then
        log "compressing the dashboard's assets for its settings (manage.py compress)"
        /usr/share/openstack-dashboard/manage.py compress --force >/dev/null
        echo "$sum" >"$stamp"
        CONFIG_CHANGED=1
        changed "compressed the dashboard's assets for the current settings"
      fi
      ;;
    debian:horizon)
      # openstack-dashboard-apache enables default-ssl without mod_ssl (Apache then refuses to
      # start); the dashboard is served over HTTP at /horizon by its alias-only site.
      if [[ -e /etc/apache2/sites-enabled/default-ssl.conf && ! -e /etc/apache2/mods-enabled/ssl.load ]]; then
        a2dissite -q default-ssl
        CONFIG_CHANGED=1
        changed "disabled Apache's default-ssl site (no mod_ssl)"
      fi
      # The dashboard in the main interpreter, as RDO's step above: in mod_wsgi's default
      # sub-interpreter Debian 13's python3-cryptography (a PyO3 module) failed to load and every page
      # was HTTP 500 ("PyO3 modules ... may only be initialized once per interpreter process").
      local site=/etc/apache2/sites-available/openstack-dashboard-alias-only.conf
      if [[ -f $site ]]; then ensure_block $site wsgi <<<'WSGIApplicationGroup %{GLOBAL}'; fi
      ;;
    ubuntu:placement | ubuntu:nova-controller | ubuntu:neutron-server)
      release_before gazpacho || apache_wsgi_processes "$1"
      ;;
    debian:keystone) uwsgi_processes /etc/keystone/keystone-uwsgi.ini ;;
    debian:placement) uwsgi_processes /etc/placement/placement-uwsgi.ini ;;
    debian:nova-controller)
      uwsgi_processes /etc/nova/nova-api-uwsgi.ini /etc/nova/nova-api-metadata-uwsgi.ini
      api_rabbit_heartbeat_thread /etc/nova/nova-api-uwsgi.ini
      # nova-consoleproxy starts only the proxy named here (Debian's default is spicehtml5).
      local d=/etc/default/nova-consoleproxy
      if [[ -f $d ]] && ! grep -qx 'NOVA_CONSOLE_PROXY_TYPE=novnc' $d; then
        sed 's/^NOVA_CONSOLE_PROXY_TYPE=.*/NOVA_CONSOLE_PROXY_TYPE=novnc/' $d | write_file $d 0644
      fi
      ;;
    debian:neutron-server)
      uwsgi_processes /etc/neutron/neutron-api-uwsgi.ini
      neutron_api_one_thread
      ;;
    debian:cinder-controller) uwsgi_processes /etc/cinder/cinder-api-uwsgi.ini ;;
    debian:glance) uwsgi_processes /etc/glance/glance-api-uwsgi.ini ;;
    *) : ;;
  esac
}

# The iSCSI target helper Cinder's LVM driver uses: tgt on Debian/Ubuntu, LIO on RHEL.
cinder_target_helper() { [[ "$OS_FAMILY" == rhel ]] && echo lioadm || echo tgtadm; }

# Where Neutron's linuxbridge/openvswitch agent configuration lives.
neutron_agent_ini() {
  [[ "$NETWORK_DRIVER" == openvswitch ]] && echo /etc/neutron/plugins/ml2/openvswitch_agent.ini ||
    echo /etc/neutron/plugins/ml2/linuxbridge_agent.ini
}

# RHEL needs the ML2 plugin link the install guide makes; firewalld would block the VPC traffic.
family_network_fixups() {
  [[ "$OS_FAMILY" == rhel ]] || return 0
  if [[ ! -e /etc/neutron/plugin.ini && -f /etc/neutron/plugins/ml2/ml2_conf.ini ]]; then
    ln -s /etc/neutron/plugins/ml2/ml2_conf.ini /etc/neutron/plugin.ini
    changed "linked /etc/neutron/plugin.ini"
  fi
}

firewall_open() {
  if unit_exists firewalld && systemctl is-active -q firewalld; then
    systemctl disable --now firewalld
    changed "stopped firewalld (the VPC's security groups filter instead)"
  fi
}

# Placement before Stein was part of Nova (Rocky guide, Compute chapter): the API is Nova's
# nova-placement-api, reads nova.conf, and `nova-manage api_db sync` fills its database together
# with nova_api. From Stein on it is the placement project with /etc/placement/placement.conf.
placement_in_nova() { release_before stein; }
placement_conf_path() { placement_in_nova && echo /etc/nova/nova.conf || echo /etc/placement/placement.conf; }
placement_db_sync() {
  if placement_in_nova; then
    log "nova-manage api_db sync (the nova_api and placement databases)"
    run_as nova "nova-manage api_db sync"
  else
    log "placement-manage db sync"
    run_as placement "placement-manage db sync"
  fi
}

# glance_store_conf FILE: the local file store under /var/lib/glance/images/. The multi-store
# options (enabled_backends) were experimental before Stein; the Rocky guide uses the single-store
# [glance_store] stores/default_store.
glance_store_conf() {
  local f="$1" dir=/var/lib/glance/images/
  if release_before stein; then
    ini_set "$f" glance_store stores file,http
    ini_set "$f" glance_store default_store file
    ini_set "$f" glance_store filesystem_store_datadir "$dir"
  else
    ini_set "$f" DEFAULT enabled_backends "fs:file"
    ini_set "$f" glance_store default_backend fs
    ini_set "$f" fs filesystem_store_datadir "$dir"
  fi
}

# rabbitmq_add_user NAME PASSWORD_VARIABLE: the password (read from the named variable, so no
# trace line carries it) on stdin, so it is in no process's argument list: rabbitmqctl 3.7+ reads
# it from there. CentOS 7's RabbitMQ 3.6 (RDO Rocky) has no stdin form: its add_user takes both
# arguments, as in the guide; then without a trace and without output.
rabbitmq_add_user() {
  { local trace=0 && [[ $- == *x* ]] && trace=1 && set +x; } 2>/dev/null
  local name="$1" rc=0 f
  if [[ "$OS_ID" == centos-7 ]]; then
    rabbitmqctl -q add_user "$name" "${!2}" >/dev/null 2>&1 || rc=$?
  else
    # Not through stdin: RabbitMQ 4's `add_user NAME` (Debian 13, Ubuntu 26.04) never returned
    # with a piped password, with or without a newline (real e2e runs). A definitions file with
    # the password's hash (RabbitMQ's sha256 scheme: base64(salt + sha256(salt + password)))
    # keeps it off the command line; 0600, owned by rabbitmq (the CLI runs as that user), removed.
    f="$(umask 077 && mktemp /tmp/ooa-rabbitmq-user-XXXXXX)"
    OOA_RMQ_NAME="$name" OOA_RMQ_PASS="${!2}" python3 -c '
import base64, hashlib, json, os, sys
salt = os.urandom(4)
h = base64.b64encode(salt + hashlib.sha256(salt + os.environ["OOA_RMQ_PASS"].encode()).digest()).decode()
json.dump({"users": [{"name": os.environ["OOA_RMQ_NAME"], "password_hash": h,
                      "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": []}]}, sys.stdout)
' >"$f" || rc=$?
    chown rabbitmq "$f" 2>/dev/null || true
    ((rc != 0)) || rabbitmqctl -q import_definitions "$f" >/dev/null || rc=$?
    rm -f "$f"
  fi
  if ((trace)); then set -x; fi
  ((rc == 0)) || die "rabbitmqctl add_user $name failed ($rc)"
}

# selinux_relabel PATH: SELinux's default labels under PATH. A filesystem made and mounted by a
# stage carries none, and confined services (swift, rsyncd) are then denied. No-op without SELinux.
selinux_relabel() {
  if ! command -v selinuxenabled >/dev/null 2>&1 || ! selinuxenabled; then return 0; fi
  if [[ -n "$(restorecon -R -v "$1")" ]]; then changed "restored the SELinux labels under $1"; fi
}

# networkmanager_unmanage NIC MAC: NetworkManager (EL9's default) leaves the provider NIC alone,
# now and after a reboot: `nmcli device set ... managed no` does not persist, a conf.d file does.
# Matched by name and by MAC (the network fix gives the NIC a new MAC later).
networkmanager_unmanage() {
  local nic="$1" mac="$2" match
  [[ -d /etc/NetworkManager ]] || return 0
  match="interface-name:$nic"
  if [[ -n "$mac" ]]; then match+=";mac:$mac"; fi
  write_file /etc/NetworkManager/conf.d/90-openstack-on-aws.conf 0644 <<EOF
# Written by openstack-on-aws: the provider NIC carries Neutron's bridge, without an address.
[keyfile]
unmanaged-devices=$match
EOF
  if command -v nmcli >/dev/null 2>&1 && systemctl is-active -q NetworkManager; then
    if [[ "$(nmcli -g GENERAL.STATE device show "$nic" 2>/dev/null)" != *unmanaged* ]]; then
      nmcli device set "$nic" managed no
      changed "NetworkManager leaves $nic alone"
    fi
  fi
}

# The Python that has keystoneauth1 (installed with the OpenStack client).
os_python() { [[ "$OS_ID" == centos-7 ]] && echo python2 || echo python3; }

# libvirt_units: the libvirt daemons nova-compute talks to. On EL9 RDO's openstack-nova-compute
# (yoga-rdo and later) requires only the modular driver packages (libvirt-daemon-driver-qemu,
# -secret, -nodedev, -nwfilter, -storage-core), not libvirt-daemon with the monolithic libvirtd;
# from libvirt 9 on the drivers no longer pull it in either, and EL9 enables the modular daemons
# by preset. So: virtqemud (it starts virtlogd through its socket) and the sockets of the
# secondary drivers it calls, which start their daemons on demand. Elsewhere libvirtd.
libvirt_units() {
  if [[ "$OS_FAMILY" == rhel && "$OS_ID" != centos-7 ]]; then
    echo "virtqemud virtsecretd.socket virtnodedevd.socket virtstoraged.socket virtnwfilterd.socket"
  else
    echo libvirtd
  fi
}
