#!/usr/bin/env bash
# mariadb: the guide's SQL database chapter. MariaDB bound to the controller's management
# address with the guide's settings; root stays on socket authentication (only root on the node
# can use it), the anonymous users and the test database go (mysql_secure_installation's job).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
stage_begin mariadb

# shellcheck disable=SC2046
pkg_install $(stage_pkgs mariadb)
write_file "$(mariadb_conf_path)" 0644 <<EOC
# openstack-on-aws: the install guide's settings for OpenStack's database.
[mysqld]
bind-address = $MANAGEMENT_IP
default-storage-engine = innodb
innodb_file_per_table = on
max_connections = 4096
collation-server = utf8_general_ci
character-set-server = utf8
EOC
svc_apply "$(units mariadb)"
wait_until 60 "MariaDB answering" mysql_ping

while read -r host; do
  [[ -n "$host" ]] || continue
  mysql_root <<<"DROP USER ''@'$host';"
  changed "removed the anonymous database user @$host"
done < <(mysql_root <<<"SELECT host FROM mysql.user WHERE user='';")
if [[ "$(mysql_root <<<"SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name='test';")" != 0 ]]; then
  mysql_root <<<"DROP DATABASE test;"
  changed "dropped the test database"
fi
stage_end
