//! The daemon end to end: SMTP in, the durable queue, DANE delivery, the
//! retry schedule with a clock the test moves, notices and the trace.

mod common;

use std::time::Duration;

use common::{Talk, queue_id, submit, world};
use queue::EventKind;

#[tokio::test(flavor = "multi_thread")]
async fn message_is_delivered_over_dane_and_traced() {
    let w = world("").await;
    let reply = submit(&w, "alice@sender.test", &["bob@dane.test"]).await;
    assert!(reply.starts_with("250 2.0.0 queued as"), "{reply}");
    w.advance(Duration::ZERO).await;
    let got = w.receivers[0].messages();
    assert_eq!(got.len(), 1, "the DANE host received the message");
    let data = String::from_utf8_lossy(&got[0].data).into_owned();
    assert!(
        data.starts_with("Received: from client.sender.test"),
        "{data}"
    );
    let trace = w
        .daemon
        .shared()
        .store
        .trace(&queue_id(&reply))
        .await
        .unwrap();
    let events = &trace[0].events;
    let attempt = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Attempt(a) => Some(a.clone()),
            _ => None,
        })
        .expect("an attempt in the trace");
    assert_eq!(attempt.mx, "mx.dane.test");
    assert_eq!(attempt.requirement, "dane");
    assert!(
        attempt
            .tlsa
            .as_deref()
            .is_some_and(|t| t.starts_with("3 1 1")),
        "{attempt:?}"
    );
    assert!(attempt.tls.is_some());
    assert!(
        events
            .iter()
            .any(|e| matches!(e.kind, EventKind::Delivered { .. }))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dane_mismatch_defers_then_expires_with_an_ndr_naming_5_7_323_and_the_mx() {
    let w = world("").await;
    let reply = submit(&w, "alice@sender.test", &["carol@mismatch.test"]).await;
    let id = queue_id(&reply);
    w.advance(Duration::ZERO).await;
    let detail = w
        .daemon
        .shared()
        .store
        .show(id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let state = serde_json::to_string(&detail.recipients).unwrap();
    assert!(state.contains("4.7.323"), "deferred with 4.7.323: {state}");
    assert!(
        w.receivers[1].messages().is_empty(),
        "nothing sent to a host failing DANE"
    );
    assert!(
        w.maildir("alice@sender.test").is_empty(),
        "no notice before expiry"
    );
    // Through the schedule: 15 minutes, then hourly, to 24 hours.
    w.advance(Duration::from_secs(15 * 60 + 120)).await;
    for _ in 0..25 {
        w.advance(Duration::from_secs(3600 + 400)).await;
    }
    let detail = w
        .daemon
        .shared()
        .store
        .show(id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let state = serde_json::to_string(&detail.recipients).unwrap();
    assert!(state.contains("expired"), "{state}");
    // The notice was queued to alice, whose domain is ours: it lands in her Maildir.
    w.advance(Duration::ZERO).await;
    let notices = w.maildir("alice@sender.test");
    assert_eq!(
        notices.len(),
        2,
        "one delay notice after 4 hours, one NDR at expiry"
    );
    let delayed: Vec<_> = notices
        .iter()
        .filter(|n| n.contains("Action: delayed"))
        .collect();
    assert_eq!(delayed.len(), 1, "exactly one delay notice");
    assert!(delayed[0].contains("Status: 4.7.323"), "{}", delayed[0]);
    let ndr = notices
        .iter()
        .find(|n| n.contains("Action: failed"))
        .expect("an NDR");
    assert!(ndr.contains("Status: 5.7.323"), "{ndr}");
    assert!(ndr.contains("Remote-MTA: dns; mx.mismatch.test"), "{ndr}");
    assert!(ndr.contains("Action: failed"), "{ndr}");
    assert!(ndr.contains("no record matched"), "{ndr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn no_ndr_for_the_null_sender() {
    let w = world("").await;
    let reply = submit(&w, "", &["carol@mismatch.test"]).await;
    assert!(reply.starts_with("250"), "{reply}");
    w.advance(Duration::ZERO).await;
    w.advance(Duration::from_secs(25 * 3600)).await;
    w.advance(Duration::ZERO).await;
    let summary = w.daemon.shared().store.list(100).await.unwrap();
    assert!(
        summary.is_empty(),
        "expired, and no notice queued: {summary:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn open_relay_is_refused() {
    let w = world("relay_networks = []\n").await;
    let (mut talk, _) = Talk::connect(w.submission()).await;
    talk.send("EHLO stranger.example").await;
    let r = talk.send("MAIL FROM:<x@stranger.example>").await;
    assert!(
        r.starts_with("530 5.7.0"),
        "submission needs AUTH from outside the relay networks: {r}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn accepted_domain_is_relayed_to_the_internal_host() {
    use testworld::net::{free_port, loopback};
    use testworld::smtp::{Behaviour, Receiver};
    let port = free_port(&[loopback(23)]);
    let internal = Receiver::start(
        std::net::SocketAddr::new(loopback(23), port),
        Behaviour::plain(),
    )
    .unwrap();
    let w = world(&format!(
        "[domain.\"internal.test\"]\nrelay = \"{}:{port}\"\n",
        loopback(23)
    ))
    .await;
    let reply = submit(&w, "alice@sender.test", &["dave@internal.test"]).await;
    assert!(reply.starts_with("250"), "{reply}");
    w.advance(Duration::ZERO).await;
    assert_eq!(
        internal.messages().len(),
        1,
        "relayed to the configured host"
    );
}
