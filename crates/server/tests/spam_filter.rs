//! The spam verdict of a real rspamd (DESIGN §3): `reject` refuses at
//! DATA, `soft reject` asks to try again, `add header` marks the message
//! and sends it from `high-risk`, `no action` accepts it; a filter that is
//! down refuses for now unless configured to accept.
//!
//! The rspamd is the one `scripts/rspamd-test.sh` starts (`.ci/run` does),
//! named by `SEALANE_TEST_RSPAMD_URL`. Without it these tests say so and
//! pass, except under CI (`CI` set), where they fail.

mod common;

use std::time::Duration;

use common::{Talk, World, queue_id, world};
use queue::EventKind;

const GTUBE: &str = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

fn rspamd_url() -> Option<String> {
    match std::env::var("SEALANE_TEST_RSPAMD_URL") {
        Ok(url) => Some(url),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("SEALANE_TEST_RSPAMD_URL is not set under CI: .ci/run starts rspamd")
        }
        Err(_) => {
            eprintln!(
                "SKIPPED: no rspamd for this test; run `eval \"$(scripts/rspamd-test.sh start)\"` first"
            );
            None
        }
    }
}

async fn send(w: &World, subject: &str, body: &str) -> String {
    let (mut talk, _) = Talk::connect(w.submission()).await;
    talk.send("EHLO client.sender.test").await;
    let reply = talk
        .mail(
            "alice@sender.test",
            &["bob@mismatch.test"],
            &format!(
                "From: alice@sender.test\r\nTo: bob@mismatch.test\r\nSubject: {subject}\r\n\
                 Message-ID: <{}@sender.test>\r\nDate: Thu, 3 Dec 2026 00:00:00 +0000\r\n\r\n{body}",
                subject.len()
            ),
        )
        .await;
    talk.send("QUIT").await;
    reply
}

async fn pool_of(w: &World, id: &str) -> (String, String) {
    let traces = w.daemon.shared().store.trace(id).await.unwrap();
    traces[0]
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Received(meta) => Some((meta.pool.clone(), meta.pool_reason.clone())),
            _ => None,
        })
        .expect("a received event")
}

#[tokio::test(flavor = "multi_thread")]
async fn rspamd_actions_decide_the_reply_and_the_pool() {
    let Some(url) = rspamd_url() else { return };
    let w = world(&format!("[spam]\nurl = \"{url}\"\n")).await;

    let rejected = send(&w, "offer", &format!("{GTUBE}\r\n")).await;
    assert!(
        rejected.starts_with("550 5.7.1"),
        "GTUBE is rejected: {rejected}"
    );
    // The refusal is in the trace, with the filter's action.
    let traced = w
        .daemon
        .shared()
        .store
        .trace("<5@sender.test>")
        .await
        .unwrap();
    assert_eq!(traced.len(), 1, "{traced:?}");
    assert!(
        traced[0].events.iter().any(|e| matches!(
            &e.kind,
            queue::EventKind::SpamRefused { action, .. } if action == "reject"
        )),
        "{traced:?}"
    );
    assert_eq!(
        traced[0].meta.pool_reason,
        "none: blocked, spam filter: reject"
    );

    let greylisted = send(&w, "sealane-test-greylist", "Hello.\r\n").await;
    assert!(
        greylisted.starts_with("451 4.7.1"),
        "soft reject: {greylisted}"
    );

    let marked = send(&w, "sealane-test-add-header", "Hello.\r\n").await;
    assert!(marked.starts_with("250"), "add header accepts: {marked}");
    let id = queue_id(&marked);
    assert_eq!(
        pool_of(&w, &id).await,
        ("high-risk".into(), "spam verdict".into())
    );
    let body = w
        .daemon
        .shared()
        .store
        .body(id.parse().unwrap())
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&body);
    assert!(text.contains("\r\nX-Spam: Yes\r\n"), "{text}");

    let clean = send(&w, "lunch", "Shall we meet at noon?\r\n").await;
    assert!(clean.starts_with("250"), "no action: {clean}");
    let id = queue_id(&clean);
    assert_eq!(pool_of(&w, &id).await.0, "normal");
    let body = w
        .daemon
        .shared()
        .store
        .body(id.parse().unwrap())
        .await
        .unwrap();
    assert!(!String::from_utf8_lossy(&body).contains("X-Spam:"));
    w.advance(Duration::ZERO).await;
}

/// A filter that does not answer: 451 4.7.1 by default, the message
/// taken when `when_down = "accept"`.
#[tokio::test(flavor = "multi_thread")]
async fn rspamd_down_is_a_temporary_failure_unless_configured() {
    let port = testworld::net::free_port(&[std::net::IpAddr::from([127, 0, 0, 1])]);
    let w = world(&format!("[spam]\nurl = \"http://127.0.0.1:{port}\"\n")).await;
    let reply = send(&w, "lunch", "Hello.\r\n").await;
    assert!(reply.starts_with("451 4.7.1"), "{reply}");
    assert!(reply.contains("Spam filter unavailable"), "{reply}");

    let w = world(&format!(
        "[spam]\nurl = \"http://127.0.0.1:{port}\"\nwhen_down = \"accept\"\n"
    ))
    .await;
    let reply = send(&w, "lunch", "Hello.\r\n").await;
    assert!(reply.starts_with("250"), "{reply}");
}
