//! Property tests with arbitrary input for the MTA-STS parsers that read
//! the network: the `_mta-sts` TXT record (RFC 8461 §3.1), the policy body
//! (RFC 8461 §3.2) and its `mx` patterns, and the checks the policy fetch
//! makes on the HTTP response's status, headers and body size (RFC 8461
//! §3.3). The fetch itself needs DNS and a TLS host, so the HTTP layer is
//! driven here through those checks, which see exactly what hyper hands
//! the fetch. No input panics; what is parsed stays bounded by the input.
//!
//! Case count: `PROPTEST_CASES` (proptest's default is 256); the hour-long
//! run is `scripts/fuzz-hour.sh`.

use hyper::StatusCode;
use hyper::header::HeaderValue;
use policy::sts::{
    BodyLimit, MAX_POLICY_SIZE, MxPattern, Policy, StsRecord, check_content_length,
    check_content_type, check_status, is_candidate,
};
use proptest::prelude::*;

fn lossy(bytes: Vec<u8>) -> String {
    String::from_utf8_lossy(&bytes).into_owned()
}

fn record_text() -> impl Strategy<Value = String> {
    let token = proptest::sample::select(vec![
        "v=STSv1",
        "v=STSv2",
        ";",
        " ",
        "\t",
        "id=",
        "20240101T000000",
        "a",
        "Z",
        "0",
        "=",
        "x-ext=",
        "ext",
        "\u{0}",
        "é",
        ";;",
        "v=",
        "id=abc;id=def",
    ]);
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..4096).prop_map(lossy),
        proptest::collection::vec(token, 0..48).prop_map(|t| t.concat()),
    ]
}

fn policy_body() -> impl Strategy<Value = Vec<u8>> {
    let token = proptest::sample::select(vec![
        "version: STSv1",
        "mode: enforce",
        "mode: testing",
        "mode: none",
        "mode:",
        "max_age: ",
        "86400",
        "31557600",
        "99999999999999999999",
        "-1",
        "mx: ",
        "*.example.net",
        "mx.example",
        "*.",
        "..",
        "a-",
        "\r\n",
        "\n",
        "\r",
        ":",
        " ",
        "\t",
        "\u{0}",
        "é",
        "\u{feff}",
    ]);
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..MAX_POLICY_SIZE + 1024),
        proptest::collection::vec(token, 0..128).prop_map(|t| t.concat().into_bytes()),
    ]
}

proptest! {
    // Cases from PROPTEST_CASES (default 256); no regression files in the
    // source tree: a failure prints its minimal input, kept as a unit test.
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn sts_record_never_panics_and_is_bounded(text in record_text()) {
        let _ = is_candidate(&text);
        if let Ok(record) = StsRecord::parse(&text) {
            prop_assert!(record.id.len() <= 32);
            let kept = record.id.len()
                + record.extensions.iter().map(|(n, v)| n.len() + v.len()).sum::<usize>();
            prop_assert!(kept <= text.len());
        }
    }

    #[test]
    fn policy_body_never_panics_and_is_bounded(body in policy_body()) {
        if let Ok(policy) = Policy::parse(&body) {
            prop_assert!(policy.mx.len() <= body.len());
            let debug = format!("{policy:?}");
            prop_assert!(debug.len() <= 4 * body.len() + 256);
            let _ = policy.allows_mx("mx.example");
        }
    }

    #[test]
    fn mx_patterns_never_panic(text in "\\PC{0,300}|(\\*\\.)?[a-zA-Z0-9.-]{0,300}") {
        if let Ok(pattern) = MxPattern::parse(&text) {
            let _ = pattern.matches(&text);
            let _ = pattern.matches("mx.example");
        }
    }

    #[test]
    fn http_response_checks_never_panic(
        status in 0u16..1000,
        location in proptest::collection::vec(any::<u8>(), 0..256),
        content_type in proptest::collection::vec(any::<u8>(), 0..256),
        content_length in proptest::collection::vec(any::<u8>(), 0..64),
        chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..16_384), 0..12),
    ) {
        // hyper only hands over status codes 100-999 and header values
        // without CR, LF or NUL; anything else never reaches the checks.
        if let Ok(status) = StatusCode::from_u16(status) {
            let location = HeaderValue::from_bytes(&location).ok();
            let _ = check_status(status, location.as_ref());
        }
        if let Ok(value) = HeaderValue::from_bytes(&content_type) {
            let _ = check_content_type(Some(&value));
        }
        if let Ok(value) = HeaderValue::from_bytes(&content_length) {
            let _ = check_content_length(Some(&value));
        }
        let mut body = BodyLimit::new(MAX_POLICY_SIZE);
        let mut refused = false;
        for chunk in &chunks {
            if body.push(chunk).is_err() {
                refused = true;
                break;
            }
        }
        let body = body.into_inner();
        prop_assert!(body.len() <= MAX_POLICY_SIZE);
        let sent: usize = chunks.iter().map(Vec::len).sum();
        prop_assert_eq!(refused, sent > MAX_POLICY_SIZE);
        let _ = Policy::parse(&body);
    }
}
