//! Property tests with arbitrary input for the DNS TXT records the checker
//! reads: SPF (RFC 7208 §4.5, §12), DMARC (RFC 7489 §6.4) and TLS-RPT (RFC
//! 8460 §3). No input panics, and what is parsed stays bounded by the
//! input (its debug form is at most a small multiple of the text).
//!
//! Case count: `PROPTEST_CASES` (proptest's default is 256); the hour-long
//! run is `scripts/fuzz-hour.sh`.

use check::{DmarcRecord, SpfRecord, TlsRptRecord, is_dmarc, is_spf, is_tlsrpt};
use proptest::prelude::*;

/// A TXT RRset's strings joined: at most 64 KiB in one answer.
const MAX_INPUT: usize = 66_000;

fn text(tokens: Vec<&'static str>) -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..MAX_INPUT)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        proptest::collection::vec(proptest::sample::select(tokens), 0..96).prop_map(|t| t.concat()),
        "\\PC{0,1024}",
    ]
}

fn bounded(debug: String, input: &str) -> bool {
    debug.len() <= 8 * input.len() + 512
}

proptest! {
    // Cases from PROPTEST_CASES (default 256); no regression files in the
    // source tree: a failure prints its minimal input, kept as a unit test.
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn spf_records_never_panic_and_stay_bounded(text in text(vec![
        "v=spf1", "spf2.0/pra", " ", "  ", "+", "-", "~", "?", "all", "a", "mx", "ptr", "ip4:",
        "ip6:", "192.0.2.0/24", "2001:db8::/32", "/", "//", "include:", "exists:", "redirect=",
        "exp=", "%{i}", "%{ir}", "%{d2}", "%{l1r-}", "%%", "%_", "%-", "%{", "}", "example.com",
        ":", "=", ".", "\u{0}", "é", "x-ext=1",
    ])) {
        let _ = is_spf(&text);
        let record = SpfRecord::parse(&text);
        prop_assert!(record.terms.len() + record.errors.len() <= text.len() + 1);
        let debug = format!("{record:?}");
        prop_assert!(bounded(debug, &text));
    }

    #[test]
    fn dmarc_records_never_panic_and_stay_bounded(text in text(vec![
        "v=DMARC1", "v=DMARC2", ";", " ", "p=", "sp=", "np=", "none", "quarantine", "reject",
        "pct=", "100", "101", "-5", "99999999999999999999", "rua=", "ruf=", "mailto:a@example.com",
        "https://example.com/r", "!10m", "!size", ",", "fo=", "0:1:d:s", "rf=afrf", "ri=86400",
        "adkim=s", "aspf=r", "=", "\u{0}", "é",
    ])) {
        let _ = is_dmarc(&text);
        if let Ok(record) = DmarcRecord::parse(&text) {
            let debug = format!("{record:?}");
        prop_assert!(bounded(debug, &text));
        }
    }

    #[test]
    fn tlsrpt_records_never_panic_and_stay_bounded(text in text(vec![
        "v=TLSRPTv1", "v=TLSRPTv2", ";", " ", "rua=", "mailto:tlsrpt@example.com",
        "https://example.com/tlsrpt", ",", "!", "ext=", "=", "%20", "\u{0}", "é",
    ])) {
        let _ = is_tlsrpt(&text);
        if let Ok(record) = TlsRptRecord::parse(&text) {
            let debug = format!("{record:?}");
        prop_assert!(bounded(debug, &text));
        }
    }
}
