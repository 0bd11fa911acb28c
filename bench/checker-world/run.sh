#!/usr/bin/env bash
# checker-world: `sealane check --file` against real peers, next to
# checkdmarc on the same zones (issue 19).
#
#   sudo bash bench/checker-world/run.sh
#
# Everything runs in a private network namespace ($NETNS, default
# "checkerworld") that has only a loopback interface; nothing leaves it:
#   127.0.0.2:53       NSD, authoritative for test. and 1,000 child zones,
#                      each signed by ldns-signzone (its DS in test.)
#   127.0.0.1:53       Unbound, validating (trust anchor: the DS of test.),
#                      the namespace's /etc/resolv.conf
#   127.0.1.1-4:25     Postfix smtpd with STARTTLS: the MX hosts, one
#                      certificate per address naming all its MX hosts
#   127.0.2.1-2:443    nginx: the mta-sts.<domain> policy hosts (SNI, one
#                      certificate per 50 names)
# Certificates come from a private CA made with the openssl CLI; Sealane
# trusts it with --ca, checkdmarc through SSL_CERT_FILE/REQUESTS_CA_BUNDLE.
#
# The domains: dane0001.test ... (N_DANE, default 500) publish TLSA 3 1 1
# for their MX; sts0001.test ... (N_STS, default 500) publish an MTA-STS
# policy in enforce mode. Every domain has its own MX name (mx.<domain>),
# SPF, DMARC and TLS-RPT records; every record is valid.
#
# Runs, in this order (Unbound's cache is warm for the timed ones):
#   1. sealane check --concurrency 1 --json   (the reference)
#   2. sealane check --json, default options  (warm-up: Postfix forks its
#      smtpd processes; unless WARMUP=0)
#   3. sealane check --json, default options  (timed, TIMED_RUNS times;
#      the figure is their median)
#   4. checkdmarc --check-mx-tls              (timed, sequential)
# The JSON Lines of every default run must equal those of 1. The last
# three lines are Sealane's and checkdmarc's domains/s and the ratio.
#
# Environment:
#   SEALANE_BIN   the binary (default: target/release/sealane of this
#                 repository, built with cargo if missing)
#   SEALANE_ARGS  extra options for the timed run (e.g. "--concurrency 64")
#   N_DANE=500 N_STS=500  MX_ADDRS=4  NETNS=checkerworld
#   STATE_DIR     scratch directory (default: a new mktemp -d, removed at
#                 the end unless KEEP=1)
#   CHECKDMARC_VENV  where the checkdmarc venv lives; kept between runs
#                 (default /var/cache/sealane-checker-world/venv)
#   CHECKDMARC_DOMAINS  how many domains checkdmarc checks (default all;
#                 an even sample of both halves when fewer)
#   SKIP_REFERENCE=1  skip the concurrency-1 run and the comparison
#   WARMUP=0      time the first default run (the peers still cold)
#   TIMED_RUNS=3  how many timed default runs (the figure is the median)
#   KEEP=1        leave the namespace and its daemons running
#   WORLD_ONLY=1  build the world, check it, run nothing (with KEEP=1: a
#                 world to explore with `ip netns exec checkerworld ...`)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
NS=${NETNS:-checkerworld}
N_DANE=${N_DANE:-500}
N_STS=${N_STS:-500}
MX_ADDRS=${MX_ADDRS:-4}
STS_ADDRS=2
STS_GROUP=50
KEEP=${KEEP:-0}
VENV=${CHECKDMARC_VENV:-/var/cache/sealane-checker-world/venv}
PY=/usr/bin/python3
RESOLVER=127.0.0.1
NSD_ADDR=127.0.0.2
PACKAGES="nsd unbound ldnsutils nginx-light postfix bind9-dnsutils curl openssl python3-venv iproute2"

log() { echo "[checker-world $(date +%T)] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
nsexec() { ip netns exec "$NS" "$@"; }
mx_addr() { echo "127.0.1.$(($1 % MX_ADDRS + 1))"; }            # domain index -> MX address
sts_group() { echo $(($1 / STS_GROUP)); }                         # sts index -> cert group
sts_addr() { echo "127.0.2.$(($1 % STS_ADDRS + 1))"; }            # group -> nginx address
dane_name() { printf 'dane%04d.test' "$1"; }
sts_name() { printf 'sts%04d.test' "$1"; }

wait_listen() {  # ADDR PORT SECONDS
    local i
    for i in $(seq 1 $(($3 * 10))); do
        nsexec ss -Hltn "src $1:$2" 2>/dev/null | grep -q . && return 0
        sleep 0.1
    done
    return 1
}

# kill_pidfile FILE PATTERN: stop the process named in FILE if its command
# line contains PATTERN (a stale pid file never kills a stranger).
kill_pidfile() {
    local f=$1 pat=$2 pid i
    [ -f "$f" ] || return 0
    pid=$(tr -dc '0-9' <"$f")
    if [ -n "$pid" ] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$pat"; then
        kill "$pid" 2>/dev/null || true
        for i in $(seq 1 50); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
        [ -d "/proc/$pid" ] && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
}

# ---------------------------------------------------------------------------
# Packages, binaries
# ---------------------------------------------------------------------------
install_packages() {
    local missing="" p created=0
    for p in $PACKAGES; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        log "installing:$missing"
        # Never let apt start the system services (unbound would resolve the
        # real root, postfix and nginx would take ports 25 and 80).
        if [ ! -e /usr/sbin/policy-rc.d ]; then
            printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
            chmod 755 /usr/sbin/policy-rc.d
            created=1
        fi
        echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        # shellcheck disable=SC2086
        apt-get install -y -qq --no-install-recommends $missing >"$STATE/apt.log" 2>&1 \
            || { tail -20 "$STATE/apt.log" >&2; die "apt-get install failed"; }
        [ "$created" = 1 ] && rm -f /usr/sbin/policy-rc.d
        if [ -d /run/systemd/system ]; then
            systemctl disable --now unbound nsd postfix nginx >/dev/null 2>&1 || true
        fi
    fi
    if [ ! -x "$VENV/bin/checkdmarc" ]; then
        log "checkdmarc: python3 -m venv $VENV; pip install checkdmarc"
        mkdir -p "$(dirname "$VENV")"
        "$PY" -m venv "$VENV"
        "$VENV/bin/pip" install -q checkdmarc >"$STATE/pip.log" 2>&1 \
            || { tail -20 "$STATE/pip.log" >&2; die "pip install checkdmarc failed"; }
    fi
}

sealane_binary() {
    if [ -n "${SEALANE_BIN:-}" ]; then
        BIN=$SEALANE_BIN
    else
        BIN=$REPO/target/release/sealane
        if [ ! -x "$BIN" ]; then
            log "building $BIN (cargo build --release -p sealane)"
            (cd "$REPO" && cargo build --release -p sealane) >&2 || die "release build failed"
        fi
    fi
    [ -x "$BIN" ] || die "no sealane binary at $BIN (set SEALANE_BIN)"
}

# ---------------------------------------------------------------------------
# The world
# ---------------------------------------------------------------------------
setup_netns() {
    ip netns del "$NS" 2>/dev/null || true
    ip netns add "$NS"
    nsexec ip link set lo up
    # Every service address on lo (Postfix wants its inet_interfaces there).
    local a
    for a in $NSD_ADDR $(seq -f '127.0.1.%g' 1 "$MX_ADDRS") $(seq -f '127.0.2.%g' 1 "$STS_ADDRS"); do
        nsexec ip addr add "$a/32" dev lo
    done
    mkdir -p "/etc/netns/$NS"
    printf 'nameserver %s\n' "$RESOLVER" >"/etc/netns/$NS/resolv.conf"
    printf '127.0.0.1 localhost\n' >"/etc/netns/$NS/hosts"
}

# cert NAME SUBJECT_CN SAN_LIST: a P-256 key and a certificate from the CA.
cert() {
    local d=$STATE/certs name=$1 cn=$2 sans=$3
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$d/$name.key" -out "$d/$name.csr" -subj "/CN=$cn" 2>/dev/null
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' \
        "$sans" >"$d/$name.ext"
    openssl x509 -req -in "$d/$name.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
        -days 30 -sha256 -extfile "$d/$name.ext" -out "$d/$name.crt" 2>/dev/null
    cat "$d/$name.key" "$d/$name.crt" "$d/ca.crt" >"$d/$name.pem"
}

make_certs() {
    local d=$STATE/certs k i g sans
    mkdir -p "$d"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$d/ca.key" -out "$d/ca.crt" -days 30 -subj "/CN=Checker World Test CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl x509 -in "$d/ca.crt" -noout -pubkey | openssl pkey -pubin -outform DER \
        | sha256sum | cut -d' ' -f1 >"$d/ca.tlsa"
    for ((k = 0; k < MX_ADDRS; k++)); do
        sans=""
        for ((i = 1; i <= N_DANE; i++)); do
            [ $(((i - 1) % MX_ADDRS)) = "$k" ] && sans="$sans,DNS:mx.$(dane_name "$i")"
        done
        for ((i = 1; i <= N_STS; i++)); do
            [ $(((i - 1) % MX_ADDRS)) = "$k" ] && sans="$sans,DNS:mx.$(sts_name "$i")"
        done
        cert "mx$((k + 1))" "mx$((k + 1)).checker-world.test" "${sans#,}"
        # TLSA 3 1 1: SHA-256 of the SubjectPublicKeyInfo.
        openssl x509 -in "$d/mx$((k + 1)).crt" -noout -pubkey | openssl pkey -pubin -outform DER \
            | sha256sum | cut -d' ' -f1 >"$d/mx$((k + 1)).tlsa"
    done
    for ((g = 0; g * STS_GROUP < N_STS; g++)); do
        sans=""
        for ((i = g * STS_GROUP + 1; i <= N_STS && i <= (g + 1) * STS_GROUP; i++)); do
            sans="$sans,DNS:mta-sts.$(sts_name "$i")"
        done
        cert "sts$g" "mta-sts.$(sts_name $((g * STS_GROUP + 1)))" "${sans#,}"
    done
}

# zone DOMAIN INDEX KIND: the zone file of one domain.
zone() {
    local domain=$1 i=$2 kind=$3 k
    k=$(((i - 1) % MX_ADDRS + 1))
    cat <<EOF
\$ORIGIN $domain.
\$TTL 3600
@            IN SOA  ns.test. hostmaster.$domain. ( 1 3600 900 604800 300 )
@            IN NS   ns.test.
@            IN MX   10 mx.$domain.
mx           IN A    127.0.1.$k
@            IN TXT  "v=spf1 mx -all"
_dmarc       IN TXT  "v=DMARC1; p=reject; rua=mailto:dmarc@$domain"
_smtp._tls   IN TXT  "v=TLSRPTv1; rua=mailto:tlsrpt@$domain"
EOF
    if [ "$kind" = dane ]; then
        # The server's key, and the CA's for a rollover (RFC 7671 §8).
        echo "_25._tcp.mx  IN TLSA 3 1 1 $(cat "$STATE/certs/mx$k.tlsa")"
        echo "_25._tcp.mx  IN TLSA 2 1 1 $(cat "$STATE/certs/ca.tlsa")"
    else
        echo "_mta-sts     IN TXT  \"v=STSv1; id=20250101T000000\""
        echo "mta-sts      IN A    $(sts_addr "$(sts_group $((i - 1)))")"
    fi
}

setup_dns() {
    local d=$STATE/dns i domain
    mkdir -p "$d/keys" "$STATE/nsd" "$STATE/unbound"
    : >"$STATE/domains.txt"
    for ((i = 1; i <= N_DANE; i++)); do
        domain=$(dane_name "$i"); zone "$domain" "$i" dane >"$d/$domain.zone"; echo "$domain" >>"$STATE/domains.txt"
    done
    for ((i = 1; i <= N_STS; i++)); do
        domain=$(sts_name "$i"); zone "$domain" "$i" sts >"$d/$domain.zone"; echo "$domain" >>"$STATE/domains.txt"
    done
    # One key (KSK, signing everything) per zone; two signers at a time.
    # shellcheck disable=SC2016
    xargs -P "$(nproc)" -n 1 sh -c 'cd "$0/keys" && k=$(ldns-keygen -a ECDSAP256SHA256 -k "$1") \
        && ldns-signzone -f "../$1.zone.signed" "../$1.zone" "$k" && cp "$k.ds" "$1.ds"' "$d" \
        <"$STATE/domains.txt" || die "signing the child zones failed"
    {
        cat <<EOF
\$ORIGIN test.
\$TTL 3600
@   IN SOA ns.test. hostmaster.test. ( 1 3600 900 604800 300 )
@   IN NS  ns.test.
ns  IN A   $NSD_ADDR
EOF
        while read -r domain; do
            echo "$domain. IN NS ns.test."
            cat "$d/keys/$domain.ds"
        done <"$STATE/domains.txt"
    } >"$d/test.zone"
    (cd "$d/keys" && k=$(ldns-keygen -a ECDSAP256SHA256 -k test) \
        && ldns-signzone -f ../test.zone.signed ../test.zone "$k" && cp "$k.ds" ../test.ds) \
        || die "signing test. failed"

    {
        cat <<EOF
server:
    ip-address: $NSD_ADDR
    port: 53
    do-ip6: no
    username: ""
    chroot: ""
    database: ""
    zonesdir: "$d"
    zonelistfile: "$STATE/nsd/zone.list"
    xfrdfile: "$STATE/nsd/xfrd.state"
    xfrdir: "$STATE/nsd"
    pidfile: "$STATE/nsd/nsd.pid"
    logfile: "$STATE/nsd/nsd.log"
    server-count: 1
    verbosity: 1
    hide-version: yes
remote-control:
    control-enable: no
zone:
    name: "test"
    zonefile: "test.zone.signed"
EOF
        while read -r domain; do
            printf 'zone:\n    name: "%s"\n    zonefile: "%s.zone.signed"\n' "$domain" "$domain"
        done <"$STATE/domains.txt"
    } >"$STATE/nsd/nsd.conf"
    nsd-checkconf "$STATE/nsd/nsd.conf" || die "nsd.conf invalid"
    nsexec nsd -c "$STATE/nsd/nsd.conf" || die "nsd failed to start"

    cat >"$STATE/unbound/unbound.conf" <<EOF
server:
    interface: $RESOLVER
    port: 53
    do-ip6: no
    access-control: 127.0.0.0/8 allow
    username: ""
    chroot: ""
    directory: "$STATE/unbound"
    pidfile: "$STATE/unbound/unbound.pid"
    logfile: "$STATE/unbound/unbound.log"
    use-syslog: no
    verbosity: 1
    num-threads: 1
    # Room for the whole world, so that the timed runs find the cache warm
    # as promised above. The 4 MB defaults hold a few hundred of its signed
    # zones: Unbound evicted the rest, and each timed run sent nearly every
    # question on to NSD again (the values are those of Unbound's
    # "Performance optimisation" guide).
    msg-cache-size: 50m
    rrset-cache-size: 100m
    # The same guide's socket buffer: with the kernel's default (208 KB) the
    # bursts of a run at concurrency 128 overflowed it (UdpRcvbufErrors in
    # the namespace; 33 drops in ~30 runs), and each dropped question held
    # its domain for the checker's 5 s DNS timeout, a run for 5 s instead
    # of 3.
    so-rcvbuf: 8m
    do-not-query-localhost: no
    # test. is one of Unbound's built-in blocked zones (RFC 6761).
    local-zone: "test." nodefault
    module-config: "validator iterator"
    trust-anchor-file: "$d/test.ds"
remote-control:
    control-enable: no
stub-zone:
    name: "test."
    stub-addr: $NSD_ADDR
EOF
    unbound-checkconf "$STATE/unbound/unbound.conf" >/dev/null || die "unbound.conf invalid"
    nsexec unbound -c "$STATE/unbound/unbound.conf" || die "unbound failed to start"
    wait_listen "$NSD_ADDR" 53 20 || die "nsd not listening"
    wait_listen "$RESOLVER" 53 10 || die "unbound not listening"
}

setup_postfix() {
    local p=$STATE/postfix k addrs="" services=""
    mkdir -p "$p/etc" "$p/spool" "$p/lib"
    for ((k = 1; k <= MX_ADDRS; k++)); do
        addrs="$addrs, 127.0.1.$k"
        services="${services}127.0.1.$k:smtp inet n - n - - smtpd -o smtpd_tls_chain_files=$STATE/certs/mx$k.pem
"
    done
    cat >"$p/etc/main.cf" <<EOF
compatibility_level = 3.6
config_directory = $p/etc
queue_directory = $p/spool
data_directory = $p/lib
maillog_file = $p/maillog
maillog_file_prefixes = $p
biff = no
myhostname = mx.checker-world.test
mydestination =
relay_domains =
local_transport = error:5.1.1 local delivery disabled
alias_maps =
alias_database =
inet_interfaces = ${addrs#, }
inet_protocols = ipv4
# The checkers are ordinary clients: the per-client limits of anvil apply.
mynetworks = 127.0.0.2/32
smtpd_tls_security_level = may
smtpd_tls_loglevel = 0
EOF
    # Debian's master.cf without chroot and without its "smtp inet" line;
    # one smtpd service per MX address, each with its certificate.
    awk 'BEGIN{OFS="  "}
         /^smtp[ \t]+inet/ { next }
         /^[a-z]/ && NF >= 8 { $5 = "n" }
         { print }' /usr/share/postfix/master.cf.dist >"$p/etc/master.cf"
    printf '%s' "$services" >>"$p/etc/master.cf"
    nsexec postfix -c "$p/etc" set-permissions >"$p/set-permissions.log" 2>&1 \
        || { cat "$p/set-permissions.log" >&2; die "postfix set-permissions failed"; }
    nsexec postfix -c "$p/etc" check >"$p/check.log" 2>&1 || { cat "$p/check.log" >&2; die "postfix check failed"; }
    nsexec postfix -c "$p/etc" start >"$p/start.log" 2>&1 \
        || { cat "$p/start.log" >&2; die "postfix start failed"; }
    for ((k = 1; k <= MX_ADDRS; k++)); do
        wait_listen "127.0.1.$k" 25 20 || die "postfix does not listen on 127.0.1.$k:25"
    done
}

postfix_stop() {
    local p=$STATE/postfix pid i
    [ -f "$p/spool/pid/master.pid" ] || return 0
    pid=$(tr -dc '0-9' <"$p/spool/pid/master.pid")
    [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = master ] || return 0
    nsexec postfix -c "$p/etc" stop >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do [ -d "/proc/$pid" ] || return 0; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
}

setup_nginx() {
    local n=$STATE/nginx www=$STATE/www g i a domain names
    mkdir -p "$n/tmp" "$www"
    for ((i = 1; i <= N_STS; i++)); do
        domain=$(sts_name "$i")
        mkdir -p "$www/mta-sts.$domain/.well-known"
        printf 'version: STSv1\r\nmode: enforce\r\nmx: mx.%s\r\nmax_age: 604800\r\n' "$domain" \
            >"$www/mta-sts.$domain/.well-known/mta-sts.txt"
    done
    {
        cat <<EOF
daemon on;
user root root;
worker_processes 1;
pid $n/nginx.pid;
error_log $n/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    types { text/plain txt; }
    default_type application/octet-stream;
    client_body_temp_path $n/tmp/body;
    proxy_temp_path $n/tmp/proxy;
    fastcgi_temp_path $n/tmp/fastcgi;
    uwsgi_temp_path $n/tmp/uwsgi;
    scgi_temp_path $n/tmp/scgi;
    ssl_protocols TLSv1.2 TLSv1.3;
    server_names_hash_bucket_size 128;
    server_names_hash_max_size 4096;
    server {
        listen 127.0.2.1:443 ssl default_server;
        listen 127.0.2.2:443 ssl default_server;
        ssl_certificate $STATE/certs/sts0.crt;
        ssl_certificate_key $STATE/certs/sts0.key;
        return 404;
    }
EOF
        for ((g = 0; g * STS_GROUP < N_STS; g++)); do
            a=$(sts_addr "$g")
            names=""
            for ((i = g * STS_GROUP + 1; i <= N_STS && i <= (g + 1) * STS_GROUP; i++)); do
                names="$names mta-sts.$(sts_name "$i")"
            done
            cat <<EOF
    server {
        listen $a:443 ssl;
        server_name$names;
        ssl_certificate $STATE/certs/sts$g.crt;
        ssl_certificate_key $STATE/certs/sts$g.key;
        root $www/\$host;
        location = /.well-known/mta-sts.txt { }
        location / { return 404; }
    }
EOF
        done
        echo "}"
    } >"$n/nginx.conf"
    nsexec nginx -e "$n/error.log" -p "$n" -c "$n/nginx.conf" -t >"$n/test.log" 2>&1 \
        || { cat "$n/test.log" >&2; die "nginx.conf invalid"; }
    nsexec nginx -e "$n/error.log" -p "$n" -c "$n/nginx.conf" || die "nginx failed to start"
    for ((a = 1; a <= STS_ADDRS; a++)); do
        wait_listen "127.0.2.$a" 443 10 || die "nginx does not listen on 127.0.2.$a:443"
    done
}

# Every peer answers as it should, judged by tools other than Sealane.
sanity() {
    local dane sts out
    dane=$(dane_name 1); sts=$(sts_name 1)
    for q in "MX $dane" "TLSA _25._tcp.mx.$dane" "TXT _mta-sts.$sts" "A mta-sts.$sts"; do
        # shellcheck disable=SC2086
        out=$(nsexec dig +dnssec +time=2 +tries=2 @"$RESOLVER" $q)
        grep -q 'status: NOERROR' <<<"$out" && grep -Eq 'flags:[a-z ]* ad[ ;]' <<<"$out" \
            || { echo "$out" >&2; die "dig $q: not NOERROR with AD"; }
    done
    nsexec curl -sS --fail --cacert "$STATE/certs/ca.crt" \
        "https://mta-sts.$sts/.well-known/mta-sts.txt" | grep -q 'mode: enforce' \
        || die "the policy of $sts cannot be fetched with curl"
    echo QUIT | nsexec openssl s_client -starttls smtp -connect "$(mx_addr 0):25" \
        -servername "mx.$dane" -verify_hostname "mx.$dane" -verify_return_error \
        -CAfile "$STATE/certs/ca.crt" >"$STATE/s_client.log" 2>&1 \
        || { tail -5 "$STATE/s_client.log" >&2; die "STARTTLS to mx.$dane failed"; }
    log "world ok: DNSSEC (AD from Unbound), HTTPS policy (curl), STARTTLS (openssl s_client)"
}

# ---------------------------------------------------------------------------
# The runs
# ---------------------------------------------------------------------------
load() { cut -d' ' -f1-3 /proc/loadavg; }

# sealane_run OUT [OPTIONS...]: prints the elapsed seconds.
sealane_run() {
    local out=$1 t0 t1 rc=0
    shift
    t0=$EPOCHREALTIME
    nsexec "$BIN" check --file "$STATE/domains.txt" --json \
        --dns-server "$RESOLVER" --trust-anchor "$STATE/dns/test.ds" \
        --ca "$STATE/certs/ca.crt" --ehlo checker.test "$@" >"$out" 2>"$out.err" || rc=$?
    t1=$EPOCHREALTIME
    # 0: all pass or info; 3/4: warnings/errors found (shown below).
    case $rc in 0 | 3 | 4) ;; *) cat "$out.err" >&2; die "sealane check exited $rc" ;; esac
    awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f\n", b - a}'
}

# summary FILE: verdicts and worst severities of a JSON Lines file.
summary() {
    "$PY" - "$1" <<'EOF'
import collections, json, sys
verdicts, worst = collections.Counter(), collections.Counter()
for line in open(sys.argv[1]):
    r = json.loads(line)
    v = r["verdict"]
    verdicts[v["outcome"] + ("/" + v["security"] if "security" in v else "")] += 1
    worst[r["worst"]] += 1
print("verdicts", dict(verdicts), "worst", dict(worst))
EOF
}

checkdmarc_list() {
    local n=${CHECKDMARC_DOMAINS:-$((N_DANE + N_STS))} total=$((N_DANE + N_STS))
    if [ "$n" -ge "$total" ]; then
        cp "$STATE/domains.txt" "$STATE/checkdmarc-domains.txt"
    else
        awk -v n="$n" -v t="$total" 'NR % int(t / n) == 0' "$STATE/domains.txt" | head -n "$n" \
            >"$STATE/checkdmarc-domains.txt"
    fi
}

checkdmarc_run() {
    local t0 t1
    t0=$EPOCHREALTIME
    nsexec env SSL_CERT_FILE="$STATE/certs/ca.crt" REQUESTS_CA_BUNDLE="$STATE/certs/ca.crt" \
        "$VENV/bin/checkdmarc" "$STATE/checkdmarc-domains.txt" --check-mx-tls -f json \
        -n "$RESOLVER" -o "$STATE/checkdmarc.json" >"$STATE/checkdmarc.log" 2>&1 \
        || { tail -20 "$STATE/checkdmarc.log" >&2; die "checkdmarc failed"; }
    t1=$EPOCHREALTIME
    awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f\n", b - a}'
}

# ---------------------------------------------------------------------------
# Cleanup
# ---------------------------------------------------------------------------
stop_all() {
    [ -n "${STATE:-}" ] && [ -d "$STATE" ] || return 0
    kill_pidfile "$STATE/nginx/nginx.pid" "nginx"
    postfix_stop
    kill_pidfile "$STATE/unbound/unbound.pid" "$STATE/unbound/unbound.conf"
    kill_pidfile "$STATE/nsd/nsd.pid" "$STATE/nsd/nsd.conf"
}

cleanup() {
    local rc=$?
    if [ "$KEEP" = 1 ]; then
        log "KEEP=1: namespace $NS and its daemons left running; state in $STATE"
        return $rc
    fi
    stop_all
    ip netns del "$NS" 2>/dev/null || true
    rm -rf "/etc/netns/$NS"
    rmdir /etc/netns 2>/dev/null || true
    if [ -n "${STATE:-}" ] && [ "$STATE_OWNED" = 1 ]; then rm -rf "$STATE"; fi
    return $rc
}

# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------
[ "$(id -u)" = 0 ] || die "must run as root"
STATE_OWNED=0
if [ -n "${STATE_DIR:-}" ]; then
    STATE=$STATE_DIR
    mkdir -p "$STATE"
    stop_all   # leftovers of an interrupted run in the same directory
    find "$STATE" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
else
    STATE=$(mktemp -d /tmp/checker-world.XXXXXX)
    STATE_OWNED=1
    # Postfix's and nginx's unprivileged processes read their files here.
    chmod 755 "$STATE"
fi
trap cleanup EXIT
trap 'exit 130' INT TERM

install_packages
sealane_binary
log "versions: $("$BIN" --version 2>/dev/null | head -1), checkdmarc $("$VENV/bin/checkdmarc" --version)," \
    "$(nsd -v 2>&1 | head -1), $(unbound -V | head -1), $(nginx -v 2>&1), postfix $(postconf -d -h mail_version)"
log "building the world: $N_DANE DANE + $N_STS MTA-STS domains (state in $STATE)"
setup_netns
make_certs
setup_dns
setup_postfix
setup_nginx
sanity
if [ "${WORLD_ONLY:-0}" = 1 ]; then
    log "WORLD_ONLY=1: the world is built; no checks run"
    exit 0
fi

total=$((N_DANE + N_STS))
if [ "${SKIP_REFERENCE:-0}" != 1 ]; then
    log "reference: sealane check --concurrency 1 (load $(load))"
    ref_s=$(sealane_run "$STATE/reference.jsonl" --concurrency 1)
    log "reference: $total domains in $ref_s s; $(summary "$STATE/reference.jsonl")"
fi

# The reference run leaves Unbound's cache warm but Postfix with the one
# smtpd process a connection at a time needs; the first run at the default
# concurrency makes master fork ~60 more, each setting up its TLS context,
# on the same two cores (a real MX host has its processes running and its
# CPU is not ours: 275 against 310-350 domains/s). So a first default run,
# compared with the reference too, warms the peers; the second is timed.
if [ "${WARMUP:-1}" = 1 ]; then
    # shellcheck disable=SC2086
    warm_s=$(sealane_run "$STATE/warmup.jsonl" ${SEALANE_ARGS:-})
    log "warm-up: $total domains in $warm_s s with the peers cold (not the figure)"
fi
# A run is three seconds, so one slow second of a shared machine moves it
# by a third (the same binary gave 305 and 385 domains/s in two worlds
# built one after the other); checkdmarc's run lasts over a minute and
# averages that out itself. Sealane's figure is the median of TIMED_RUNS
# runs, each printed, each compared with the reference.
runs=()
for ((r = 1; r <= ${TIMED_RUNS:-3}; r++)); do
    load0=$(load)
    # shellcheck disable=SC2086
    run_s=$(sealane_run "$STATE/sealane-$r.jsonl" ${SEALANE_ARGS:-})
    runs+=("$run_s")
    log "sealane run $r: $total domains in $run_s s (load before $load0, after $(load)); $(summary "$STATE/sealane-$r.jsonl")"
done
sl_s=$(printf '%s\n' "${runs[@]}" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
log "sealane: median of ${#runs[@]} runs: $sl_s s"

same="not compared"
if [ "${SKIP_REFERENCE:-0}" != 1 ]; then
    same="identical"
    for out in "$STATE"/warmup.jsonl "$STATE"/sealane-*.jsonl; do
        [ -e "$out" ] || continue
        if ! cmp -s "$STATE/reference.jsonl" "$out"; then
            same="DIFFERENT"
            diff "$STATE/reference.jsonl" "$out" | head -c 3000 >&2 || true
            break
        fi
    done
    log "JSON Lines of the default runs and the --concurrency 1 run: $same"
fi

checkdmarc_list
cd_n=$(wc -l <"$STATE/checkdmarc-domains.txt")
log "checkdmarc --check-mx-tls on $cd_n domains (load $(load))"
cd_s=$(checkdmarc_run)
log "checkdmarc: $cd_n domains in $cd_s s (load after $(load))"

echo "results: default run vs --concurrency 1: $same; load average $(load)"
awk -v n="$total" -v s="$sl_s" 'BEGIN{printf "sealane: %.1f domains/s\n", n / s}'
awk -v n="$cd_n" -v s="$cd_s" 'BEGIN{printf "checkdmarc: %.2f domains/s\n", n / s}'
awk -v n="$total" -v s="$sl_s" -v m="$cd_n" -v c="$cd_s" 'BEGIN{printf "ratio: %.1fx\n", (n / s) / (m / c)}'
[ "$same" != DIFFERENT ] || exit 1
