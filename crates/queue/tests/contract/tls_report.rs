//! TLS reporting (RFC 8460) in the store: session counts per policy
//! domain, day, policy and result, and where each day's report stands.

use std::net::IpAddr;

use dns::clock::{Clock, ManualClock};
use queue::{
    ReceivedTlsReport, ReportDue, ReportState, Store, TlsFailure, TlsPolicy, TlsSession, UtcDay,
    day_start, utc_day,
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
            ReportState::Sent {
                report_id: "r1".into(),
            },
        )
        .await
        .expect("sent");
    store
        .set_tls_report(
            "b.example",
            today,
            ReportState::Retry {
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
        [ReportDue {
            policy_domain: "b.example".into(),
            day: today,
            attempts: 1,
        }]
    );
    store
        .set_tls_report(
            "b.example",
            today,
            ReportState::Abandoned {
                reason: "the day plus one has passed".into(),
            },
        )
        .await
        .expect("abandon");
    assert!(store.tls_reports_due(today + 1).await.expect("due").len() == 1);
}

/// A day's report status reads back as it was set, with its attempts.
pub async fn tls_report_status_reads_back(store: &dyn Store, clock: &ManualClock) {
    let today = utc_day(clock.now());
    assert_eq!(
        store
            .tls_report_status("a.example", today)
            .await
            .expect("status"),
        None,
        "nothing before the first attempt"
    );
    let next_attempt = clock.now() + 15 * MIN;
    let retry = ReportState::Retry {
        next_attempt,
        reason: "503".into(),
    };
    store
        .set_tls_report("a.example", today, retry.clone())
        .await
        .expect("retry");
    let status = store
        .tls_report_status("a.example", today)
        .await
        .expect("status")
        .expect("a status");
    assert_eq!((status.state, status.attempts), (retry, 1));
    let sent = ReportState::Sent {
        report_id: "2026-12-01.a.example@mx.example".into(),
    };
    store
        .set_tls_report("a.example", today, sent.clone())
        .await
        .expect("sent");
    let status = store
        .tls_report_status("a.example", today)
        .await
        .expect("status")
        .expect("a status");
    assert_eq!((status.state, status.attempts), (sent, 2));
    assert_eq!(
        store
            .tls_report_status("a.example", today + 1)
            .await
            .expect("status"),
        None
    );
}

fn received(domain: &str, organization: &str, report_id: &str, day: UtcDay) -> ReceivedTlsReport {
    ReceivedTlsReport {
        policy_domain: domain.into(),
        organization_name: organization.into(),
        report_id: report_id.into(),
        start: day_start(day),
        end: day_start(day + 1) - std::time::Duration::from_secs(1),
        received_at: day_start(day + 1) + 3 * MIN,
        json: format!("{{\"report-id\":\"{report_id}\"}}"),
    }
}

/// Reports others send us are kept per domain, once each, and read back
/// by domain and period.
pub async fn received_tls_reports_are_kept_once_per_domain(store: &dyn Store, clock: &ManualClock) {
    let today = utc_day(clock.now());
    let google = received(
        "example.net",
        "Google Inc.",
        "2026-11-30T00:00:00Z_example.net",
        today - 2,
    );
    assert!(
        store
            .store_received_tls_report(google.clone())
            .await
            .expect("store")
    );
    let mut again = google.clone();
    again.received_at += 60 * MIN;
    again.json = "{}".into();
    assert!(
        !store.store_received_tls_report(again).await.expect("store"),
        "the same report twice is kept once"
    );
    let microsoft = received("example.net", "Microsoft Corporation", "133789", today - 1);
    let other_domain = received(
        "example.org",
        "Google Inc.",
        "2026-11-30T00:00:00Z_example.net",
        today - 2,
    );
    for report in [microsoft.clone(), other_domain.clone()] {
        assert!(
            store
                .store_received_tls_report(report)
                .await
                .expect("store")
        );
    }

    let all = store.received_tls_reports(None, None).await.expect("read");
    assert_eq!(
        all,
        [google.clone(), other_domain.clone(), microsoft.clone()]
    );
    let net = store
        .received_tls_reports(Some("example.net"), None)
        .await
        .expect("read");
    assert_eq!(net, [google, microsoft.clone()]);
    let recent = store
        .received_tls_reports(None, Some(day_start(today - 1)))
        .await
        .expect("read");
    assert_eq!(recent, [microsoft], "only periods ending since then");
    assert!(
        store
            .received_tls_reports(Some("example.com"), None)
            .await
            .expect("read")
            .is_empty()
    );
}
