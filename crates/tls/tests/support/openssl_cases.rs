//! OpenSSL's DANE test vectors (`tests/data/openssl/danetest.in` and
//! `dane-cross.in`, Apache-2.0, see the NOTICE there) and what RFC 7672
//! asks of an SMTP client for each. Shared by the tls crate's
//! `openssl_danetest` test and the sealane CLI's `cli_tlsa_openssl` test.
//!
//! File format (from the files' own header): blank and `#` lines are
//! ignored; each case starts with
//! `<TLSA-count> <cert-count> <nonamechecks> <desired-verify-result> <desired-match-depth>`,
//! then `<TLSA-count>` lines `<usage> <selector> <mtype> <hex>`, then
//! `<cert-count>` PEM certificates (text between them is ignored), leaf
//! first. OpenSSL runs every case with the reference identifier given on
//! its command line: `example.com` for danetest.in, `server.example` for
//! dane-cross.in.
//!
//! # From OpenSSL's expectation to RFC 7672's
//!
//! OpenSSL implements DANE for any TLS application; RFC 7672 narrows it for
//! SMTP. [`Case::smtp_expectation`] maps each case explicitly:
//!
//! 1. **Only PKIX-TA(0)/PKIX-EE(1) records** (OpenSSL checks them against its
//!    CAfile): RFC 7672 §3.1.3 makes them unusable for SMTP, so the set is
//!    unusable and the server is **not authenticated**, whatever OpenSSL
//!    says. Sealane reports `NoUsableRecords`.
//! 2. **Name mismatch (OpenSSL error 62) on a DANE-EE(3)-only set**: OpenSSL
//!    checks names for DANE-EE unless `DANE_FLAG_NO_DANE_EE_NAMECHECKS` (the
//!    case's third field) is set; RFC 7672 §3.1.1 never checks them, so the
//!    server **is authenticated at depth 0**.
//! 3. **Otherwise** the usable records (usages 2 and 3) decide, with the same
//!    rules in both (DANE-EE: dates and names ignored; DANE-TA: chain, dates
//!    and names checked), so OpenSSL's verdict stands: success at its depth,
//!    or not authenticated. PKIX records mixed in are ignored by Sealane and
//!    did not decide OpenSSL's verdict in any of these cases.
//! 4. **Depth of a bare key from DNS**: for a `2 1 0` record whose key no
//!    presented certificate carries, OpenSSL reports the depth of the
//!    certificate that key signed (a key has no certificate of its own);
//!    Sealane reports the depth the anchor takes in the validated path, one
//!    deeper. The expected depth is OpenSSL's plus one.
//!
//! Dates: OpenSSL judges them at the current time; the certificates of both
//! files are valid from 2021 until 2116 at least, except the deliberately
//! "never valid" DANE-EE leaves, whose dates neither implementation looks
//! at. The tests judge at a fixed time inside that span.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// OpenSSL's `X509_V_OK`.
pub const X509_V_OK: i32 = 0;
/// OpenSSL's `X509_V_ERR_HOSTNAME_MISMATCH`.
pub const X509_V_ERR_HOSTNAME_MISMATCH: i32 = 62;

/// 2030-01-01T00:00:00Z, inside every certificate's validity period.
pub const NOW: u64 = 1_893_456_000;
/// The same instant in RFC 3339, for `sealane tlsa verify --at`.
pub const NOW_RFC3339: &str = "2030-01-01T00:00:00Z";

/// One case of an OpenSSL DANE test file.
#[derive(Debug, Clone)]
pub struct Case {
    /// `danetest.in #47`.
    pub label: String,
    /// The reference identifier OpenSSL runs the file with.
    pub name: &'static str,
    /// TLSA records in presentation form.
    pub records: Vec<String>,
    /// The presented chain, leaf first, as PEM blocks.
    pub chain_pem: Vec<String>,
    /// OpenSSL's `nonamechecks` field (DANE-EE name checks off).
    pub no_ee_name_checks: bool,
    /// OpenSSL's expected X509 verify result (0 is success).
    pub openssl_result: i32,
    /// OpenSSL's expected match depth (-1: none).
    pub openssl_depth: i32,
}

/// What RFC 7672 asks of an SMTP client for a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// The server is authenticated by the record matched at this depth.
    Authenticated { depth: usize },
    /// The server is not authenticated.
    Refused,
}

/// The directory holding OpenSSL's files, from a crate's manifest dir.
pub fn data_dir(manifest_dir: &str) -> PathBuf {
    let here = Path::new(manifest_dir);
    let own = here.join("tests/data/openssl");
    if own.is_dir() {
        own
    } else {
        here.join("../tls/tests/data/openssl")
    }
}

/// Every case of both files.
pub fn all_cases(manifest_dir: &str) -> Vec<Case> {
    let dir = data_dir(manifest_dir);
    let mut cases = parse(&dir.join("danetest.in"), "danetest.in", "example.com");
    cases.extend(parse(
        &dir.join("dane-cross.in"),
        "dane-cross.in",
        "server.example",
    ));
    cases
}

/// Reads one OpenSSL DANE test file.
pub fn parse(path: &Path, file: &str, name: &'static str) -> Vec<Case> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut lines = text.lines();
    let mut cases = Vec::new();
    while let Some(line) = lines.next() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<i32> = line
            .split_whitespace()
            .map(|f| f.parse().unwrap_or_else(|_| panic!("bad header {line:?}")))
            .collect();
        let [ntlsa, ncert, noncheck, want, depth] = fields[..] else {
            panic!("bad header {line:?}");
        };
        let records: Vec<String> = (0..ntlsa)
            .map(|_| lines.next().expect("TLSA line").trim().to_owned())
            .collect();
        let mut chain_pem = Vec::new();
        let mut block: Option<String> = None;
        while chain_pem.len() < usize::try_from(ncert).expect("count") {
            let line = lines.next().expect("certificate");
            if line.starts_with("-----BEGIN CERTIFICATE-----") {
                block = Some(String::new());
            }
            if let Some(text) = block.as_mut() {
                text.push_str(line);
                text.push('\n');
            }
            if line.starts_with("-----END CERTIFICATE-----") {
                chain_pem.push(block.take().expect("BEGIN before END"));
            }
        }
        cases.push(Case {
            label: format!("{file} #{}", cases.len() + 1),
            name,
            records,
            chain_pem,
            no_ee_name_checks: noncheck != 0,
            openssl_result: want,
            openssl_depth: depth,
        });
    }
    cases
}

impl Case {
    /// The presented chain as DER.
    pub fn chain(&self) -> Vec<tls::pki_types::CertificateDer<'static>> {
        tls::certificates_from_pem(self.chain_pem.concat().as_bytes()).expect("chain PEM")
    }

    /// The TLSA records, parsed.
    pub fn tlsa(&self) -> Vec<tls::Tlsa> {
        self.records
            .iter()
            .map(|r| r.parse().expect("TLSA record"))
            .collect()
    }

    /// RFC 7672's expectation for this case, by the mapping in the module
    /// documentation, and which rule applied.
    pub fn smtp_expectation(&self) -> (Expect, &'static str) {
        use tls::{Matching, Selector, Usage};
        let records = self.tlsa();
        let dane: Vec<&tls::Tlsa> = records
            .iter()
            .filter(|r| matches!(r.usage, Usage::DaneTa | Usage::DaneEe))
            .collect();
        if dane.is_empty() {
            return (
                Expect::Refused,
                "1: PKIX-TA/PKIX-EE only, unusable for SMTP",
            );
        }
        if self.openssl_result == X509_V_ERR_HOSTNAME_MISMATCH
            && dane.iter().all(|r| r.usage == Usage::DaneEe)
        {
            return (
                Expect::Authenticated { depth: 0 },
                "2: DANE-EE is never name-checked",
            );
        }
        if self.openssl_result != X509_V_OK {
            return (Expect::Refused, "3: OpenSSL's verdict");
        }
        let depth = usize::try_from(self.openssl_depth).expect("a match has a depth");
        let presented: Vec<Vec<u8>> = self
            .chain()
            .iter()
            .filter_map(|c| tls::spki(c).ok())
            .collect();
        let bare_key_from_dns = dane.iter().all(|r| {
            r.usage == Usage::DaneTa
                && r.selector == Selector::Spki
                && r.matching == Matching::Full
                && !presented.contains(&r.data)
        });
        if bare_key_from_dns {
            return (
                Expect::Authenticated { depth: depth + 1 },
                "4: bare key from DNS, one deeper",
            );
        }
        (Expect::Authenticated { depth }, "3: OpenSSL's verdict")
    }
}
