#!/usr/bin/env bash
# rabbitmq: the guide's message queue chapter: RabbitMQ with the user "openstack" allowed to
# configure, write and read everything.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
stage_begin rabbitmq

# shellcheck disable=SC2046
pkg_install $(stage_pkgs rabbitmq)
svc_apply "$(units rabbitmq)"
wait_until 120 "RabbitMQ answering" rabbitmqctl -q status

if ! rabbitmqctl -q list_users | awk '{print $1}' | grep -qx openstack; then
  rabbitmq_add_user openstack PASS_RABBITMQ
  changed "created RabbitMQ user openstack"
fi
if [[ "$(rabbitmqctl -q list_user_permissions openstack | awk '$1 == "/" {print $2, $3, $4}')" != '.* .* .*' ]]; then
  rabbitmqctl -q set_permissions openstack ".*" ".*" ".*"
  changed "granted the openstack user everything on /"
fi
stage_end
