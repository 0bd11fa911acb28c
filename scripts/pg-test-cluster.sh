#!/usr/bin/env bash
# A private PostgreSQL cluster for the tests: initdb into a temporary
# directory, listening only on a unix socket in that directory (no TCP), on a
# port no other server uses. initdb refuses to run as root, so as root the
# cluster belongs to the `postgres` user (Debian's postgresql package makes it).
#
#   scripts/pg-test-cluster.sh start    # prints `export SEALANE_TEST_POSTGRES_URL=...`
#   scripts/pg-test-cluster.sh stop DIR # stops the cluster in DIR and removes it
#   scripts/pg-test-cluster.sh ensure   # one shared cluster per user, started once
#                                       # and left running (what the tests use
#                                       # when SEALANE_TEST_POSTGRES_URL is unset)
#
# Use:  eval "$(scripts/pg-test-cluster.sh start)"; ...; scripts/pg-test-cluster.sh stop "$SEALANE_TEST_POSTGRES_DIR"
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "pg-test-cluster: no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (apt-get install postgresql)" >&2
  exit 1
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  local port
  for _ in $(seq 1 100); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  echo "pg-test-cluster: no free port found" >&2
  exit 1
}

url_of() {
  local dir=$1
  echo "export SEALANE_TEST_POSTGRES_URL='host=$dir port=$(cat "$dir/port") user=postgres dbname=postgres'"
  echo "export SEALANE_TEST_POSTGRES_DIR='$dir'"
}

start_in() {
  local dir=$1 port
  port=$(free_port)
  mkdir -p "$dir"
  chmod 700 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  echo "$port" >"$dir/port"
  # The server must not inherit the lock of `ensure` (descriptor 9).
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses='' -c unix_socket_directories='$dir' -p $port -c max_connections=400" \
    start >/dev/null 9>&- || { cat "$dir/server.log" >&2; exit 1; }
  url_of "$dir"
}

case "${1:-}" in
  start)
    dir=$(mktemp -d "${TMPDIR:-/tmp}/sealane-pg.XXXXXX")
    start_in "$dir"
    ;;
  stop)
    dir=${2:?usage: pg-test-cluster.sh stop DIR}
    [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  ensure)
    dir="${TMPDIR:-/tmp}/sealane-pg-test-$(id -u)"
    exec 9>"$dir.lock"
    flock 9
    if [ -f "$dir/port" ] && as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      url_of "$dir"
    else
      rm -rf "$dir"
      start_in "$dir"
    fi
    ;;
  *)
    echo "usage: pg-test-cluster.sh start | stop DIR | ensure" >&2
    exit 2
    ;;
esac
