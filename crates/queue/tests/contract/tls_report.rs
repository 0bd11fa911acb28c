//! TLS reporting (RFC 8460) in the store: session counts per policy
//! domain, day, policy and result, and where each day's report stands.

use std::net::IpAddr;

use dns::clock::{Clock, ManualClock};
use queue::{
    Store, TlsFailure, TlsPolicy, TlsReportDue, TlsReportState, TlsSession, UtcDay, utc_day,
};

use super::MIN;

fn sts() -> TlsPolicy {
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

fn tlsa() -> TlsPolicy {
    TlsPolicy {
        policy_type: "tlsa".into(),
        policy_string: vec!["3 1 1 ABCD".into()],
        mx_host: vec!["mx.example.org".into()],
    }
}

fn failed(result_type: &str) -> TlsFailure {
    TlsFailure {
        result_type: result_type.into(),
        sending_mta_ip: Some("192.0.2.1".parse::<IpAddr>().expect("address")),
        receiving_mx_hostname: Some("mx.example.net".into()),
        receiving_mx_helo: Some("mx1.example.net".into()),
        receiving_ip: Some("192.0.2.25".parse::<IpAddr>().expect("address")),
        failure_reason_code: Some("sts-mx-not-in-policy".into()),
    }
}

fn session(
    domain: &str,
    day: UtcDay,
    policy: TlsPolicy,
    failure: Option<TlsFailure>,
) -> TlsSession {
    TlsSession {
        policy_domain: domain.into(),
        day,
        policy,
        failure,
    }
}

/// Alike sessions share a count; other domains, days, policies and
/// results are kept apart.
pub async fn tls_sessions_are_counted(store: &dyn Store, clock: &ManualClock) {
    let today = utc_day(clock.now());
    let mut sessions = Vec::new();
    for _ in 0..3 {
        sessions.push(session("example.net", today, sts(), None));
    }
    sessions.push(session(
        "example.net",
        today,
        sts(),
        Some(failed("validation-failure")),
    ));
    sessions.push(session("example.org", today, tlsa(), None));
    sessions.push(session("example.net", today + 1, sts(), None));
    store
        .record_tls_sessions(sessions[..2].to_vec())
        .await
        .expect("record");
    store
        .record_tls_sessions(sessions[2..].to_vec())
        .await
        .expect("record");
    store
        .record_tls_sessions(Vec::new())
        .await
        .expect("nothing to record");

    let counts = store
        .tls_sessions("example.net", today)
        .await
        .expect("read");
    assert_eq!(counts.len(), 2, "{counts:?}");
    let ok = counts
        .iter()
        .find(|c| c.failure.is_none())
        .expect("success");
    assert_eq!((ok.count, &ok.policy), (3, &sts()));
    let bad = counts
        .iter()
        .find(|c| c.failure.is_some())
        .expect("failure");
    assert_eq!(bad.count, 1);
    assert_eq!(bad.failure, Some(failed("validation-failure")));
    let org = store
        .tls_sessions("example.org", today)
        .await
        .expect("read");
    assert_eq!(org.len(), 1);
    assert_eq!(org[0].policy, tlsa());
    assert!(
        store
            .tls_sessions("example.com", today)
            .await
            .expect("read")
            .is_empty()
    );
}

/// A day's report is owed until sent or abandoned; a retry waits for its
/// time and counts its attempts.
pub async fn tls_reports_due_until_sent(store: &dyn Store, clock: &ManualClock) {
    let today = utc_day(clock.now());
    store
        .record_tls_sessions(vec![
            session("a.example", today, sts(), None),
            session("b.example", today, tlsa(), None),
            session("c.example", today + 1, tlsa(), None),
        ])
        .await
        .expect("record");
    let due = store.tls_reports_due(today).await.expect("due");
    let names: Vec<&str> = due.iter().map(|d| d.policy_domain.as_str()).collect();
    assert_eq!(names, ["a.example", "b.example"], "only days up to today");
    assert!(due.iter().all(|d| d.attempts == 0 && d.day == today));

    store
        .set_tls_report(
            "a.example",
            today,
            TlsReportState::Sent {
                report_id: "r1".into(),
            },
        )
        .await
        .expect("sent");
    store
        .set_tls_report(
            "b.example",
            today,
            TlsReportState::Retry {
                next_attempt: clock.now() + 30 * MIN,
                reason: "https://reports.b.example: 503".into(),
            },
        )
        .await
        .expect("retry");
    assert!(
        store.tls_reports_due(today).await.expect("due").is_empty(),
        "sent, and the retry is not due yet"
    );
    clock.advance(31 * MIN);
    assert_eq!(
        store.tls_reports_due(today).await.expect("due"),
        [TlsReportDue {
            policy_domain: "b.example".into(),
            day: today,
            attempts: 1,
        }]
    );
    store
        .set_tls_report(
            "b.example",
            today,
            TlsReportState::Abandoned {
                reason: "the day plus one has passed".into(),
            },
        )
        .await
        .expect("abandon");
    assert!(store.tls_reports_due(today + 1).await.expect("due").len() == 1);
}
