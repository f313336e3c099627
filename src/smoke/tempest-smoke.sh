#!/bin/bash
# Installs Tempest on the controller, writes tempest.conf for this cloud and runs the smoke set (or
# the tempest-regex selection), leaving JUnit XML at "$TEMPEST_DIR/junit.xml" and, for the log
# bundle, tempest.log, the raw subunit stream, the JUnit and the exclude list in "$TEMPEST_DIR/logs".
# Runs as root. Inputs come from the environment:
#   OPENRC          admin openrc, sourced: the password never appears on a command line
#   IMAGE_ID FLAVOR_ID NETWORK_NAME ROUTER_ID TENANT_CIDR   what the smoke checks created
#   HAS_CINDER HAS_SWIFT OS_FAMILY                          what this cloud deploys
#   IMAGE_SSH_USER  the login of the image's servers (CirrOS: cirros, the project's test image: ooa,
#                   or the tempest-ssh-user input); empty: validation off (no known login)
#   NETWORK_FIX     seeds or routed: with routed the controller host reaches floating IPs
#   METADATA_API    true where Nova's metadata API is deployed on this OS and release
#   TEMPEST_REGEX   the tempest-regex input: replaces the smoke set when set
#   DASHBOARD_URL DASHBOARD_CA   Horizon through the HTTPS proxy, and the stack's CA certificate
#
# Validation (Tempest logs into the servers it boots, with a keypair):
# - routed: over a floating IP, from the controller host (it routes the external pool's addresses);
# - seeds: floating IPs cannot work, so over the fixed address from inside qrouter-<id> (when the
#   APIs answer from there: the router's gateway reaches the controller through the VPC);
# - otherwise (no known login, or no way to the fixed addresses): off, and the log says why.
#
# Sourced with OOA_TEMPEST_SOURCE_ONLY=1 (the tests), it defines the functions and runs nothing.
set -euo pipefail

TEMPEST_DIR="${TEMPEST_DIR:-/var/lib/openstack-on-aws/tempest}"
VENV=/opt/openstack-on-aws/tempest-venv

log() { printf '[tempest] %s\n' "$*"; }

# Smoke tests this cloud's own Tempest and services are known not to agree on, as stestr's exclude
# list reads them: "regex # reason" per line (the reason must hold no '#'). Each is decided by a
# probe of this cloud, not by release name. Excluded there, named in the log and the job summary.
exclude_list_for_cloud() {
  if keystone_updates_credential_blob_only; then
    printf '%s # %s\n' 'test_credentials_create_get_update_delete' \
      "this Keystone takes only the blob when a credential is updated (Keystone's 2026 restriction, review 1002330, also on the stable branches), and $(tempest --version 2>&1 | head -n1) still sends project_id and type (HTTP 400)"
  fi
}

# keystone_updates_credential_blob_only: an update of the admin's own throwaway EC2 credential that
# names its type and project, as Tempest's test does, is refused by the schema (seen on Debian
# 12's Zed and Debian 13's 2025.1 packages). An update Keystone takes means Tempest's test fits.
keystone_updates_credential_blob_only() {
  local id err rc=0
  id="$(openstack credential create --type ec2 --project "$OS_PROJECT_NAME" "$OS_USERNAME" \
    '{"access": "ooa-probe", "secret": "ooa-probe"}' -f value -c id 2>/dev/null)" || return 1
  err="$(openstack credential set --user "$OS_USERNAME" --type ec2 --project "$OS_PROJECT_NAME" \
    --data '{"access": "ooa-probe", "secret": "ooa-probe-2"}' "$id" 2>&1 >/dev/null)" || rc=$?
  openstack credential delete "$id" >/dev/null 2>&1 || log "could not delete the probe's credential $id"
  [ "$rc" != 0 ] && grep -q 'Additional properties are not allowed' <<<"$err"
}

# Smoke tests a network fix cannot serve, in the same "regex # reason" form. Seeds: the external
# subnet's pool is the one address the VPC knows, held by the stack's router's gateway, so a test
# that sets another router's external gateway or takes a floating IP gets 409
# IpAddressGenerationFailure.
SEEDS_POOL_REASON="seeds: the external pool is the one registered address, held by the stack's router; use network-fix routed"
exclude_list_for_fix() {
  case "$1" in
    seeds)
      printf '%s # %s\n' \
        '^tempest\.api\.network\.test_routers\.\w+\.test_create_show_list_update_delete_router\b' "$SEEDS_POOL_REASON" \
        '^tempest\.scenario\.test_network_basic_ops\.TestNetworkBasicOps\.test_network_basic_ops\b' "$SEEDS_POOL_REASON"
      ;;
    *) : ;;
  esac
}

# The tempest command line, into the array RUN_ARGS: the smoke set, or the tempest-regex selection
# instead (tempest run takes one selection: a regex replaces --smoke, which is itself a regex).
tempest_run_args() {
  RUN_ARGS=(tempest run)
  # The dashboard test's HTTPS opener uses Python's default context, which trusts SSL_CERT_FILE;
  # every other client of Tempest's speaks plain HTTP to the internal endpoints.
  [ "${HORIZON:-false}" = true ] && RUN_ARGS=(env "SSL_CERT_FILE=$DASHBOARD_CA" tempest run)
  if [ -n "${TEMPEST_REGEX:-}" ]; then
    RUN_ARGS+=(--regex "$TEMPEST_REGEX")
  else
    RUN_ARGS+=(--smoke)
  fi
  RUN_ARGS+=(--concurrency 2 --exclude-list exclude.txt --subunit)
}

# A regex Python's re module (stestr's) refuses would end Tempest with no results: say so first.
check_regex() {
  [ -n "${TEMPEST_REGEX:-}" ] || return 0
  if ! python3 -c 'import re, sys; re.compile(sys.argv[1])' "$TEMPEST_REGEX" 2>/dev/null; then
    log "tempest-regex is not a regular expression Python accepts: $TEMPEST_REGEX"
    return 2
  fi
  log "running the tests matching tempest-regex instead of the smoke set: $TEMPEST_REGEX"
}

# Does the router namespace reach the identity API? (seeds: the one way to fixed addresses.)
api_answers_from_ns() { ip netns exec "qrouter-$ROUTER_ID" curl -s -o /dev/null --max-time 10 "$OS_AUTH_URL"; }

# Decides how Tempest validates, into RUN_VALIDATION, CONNECT_METHOD, RUN_IN_NS, FLOATING_IPS and
# METADATA_SERVICE, and logs why.
decide_validation() {
  RUN_VALIDATION=false
  CONNECT_METHOD=fixed
  RUN_IN_NS=0
  FLOATING_IPS=false
  [ "${NETWORK_FIX:-seeds}" = routed ] && FLOATING_IPS=true
  if [ -z "${IMAGE_SSH_USER:-}" ]; then
    log "no known login for the image's servers (neither CirrOS nor the project's test image, and no tempest-ssh-user): running on the host without validation"
  elif [ "$FLOATING_IPS" = true ]; then
    RUN_VALIDATION=true
    CONNECT_METHOD=floating
    log "network-fix routed: validation as $IMAGE_SSH_USER over floating IPs, from the host (it routes the external pool)"
  elif api_answers_from_ns; then
    RUN_VALIDATION=true
    RUN_IN_NS=1
    log "the APIs answer from qrouter-$ROUTER_ID: running inside it with fixed-IP validation as $IMAGE_SSH_USER"
  else
    log "the APIs do not answer from qrouter-$ROUTER_ID: running on the host without validation (no path to fixed IPs)"
  fi
  METADATA_SERVICE=false
  if [ "${METADATA_API:-false}" != true ]; then
    log "metadata_service = false: this OS and release deploy no Nova metadata API (the config drive carries the metadata)"
  elif [ "$CONNECT_METHOD" != floating ]; then
    # test_server_basic_ops compares the metadata's public-ipv4 with the address it logged in at.
    log "metadata_service = false: validation does not log in over a floating IP, so the metadata's public-ipv4 cannot match"
  else
    METADATA_SERVICE=true
  fi
  # routed: every router may have a gateway, so each test project gets a network and a router of
  # its own, as in DevStack's gate (and the tests that need their own network run). seeds: one
  # router has the only gateway, so the projects share the stack's network.
  ISOLATED_NETWORKS=false
  [ "$FLOATING_IPS" = true ] && ISOLATED_NETWORKS=true
  # Horizon, through its HTTPS proxy (its cookies are secure-only) at the public NIC's address,
  # which the stack's certificate names, checked against the stack's CA. Not from a router's
  # namespace, which has no way to that address.
  HORIZON=false
  if [ "$RUN_IN_NS" = 1 ]; then
    log "horizon = false: Tempest runs inside qrouter-$ROUTER_ID, which cannot reach the dashboard's address"
  elif [ -n "${DASHBOARD_URL:-}" ] && [ -r "${DASHBOARD_CA:-}" ]; then
    HORIZON=true
  else
    log "horizon = false: no dashboard URL or CA certificate given"
  fi
}

install_from_distro() {
  case "$OS_FAMILY" in
    ubuntu | debian)
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q tempest python3-subunit python3-junitxml subunit >/dev/null
      ;;
    rhel)
      dnf install -y -q openstack-tempest python3-subunit python3-junitxml subunit-filters >/dev/null
      ;;
    *) return 1 ;;
  esac
}

install_from_pip() {
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q tempest python-subunit junitxml
}

install_tempest() {
  if command -v tempest >/dev/null && command -v subunit2junitxml >/dev/null; then
    log "using the installed tempest"
  elif [ -x "$VENV/bin/tempest" ]; then
    PATH="$VENV/bin:$PATH"
  elif install_from_distro; then
    log "installed tempest from the $OS_FAMILY packages of this release"
  else
    log "distribution packages unavailable; installing tempest with pip into $VENV"
    install_from_pip
    PATH="$VENV/bin:$PATH"
  fi
  export PATH
  log "$(tempest --version 2>&1 | head -n1)"
}

write_conf() {
  # tempest init wrote a sample etc/tempest.conf under the default umask (0644): a redirection keeps
  # an existing file's mode, so the password would be world-readable. Removed first, the file is
  # created anew under umask 077 (0600).
  umask 077
  rm -f etc/tempest.conf
  cat >etc/tempest.conf <<CONF
[DEFAULT]
log_dir = $TEMPEST_DIR/logs
log_file = tempest.log

[auth]
admin_username = $OS_USERNAME
admin_password = $OS_PASSWORD
admin_project_name = $OS_PROJECT_NAME
admin_domain_name = ${OS_USER_DOMAIN_NAME:-Default}
use_dynamic_credentials = true
# Per-project networks each need a router with an external gateway (decide_validation).
create_isolated_networks = $ISOLATED_NETWORKS

[identity]
uri_v3 = $OS_AUTH_URL
auth_version = v3
region = ${OS_REGION_NAME:-RegionOne}
# Every service on its INTERNAL endpoint: the public ones are the controller's elastic IP, which
# the controller cannot reach itself (on AWS the security group admits only allowed-cidrs).
v3_endpoint_type = internal

[identity-feature-enabled]
api_v2 = false

[compute]
endpoint_type = internal
image_ref = $IMAGE_ID
image_ref_alt = $IMAGE_ID
flavor_ref = $FLAVOR_ID
flavor_ref_alt = $FLAVOR_ID
fixed_network_name = $NETWORK_NAME
build_timeout = 600

[compute-feature-enabled]
console_output = true
# Config drives are ISO images nova-compute writes (the ISO tool is installed on every compute node).
config_drive = true
metadata_service = $METADATA_SERVICE

[network]
endpoint_type = internal
public_network_id = $EXTERNAL_NETWORK_ID
floating_network_name = $EXTERNAL_NETWORK_NAME
# Empty: the stack's router is admin's, and the scenario tests would show it with their dynamic
# project's client (404 in setUp). Without one, each makes its own router with a gateway on
# public_network_id (every Tempest we run: 33 to 46); the API router tests never read it.
public_router_id =
project_network_cidr = $TENANT_CIDR

[network-feature-enabled]
# seeds: the router's one registered address is all the VPC knows (no floating IPs); routed: the
# external pool is the provider NIC's secondary addresses, so floating IPs work.
floating_ips = $FLOATING_IPS
api_extensions = $NETWORK_EXTENSIONS
# Project networks are overlays, so IPv6 on them needs nothing of the VPC (IPv4 only): Neutron's
# IPv6 API tests run (subnets, ports, router interfaces, security groups; on Tempest's default
# 2001:db8::/48). The SLAAC and DHCPv6 subnet-mode tests (outside the smoke set, for tempest-regex)
# stay off: no run here has proven them.
ipv6 = true
ipv6_subnet_attributes = false

[validation]
run_validation = $RUN_VALIDATION
connect_method = $CONNECT_METHOD
auth_method = keypair
network_for_ssh = $NETWORK_NAME
image_ssh_user = $IMAGE_SSH_USER
image_alt_ssh_user = $IMAGE_SSH_USER
ip_version_for_ssh = 4
# Guests may run under QEMU without KVM (TCG): a boot takes minutes, not seconds.
connect_timeout = 300
ssh_timeout = 900
ping_timeout = 600

[image]
endpoint_type = internal
disk_formats = qcow2,raw

[placement]
endpoint_type = internal

[object-storage]
endpoint_type = internal

[service_available]
cinder = $HAS_CINDER
swift = $HAS_SWIFT
neutron = true
glance = true
nova = true
horizon = $HORIZON

[dashboard]
dashboard_url = ${DASHBOARD_URL:-}

[volume]
endpoint_type = internal
catalog_type = volumev3
CONF
}

# Whatever the run left, into logs/ for the log bundle (also when the run is cut short): Tempest's
# own log (wherever this release wrote it), the raw subunit stream, its JUnit rendering and the
# exclude list. Never tempest.conf (it holds the admin password).
collect_results() {
  [ -d "$TEMPEST_DIR" ] || return 0
  cd "$TEMPEST_DIR" || return 0
  mkdir -p logs
  if [ -s results.subunit ] && [ ! -s junit.xml ]; then
    # subunit2junitxml exits 1 when the stream has failures: the results count, not its code.
    subunit2junitxml <results.subunit >junit.xml 2>/dev/null || true
  fi
  [ -f tempest.log ] && [ ! -f logs/tempest.log ] && cp tempest.log logs/tempest.log
  [ -f logs/tempest.log ] || log "tempest wrote no tempest.log (looked in $TEMPEST_DIR/logs and $TEMPEST_DIR)"
  for f in results.subunit junit.xml exclude.txt; do
    [ -f "$f" ] && cp "$f" "logs/$f"
  done
  return 0
}

main() {
  : "${OPENRC:?}" "${IMAGE_ID:?}" "${FLAVOR_ID:?}" "${NETWORK_NAME:?}" "${ROUTER_ID:?}" "${TENANT_CIDR:?}"
  HAS_CINDER="${HAS_CINDER:-false}"
  HAS_SWIFT="${HAS_SWIFT:-false}"
  OS_FAMILY="${OS_FAMILY:-debian}"
  IMAGE_SSH_USER="${IMAGE_SSH_USER:-}"
  NETWORK_FIX="${NETWORK_FIX:-seeds}"
  check_regex
  # shellcheck source=/dev/null
  . "$OPENRC"
  install_tempest

  local external
  external="$(openstack network list --external -f value -c ID -c Name | head -n1)"
  EXTERNAL_NETWORK_ID="${external%% *}"
  EXTERNAL_NETWORK_NAME="${external#* }"
  # The extensions this Neutron really has: Tempest's default ("all") checks for a fixed list that
  # includes ones this install does not enable (metering, …).
  NETWORK_EXTENSIONS="$(openstack extension list --network -f value -c Alias | sort | paste -sd, -)"
  decide_validation

  rm -rf "$TEMPEST_DIR"
  mkdir -p "$(dirname "$TEMPEST_DIR")"
  tempest init "$TEMPEST_DIR" >/dev/null
  cd "$TEMPEST_DIR"
  # tempest init copies /etc/tempest, where Debian's package has a logging.conf. Tempest then logs
  # through it instead of log_dir/log_file: to ./tempest.log, opened with truncation by each of the
  # concurrent workers (they overwrite each other), and not in logs/, which the bundle collects.
  rm -f etc/logging.conf
  trap collect_results EXIT
  # Cut short (the SSH session gone, the check's time bound), still leave what there is.
  trap 'exit 129' HUP
  trap 'exit 143' TERM
  write_conf

  local line
  : >exclude.txt
  while IFS= read -r line; do
    log "excluded for this cloud: $line"
    printf '%s\n' "$line" >>exclude.txt
  done < <(exclude_list_for_cloud)
  while IFS= read -r line; do
    log "excluded for network-fix $NETWORK_FIX: $line"
    printf '%s\n' "$line" >>exclude.txt
  done < <(exclude_list_for_fix "$NETWORK_FIX")

  tempest_run_args
  local rc=0
  if [ "$RUN_IN_NS" = 1 ]; then
    ip netns exec "qrouter-$ROUTER_ID" "${RUN_ARGS[@]}" >results.subunit || rc=$?
  else
    "${RUN_ARGS[@]}" >results.subunit || rc=$?
  fi
  subunit2junitxml <results.subunit >junit.xml || true
  collect_results
  log "tempest run exited with $rc; $(subunit-stats <results.subunit 2>/dev/null | tr '\n' ' ' || true)"
  return "$rc"
}

if [ -z "${OOA_TEMPEST_SOURCE_ONLY:-}" ]; then
  main
fi
