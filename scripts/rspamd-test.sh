#!/usr/bin/env bash
# A private rspamd for the tests: the Debian package's configuration with a
# local.d of our own in a temporary directory — one normal worker on a free
# loopback port, no controller, proxy or fuzzy worker, no redis, DNS answered
# at once by nobody (so checks never wait for the internet), thresholds
# high enough that a plain test message gets `no action` whatever its
# score without DNS — and rules that act on the Subject: `sealane-test-greylist`
# gets `soft reject`, `sealane-test-add-header` gets `add header`. The GTUBE
# pattern (XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X)
# gets `reject` from rspamd itself.
#
#   scripts/rspamd-test.sh start     # prints `export SEALANE_TEST_RSPAMD_URL=...`
#   scripts/rspamd-test.sh stop DIR  # stops the rspamd in DIR and removes DIR
#
# Use:  eval "$(scripts/rspamd-test.sh start)"; ...; scripts/rspamd-test.sh stop "$SEALANE_TEST_RSPAMD_DIR"
set -euo pipefail

if ! command -v rspamd >/dev/null 2>&1; then
  echo "rspamd-test: no rspamd (apt-get install rspamd)" >&2
  exit 1
fi

free_port() {
  local port
  for _ in $(seq 1 100); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  echo "rspamd-test: no free port found" >&2
  exit 1
}

case "${1:-}" in
  start)
    dir=$(mktemp -d "${TMPDIR:-/tmp}/sealane-rspamd.XXXXXX")
    port=$(free_port)
    mkdir -p "$dir/local.d" "$dir/override.d" "$dir/db" "$dir/run"
    cat >"$dir/local.d/worker-normal.inc" <<CONF
bind_socket = "127.0.0.1:$port";
count = 1;
CONF
    for w in controller proxy fuzzy; do
      echo 'enabled = false;' >"$dir/local.d/worker-$w.inc"
    done
    cat >"$dir/local.d/options.inc" <<CONF
dns {
  nameserver = ["127.0.0.1:9"];
  timeout = 0.1s;
  retransmits = 0;
}
CONF
    cat >"$dir/local.d/logging.inc" <<CONF
type = "file";
filename = "$dir/rspamd.log";
level = "notice";
CONF
    cat >"$dir/local.d/multimap.conf" <<CONF
SEALANE_TEST_GREYLIST {
  type = "header";
  header = "Subject";
  regexp = true;
  map = "$dir/greylist.map";
  prefilter = true;
  action = "soft reject";
  message = "sealane test: try again later";
}
SEALANE_TEST_ADD_HEADER {
  type = "header";
  header = "Subject";
  regexp = true;
  map = "$dir/add-header.map";
  prefilter = true;
  action = "add header";
}
CONF
    cat >"$dir/local.d/actions.conf" <<CONF
greylist = 90;
add_header = 100;
rewrite_subject = 110;
reject = 150;
CONF
    echo '/sealane-test-greylist/' >"$dir/greylist.map"
    echo '/sealane-test-add-header/' >"$dir/add-header.map"
    rspamd -f -i -u "$(id -un)" -g "$(id -gn)" -c /etc/rspamd/rspamd.conf \
      --var="LOCAL_CONFDIR=$dir" --var="DBDIR=$dir/db" --var="RUNDIR=$dir/run" \
      --var="LOGDIR=$dir" -p "$dir/rspamd.pid" >"$dir/stdout.log" 2>&1 &
    echo $! >"$dir/main.pid"
    for _ in $(seq 1 300); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "export SEALANE_TEST_RSPAMD_URL='http://127.0.0.1:$port'"
        echo "export SEALANE_TEST_RSPAMD_DIR='$dir'"
        exit 0
      fi
      if ! kill -0 "$(cat "$dir/main.pid")" 2>/dev/null; then break; fi
      sleep 0.2
    done
    echo "rspamd-test: rspamd did not start; its log:" >&2
    cat "$dir/stdout.log" "$dir/rspamd.log" >&2 2>/dev/null || true
    kill "$(cat "$dir/main.pid")" 2>/dev/null || true
    exit 1
    ;;
  stop)
    dir=${2:?usage: rspamd-test.sh stop DIR}
    if [ -f "$dir/main.pid" ]; then
      pid=$(cat "$dir/main.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: rspamd-test.sh start | stop DIR" >&2
    exit 2
    ;;
esac
