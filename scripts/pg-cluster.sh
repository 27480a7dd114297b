#!/bin/sh
# A throw-away PostgreSQL 15 cluster for the tests, on a free loopback port.
#
#   scripts/pg-cluster.sh start DIR   initdb in DIR (created; must not hold a cluster) and start it;
#                                     prints the connection URI
#   scripts/pg-cluster.sh url DIR     prints the URI of the cluster in DIR
#   scripts/pg-cluster.sh stop DIR    stops it (immediate shutdown) and removes DIR
#   scripts/pg-cluster.sh down DIR    stops the server only (fast shutdown), keeping DIR
#   scripts/pg-cluster.sh up DIR      starts the server of DIR again, on its port
#   scripts/pg-cluster.sh replica PRIMARY DIR
#                                     a hot standby of the cluster in PRIMARY (pg_basebackup,
#                                     streaming), started in DIR on its own port; prints its URI
#
# initdb refuses to run as root, and the tests run as root on CI: the server
# then runs as `nobody`, owning DIR. Trust authentication on 127.0.0.1 only,
# superuser "followd". fsync is off: the cluster lives only as long as one test
# run, and the tests kill followd, never the machine (durability of an
# acknowledged write against a killed followd does not depend on fsync).
# PG_DURABLE=1 (benchmarks) keeps fsync and full_page_writes on and gives the
# server 256MB of shared buffers instead.
set -eu
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|url|stop|down|up DIR" >&2; exit 2; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}

case $cmd in
start)
  [ -x "$PGBIN/initdb" ] || { echo "pg-cluster: $PGBIN/initdb missing (apt-get install postgresql-15)" >&2; exit 1; }
  mkdir -p "$dir"
  [ -e "$dir/data" ] && { echo "pg-cluster: $dir already holds a cluster" >&2; exit 1; }
  [ "$(id -u)" -eq 0 ] && chown nobody "$dir"
  chmod 700 "$dir"
  port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  as_owner "$PGBIN/initdb" -D "$dir/data" -U followd -A trust -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 300
log_min_messages = warning
CONF
  if [ "${PG_DURABLE:-0}" = 1 ]; then
    echo "shared_buffers = 256MB" >>"$dir/data/postgresql.conf"
  else
    printf 'fsync = off\nfull_page_writes = off\nshared_buffers = 64MB\n' >>"$dir/data/postgresql.conf"
  fi
  as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null ||
    { cat "$dir/server.log" >&2; exit 1; }
  echo "$port" >"$dir/port"
  echo "postgresql://followd@127.0.0.1:$port/postgres"
  ;;
url)
  echo "postgresql://followd@127.0.0.1:$(cat "$dir/port")/postgres"
  ;;
stop)
  [ -d "$dir/data" ] && as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
down)
  as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  ;;
up)
  as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
  ;;
replica)
  primary=$dir; dir=${3:-}
  [ -n "$dir" ] && [ -f "$primary/port" ] || { echo "usage: $0 replica PRIMARY DIR" >&2; exit 2; }
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown nobody "$dir"
  chmod 700 "$dir"
  port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  as_owner "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$(cat "$primary/port")" -U followd -D "$dir/data" -R -c fast \
    -X stream >"$dir/basebackup.log" 2>&1 || { cat "$dir/basebackup.log" >&2; exit 1; }
  printf "port = %s\nunix_socket_directories = '%s'\nhot_standby = on\n" "$port" "$dir" >>"$dir/data/postgresql.conf"
  as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null ||
    { cat "$dir/server.log" >&2; exit 1; }
  echo "$port" >"$dir/port"
  echo "postgresql://followd@127.0.0.1:$port/postgres"
  ;;
*) echo "usage: $0 start|url|stop|down|up|replica DIR" >&2; exit 2 ;;
esac
