//! The daily TLS report (RFC 8460 §4) from a day of counted sessions, as
//! the store keeps them: the JSON field by field, and read back.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dns::clock::ManualClock;
use queue::{SqliteStore, Store, TlsFailure, TlsPolicy, TlsSession, utc_day};
use report::tlsrpt::{self, Reporter};
use serde_json::{Value, json};

/// 2027-01-15T08:00:00Z.
fn noon() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

fn reporter() -> Reporter {
    Reporter {
        organization_name: "Example Sender".into(),
        contact_info: "mailto:tlsrpt@sender.example".into(),
        submitter: "mail.sender.example".into(),
    }
}

fn dane() -> TlsPolicy {
    TlsPolicy {
        policy_type: "tlsa".into(),
        policy_string: vec!["3 1 1 0123456789ABCDEF".into()],
        mx_host: vec!["mx1.example.net".into()],
    }
}

fn sts_testing() -> TlsPolicy {
    TlsPolicy {
        policy_type: "sts".into(),
        policy_string: vec![
            "version: STSv1".into(),
            "mode: testing".into(),
            "mx: *.example.net".into(),
            "max_age: 86400".into(),
        ],
        mx_host: vec!["*.example.net".into()],
    }
}

fn sts_unfetched() -> TlsPolicy {
    TlsPolicy {
        policy_type: "sts".into(),
        policy_string: Vec::new(),
        mx_host: Vec::new(),
    }
}

fn failure(result_type: &str, mx: &str, last: u8, code: &str) -> TlsFailure {
    TlsFailure {
        result_type: result_type.into(),
        sending_mta_ip: Some("192.0.2.1".parse().unwrap()),
        receiving_mx_hostname: Some(mx.into()),
        receiving_mx_helo: Some(format!("{mx}.helo")),
        receiving_ip: Some(format!("198.51.100.{last}").parse().unwrap()),
        failure_reason_code: Some(code.into()),
    }
}

/// DANE successes and a `tlsa-invalid`, an `sts-webpki-invalid` policy
/// fetch, and under an MTA-STS `testing` policy successes, a
/// `starttls-not-supported` and a certificate failure that testing mode
/// let through: one report, every field as RFC 8460 §4.4 spells it.
#[tokio::test]
async fn a_day_of_mixed_outcomes_makes_the_expected_report() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(noon()));
    let store = SqliteStore::open(dir.path().join("queue.db"), clock).unwrap();
    let day = utc_day(noon());
    let session = |policy: TlsPolicy, failure: Option<TlsFailure>| TlsSession {
        policy_domain: "example.net".into(),
        day,
        policy,
        failure,
    };
    let mut sessions = Vec::new();
    for _ in 0..5 {
        sessions.push(session(dane(), None));
    }
    sessions.push(session(
        dane(),
        Some(failure(
            "tlsa-invalid",
            "mx1.example.net",
            1,
            "tlsa-invalid",
        )),
    ));
    sessions.push(session(
        dane(),
        Some(failure(
            "tlsa-invalid",
            "mx1.example.net",
            1,
            "tlsa-invalid",
        )),
    ));
    let mut webpki = failure(
        "sts-webpki-invalid",
        "mx2.example.net",
        2,
        "sts-webpki-invalid",
    );
    webpki.receiving_mx_helo = None;
    sessions.push(session(sts_unfetched(), Some(webpki)));
    for _ in 0..3 {
        sessions.push(session(sts_testing(), None));
    }
    sessions.push(session(
        sts_testing(),
        Some(failure(
            "starttls-not-supported",
            "mx2.example.net",
            2,
            "starttls-not-supported",
        )),
    ));
    sessions.push(session(
        sts_testing(),
        Some(failure(
            "certificate-host-mismatch",
            "mx3.example.net",
            3,
            "sts-certificate-host-mismatch",
        )),
    ));
    // Another domain and another day stay out of this report.
    sessions.push(TlsSession {
        policy_domain: "example.org".into(),
        ..session(dane(), None)
    });
    sessions.push(TlsSession {
        day: day + 1,
        ..session(dane(), None)
    });
    store.record_tls_sessions(sessions).await.unwrap();

    let counts = store.tls_sessions("example.net", day).await.unwrap();
    let report = tlsrpt::build(&reporter(), "example.net", day, &counts);
    let got: Value = serde_json::from_str(&report.to_json()).unwrap();
    let expected = json!({
        "organization-name": "Example Sender",
        "date-range": {
            "start-datetime": "2027-01-15T00:00:00Z",
            "end-datetime": "2027-01-15T23:59:59Z"
        },
        "contact-info": "mailto:tlsrpt@sender.example",
        "report-id": "2027-01-15.example.net@mail.sender.example",
        "policies": [
            {
                "policy": {
                    "policy-type": "sts",
                    "policy-string": [
                        "version: STSv1", "mode: testing",
                        "mx: *.example.net", "max_age: 86400"
                    ],
                    "policy-domain": "example.net",
                    "mx-host": ["*.example.net"]
                },
                "summary": {
                    "total-successful-session-count": 3,
                    "total-failure-session-count": 2
                },
                "failure-details": [
                    {
                        "result-type": "certificate-host-mismatch",
                        "sending-mta-ip": "192.0.2.1",
                        "receiving-mx-hostname": "mx3.example.net",
                        "receiving-mx-helo": "mx3.example.net.helo",
                        "receiving-ip": "198.51.100.3",
                        "failed-session-count": 1,
                        "failure-reason-code": "sts-certificate-host-mismatch"
                    },
                    {
                        "result-type": "starttls-not-supported",
                        "sending-mta-ip": "192.0.2.1",
                        "receiving-mx-hostname": "mx2.example.net",
                        "receiving-mx-helo": "mx2.example.net.helo",
                        "receiving-ip": "198.51.100.2",
                        "failed-session-count": 1,
                        "failure-reason-code": "starttls-not-supported"
                    }
                ]
            },
            {
                "policy": {
                    "policy-type": "sts",
                    "policy-domain": "example.net"
                },
                "summary": {
                    "total-successful-session-count": 0,
                    "total-failure-session-count": 1
                },
                "failure-details": [
                    {
                        "result-type": "sts-webpki-invalid",
                        "sending-mta-ip": "192.0.2.1",
                        "receiving-mx-hostname": "mx2.example.net",
                        "receiving-ip": "198.51.100.2",
                        "failed-session-count": 1,
                        "failure-reason-code": "sts-webpki-invalid"
                    }
                ]
            },
            {
                "policy": {
                    "policy-type": "tlsa",
                    "policy-string": ["3 1 1 0123456789ABCDEF"],
                    "policy-domain": "example.net",
                    "mx-host": ["mx1.example.net"]
                },
                "summary": {
                    "total-successful-session-count": 5,
                    "total-failure-session-count": 2
                },
                "failure-details": [
                    {
                        "result-type": "tlsa-invalid",
                        "sending-mta-ip": "192.0.2.1",
                        "receiving-mx-hostname": "mx1.example.net",
                        "receiving-mx-helo": "mx1.example.net.helo",
                        "receiving-ip": "198.51.100.1",
                        "failed-session-count": 2,
                        "failure-reason-code": "tlsa-invalid"
                    }
                ]
            }
        ]
    });
    assert_same(&expected, &got, "$");

    let compressed = tlsrpt::compress(&report);
    assert_eq!(&compressed[..2], &[0x1f, 0x8b], "gzip magic");
    assert_eq!(tlsrpt::read(&compressed).unwrap(), report, "read back");
    assert_eq!(tlsrpt::read(report.to_json().as_bytes()).unwrap(), report);
}

/// Compares two JSON values field by field, naming the first difference
/// by its path.
fn assert_same(expected: &Value, got: &Value, path: &str) {
    match (expected, got) {
        (Value::Object(e), Value::Object(g)) => {
            let mut keys: Vec<&String> = e.keys().chain(g.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let at = format!("{path}.{key}");
                match (e.get(key), g.get(key)) {
                    (Some(e), Some(g)) => assert_same(e, g, &at),
                    (Some(e), None) => panic!("{at}: missing, expected {e}"),
                    (None, Some(g)) => panic!("{at}: unexpected {g}"),
                    (None, None) => unreachable!("the key came from one of them"),
                }
            }
        }
        (Value::Array(e), Value::Array(g)) => {
            assert_eq!(e.len(), g.len(), "{path}: length, got {got}");
            for (i, (e, g)) in e.iter().zip(g).enumerate() {
                assert_same(e, g, &format!("{path}[{i}]"));
            }
        }
        _ => assert_eq!(expected, got, "{path}"),
    }
}
