#!/usr/bin/env bash
# horizon: the guide's Dashboard chapter: openstack-dashboard talking to Keystone on the
# controller, sessions in memcached, the "Default" domain and the "member" role for new users,
# self-service networking on, any host name allowed (the controller is reached by its public IP).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
stage_begin horizon

# shellcheck disable=SC2046
pkg_install $(stage_pkgs horizon)
settings="$(horizon_settings_path)"
[[ -f "$settings" ]] || die "$settings is missing after installing the dashboard"
# Later assignments win in a Python settings file: one managed block at the end overrides the
# package defaults.
ensure_block "$settings" settings <<EOP
OPENSTACK_HOST = "$CONTROLLER_NAME"
OPENSTACK_KEYSTONE_URL = "http://%s:5000/v3" % OPENSTACK_HOST
ALLOWED_HOSTS = ['*']
SECRET_KEY = '$PASS_HORIZON_SECRET_KEY'
$(horizon_session_settings)
OPENSTACK_KEYSTONE_MULTIDOMAIN_SUPPORT = True
OPENSTACK_API_VERSIONS = {"identity": 3, "image": 2, "volume": 3}
OPENSTACK_KEYSTONE_DEFAULT_DOMAIN = "Default"
OPENSTACK_KEYSTONE_DEFAULT_ROLE = "member"
OPENSTACK_NEUTRON_NETWORK = {
    'enable_router': True,
    'enable_quotas': True,
    'enable_ipv6': False,
    'enable_distributed_router': False,
    'enable_ha_router': False,
    'enable_fip_topology_check': True,
}
TIME_ZONE = "UTC"
# Users reach the dashboard over HTTPS through the tls-proxy stage's HAProxy: Django must know the
# request was secure, or its CSRF check refuses the login form's https Origin.
SECURE_PROXY_SSL_HEADER = ('HTTP_X_FORWARDED_PROTO', 'https')
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_SECURE = True
# The dashboard calls the APIs from the controller, which cannot reach its own elastic IP on AWS
# (the catalog's public endpoints): the internal ones, as Tempest does.
OPENSTACK_ENDPOINT_TYPE = "internalURL"
EOP
# Horizon runs the package's local_settings.d snippets after local_settings.py, and Debian's
# _0006_debian_cache.py puts the cache, where the sessions live, in each process's own memory: a
# login made in one Apache process is unknown to the next, so the dashboard logs every user out
# at once (Tempest's dashboard scenario, Debian 13). The sessions' settings are set again in a
# snippet that sorts after every package's, and the settings Django really reads are checked.
snippets="$(dirname "$settings")/local_settings.d"
if [[ -d "$snippets" ]]; then
  horizon_session_settings | write_file "$snippets/_9999_openstack_on_aws_sessions.py" 0644 root:root
fi
# As the web server's user: the package's settings create the dashboard's secret key file on
# first read, and one created by root is unreadable to the dashboard (HTTP 500 on every page).
web_user="$(horizon_web_user)"
read_err="$(mktemp)"
effective="$(cd / && runuser -u "$web_user" -- env PYTHONPATH="$(horizon_python_path)" \
  DJANGO_SETTINGS_MODULE=openstack_dashboard.settings python3 -W ignore -c \
  'from django.conf import settings; print(settings.SESSION_ENGINE, settings.CACHES["default"]["BACKEND"])' 2>"$read_err" | tail -n1)" ||
  die "cannot read the dashboard's settings as $web_user (python3 with DJANGO_SETTINGS_MODULE=openstack_dashboard.settings): $(tail -n1 "$read_err")"
rm -f "$read_err"
[[ "$effective" == "$(horizon_session_engine) $(horizon_cache_backend)" ]] ||
  die "the dashboard's sessions would not be shared between its processes: Django reads '$effective' (a snippet in $snippets overrides $settings?)"
log "dashboard sessions: $effective on $CONTROLLER_NAME:11211"
web_wsgi_setup horizon
# shellcheck disable=SC2046
svc_apply $(units horizon)
wait_until 180 "the dashboard's login page rendering at /$(horizon_path)/" page_ok "http://$CONTROLLER_NAME/$(horizon_path)/"
stage_end
