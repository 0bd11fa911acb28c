//! A dead destination costs a few connection attempts, not one per message
//! (DESIGN §7: recent connection failures are remembered briefly).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{Talk, world};
use queue::EventKind;

const MESSAGES: usize = 1000;
const CLIENTS: usize = 20;

#[tokio::test(flavor = "multi_thread")]
async fn a_thousand_messages_to_one_dead_host_make_a_bounded_number_of_connection_attempts() {
    let w = world("").await;
    let submission = w.submission();
    let next = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let next = next.clone();
        clients.push(tokio::spawn(async move {
            let (mut talk, _) = Talk::connect(submission).await;
            talk.send("EHLO client.sender.test").await;
            while next.fetch_add(1, Ordering::Relaxed) < MESSAGES {
                let reply = talk
                    .mail("alice@sender.test", &["x@dead.test"], "Subject: d\r\n\r\nx")
                    .await;
                assert!(reply.starts_with("250"), "{reply}");
            }
        }));
    }
    for c in clients {
        c.await.unwrap();
    }
    w.advance(Duration::ZERO).await;
    let traces = w.daemon.shared().store.trace("x@dead.test").await.unwrap();
    assert_eq!(traces.len(), MESSAGES);
    let connections: usize = traces
        .iter()
        .map(|m| {
            m.events
                .iter()
                .filter(|e| matches!(e.kind, EventKind::Attempt(_)))
                .count()
        })
        .sum();
    let deferred = traces
        .iter()
        .filter(|m| {
            m.events
                .iter()
                .any(|e| matches!(e.kind, EventKind::Deferred { .. }))
        })
        .count();
    println!(
        "{MESSAGES} messages to a dead host: {connections} connection attempts, {deferred} deferred"
    );
    assert_eq!(deferred, MESSAGES, "every message deferred, none bounced");
    // At most one per worker that started before the first failure was
    // remembered (the per-destination limit, 20).
    assert!(
        (1..=20).contains(&connections),
        "{connections} connection attempts"
    );
}
