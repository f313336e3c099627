#!/usr/bin/env bash
# tls-proxy: HTTPS for every public endpoint. HAProxy (each distribution's own package) terminates
# TLS on the public ports, TripleO's numbers (13000 Keystone, 13292 Glance, 13774 Nova, 13696
# Neutron, 13778 Placement, 13776 Cinder, 13808 Swift, 13080 noVNC, 443 Horizon; lib.sh's
# tls_port), with the stack's certificate, and forwards plain HTTP to the internal port on the
# management address. The elastic IP reaches this node on the same ports the VPC uses, so TLS gets
# ports of its own; the security group opens only those to allowed-cidrs. The APIs learn from
# X-Forwarded-Proto that the client spoke HTTPS (oslo.middleware's proxy-header parsing), so the
# links in their version documents say https. Certificate, key and CA come from the runner
# (/etc/openstack-on-aws/tls, the key 0600); nothing here makes or prints a key.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
stage_begin tls-proxy

tls_dir="$OOA_ETC/tls"
for f in ca.crt server.crt server.key; do
  [[ -s "$tls_dir/$f" ]] || die "$tls_dir/$f is missing (the runner uploads it before the stages run)"
done
[[ "$(stat -c %a "$tls_dir/server.key")" == 600 ]] || die "$tls_dir/server.key must be mode 0600"
[[ -n "$PUBLIC_ADDRESS" && -n "$PUBLIC_NIC_IP" ]] || die "PUBLIC_ADDRESS and PUBLIC_NIC_IP are needed for the public endpoints"

# Port 443 must be free for HAProxy (Apache listens there only with mod_ssl enabled).
holder="$(ss -ltnpH 'sport = :443' 2>/dev/null | grep -v '"haproxy"' || true)"
[[ -z "$holder" ]] || die "port 443 is taken by another program (Horizon's HTTPS goes through HAProxy): $holder"

# shellcheck disable=SC2046
pkg_install $(stage_pkgs tls-proxy)

# The internal ports served here: every API this controller runs (Cinder and Swift only with their nodes).
ports="5000 9292 8778 8774 6080 9696 80"
if [[ "$HAS_BLOCK" == 1 ]]; then ports+=" 8776"; fi
if [[ "$HAS_OBJECT" == 1 ]]; then ports+=" 8080"; fi

# HAProxy wants certificate and key in one file; it reads it as root before dropping privileges.
pem=/etc/haproxy/openstack-on-aws.pem
cat "$tls_dir/server.crt" "$tls_dir/server.key" | write_file "$pem" 0600 root:root

{
  cat <<EOF
# Written by openstack-on-aws (stage tls-proxy): HTTPS on the public ports, plain HTTP behind.
global
    log /dev/log local0
    maxconn 4096
    user haproxy
    group haproxy
    ssl-default-bind-options ssl-min-ver TLSv1.2

defaults
    mode http
    log global
    option dontlognull
    option forwardfor
    timeout connect 10s
    timeout http-request 30s
    # Image uploads and the noVNC console's websocket stay open for minutes.
    timeout client 15m
    timeout server 15m
    timeout tunnel 1h
EOF
  for p in $ports; do
    cat <<EOF

frontend public-$p
    bind :$(tls_port "$p") ssl crt $pem
    http-request set-header X-Forwarded-Proto https
    default_backend internal-$p

backend internal-$p
    server $CONTROLLER_NAME $CONTROLLER_IP:$p
EOF
  done
} | write_file /etc/haproxy/haproxy.cfg 0644
haproxy -c -q -f /etc/haproxy/haproxy.cfg || die "haproxy rejects /etc/haproxy/haproxy.cfg"

# SELinux (RHEL family): HAProxy may bind and connect to the API ports (TripleO sets the same).
if command -v selinuxenabled >/dev/null 2>&1 && selinuxenabled; then
  if [[ "$(getsebool haproxy_connect_any 2>/dev/null)" != *on ]]; then
    setsebool -P haproxy_connect_any 1
    changed "set the SELinux boolean haproxy_connect_any"
  fi
fi

# proxy_headers COMPONENT FILE: the API trusts X-Forwarded-Proto (each API stage set that already:
# behind_tls_proxy); its units restart only where it was not (a cloud installed by an older
# version). A component this node does not run has no FILE and is skipped.
proxy_headers() {
  local component="$1" file="$2" before=$CONFIG_CHANGED
  [[ -f "$file" ]] || return 0
  CONFIG_CHANGED=0
  behind_tls_proxy "$file"
  if ((CONFIG_CHANGED)); then
    # shellcheck disable=SC2046
    svc_apply $(units "$component")
  fi
  CONFIG_CHANGED=$before
}
proxy_headers keystone /etc/keystone/keystone.conf
proxy_headers glance /etc/glance/glance-api.conf
if ! placement_in_nova; then proxy_headers placement /etc/placement/placement.conf; fi
proxy_headers nova-controller /etc/nova/nova.conf
proxy_headers neutron-server /etc/neutron/neutron.conf
proxy_headers cinder-controller /etc/cinder/cinder.conf

svc_apply haproxy

# Proof: every frontend completes a TLS handshake verified against the stack's CA for the public
# NIC's address (the certificate carries it next to the elastic IP, which this node cannot reach),
# and what listens behind it answers through it: an API at its root (any answer but HAProxy's
# 502/503), the noVNC console proxy with the page the console URL opens (NOVNC_PAGE): it serves
# files only, and its root is a 404.
proof_path() { if [[ "$1" == 6080 ]]; then echo "$NOVNC_PAGE"; fi; }
tls_answers() {
  local code
  code="$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 --cacert "$tls_dir/ca.crt" \
    "https://$PUBLIC_NIC_IP:$(tls_port "$1")/$(proof_path "$1")")" || return 1
  case "$2" in
    page) [[ "$code" == 200 ]] ;;
    backend) [[ "$code" =~ ^[1-4][0-9][0-9]$ ]] ;;
    handshake) [[ "$code" =~ ^[1-5][0-9][0-9]$ ]] ;;
  esac
}
for p in $ports; do
  want=backend
  if [[ "$p" == 6080 ]]; then want=page; fi
  if ss -ltnH "sport = :$p" | grep -q .; then
    wait_until 60 "HTTPS on :$(tls_port "$p") in front of :$p" tls_answers "$p" "$want"
  else
    # Not installed on this node (yet): the handshake must still work.
    wait_until 30 "TLS handshake on :$(tls_port "$p") (nothing listens on :$p)" tls_answers "$p" handshake
  fi
done
stage_end
