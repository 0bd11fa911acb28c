#!/usr/bin/env bash
# Interop check: Unbound, a real validating resolver, and Sealane's own
# validator must agree on the standard test world.
#
# 1. Unbound validates the test world (forwarding to it, with the world's
#    root DS as its trust anchor); its verdict is the AD bit or SERVFAIL.
# 2. Sealane asks the test world directly and reports a DNSSEC status.
# 3. Sealane asks *through* Unbound: thanks to the CD bit it still receives
#    bogus data and names it "bogus", instead of seeing a bare SERVFAIL.
#
# The two validators share no code (Unbound is C, Sealane uses hickory), so
# agreement guards against the test world and the validator sharing a mistake.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v unbound >/dev/null 2>&1 || ! command -v dig >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends unbound bind9-dnsutils >/dev/null
fi

cargo build -q -p sealane -p sealane-testworld --bins
bin="${CARGO_TARGET_DIR:-target}/debug"

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

"$bin/testworld-dns" "$work/world" 2>"$work/world.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/world/addr" ] && break; sleep 0.1; done
[ -s "$work/world/addr" ] || { echo "test world did not start"; cat "$work/world.log"; exit 1; }
world_addr=$(cat "$work/world/addr")
world_port=$(cat "$work/world/port")

# A free port for Unbound.
ub_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/unbound.conf" <<CONF
server:
  interface: 127.0.0.1
  port: $ub_port
  do-ip6: no
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "$work"
  pidfile: ""
  use-syslog: no
  logfile: "$work/unbound.log"
  verbosity: 1
  val-log-level: 2
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  qname-minimisation: no
  # test. is a special-use name that Unbound serves locally by default.
  local-zone: "test." nodefault
  trust-anchor-file: "$work/world/anchor.ds"
  module-config: "validator iterator"
forward-zone:
  name: "."
  forward-addr: 127.0.0.1@$world_port
CONF
unbound -d -c "$work/unbound.conf" &
pids+=($!)
for _ in $(seq 50); do
  dig +time=1 +tries=1 @127.0.0.1 -p "$ub_port" secure.test SOA >/dev/null 2>&1 && break
  sleep 0.2
done

# Unbound's verdict: secure (AD), insecure (no AD), bogus (SERVFAIL).
unbound_verdict() {
  local out rcode
  out=$(dig +dnssec +time=3 +tries=1 @127.0.0.1 -p "$ub_port" "$1" "$2")
  rcode=$(sed -n 's/.*status: \([A-Z]*\),.*/\1/p' <<<"$out")
  if [ "$rcode" = SERVFAIL ]; then echo bogus
  elif grep -q 'flags:[^;]* ad[ ;]' <<<"$out"; then echo secure
  else echo insecure
  fi
}

sealane_status() {  # server, name, type
  # Exit 3 is an answer too: DNSSEC bogus or not validated (`sealane dns --help`).
  local out rc=0
  out=$("$bin/sealane" dns "$2" "$3" --dns-server "$1" --trust-anchor "$work/world/anchor.ds" --json) \
    || rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then return "$rc"; fi
  python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])' <<<"$out"
}

failures=0
check() {  # name, type, expected
  local ub direct via
  ub=$(unbound_verdict "$1" "$2")
  direct=$(sealane_status "$world_addr" "$1" "$2")
  via=$(sealane_status "127.0.0.1:$ub_port" "$1" "$2")
  local verdict=ok
  if [ "$ub" != "$3" ] || [ "$direct" != "$3" ] || [ "$via" != "$3" ]; then
    verdict=MISMATCH
    failures=$((failures + 1))
  fi
  printf '%-36s %-5s expected=%-9s unbound=%-9s sealane=%-9s sealane-via-unbound=%-9s %s\n' \
    "$1" "$2" "$3" "$ub" "$direct" "$via" "$verdict"
}

check mx.secure.test A secure
check _25._tcp.mx.secure.test TLSA secure
check nowhere.secure.test A secure          # NXDOMAIN proven by NSEC
check mx.nsec3.test A secure
check nowhere.nsec3.test A secure           # NXDOMAIN proven by NSEC3
check mx.insecure.secure.test A insecure    # unsigned delegation, NSEC
check mx.insecure.nsec3.test A insecure     # unsigned delegation, NSEC3
check mx.expired.test A bogus
check mx.future.test A bogus
check mx.dsmismatch.test A bogus
check mx.nosig.test A bogus

if [ "$failures" -ne 0 ]; then
  echo "dns-unbound: $failures disagreement(s); Unbound log:"
  tail -n 40 "$work/unbound.log" || true
  exit 1
fi
echo "dns-unbound: Unbound and Sealane agree on all 11 cases"
