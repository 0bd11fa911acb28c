//! RFC 7672 agreement on OpenSSL's DANE test vectors: every case of
//! OpenSSL's `test/danetest.in` and `test/dane-cross.in` (copied with their
//! Apache-2.0 notice under `tests/data/openssl/`) goes through
//! [`tls::verify_chain`], and the verdict must match what RFC 7672 asks of
//! an SMTP client. How OpenSSL's expected results map to SMTP expectations
//! is documented in `support/openssl_cases.rs`.

#[path = "support/openssl_cases.rs"]
mod openssl_cases;

use std::time::Duration;

use openssl_cases::{Expect, NOW};
use tls::pki_types::UnixTime;

#[test]
fn every_openssl_dane_case_agrees_with_rfc7672() {
    let cases = openssl_cases::all_cases(env!("CARGO_MANIFEST_DIR"));
    assert!(cases.len() >= 55, "both files read: {} cases", cases.len());
    let now = UnixTime::since_unix_epoch(Duration::from_secs(NOW));
    let mut disagreements = Vec::new();
    for case in &cases {
        let (expect, rule) = case.smtp_expectation();
        let result = tls::verify_chain(&case.chain(), &case.tlsa(), &[case.name], now);
        let got = match &result {
            Ok(found) => Expect::Authenticated { depth: found.depth },
            Err(_) => Expect::Refused,
        };
        if got != expect {
            disagreements.push(format!(
                "{}: expected {expect:?} (rule {rule}; OpenSSL {} at depth {}), got {result:?}",
                case.label, case.openssl_result, case.openssl_depth
            ));
        }
    }
    println!(
        "{}/{} agree",
        cases.len() - disagreements.len(),
        cases.len()
    );
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

#[test]
fn the_mapping_covers_every_rule() {
    let cases = openssl_cases::all_cases(env!("CARGO_MANIFEST_DIR"));
    for rule in ["1:", "2:", "3:", "4:"] {
        assert!(
            cases
                .iter()
                .any(|c| c.smtp_expectation().1.starts_with(rule)),
            "no case exercises rule {rule}"
        );
    }
}
