//! DMARC aggregate reporting (RFC 7489 §7.2) in the store: rows counted
//! per Domain Owner, day and row, where each day's report stands (apart
//! from TLS reports of the same domain and day), and received reports.

use std::time::Duration;

use dns::clock::{Clock, ManualClock};
use queue::{
    DmarcDkim, DmarcObservation, DmarcRow, DmarcSpf, ReceivedDmarcReport, ReportDue, ReportKind,
    ReportState, Store, StoreError, utc_day,
};

use super::{MIN, message};

fn row(ip: &str, disposition: &str) -> DmarcRow {
    DmarcRow {
        source_ip: ip.parse().expect("address"),
        disposition: disposition.into(),
        dkim_aligned: disposition == "none",
        spf_aligned: false,
        overrides: Vec::new(),
        header_from: "example.org".into(),
        envelope_from: "example.org".into(),
        dkim: vec![DmarcDkim {
            domain: "example.org".into(),
            selector: "s1".into(),
            result: "pass".into(),
        }],
        spf: vec![DmarcSpf {
            domain: "example.org".into(),
            scope: "mfrom".into(),
            result: "fail".into(),
        }],
    }
}

fn seen(domain: &str, day: i64, row: DmarcRow, count: u64) -> DmarcObservation {
    DmarcObservation {
        policy_domain: domain.into(),
        day,
        row,
        count,
    }
}

/// Counts add up per row; other rows, domains and days stay apart; a day
/// with rows is owed a report until it is sent, separately from TLS
/// reports; a retry comes back when due.
pub async fn dmarc_rows_are_counted_and_reports_due_until_sent(
    store: &dyn Store,
    clock: &ManualClock,
) {
    let today = utc_day(clock.now());
    let pass = row("192.0.2.1", "none");
    let reject = row("2001:db8::25", "reject");
    store
        .record_dmarc(vec![
            seen("example.org", today - 1, pass.clone(), 3),
            seen("example.org", today - 1, reject.clone(), 1),
            seen("example.net", today - 1, pass.clone(), 1),
            seen("example.org", today, pass.clone(), 7),
        ])
        .await
        .expect("record");
    store
        .record_dmarc(vec![seen("example.org", today - 1, pass.clone(), 2)])
        .await
        .expect("record again");
    let rows = store
        .dmarc_rows("example.org", today - 1)
        .await
        .expect("rows");
    let count_of = |r: &DmarcRow| rows.iter().find(|c| &c.row == r).map(|c| c.count);
    assert_eq!(rows.len(), 2);
    assert_eq!(count_of(&pass), Some(5));
    assert_eq!(count_of(&reject), Some(1));

    let due = store.dmarc_reports_due(today - 1).await.expect("due");
    assert_eq!(
        due,
        vec![
            ReportDue {
                policy_domain: "example.net".into(),
                day: today - 1,
                attempts: 0
            },
            ReportDue {
                policy_domain: "example.org".into(),
                day: today - 1,
                attempts: 0
            },
        ]
    );
    assert!(
        store.tls_reports_due(today).await.expect("tls").is_empty(),
        "DMARC rows owe no TLS report"
    );
    store
        .set_dmarc_report(
            "example.org",
            today - 1,
            ReportState::Retry {
                next_attempt: clock.now() + 30 * MIN,
                reason: "the rua domain did not answer".into(),
            },
        )
        .await
        .expect("retry");
    store
        .set_dmarc_report(
            "example.net",
            today - 1,
            ReportState::Sent {
                report_id: "r1".into(),
            },
        )
        .await
        .expect("sent");
    assert!(
        store
            .dmarc_reports_due(today - 1)
            .await
            .expect("due")
            .is_empty()
    );
    clock.advance(31 * MIN);
    let due = store.dmarc_reports_due(today - 1).await.expect("due");
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].attempts, 1);
    let status = store
        .dmarc_report_status("example.net", today - 1)
        .await
        .expect("status")
        .expect("a status");
    assert_eq!(
        status.state,
        ReportState::Sent {
            report_id: "r1".into()
        }
    );
    assert!(
        store
            .tls_report_status("example.net", today - 1)
            .await
            .expect("tls status")
            .is_none()
    );
}

/// Counts a row for example.org on `day`, so its report is owed, and
/// claims that report for `lease`.
async fn owe_and_claim(store: &dyn Store, day: i64, lease: Duration) {
    store
        .record_dmarc(vec![seen("example.org", day, row("192.0.2.1", "none"), 1)])
        .await
        .expect("record");
    assert!(
        store
            .claim_dmarc_report("example.org", day, lease)
            .await
            .expect("claim")
    );
}

/// A report is claimed by one node at a time: a second claim fails until
/// the first one's lease is over; a sent report is never claimed again;
/// TLS and DMARC claims of the same domain and day are apart.
pub async fn reports_are_claimed_by_one_node_at_a_time(store: &dyn Store, clock: &ManualClock) {
    let today = utc_day(clock.now());
    let lease = 10 * MIN;
    owe_and_claim(store, today - 1, lease).await;
    assert!(
        !store
            .claim_dmarc_report("example.org", today - 1, lease)
            .await
            .expect("again")
    );
    assert!(
        store
            .dmarc_reports_due(today - 1)
            .await
            .expect("due")
            .is_empty(),
        "a claimed report is not due"
    );
    assert!(
        store
            .claim_tls_report("example.org", today - 1, lease)
            .await
            .expect("tls claim"),
        "the TLS report of the same day is another report"
    );
    clock.advance(lease + MIN);
    assert_eq!(
        store.dmarc_reports_due(today - 1).await.expect("due").len(),
        1
    );
    assert!(
        store
            .claim_dmarc_report("example.org", today - 1, lease)
            .await
            .expect("after the lease"),
        "a claim whose node died is taken over"
    );
    store
        .set_dmarc_report(
            "example.org",
            today - 1,
            ReportState::Sent {
                report_id: "r".into(),
            },
        )
        .await
        .expect("sent");
    clock.advance(lease + MIN);
    assert!(
        !store
            .claim_dmarc_report("example.org", today - 1, lease)
            .await
            .expect("sent")
    );
    let status = store
        .dmarc_report_status("example.org", today - 1)
        .await
        .expect("status")
        .expect("a status");
    assert_eq!(status.attempts, 1, "claims count no attempt; sending does");
}

/// A report's mail is queued and the report marked sent together, or
/// neither: a mail the store refuses leaves the report owed (and claimable
/// by another node once the claim lapses), not sent without its mail.
pub async fn a_report_mail_is_queued_with_its_sent_mark_or_not_at_all(
    store: &dyn Store,
    clock: &ManualClock,
) {
    let today = utc_day(clock.now());
    let lease = 10 * MIN;
    owe_and_claim(store, today - 1, lease).await;
    let earlier = message(clock, &["x@example.com"]);
    let taken = earlier.id;
    store.insert(earlier).await.expect("insert");
    let mut clash = message(clock, &["dmarc@example.org"]);
    clash.id = taken;
    let refused = store
        .queue_report_mail(
            ReportKind::Dmarc,
            "example.org",
            today - 1,
            "r1".into(),
            clash,
        )
        .await;
    assert!(
        matches!(refused, Err(StoreError::Duplicate(id)) if id == taken),
        "{refused:?}"
    );
    let status = store
        .dmarc_report_status("example.org", today - 1)
        .await
        .expect("status")
        .expect("the claim");
    assert!(
        !matches!(status.state, ReportState::Sent { .. }),
        "not sent without its mail: {status:?}"
    );
    clock.advance(lease + MIN);
    assert!(
        store
            .claim_dmarc_report("example.org", today - 1, lease)
            .await
            .expect("claim again"),
        "still owed"
    );

    let mail = message(clock, &["dmarc@example.org"]);
    let (id, body) = (mail.id, mail.body.clone());
    store
        .queue_report_mail(
            ReportKind::Dmarc,
            "example.org",
            today - 1,
            "r2".into(),
            mail,
        )
        .await
        .expect("queued");
    assert_eq!(store.body(id).await.expect("the mail is queued"), body);
    let status = store
        .dmarc_report_status("example.org", today - 1)
        .await
        .expect("status")
        .expect("a status");
    assert_eq!(
        status.state,
        ReportState::Sent {
            report_id: "r2".into()
        }
    );
    assert!(
        store
            .tls_report_status("example.org", today - 1)
            .await
            .expect("tls")
            .is_none(),
        "the TLS report of that day is another report"
    );
}

/// Reporting rows of old days and received reports of old periods are
/// purged; recent ones stay.
pub async fn old_reporting_rows_are_purged(store: &dyn Store, clock: &ManualClock) {
    let today = utc_day(clock.now());
    store
        .record_dmarc(vec![
            seen("example.org", today - 70, row("192.0.2.1", "none"), 1),
            seen("example.org", today - 1, row("192.0.2.1", "none"), 1),
        ])
        .await
        .expect("record");
    store
        .set_dmarc_report(
            "example.org",
            today - 70,
            ReportState::Sent {
                report_id: "old".into(),
            },
        )
        .await
        .expect("state");
    let now = clock.now();
    let received = |id: &str, end: std::time::SystemTime| ReceivedDmarcReport {
        policy_domain: "example.org".into(),
        organization_name: "google.com".into(),
        report_id: id.into(),
        begin: end - Duration::from_secs(86_400),
        end,
        received_at: now,
        xml: "<feedback/>".into(),
    };
    let year = Duration::from_secs(365 * 86_400);
    for report in [received("old", now - 2 * year), received("new", now)] {
        store
            .store_received_dmarc_report(report)
            .await
            .expect("kept");
    }
    let deleted = store
        .purge_reports(today - 60, now - year)
        .await
        .expect("purge");
    assert_eq!(
        deleted, 3,
        "the old row, the old state, the old received report"
    );
    assert!(
        store
            .dmarc_rows("example.org", today - 70)
            .await
            .expect("rows")
            .is_empty()
    );
    assert_eq!(
        store
            .dmarc_rows("example.org", today - 1)
            .await
            .expect("rows")
            .len(),
        1
    );
    assert!(
        store
            .dmarc_report_status("example.org", today - 70)
            .await
            .expect("status")
            .is_none()
    );
    let kept = store
        .received_dmarc_reports(None, None)
        .await
        .expect("read");
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].report_id, "new");
}

/// A received report is kept once per domain, organisation and id, and
/// read back by domain and period.
pub async fn received_dmarc_reports_are_kept_once(store: &dyn Store, clock: &ManualClock) {
    let now = clock.now();
    let report = |domain: &str, id: &str, end_hours: u64| ReceivedDmarcReport {
        policy_domain: domain.into(),
        organization_name: "google.com".into(),
        report_id: id.into(),
        begin: now - Duration::from_secs(86_400),
        end: now - Duration::from_secs(86_400) + Duration::from_secs(end_hours * 3600),
        received_at: now,
        xml: format!("<feedback><report_id>{id}</report_id></feedback>"),
    };
    assert!(
        store
            .store_received_dmarc_report(report("example.org", "1", 24))
            .await
            .expect("store")
    );
    assert!(
        !store
            .store_received_dmarc_report(report("example.org", "1", 24))
            .await
            .expect("store again")
    );
    assert!(
        store
            .store_received_dmarc_report(report("example.net", "2", 1))
            .await
            .expect("store other")
    );
    let all = store.received_dmarc_reports(None, None).await.expect("all");
    assert_eq!(all.len(), 2);
    let ours = store
        .received_dmarc_reports(Some("example.org"), None)
        .await
        .expect("one domain");
    assert_eq!(ours, vec![report("example.org", "1", 24)]);
    let recent = store
        .received_dmarc_reports(None, Some(now - Duration::from_secs(3600)))
        .await
        .expect("recent");
    assert_eq!(recent.len(), 1);
    assert_eq!(recent[0].report_id, "1");
}
