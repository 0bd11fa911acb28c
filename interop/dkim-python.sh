#!/usr/bin/env bash
# DKIM interoperability with an independent implementation, dkimpy
# (Debian's python3-dkim, the library behind its `dkimverify`):
#  1. Sealane signs (RSA-2048 and Ed25519, relaxed/relaxed); dkimpy verifies.
#  2. dkimpy signs; Sealane verifies through its resolver and a test-world
#     DNS zone holding the key.
#  3. Sealane ARC-seals (RFC 8617) a DKIM-signed message; dkimpy's
#     arc_verify (the library behind `arcverify`) checks the chain.
#  4. The daemon ARC-seals a forwarded copy (`[arc]`, the test world's
#     crates/server/tests/arc_sealing.rs writes it out); dkimpy checks it.
# dkimpy is given the key record through its `dnsfunc` hook, as
# `dkimverify` would read it from DNS: no network is used.
set -euo pipefail
# Debian's interpreter, where python3-dkim installs (another python3 may
# come first on PATH).
py=/usr/bin/python3
cd "$(dirname "$0")/.."

if ! "$py" -c 'import dkim, nacl' >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends python3-dkim python3-nacl >/dev/null
fi
command -v dkimverify >/dev/null || { echo "dkimverify missing (python3-dkim)"; exit 1; }

cargo build -q -p sealane-auth --example dkim_interop
bin=target/debug/examples/dkim_interop
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

printf 'From: Alice <alice@sender.test>\r\nTo: Bob <bob@receiver.test>\r\nSubject: Interop\r\nDate: Wed, 02 Dec 2026 12:00:00 +0000\r\nMessage-ID: <interop.1@sender.test>\r\n\r\nHello from Sealane.\r\n' > "$work/message"

openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:2048 -out "$work/rsa.pem" 2>/dev/null
openssl genpkey -algorithm ed25519 -out "$work/ed.pem" 2>/dev/null
rsa_p=$(openssl pkey -in "$work/rsa.pem" -pubout -outform DER | base64 -w0)
ed_p=$(openssl pkey -in "$work/ed.pem" -pubout -outform DER | tail -c 32 | base64 -w0)
rsa_record="v=DKIM1; k=rsa; p=$rsa_p"
ed_record="v=DKIM1; k=ed25519; p=$ed_p"

verify_py() { # message-file selector record
  "$py" - "$1" "$2" "$3" <<'PY'
import sys, dkim
message = open(sys.argv[1], 'rb').read()
selector, record = sys.argv[2], sys.argv[3].encode()
def dnsfunc(name, timeout=5):
    want = (selector + '._domainkey.sender.test.').encode()
    return record if name.lower() == want else None
ok = dkim.verify(message, dnsfunc=dnsfunc)
print('dkimpy verify', selector, 'pass' if ok else 'FAIL')
sys.exit(0 if ok else 1)
PY
}

echo "-- Sealane signs, dkimpy verifies"
"$bin" sign sender.test rsa "$work/rsa.pem" < "$work/message" > "$work/rsa-signed"
verify_py "$work/rsa-signed" rsa "$rsa_record"
"$bin" sign sender.test ed "$work/ed.pem" < "$work/message" > "$work/ed-signed"
verify_py "$work/ed-signed" ed "$ed_record"

echo "-- dkimpy signs, Sealane verifies"
"$py" - "$work" <<'PY'
import sys, dkim
work = sys.argv[1]
message = open(work + '/message', 'rb').read()
for sel, key in (('rsa', 'rsa.pem'), ('ed', None)):
    if key is None:
        # dkimpy wants the raw 32-byte Ed25519 seed, base64.
        import base64, subprocess
        der = subprocess.run(['openssl', 'pkey', '-in', work + '/ed.pem', '-outform', 'DER'],
                             check=True, capture_output=True).stdout
        priv = base64.b64encode(der[-32:])
        sig = dkim.sign(message, sel.encode(), b'sender.test', priv,
                        canonicalize=(b'relaxed', b'relaxed'), signature_algorithm=b'ed25519-sha256')
    else:
        priv = open(work + '/' + key, 'rb').read()
        sig = dkim.sign(message, sel.encode(), b'sender.test', priv,
                        canonicalize=(b'relaxed', b'relaxed'))
    open(work + '/py-' + sel, 'wb').write(sig + message)
PY
"$bin" verify sender.test rsa "$rsa_record" < "$work/py-rsa"
"$bin" verify sender.test ed "$ed_record" < "$work/py-ed"
echo "-- Sealane ARC-seals, dkimpy verifies the chain"
"$bin" seal forwarder.test arc "$work/rsa.pem" < "$work/rsa-signed" > "$work/sealed"
"$py" - "$work/sealed" "$rsa_record" <<'PY'
import sys, dkim
message = open(sys.argv[1], 'rb').read()
record = sys.argv[2].encode()
def dnsfunc(name, timeout=5):
    known = (b'rsa._domainkey.sender.test.', b'arc._domainkey.forwarder.test.')
    return record if name.lower() in known else None
cv, results, reason = dkim.arc_verify(message, dnsfunc=dnsfunc)
print('dkimpy arc_verify', cv.decode(), reason)
sys.exit(0 if cv == dkim.CV_Pass else 1)
PY
echo "-- the daemon ARC-seals a forwarded copy ([arc]), dkimpy verifies the chain"
SEALANE_ARC_SEALED_OUT="$work/forwarded" cargo test -q -p sealane-server --test arc_sealing \
  a_forwarded_copy_leaves_with_our_first_arc_set_which_verifies >/dev/null
"$py" - "$work/forwarded" "$(cat crates/auth/tests/keys/rsa2048.txt)" <<'PY'
import sys, dkim
message = open(sys.argv[1], 'rb').read()
record = sys.argv[2].strip().encode()
def dnsfunc(name, timeout=5):
    return record if name.lower() == b'arc._domainkey.sender.test.' else None
cv, results, reason = dkim.arc_verify(message, dnsfunc=dnsfunc)
print('dkimpy arc_verify of the daemon\'s set', cv.decode(), reason)
sys.exit(0 if cv == dkim.CV_Pass else 1)
PY
echo "dkim interop: 6 passed, 0 failed"
