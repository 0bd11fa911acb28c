//! The daily TLS reports (RFC 8460 §5): one per policy domain and UTC day,
//! to the destinations its one valid `_smtp._tls` record names — by mail
//! to a test-world receiver and by HTTPS POST to a test-world endpoint —
//! none for a malformed record, and failed uploads tried again.

mod common;

use std::time::Duration;

use common::{submit, world};
use dns::clock::Clock;
use mail_parser::{MessageParser, MimeHeaders};
use queue::{day_start, utc_day};
use report::tlsrpt::{self, PolicyType};

const DAY: Duration = Duration::from_secs(86_400);

/// Moves the clock to 01:00 UTC of the next day, so that no step of a
/// test crosses midnight by accident, and delivers one message to each of
/// `dane.test` and `mismatch.test`.
async fn a_day_of_mail(w: &common::World) {
    let now = w.clock.now();
    let one_am = day_start(utc_day(now) + 1) + Duration::from_secs(3600);
    w.clock.advance(one_am.duration_since(now).unwrap());
    assert!(
        submit(w, "alice@sender.test", &["bob@dane.test"])
            .await
            .starts_with("250")
    );
    assert!(
        submit(w, "alice@sender.test", &["carol@mismatch.test"])
            .await
            .starts_with("250")
    );
    w.advance(Duration::ZERO).await;
}

/// The mails the receiver of dane.test took for its `tlsrpt@` address.
fn report_mails(w: &common::World) -> Vec<smtp::ReceivedMessage> {
    w.receivers[0]
        .messages()
        .into_iter()
        .filter(|m| {
            m.envelope
                .recipients
                .iter()
                .any(|r| r.address == "tlsrpt@dane.test")
        })
        .collect()
}

#[tokio::test]
async fn a_day_is_reported_by_mail_and_https_and_a_malformed_rua_gets_nothing() {
    let w = world("").await;
    a_day_of_mail(&w).await;
    let today = utc_day(w.clock.now());
    assert_eq!(
        w.daemon.send_tls_reports().await.unwrap(),
        0,
        "the day is not over"
    );

    w.clock.advance(DAY);
    assert_eq!(
        w.daemon.send_tls_reports().await.unwrap(),
        1,
        "dane.test only"
    );
    w.advance(Duration::ZERO).await;

    // By mail, to the test-world receiver of dane.test.
    let mails = report_mails(&w);
    assert_eq!(mails.len(), 1, "one report mail");
    let mail = &mails[0];
    assert_eq!(mail.envelope.sender, "tlsrpt-noreply@mail.sender.test");
    let parsed = MessageParser::default().parse(&mail.data).unwrap();
    let subject = parsed.subject().unwrap();
    assert!(
        subject.starts_with("Report Domain: dane.test Submitter: mail.sender.test Report-ID: <"),
        "{subject}"
    );
    let header = |name: &str| {
        parsed
            .header_raw(name)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    assert_eq!(header("TLS-Report-Domain"), "dane.test");
    assert_eq!(header("TLS-Report-Submitter"), "mail.sender.test");
    let ct = parsed.content_type().unwrap();
    assert_eq!((ct.ctype(), ct.subtype()), ("multipart", Some("report")));
    assert_eq!(ct.attribute("report-type"), Some("tlsrpt"));
    let types: Vec<String> = parsed
        .parts
        .iter()
        .filter_map(|p| p.content_type())
        .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or_default()))
        .collect();
    assert_eq!(
        types,
        ["multipart/report", "text/plain", "application/tlsrpt+gzip"]
    );
    let attachment = &parsed.parts[2];
    let name = attachment.attachment_name().unwrap();
    assert!(
        name.starts_with("mail.sender.test!dane.test!") && name.ends_with(".json.gz"),
        "{name}"
    );
    let report = tlsrpt::read_mail(&mail.data).unwrap();
    assert_eq!(report.organization_name, "mail.sender.test");
    assert_eq!(report.contact_info, "mailto:postmaster@mail.sender.test");
    assert_eq!(report.policies.len(), 1);
    let policy = &report.policies[0];
    assert_eq!(policy.policy.policy_type, PolicyType::Tlsa);
    assert_eq!(policy.policy.policy_domain, "dane.test");
    assert_eq!(policy.summary.total_successful_session_count, 1);
    assert_eq!(policy.summary.total_failure_session_count, 0);
    assert_eq!(
        tlsrpt::datetime::format(report.date_range.start_datetime)[..10],
        tlsrpt::day_text(today)
    );

    // By HTTPS POST, to the endpoint the record names.
    let posts: Vec<_> = w
        .reports
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(posts.len(), 1, "one upload");
    assert_eq!(posts[0].path, "/tlsrpt");
    assert_eq!(posts[0].sni.as_deref(), Some("reports.dane.test"));
    assert_eq!(
        posts[0].header("content-type"),
        Some("application/tlsrpt+gzip")
    );
    assert_eq!(
        tlsrpt::read(&posts[0].body).unwrap(),
        report,
        "the same report"
    );

    // mismatch.test's rua is malformed: no report, no retry; and nothing
    // is sent twice.
    assert_eq!(w.daemon.send_tls_reports().await.unwrap(), 0);
    w.advance(Duration::ZERO).await;
    assert!(
        w.receivers[1].messages().is_empty(),
        "no report to mismatch.test"
    );
    assert_eq!(w.reports.requests().len(), 1);
    let due = w
        .daemon
        .shared()
        .store
        .tls_reports_due(today)
        .await
        .unwrap();
    assert!(due.is_empty(), "{due:?}");

    // The report mail's own delivery was not counted.
    let next = w
        .daemon
        .shared()
        .store
        .tls_sessions("dane.test", today + 1)
        .await
        .unwrap();
    assert!(next.is_empty(), "{next:?}");
}

#[tokio::test]
async fn a_failed_upload_is_retried_with_back_off_until_the_day_after() {
    let w = world("").await;
    a_day_of_mail(&w).await;
    let endpoint = |status: u16| {
        testworld::https::PolicyBehaviour::serving(
            &testworld::ca::TestCa::new("another ca").issue(&["reports.dane.test"]),
            "",
        )
        .status(status)
    };
    // A certificate the daemon does not trust: no upload.
    w.reports.set_behaviour(endpoint(200));
    w.clock.advance(DAY);
    assert_eq!(w.daemon.send_tls_reports().await.unwrap(), 0);
    let posts = || {
        w.reports
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST")
            .count()
    };
    assert_eq!(posts(), 0, "no request over an unverified connection");
    w.clock.advance(Duration::from_secs(10 * 60));
    assert_eq!(w.daemon.send_tls_reports().await.unwrap(), 0);
    assert_eq!(
        w.reports.connections(),
        1,
        "not due again before 15 minutes"
    );
    w.clock.advance(Duration::from_secs(6 * 60));
    assert_eq!(w.daemon.send_tls_reports().await.unwrap(), 0);
    assert_eq!(w.reports.connections(), 2, "tried again");
    // Past the day after the report's day: given up.
    w.clock.advance(DAY);
    assert_eq!(w.daemon.send_tls_reports().await.unwrap(), 0);
    let connections = w.reports.connections();
    w.clock.advance(DAY);
    assert_eq!(w.daemon.send_tls_reports().await.unwrap(), 0);
    assert_eq!(w.reports.connections(), connections, "given up");
    // The mail went once, the first time.
    w.advance(Duration::ZERO).await;
    assert_eq!(report_mails(&w).len(), 1);
}

#[tokio::test]
async fn a_report_mail_that_fails_is_retried_until_the_day_after_and_never_reported_on() {
    let w = world("").await;
    a_day_of_mail(&w).await;
    let today = utc_day(w.clock.now());
    w.receivers[0].set_behaviour(
        testworld::smtp::Behaviour::starttls(&w.dane_identity).temporary_for("tlsrpt@dane.test"),
    );
    w.clock.advance(DAY);
    assert_eq!(w.daemon.send_tls_reports().await.unwrap(), 1);
    w.advance(Duration::ZERO).await;
    let store = &w.daemon.shared().store;
    let report_mail = || async {
        let listed = store.list(100).await.unwrap();
        listed
            .into_iter()
            .find(|m| m.sender == "tlsrpt-noreply@mail.sender.test")
    };
    let pending = report_mail().await.expect("the report mail is queued");
    assert_eq!(pending.recipients[0].attempts, 1, "{pending:?}");
    assert!(
        matches!(
            pending.recipients[0].state,
            queue::RecipientState::Deferred { .. }
        ),
        "{pending:?}"
    );
    // Tried again with the queue's back-off: not before 15 minutes.
    let sessions = || w.receivers[0].sessions().len();
    let before = sessions();
    w.advance(Duration::from_secs(10 * 60)).await;
    assert_eq!(sessions(), before, "not yet");
    w.advance(Duration::from_secs(20 * 60)).await;
    assert!(sessions() > before, "tried again");
    // Hourly until the report's day plus one is over: then it expires,
    // although the schedule alone would keep it an hour longer.
    let deadline = day_start(today + 2);
    while w.clock.now() < deadline - Duration::from_secs(3600) {
        w.advance(Duration::from_secs(3600)).await;
    }
    assert!(
        report_mail().await.is_some(),
        "still trying on its last day"
    );
    let attempts = report_mail().await.unwrap().recipients[0].attempts;
    assert!(attempts >= 10, "retried through the day: {attempts}");
    let to_deadline = deadline.duration_since(w.clock.now()).unwrap();
    w.advance(to_deadline + Duration::from_secs(60)).await;
    w.advance(Duration::from_secs(60)).await;
    let listed = store.list(100).await.unwrap();
    assert!(
        listed
            .iter()
            .all(|m| m.sender != "tlsrpt-noreply@mail.sender.test"),
        "given up at the deadline: {listed:?}"
    );
    // No notice about the report mail, and none of its sessions counted.
    assert!(
        listed.iter().all(|m| !m.sender.is_empty()),
        "no notice queued: {listed:?}"
    );
    for day in [today + 1, today + 2] {
        let counted = store.tls_sessions("dane.test", day).await.unwrap();
        assert!(counted.is_empty(), "{counted:?}");
    }
}

/// A first try that stops at a failed lookup has queued no mail: the next
/// try queues it (and uploads), and a try after that queues none again.
#[tokio::test]
async fn a_report_whose_first_try_failed_before_its_mail_still_mails() {
    let w = world("").await;
    a_day_of_mail(&w).await;
    w.clock.advance(DAY);
    w.dns
        .set_fault("dane.test.", testworld::dns::Fault::ServFail);
    assert_eq!(
        w.daemon.send_tls_reports().await.unwrap(),
        0,
        "the _smtp._tls lookup fails for now"
    );
    w.dns
        .set_fault("dane.test.", testworld::dns::Fault::Healthy);
    w.clock.advance(Duration::from_secs(16 * 60));
    assert_eq!(w.daemon.send_tls_reports().await.unwrap(), 1);
    w.advance(Duration::ZERO).await;
    assert_eq!(report_mails(&w).len(), 1, "mailed on the second try");
    let posts = w
        .reports
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(posts, 1, "and uploaded");
}

#[tokio::test]
async fn the_report_mail_is_dkim_signed_when_a_key_is_configured() {
    let key = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../auth/tests/keys/ed25519.pem"
    );
    let w = world(&format!(
        "[[dkim.sign]]\ndomain = \"sender.test\"\nselector = \"rpt\"\nkey_file = \"{key}\"\n"
    ))
    .await;
    a_day_of_mail(&w).await;
    w.clock.advance(DAY);
    assert_eq!(w.daemon.send_tls_reports().await.unwrap(), 1);
    w.advance(Duration::ZERO).await;
    let mail = report_mails(&w).pop().expect("the report mail");
    let text = String::from_utf8_lossy(&mail.data);
    let signature = text
        .split("\r\n")
        .skip_while(|l| !l.starts_with("DKIM-Signature:"))
        .take_while(|l| l.starts_with("DKIM-Signature:") || l.starts_with([' ', '\t']))
        .collect::<String>();
    let tags: Vec<String> = signature
        .trim_start_matches("DKIM-Signature:")
        .split(';')
        .map(|t| t.split_whitespace().collect::<String>())
        .collect();
    for expected in [
        "a=ed25519-sha256",
        "d=sender.test",
        "s=rpt",
        "c=relaxed/relaxed",
    ] {
        assert!(tags.iter().any(|t| t == expected), "{expected} in {tags:?}");
    }
    let signed = tags
        .iter()
        .find_map(|t| t.strip_prefix("h="))
        .unwrap()
        .to_ascii_lowercase();
    for header in ["from", "subject", "date", "message-id", "content-type"] {
        assert!(
            signed.split(':').any(|h| h == header),
            "{header} in {signed}"
        );
    }
    // Still the report, readable as before.
    assert!(tlsrpt::read_mail(&mail.data).is_ok());
}

#[tokio::test]
async fn an_unreadable_dkim_key_is_refused_with_the_configuration() {
    let text = "[[dkim.sign]]\ndomain = \"sender.test\"\nselector = \"rpt\"\nkey_file = \"/nonexistent/key.pem\"\n";
    let error = server::config::Config::parse(text, std::path::Path::new("t.toml")).unwrap_err();
    assert!(
        error.to_string().contains("/nonexistent/key.pem"),
        "{error}"
    );
}
