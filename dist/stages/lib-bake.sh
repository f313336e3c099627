# shellcheck shell=bash
# Baked images, the node's half (sourced after lib.sh by bake-clean.sh and rekey.sh only).
#
# A baked node keeps everything the install made, but nothing of the stack that baked it: every
# per-stack value (the passwords, the public and router addresses, the MACs, the NIC names, the
# stack id) is replaced in every file that holds it by a placeholder @@NAME@@, and the files are
# listed. At boot the rekey stage puts the new stack's values where the placeholders are, gives the
# database and RabbitMQ users and every Keystone user their new passwords, makes new Fernet and
# credential keys, and starts the services the bake stopped, in install order.

# shellcheck disable=SC2034 # the names below are used by bake-clean.sh and rekey.sh
BAKED_DIR="$OOA_ETC/baked"
# What bake-clean leaves for rekey (none of it secret): the files with placeholders, the units it
# stopped, the names it replaced, and the bake's own facts.
BAKED_FILES="$BAKED_DIR/files.list" BAKED_UNITS="$BAKED_DIR/units.list"
# shellcheck disable=SC2034
BAKED_NAMES="$BAKED_DIR/names.list" BAKED_FACTS="$BAKED_DIR/facts.env"

# Where an install writes files that can hold a per-stack value. The databases and RabbitMQ's
# store are not text: their users and rows are handled through their own tools below.
# shellcheck disable=SC2034
BAKE_SCAN_DIRS="/etc /root /var/lib/openstack-dashboard /var/lib/nova /var/lib/neutron /var/lib/glance /var/lib/cinder /var/lib/swift /var/lib/keystone /srv"
# What the final check for a leftover secret skips: kernel and runtime trees, and the database and
# RabbitMQ stores, whose pages keep freed row versions (their users get new passwords at rekey).
# Network configuration keeps its names and MACs: it is read at boot, before rekey, and a
# placeholder there would leave the node without a network. host-prep, the first stage of a booted
# image, writes it again for the NICs it finds.
BAKE_KEEP_DIRS="/etc/netplan /etc/systemd/network"
# shellcheck disable=SC2034
BAKE_CHECK_SKIP="/proc /sys /dev /run /tmp /var/lib/mysql /var/lib/rabbitmq /var/cache /var/lib/apt /usr"

# bake_names: the settings that differ from one stack to the next, secrets first. IP addresses and
# NIC names are replaced only as whole words (203.0.113.5 must not touch 203.0.113.50).
bake_names() {
  local n
  for n in $(compgen -v PASS_); do echo "$n"; done
  echo STACK_ID PUBLIC_ADDRESS ROUTER_PUBLIC_IP MAC_MANAGEMENT MAC_PROVIDER MAC_PUBLIC NIC_MANAGEMENT NIC_PROVIDER NIC_PUBLIC | tr ' ' '\n'
}
bake_is_secret() { [[ "$1" == PASS_* ]]; }

# bake_values_file: "NAME<TAB>VALUE" lines of the names that are set, in a 0600 temp file whose
# path is printed (values never go on a command line). Longest values first, so no value that is a
# part of another is replaced inside it.
bake_values_file() {
  local f n
  f="$(umask 077 && mktemp /tmp/ooa-bake-values-XXXXXX)"
  for n in $(bake_names); do
    if [[ -n "${!n:-}" ]]; then printf '%s\t%s\n' "$n" "${!n}"; fi
  done | awk -F'\t' '{ print length($2) "\t" $0 }' | sort -rn | cut -f2- >"$f" || return 1
  echo "$f"
}

# bake_replace FILE VALUES DIRECTION: in FILE, each VALUE by @@NAME@@ (to-placeholders) or back
# (from-placeholders). Perl reads the pairs from the values file, never from argv; the result is
# written back into the same file, so its owner, mode and links stay as the install made them.
bake_replace() {
  local file="$1" values="$2" direction="$3" tmp
  tmp="$(umask 077 && mktemp /tmp/ooa-bake-file-XXXXXX)"
  OOA_VALUES="$values" OOA_DIRECTION="$direction" perl -0777 -pe '
    BEGIN {
      # -0777 reads FILE whole; the values file is read line by line.
      local $/ = "\n";
      open my $fh, "<", $ENV{OOA_VALUES} or die "values: $!";
      while (<$fh>) { chomp; my ($n, $v) = split /\t/, $_, 2; push @pairs, [$n, $v]; }
    }
    for my $p (@pairs) {
      my ($n, $v) = @$p;
      if ($ENV{OOA_DIRECTION} ne "to-placeholders") { s/\@\@\Q$n\E\@\@/$v/g; next; }
      if ($n =~ /^(PUBLIC_ADDRESS|ROUTER_PUBLIC_IP|NIC_)/) {
        # Whole words only: 203.0.113.5 is not a part of 203.0.113.50, eth1 not of veth1.
        s/(?<![\w.-])\Q$v\E(?![\w-]|\.\d)/\@\@$n\@\@/g;
      } elsif ($n =~ /^MAC_/) {
        s/\Q$v\E/\@\@$n\@\@/gi;
      } else {
        s/\Q$v\E/\@\@$n\@\@/g;
      }
    }' "$file" >"$tmp"
  if ! cmp -s "$tmp" "$file"; then cat "$tmp" >"$file"; fi
  rm -f "$tmp"
}

# bake_files_holding VALUES DIR...: the regular text files under DIR... that hold any value.
bake_files_holding() {
  local values="$1" pats
  shift
  pats="$(umask 077 && mktemp /tmp/ooa-bake-patterns-XXXXXX)"
  cut -f2- "$values" >"$pats"
  local d
  local keep
  for d in "$@"; do
    [[ -d "$d" ]] || continue
    grep -rlIF -f "$pats" "$d" 2>/dev/null || true
  done | while read -r f; do
    for keep in $BAKE_KEEP_DIRS; do [[ "$f" == "$keep"/* ]] && continue 2; done
    echo "$f"
  done | sort -u
  rm -f "$pats"
}

# bake_units_known: every unit a stage of this library starts, in install order (the stage order).
bake_units_known() {
  local s
  for s in chrony mariadb rabbitmq memcached etcd keystone glance placement nova-controller \
    neutron-server neutron-agent horizon cinder-controller swift-proxy nova-compute cinder-volume swift-storage; do
    units "$s" 2>/dev/null | tr ' ' '\n'
  done
  # Started by the library outside `units`: the external bridge (routed) and Open vSwitch, where
  # the node has it.
  echo ooa-external-bridge.service
  if unit_exists "$(ovs_unit)"; then ovs_unit; fi
}

# pkg_cache_clean: the package manager's downloaded packages (the image need not carry them).
pkg_cache_clean() {
  case "$OS_FAMILY" in
    debian | ubuntu) apt-get clean ;;
    rhel) if command -v dnf >/dev/null; then dnf clean packages -q; else yum clean packages -q; fi ;;
  esac
}

# rpc_consumed QUEUE...: RabbitMQ has a consumer on every named queue (the RPC servers are up).
rpc_consumed() {
  local have q
  have="$(rabbitmqctl -q list_queues name consumers 2>/dev/null | awk '$2 > 0 { print $1 }')"
  for q in "$@"; do grep -qxF "$q" <<<"$have" || return 1; done
}

# bake_sql_endpoints DIRECTION VALUES: the catalog's public URLs hold the public address.
bake_sql_endpoints() {
  local direction="$1" values="$2" addr
  addr="$(awk -F'\t' '$1 == "PUBLIC_ADDRESS" { print $2 }' "$values")"
  [[ -n "$addr" ]] || return 0
  if [[ "$direction" == to-placeholders ]]; then
    mysql_root <<SQL
UPDATE keystone.endpoint SET url = REPLACE(url, '//$addr:', '//@@PUBLIC_ADDRESS@@:') WHERE url LIKE '%//$addr:%';
UPDATE keystone.endpoint SET url = REPLACE(url, '//$addr/', '//@@PUBLIC_ADDRESS@@/') WHERE url LIKE '%//$addr/%';
SQL
  else
    mysql_root <<SQL
UPDATE keystone.endpoint SET url = REPLACE(url, '@@PUBLIC_ADDRESS@@', '$addr') WHERE url LIKE '%@@PUBLIC_ADDRESS@@%';
SQL
  fi
}

# bake_sql_cells DIRECTION VALUES: Nova's cell mappings hold the database and RabbitMQ passwords.
bake_sql_cells() {
  local direction="$1" values="$2" n v from to
  mysql_root <<<"SELECT 1 FROM information_schema.tables WHERE table_schema='nova_api' AND table_name='cell_mappings';" |
    grep -q 1 || return 0
  while IFS=$'\t' read -r n v; do
    bake_is_secret "$n" || continue
    if [[ "$direction" == to-placeholders ]]; then from="$v" to="@@$n@@"; else from="@@$n@@" to="$v"; fi
    mysql_root <<SQL
UPDATE nova_api.cell_mappings SET transport_url = REPLACE(transport_url, '$from', '$to'),
  database_connection = REPLACE(database_connection, '$from', '$to')
  WHERE transport_url LIKE '%$from%' OR database_connection LIKE '%$from%';
SQL
  done <"$values"
}

# bake_sql_leftovers VALUES: the names whose value any database still holds in a row.
bake_sql_leftovers() {
  local values="$1" dump n v
  dump="$(umask 077 && mktemp /tmp/ooa-bake-dump-XXXXXX)"
  mysqldump --protocol=socket -u root --all-databases --skip-extended-insert --skip-comments \
    --no-create-info >"$dump" 2>/dev/null || true
  while IFS=$'\t' read -r n v; do
    bake_is_secret "$n" || [[ "$n" == PUBLIC_ADDRESS ]] || continue
    if grep -qF -- "$v" "$dump"; then
      # shellcheck disable=SC2016 # the backquotes are mysqldump's, not the shell's
      echo "$n in $(grep -F -- "$v" "$dump" | sed -n 's/^INSERT INTO `\([^`]*\)`.*/\1/p' | sort -u | tr '\n' ' ')"
    fi
  done <"$values"
  rm -f "$dump"
}

# db_users: "user" per database user the stages made (not root and the server's own).
db_users() {
  mysql_root <<<"SELECT DISTINCT user FROM mysql.user WHERE user NOT IN ('root','mysql','mariadb.sys','debian-sys-maint','');"
}

