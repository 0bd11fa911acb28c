//! TLS reporting in the daemon (RFC 8460): every delivery session is
//! counted by policy domain, day, policy and result, and the sessions
//! delivering a TLS report we queued are not.

mod common;

use std::time::Duration;

use common::{submit, world};
use dns::clock::Clock;
use queue::{MessageMeta, NewMessage, QueueId, TlsSessionCount, utc_day};

async fn counts(w: &common::World, domain: &str) -> Vec<TlsSessionCount> {
    let today = utc_day(w.clock.now());
    w.daemon
        .shared()
        .store
        .tls_sessions(domain, today)
        .await
        .unwrap()
}

#[tokio::test]
async fn delivery_sessions_are_counted_by_policy_and_result() {
    let w = world("").await;
    assert!(
        submit(&w, "alice@sender.test", &["bob@dane.test"])
            .await
            .starts_with("250")
    );
    assert!(
        submit(&w, "alice@sender.test", &["carol@mismatch.test"])
            .await
            .starts_with("250")
    );
    w.advance(Duration::ZERO).await;

    let dane = counts(&w, "dane.test").await;
    assert_eq!(dane.len(), 1, "{dane:?}");
    assert_eq!(dane[0].count, 1);
    assert!(dane[0].failure.is_none(), "DANE success: {dane:?}");
    assert_eq!(dane[0].policy.policy_type, "tlsa");
    assert_eq!(dane[0].policy.mx_host, ["mx.dane.test"]);
    assert_eq!(dane[0].policy.policy_string.len(), 1);
    assert!(
        dane[0].policy.policy_string[0].starts_with("3 1 1 "),
        "{dane:?}"
    );

    let bad = counts(&w, "mismatch.test").await;
    let failed: Vec<_> = bad.iter().filter_map(|c| c.failure.as_ref()).collect();
    assert!(!failed.is_empty(), "{bad:?}");
    let f = failed[0];
    assert_eq!(f.result_type, "tlsa-invalid");
    assert_eq!(f.receiving_mx_hostname.as_deref(), Some("mx.mismatch.test"));
    assert_eq!(f.receiving_ip, Some("127.0.0.22".parse().unwrap()));
    assert_eq!(f.receiving_mx_helo.as_deref(), Some("receiver.test"));
    assert!(f.sending_mta_ip.is_some(), "{f:?}");
    assert_eq!(bad[0].policy.policy_type, "tlsa");
}

/// RFC 8460 §5.3: the session delivering a report is not reported on.
#[tokio::test]
async fn the_delivery_of_a_report_is_not_counted() {
    let w = world("").await;
    let now = w.clock.now();
    let mut meta = MessageMeta::new(now);
    meta.tls_report = true;
    let report = NewMessage {
        id: QueueId::generate(now),
        envelope: queue::Envelope::new("tlsrpt-noreply@mail.sender.test"),
        recipients: vec![smtp::Recipient::new("tlsrpt@dane.test")],
        meta,
        body: b"Subject: Report Domain: dane.test\r\n\r\nreport\r\n".to_vec(),
    };
    w.daemon.shared().store.insert(report).await.unwrap();
    w.advance(Duration::ZERO).await;
    assert_eq!(
        w.receivers[0].messages().len(),
        1,
        "the report was delivered"
    );
    assert!(counts(&w, "dane.test").await.is_empty(), "and not counted");

    assert!(
        submit(&w, "alice@sender.test", &["bob@dane.test"])
            .await
            .starts_with("250")
    );
    w.advance(Duration::ZERO).await;
    let after = counts(&w, "dane.test").await;
    assert_eq!(after.iter().map(|c| c.count).sum::<u64>(), 1, "{after:?}");
}

/// A connection reused for several messages is one session.
#[tokio::test]
async fn a_reused_connection_is_one_session() {
    let w = world("").await;
    for _ in 0..3 {
        assert!(
            submit(&w, "alice@sender.test", &["bob@dane.test"])
                .await
                .starts_with("250")
        );
    }
    w.advance(Duration::ZERO).await;
    assert_eq!(w.receivers[0].messages().len(), 3);
    let sessions = w.receivers[0].sessions().len();
    let counted: u64 = counts(&w, "dane.test").await.iter().map(|c| c.count).sum();
    assert_eq!(counted, sessions as u64, "one count per SMTP session");
    assert!(sessions < 3, "the test needs reuse: {sessions} sessions");
}

#[tokio::test]
async fn nothing_is_counted_when_reporting_is_off() {
    let w = world("[tls_report]\nenabled = false\n").await;
    assert!(
        submit(&w, "alice@sender.test", &["bob@dane.test"])
            .await
            .starts_with("250")
    );
    w.advance(Duration::ZERO).await;
    assert!(counts(&w, "dane.test").await.is_empty());
}
