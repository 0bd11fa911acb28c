#!/usr/bin/env bash
# Interop check against a DNS world that Sealane's own code neither signs
# nor serves: zones signed by ldns-signzone (ldnsutils), served by NSD, and
# validated by Unbound and BIND's delv.
#
# The world (zone templates and the cases in interop/dns-independent/):
# a private root; sig. (ECDSA P-256, NSEC) with children in Ed25519 (NSEC),
# RSASHA256 (NSEC3), ECDSA with NSEC3 opt-out and an unsigned delegation in
# the opt-out span; CNAME chains ending in data, NODATA and NXDOMAIN, across
# zones and into the unsigned one; wildcards; an expired, a not-yet-valid, a
# corrupted and a missing RRSIG; a DS matching no key; a delegation to a
# server that never answers; and island., delegated without a DS, whose own
# DS and KSK (DNSKEY form) are trust anchors below the root.
#
# For every case, four verdicts must match the expected one:
#   direct   Sealane asking NSD itself,
#   via-ub   Sealane asking through Unbound (with the CD bit, so bogus data
#            still reaches it and is named bogus),
#   unbound  Unbound's own verdict (AD bit; SERVFAIL that +cd turns into an
#            answer means bogus, SERVFAIL either way means failure),
#   delv     BIND's delv, validating NSD's answers itself from the same anchor.
# A verdict is the DNSSEC status and, for secure and insecure answers, what
# was answered: data, nodata or nxdomain.
#
# Then the world is used end to end: `sealane deliver` to a DANE domain and
# to an MTA-STS domain whose MX host and mta-sts host are CNAMEs, over TLS
# with certificates made by the openssl CLI (the TLSA record is computed by
# openssl too), to SMTP receivers and a policy host from the test world.
set -euo pipefail
cd "$(dirname "$0")/.."
here=interop/dns-independent

need_apt=()
command -v ldns-signzone >/dev/null 2>&1 || need_apt+=(ldnsutils)
command -v nsd >/dev/null 2>&1 || need_apt+=(nsd)
command -v unbound >/dev/null 2>&1 || need_apt+=(unbound)
command -v delv >/dev/null 2>&1 || need_apt+=(bind9-dnsutils)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
if [ ${#need_apt[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  # The packages start daemons on port 53; this check runs its own.
  systemctl disable --now unbound nsd >/dev/null 2>&1 || true
fi

cargo build -q -p sealane -p sealane-testworld --bins
bin="${CARGO_TARGET_DIR:-$PWD/target}/debug"

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Addresses: NSD, a server that never answers, two SMTP receivers and a
# policy host. Loopback only; ports are picked free.
ns_ip=127.0.0.1
dead_ip=127.0.0.1
dane_mx_ip=127.0.0.21
sts_mx_ip=127.0.0.22
sts_web_ip=127.0.0.23
free_port() {  # ip...: a TCP and UDP port free on every ip given
  python3 - "$@" <<'PY'
import socket, sys
while True:
    probe = socket.socket()
    probe.bind((sys.argv[1], 0))
    port = probe.getsockname()[1]
    probe.close()
    socks = []
    try:
        for ip in sys.argv[1:]:
            for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                socks.append(socket.socket(socket.AF_INET, kind))
                socks[-1].bind((ip, port))
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    print(port)
    break
PY
}
ns_port=$(free_port "$ns_ip")
dead_port=$(free_port "$dead_ip")
smtp_port=$(free_port "$dane_mx_ip" "$sts_mx_ip")
https_port=$(free_port "$sts_web_ip")

# ---------------------------------------------------------------- certificates
# Made with the openssl CLI, independent of the test world's CA.
certs="$work/certs"
mkdir -p "$certs"
openssl_quiet() { openssl "$@" 2>/dev/null; }
openssl_quiet req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
  -subj "/CN=Interop CA" -addext basicConstraints=critical,CA:true \
  -addext keyUsage=critical,keyCertSign,cRLSign \
  -keyout "$certs/ca.key" -out "$certs/ca.pem"
issue() {  # name (the certificate's DNS name and file stem)
  openssl_quiet req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
    -keyout "$certs/$1.key" -out "$certs/$1.csr"
  openssl_quiet x509 -req -in "$certs/$1.csr" -CA "$certs/ca.pem" -CAkey "$certs/ca.key" \
    -days 7 -extfile <(printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$1") \
    -out "$certs/$1.pem"
}
# The DANE host's certificate is self-signed and names another host:
# DANE-EE(3) ignores both, only the key counts (RFC 7672 §3.1.1).
openssl_quiet req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7 \
  -subj "/CN=not-the-mx.example" -keyout "$certs/mail.dane.sig.key" -out "$certs/mail.dane.sig.pem"
dane_tlsa=$(openssl x509 -in "$certs/mail.dane.sig.pem" -noout -pubkey \
  | openssl pkey -pubin -outform DER | openssl dgst -sha256 -binary | od -An -tx1 | tr -d ' \n')
issue mx.sts.n3.sig
issue mta-sts.sts.n3.sig

# ----------------------------------------------------------------------- zones
zones="$work/zones"
mkdir -p "$zones"
template() {  # template file, output file, [origin for leaf.zone]
  { [ -z "${3:-}" ] || echo "\$ORIGIN $3"; cat "$here/$1"; } | sed \
    -e "s/@NS@/$ns_ip/g" -e "s/@DEAD@/$dead_ip/g" \
    -e "s/@DANE_MX@/$dane_mx_ip/g" -e "s/@STS_MX@/$sts_mx_ip/g" -e "s/@STS_WEB@/$sts_web_ip/g" \
    -e "s/@DANE_TLSA@/$dane_tlsa/g" >"$zones/$2"
}
keygen() {  # zone, algorithm, [ksk]: prints the key's base name
  local flags=()
  [ "$2" = RSASHA256 ] && flags+=(-b 2048)
  [ "${3:-}" = ksk ] && flags+=(-k)
  (cd "$zones" && ldns-keygen -r /dev/urandom -a "$2" "${flags[@]}" "$1")
}
ds() { ldns-key2ds -n -2 "$zones/$1.key"; }  # key base name: its SHA-256 DS
sign() {  # zone file, origin, [ldns-signzone options...] -- keys...
  local file=$1 origin=$2 options=()
  shift 2
  while [ "$1" != -- ]; do options+=("$1"); shift; done
  shift
  (cd "$zones" && ldns-signzone -o "$origin" "${options[@]}" "$file" "$@" >/dev/null)
}
nsec3=(-n -a 1 -t 0)  # SHA-1, no extra iterations, no salt (RFC 9276)
day() { date -u -d "$1" +%Y%m%d; }

template unsigned.optout.sig.zone unsigned.optout.sig.zone

template child.island.zone child.island.zone
k_child=$(keygen child.island. ECDSAP256SHA256 ksk)
sign child.island.zone child.island. -- "$k_child"

template island.zone island.zone
k_island=$(keygen island. RSASHA256 ksk)
z_island=$(keygen island. RSASHA256)
ds "$k_child" >>"$zones/island.zone"
sign island.zone island. "${nsec3[@]}" -- "$k_island" "$z_island"

template ed.sig.zone ed.sig.zone
k_ed=$(keygen ed.sig. ED25519 ksk)
sign ed.sig.zone ed.sig. -- "$k_ed"
# Corrupt badsig's A signature (one base64 character of the signature) and
# drop nosig's.
awk '$4 == "RRSIG" && $5 == "A" && $1 == "badsig.ed.sig." {
       c = substr($NF, 1, 1); $NF = (c == "A" ? "B" : "A") substr($NF, 2) }
     !($4 == "RRSIG" && $5 == "A" && $1 == "nosig.ed.sig.")' \
  "$zones/ed.sig.zone.signed" >"$zones/ed.sig.zone.broken"
mv "$zones/ed.sig.zone.broken" "$zones/ed.sig.zone.signed"

template n3.sig.zone n3.sig.zone
k_n3=$(keygen n3.sig. RSASHA256 ksk)
sign n3.sig.zone n3.sig. "${nsec3[@]}" -- "$k_n3"

template optout.sig.zone optout.sig.zone
k_optout=$(keygen optout.sig. ECDSAP256SHA256 ksk)
sign optout.sig.zone optout.sig. "${nsec3[@]}" -p -- "$k_optout"

for leaf in expired future dsmismatch; do template leaf.zone "$leaf.sig.zone" "$leaf.sig."; done
k_expired=$(keygen expired.sig. ECDSAP256SHA256 ksk)
sign expired.sig.zone expired.sig. -i 20200101 -e 20200201 -- "$k_expired"
k_future=$(keygen future.sig. ECDSAP256SHA256 ksk)
sign future.sig.zone future.sig. -i "$(day '+30 days')" -e "$(day '+60 days')" -- "$k_future"
k_dsmismatch=$(keygen dsmismatch.sig. ECDSAP256SHA256 ksk)
k_unused=$(keygen dsmismatch.sig. ECDSAP256SHA256 ksk)
sign dsmismatch.sig.zone dsmismatch.sig. -- "$k_dsmismatch"

template sig.zone sig.zone
for key in "$k_ed" "$k_n3" "$k_optout" "$k_expired" "$k_future" "$k_unused"; do
  ds "$key" >>"$zones/sig.zone"
done
k_sig=$(keygen sig. ECDSAP256SHA256 ksk)
sign sig.zone sig. -- "$k_sig"

template root.zone root.zone
ds "$k_sig" >>"$zones/root.zone"
k_root=$(keygen . ECDSAP256SHA256 ksk)
sign root.zone . -- "$k_root"

# The anchors, each in one file both Sealane and Unbound read.
anchors="$work/anchors"
mkdir -p "$anchors"
ds "$k_root" >"$anchors/root"
ds "$k_island" >"$anchors/island-ds"
sed -e "s/;.*//" "$zones/$k_island.key" >"$anchors/island-key"

# ------------------------------------------------------------------ servers
mkdir -p "$work/nsd"
{
  cat <<CONF
server:
  ip-address: $ns_ip@$ns_port
  do-ip6: no
  username: ""
  chroot: ""
  zonesdir: "$zones"
  database: ""
  zonelistfile: "$work/nsd/zone.list"
  xfrdfile: "$work/nsd/xfrd.state"
  xfrdir: "$work/nsd"
  pidfile: "$work/nsd/nsd.pid"
  logfile: "$work/nsd/nsd.log"
  server-count: 1
  verbosity: 1
remote-control:
  control-enable: no
CONF
  for zone in . sig. ed.sig. n3.sig. optout.sig. expired.sig. future.sig. dsmismatch.sig. \
              island. child.island.; do
    file="${zone%.}.zone.signed"
    [ "$zone" = . ] && file=root.zone.signed
    printf 'zone:\n  name: "%s"\n  zonefile: "%s"\n' "$zone" "$file"
  done
  printf 'zone:\n  name: "unsigned.optout.sig."\n  zonefile: "unsigned.optout.sig.zone"\n'
} >"$work/nsd/nsd.conf"
nsd -d -c "$work/nsd/nsd.conf" 2>>"$work/nsd/nsd.log" &
pids+=($!)

# The server that never answers: it holds its ports and reads nothing.
python3 -c '
import socket, sys, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind((sys.argv[1], int(sys.argv[2])))
t = socket.socket(); t.bind((sys.argv[1], int(sys.argv[2]))); t.listen(1)
time.sleep(3600)' "$dead_ip" "$dead_port" &
pids+=($!)

declare -A ub_port
for anchor in root island-ds island-key; do
  port=$(free_port 127.0.0.1)
  ub_port[$anchor]=$port
  cat >"$work/unbound-$anchor.conf" <<CONF
server:
  interface: 127.0.0.1
  port: $port
  do-ip6: no
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "$work"
  pidfile: ""
  use-syslog: no
  logfile: "$work/unbound-$anchor.log"
  verbosity: 1
  val-log-level: 2
  ede: yes
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  qname-minimisation: no
  module-config: "validator iterator"
  trust-anchor-file: "$anchors/$anchor"
forward-zone:
  name: "."
  forward-addr: $ns_ip@$ns_port
forward-zone:
  name: "dead.sig."
  forward-addr: $dead_ip@$dead_port
CONF
  unbound -d -c "$work/unbound-$anchor.conf" &
  pids+=($!)
done

# delv reads anchors in BIND's syntax.
bind_anchors() {  # anchor file (DS or DNSKEY records)
  echo "trust-anchors {"
  awk '$4 == "DS"     { printf "  \"%s\" static-ds %s %s %s \"%s\";\n", $1, $5, $6, $7, $8 }
       $3 == "DNSKEY" { k = ""; for (i = 7; i <= NF; i++) k = k $i
                        printf "  \"%s\" static-key %s %s %s \"%s\";\n", $1, $4, $5, $6, k }
       $4 == "DNSKEY" { k = ""; for (i = 8; i <= NF; i++) k = k $i
                        printf "  \"%s\" static-key %s %s %s \"%s\";\n", $1, $5, $6, $7, k }' "$1"
  echo "};"
}
for anchor in root island-ds island-key; do bind_anchors "$anchors/$anchor" >"$anchors/$anchor.bind"; done

wait_for() {  # ip, port
  for _ in $(seq 50); do
    dig +time=1 +tries=1 @"$1" -p "$2" . SOA >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "no DNS server on $1:$2"; cat "$work/nsd/nsd.log"; exit 1
}
wait_for "$ns_ip" "$ns_port"
for anchor in root island-ds island-key; do wait_for 127.0.0.1 "${ub_port[$anchor]}"; done

# ------------------------------------------------------------------ verdicts
answer_kind() {  # dig output, type: data, nodata or nxdomain
  if grep -q 'status: NXDOMAIN' <<<"$1"; then echo nxdomain
  elif awk -v t="$2" '/^;; ANSWER SECTION/ { a = 1; next } /^$/ { a = 0 } a && $4 == t { f = 1 }
                      END { exit !f }' <<<"$1"; then echo data
  else echo nodata
  fi
}
unbound_verdict() {  # port, name, type
  local out
  # No answer at all (Unbound waiting on the server that never answers) is
  # a failure too.
  out=$(dig +dnssec +time=4 +tries=1 @127.0.0.1 -p "$1" "$2" "$3" 2>&1) || { echo fail; return; }
  if grep -q 'status: SERVFAIL' <<<"$out"; then
    # A bogus answer is still handed over with CD; a failure is not.
    if dig +cd +time=4 +tries=1 @127.0.0.1 -p "$1" "$2" "$3" 2>&1 | grep -q 'status: \(NOERROR\|NXDOMAIN\)'; then
      echo bogus
    else
      echo fail
    fi
  elif grep -q 'flags:[^;]* ad[ ;]' <<<"$out"; then echo "secure $(answer_kind "$out" "$3")"
  else echo "insecure $(answer_kind "$out" "$3")"
  fi
}
delv_verdict() {  # anchor, name, type: delv validating NSD's answers itself
  local out kind=data
  out=$(delv -a "$anchors/$1.bind" +root="$(awk '{ print $1; exit }' "$anchors/$1")" \
    @"$ns_ip" -p "$ns_port" "$2" "$3" 2>&1) || true
  case "$out" in
    *"ncache nxdomain"*) kind=nxdomain ;;
    *"ncache nxrrset"*) kind=nodata ;;
  esac
  case "$out" in
    *"; unsigned answer"*) echo "insecure $kind" ;;
    *"fully validated"*) echo "secure $kind" ;;
    *"; authoritative"*) echo "insecure $kind" ;;  # no anchor covers the name
    *"resolution failed: failure"*|*"timed out"*) echo fail ;;
    *"resolution failed: "*) echo bogus ;;  # no valid signature, broken trust chain...
    *) echo fail ;;
  esac
}
sealane_verdict() {  # anchor, server, name, type
  local out rc=0
  # Exit 3 is an answer too: DNSSEC bogus or not validated (`sealane dns --help`).
  out=$("$bin/sealane" dns "$3" "$4" --dns-server "$2" --trust-anchor "$anchors/$1" --json 2>/dev/null) \
    || rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then echo fail; return; fi
  python3 -c '
import json, sys
a = json.load(sys.stdin)
status = {"indeterminate": "fail"}.get(a["status"], a["status"])
if status in ("secure", "insecure"):
    kind = a["absence"] or ("data" if a["records"] else "nodata")
    print(status, kind)
else:
    print(status)' <<<"$out"
}

printf '%-10s %-26s %-6s %-17s %-17s %-17s %-17s %-17s %s\n' \
  anchor name type expected direct via-unbound unbound delv ""
agree=0
total=0
disagree=()
while read -r anchor name type status kind comment; do
  case "$anchor" in ''|'#'*) continue ;; esac
  expected=$status
  [ "$kind" = - ] || expected="$status $kind"
  direct=$(sealane_verdict "$anchor" "$ns_ip:$ns_port" "$name" "$type")
  via=$(sealane_verdict "$anchor" "127.0.0.1:${ub_port[$anchor]}" "$name" "$type")
  ub=$(unbound_verdict "${ub_port[$anchor]}" "$name" "$type")
  dv=$(delv_verdict "$anchor" "$name" "$type")
  total=$((total + 1))
  mark=ok
  if [ "$direct" = "$expected" ] && [ "$via" = "$expected" ] && [ "$ub" = "$expected" ] \
     && [ "$dv" = "$expected" ]; then
    agree=$((agree + 1))
  else
    mark="DISAGREE ($comment)"
    disagree+=("$anchor $name $type")
  fi
  printf '%-10s %-26s %-6s %-17s %-17s %-17s %-17s %-17s %s\n' \
    "$anchor" "$name" "$type" "$expected" "$direct" "$via" "$ub" "$dv" "$mark"
done <"$here/cases.txt"
echo "dns-independent: $agree/$total agree"

# ---------------------------------------------------------------- end to end
"$bin/testworld-peer" "$work/peer" \
  "smtp=$dane_mx_ip:$smtp_port,$certs/mail.dane.sig.pem,$certs/mail.dane.sig.key" \
  "smtp=$sts_mx_ip:$smtp_port,$certs/mx.sts.n3.sig.pem,$certs/mx.sts.n3.sig.key" \
  "https=$sts_web_ip:$https_port,$certs/mta-sts.sts.n3.sig.pem,$certs/mta-sts.sts.n3.sig.key,$here/sts-policy.txt" \
  2>"$work/peer.log" &
pids+=($!)
for _ in $(seq 100); do [ -e "$work/peer/ready" ] && break; sleep 0.1; done
[ -e "$work/peer/ready" ] || { echo "test peers did not start"; cat "$work/peer.log"; exit 1; }

printf 'From: a@sender.example\r\nTo: b@example\r\nSubject: interop\r\n\r\nHello.\r\n' >"$work/message.eml"
e2e_failures=0
deliver() {  # recipient, requirement the delivering host must have been held to
  local out
  out=$("$bin/sealane" deliver --from a@sender.example --to "$1" --message "$work/message.eml" \
    --dns-server "$ns_ip:$ns_port" --trust-anchor "$anchors/root" \
    --smtp-port "$smtp_port" --https-port "$https_port" --ca "$certs/ca.pem" \
    --ehlo sender.example --json 2>&1) || true
  # Delivered, by a host whose attempt was held to the requirement.
  if python3 -c '
import json, sys
reports = json.loads(sys.stdin.read())
want = sys.argv[1]
ok = all(r["status"] == "delivered" for rep in reports for r in rep["recipients"])
ok = ok and any(a["requirement"]["kind"] == want and a["trouble"] is None
                for rep in reports for a in rep["attempts"])
sys.exit(0 if ok else 1)' "$2" <<<"$out" 2>/dev/null \
     && grep -q " to=<\?$1>\? tls=TLS" "$work/peer/messages" 2>/dev/null; then
    echo "deliver $1: delivered under $2 over TLS ($(grep " to=<\?$1" "$work/peer/messages"))"
  else
    echo "deliver $1: NOT delivered under $2 over TLS"
    echo "$out" | head -c 4000; echo
    e2e_failures=$((e2e_failures + 1))
  fi
}
deliver b@dane.sig dane
deliver b@sts.n3.sig sts-enforce

if [ ${#disagree[@]} -ne 0 ] || [ "$e2e_failures" -ne 0 ]; then
  echo "dns-independent: ${#disagree[@]} disagreement(s), $e2e_failures failed deliveries"
  exit 1
fi
echo "dns-independent: all $total cases agree; both deliveries verified"
