//! `sealane report tls sent` and `received`, on a store written as the
//! server writes it: our report as it will be (today) and as it was
//! (sent), and the reports others sent us summarised per reporter, policy
//! and result type with the days that had failures.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::SystemTime;

use dns::clock::ManualClock;
use queue::{ReportState, SqliteStore, Store, TlsFailure, TlsPolicy, TlsSession, utc_day};

mod support;
use support::{sealane, stdout};

const RFC_EXAMPLE: &[u8] =
    include_bytes!("../../report/tests/fixtures/tlsrpt/rfc8460-example.json");
const GOOGLE_STYLE: &[u8] = include_bytes!("../../report/tests/fixtures/tlsrpt/google-style.json");
const MICROSOFT_STYLE: &[u8] =
    include_bytes!("../../report/tests/fixtures/tlsrpt/microsoft-style.eml");

fn store(dir: &tempfile::TempDir) -> SqliteStore {
    let clock = Arc::new(ManualClock::new(SystemTime::now()));
    SqliteStore::open(dir.path().join("queue.db"), clock).expect("store opens")
}

fn session(day: i64, failure: Option<&str>) -> TlsSession {
    TlsSession {
        policy_domain: "example.net".into(),
        day,
        policy: TlsPolicy {
            policy_type: "tlsa".into(),
            policy_string: vec!["3 1 1 ABCD".into()],
            mx_host: vec!["mx.example.net".into()],
        },
        failure: failure.map(|result_type| TlsFailure {
            result_type: result_type.into(),
            sending_mta_ip: Some("192.0.2.1".parse::<IpAddr>().unwrap()),
            receiving_mx_hostname: Some("mx.example.net".into()),
            receiving_mx_helo: None,
            receiving_ip: Some("192.0.2.25".parse::<IpAddr>().unwrap()),
            failure_reason_code: Some("dane-no-match".into()),
        }),
    }
}

#[tokio::test]
async fn sent_shows_todays_report_to_come_and_a_past_one_as_sent() {
    let dir = tempfile::tempdir().unwrap();
    let today = utc_day(SystemTime::now());
    {
        let store = store(&dir);
        store
            .record_tls_sessions(vec![
                session(today, None),
                session(today, None),
                session(today, Some("tlsa-invalid")),
                session(today - 1, None),
            ])
            .await
            .unwrap();
        store
            .set_tls_report(
                "example.net",
                today - 1,
                ReportState::Sent {
                    report_id: "r".into(),
                },
            )
            .await
            .unwrap();
    }
    let data = dir.path().to_str().unwrap();
    let text = stdout(&sealane(&[
        "report",
        "tls",
        "sent",
        "--domain",
        "Example.NET.",
        "--data-dir",
        data,
    ]));
    assert!(text.contains("will be sent once the day is over"), "{text}");
    assert!(
        text.contains("example.net tlsa (mx mx.example.net): 2 successful, 1 failed"),
        "{text}"
    );
    assert!(
        text.contains("tlsa-invalid x1 at mx.example.net (192.0.2.25)"),
        "{text}"
    );

    let yesterday = report::tlsrpt::day_text(today - 1);
    let output = sealane(&[
        "report",
        "tls",
        "sent",
        "--domain",
        "example.net",
        "--date",
        &yesterday,
        "--json",
        "--data-dir",
        data,
    ]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["state"], "sent");
    assert_eq!(json["attempts"], 1);
    assert_eq!(json["date"], yesterday.as_str());
    let report = &json["report"];
    assert_eq!(
        report["policies"][0]["summary"]["total-successful-session-count"],
        1
    );
    assert_eq!(
        report["date-range"]["start-datetime"],
        format!("{yesterday}T00:00:00Z")
    );

    let text = stdout(&sealane(&[
        "report",
        "tls",
        "sent",
        "--domain",
        "other.example",
        "--data-dir",
        data,
    ]));
    assert!(text.contains("no session to other.example"), "{text}");

    let output = sealane(&[
        "report",
        "tls",
        "sent",
        "--domain",
        "example.net",
        "--date",
        "30/11/2026",
        "--data-dir",
        data,
    ]);
    assert_eq!(output.status.code(), Some(2));
}

#[tokio::test]
async fn received_summarises_per_reporter_policy_and_result_and_flags_days() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = store(&dir);
        let now = SystemTime::now();
        let rfc: report::tlsrpt::Report = serde_json::from_slice(RFC_EXAMPLE).unwrap();
        report::tlsrpt::keep(&store, &rfc, None, now).await.unwrap();
        let google: report::tlsrpt::Report = serde_json::from_slice(GOOGLE_STYLE).unwrap();
        report::tlsrpt::keep(&store, &google, None, now)
            .await
            .unwrap();
        report::tlsrpt::receive_mail(&store, MICROSOFT_STYLE, now)
            .await
            .unwrap();
    }
    let data = dir.path().to_str().unwrap();
    let text = stdout(&sealane(&["report", "tls", "received", "--data-dir", data]));
    for expected in [
        "3 TLS reports received",
        "company-y.example\n  Company-X sts (mx *.mail.company-y.example): 1 report 2016-04-01..2016-04-01, 5326 successful, 303 failed",
        "    starttls-not-supported x200, certificate-expired x100, validation-failure x3",
        "example.net\n  Google Inc. no-policy-found: 1 report ",
        "  Google Inc. sts: 1 report 2026-11-29..2026-11-29, 23 successful, 4 failed",
        "  Microsoft Corporation tlsa (mx mx1.example.net): 1 report 2026-11-29..2026-11-29, 118 successful, 2 failed",
        "days with failures:\n  2016-04-01 company-y.example: 303 failed (Company-X)",
        "  2026-11-29 example.net: 6 failed (Google Inc., Microsoft Corporation): certificate-host-mismatch x3, tlsa-invalid x2, certificate-expired x1",
    ] {
        assert!(text.contains(expected), "{expected}\n---\n{text}");
    }

    let output = sealane(&[
        "report",
        "tls",
        "received",
        "--domain",
        "example.net",
        "--since",
        "2026-11-29",
        "--json",
        "--data-dir",
        data,
    ]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["reports"], 2);
    assert_eq!(json["policies"].as_array().unwrap().len(), 3);
    assert_eq!(json["days-with-failures"][0]["failed"], 6);

    let text = stdout(&sealane(&[
        "report",
        "tls",
        "received",
        "--since",
        "2026-12-01",
        "--data-dir",
        data,
    ]));
    assert_eq!(text, "no TLS reports received\n");
}
