//! Outbound pools (DESIGN §3) seen from the receiving side: each rule
//! sends the message from its pool's source address and EHLO name, and
//! the trace names the pool and why.

mod common;

use std::time::Duration;

use common::{ExtraDomain, World, queue_id, world_with_domains};
use queue::EventKind;
use testworld::smtp::{Behaviour, Step};

const POOLS: &str = r#"
[pools.normal]
source = ["127.0.0.151"]
ehlo = "normal.sender.test"

[pools.high-risk]
source = ["127.0.0.152"]
ehlo = "risk.sender.test"

[pools.relay]
source = ["127.0.0.153"]
ehlo = "relay.sender.test"

[pools.bulk]
source = ["127.0.0.154"]
ehlo = "bulk.sender.test"
senders = ["news@sender.test"]
"#;

/// `pools.test` (receiver 2, on 127.0.0.171), `refuse.test` (receiver 3,
/// on 127.0.0.172,
/// refusing every recipient for good) and `empty.test`, a signed domain
/// with neither MX nor address records.
async fn pools_world() -> World {
    world_with_domains(
        POOLS,
        "",
        vec![
            ExtraDomain {
                name: "pools.test",
                hosts: vec![(171, Behaviour::plain())],
            },
            ExtraDomain {
                name: "refuse.test",
                hosts: vec![(172, Behaviour::plain().permanent_at(Step::Rcpt))],
            },
            ExtraDomain {
                name: "empty.test",
                hosts: vec![],
            },
        ],
    )
    .await
}

async fn send(w: &World, from: &str, to: &str) -> String {
    let reply = common::submit(w, from, &[to]).await;
    assert!(reply.starts_with("250"), "{reply}");
    w.advance(Duration::ZERO).await;
    queue_id(&reply)
}

/// The source address and EHLO name of the receiver's last session.
fn last_seen(w: &World, receiver: usize) -> (String, String) {
    let sessions = w.receivers[receiver].sessions();
    let last = sessions.last().expect("a session");
    (
        last.peer.ip().to_string(),
        last.ehlo.clone().unwrap_or_default(),
    )
}

async fn pool_of(w: &World, id: &str) -> (String, String) {
    let traces = w.daemon.shared().store.trace(id).await.unwrap();
    let received = traces[0]
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Received(meta) => Some(meta.clone()),
            _ => None,
        })
        .expect("the trace starts with the arrival");
    (received.pool, received.pool_reason)
}

#[tokio::test(flavor = "multi_thread")]
async fn each_rule_sends_from_its_pools_address_and_the_trace_says_why() {
    let w = pools_world().await;

    let id = send(&w, "alice@sender.test", "user@pools.test").await;
    assert_eq!(
        last_seen(&w, 2),
        ("127.0.0.151".into(), "normal.sender.test".into())
    );
    assert_eq!(
        pool_of(&w, &id).await,
        ("normal".into(), "no rule applied".into())
    );

    let id = send(&w, "News@sender.test", "user@pools.test").await;
    assert_eq!(
        last_seen(&w, 2),
        ("127.0.0.154".into(), "bulk.sender.test".into())
    );
    assert_eq!(
        pool_of(&w, &id).await,
        (
            "bulk".into(),
            "pool given to sender news@sender.test".into()
        )
    );

    // Relayed for a sender of a domain not ours, with no SPF or DKIM.
    let id = send(&w, "news@pools.test", "user@pools.test").await;
    assert_eq!(
        last_seen(&w, 2),
        ("127.0.0.153".into(), "relay.sender.test".into())
    );
    assert_eq!(
        pool_of(&w, &id).await,
        (
            "relay".into(),
            "relayed; the sender could not be validated (not ours, no SPF or DKIM pass)".into()
        )
    );

    let id = send(&w, "someone@empty.test", "user@pools.test").await;
    assert_eq!(
        last_seen(&w, 2),
        ("127.0.0.152".into(), "risk.sender.test".into())
    );
    assert_eq!(
        pool_of(&w, &id).await,
        (
            "high-risk".into(),
            "sender domain empty.test has neither A/AAAA nor MX".into()
        )
    );
    assert_eq!(w.receivers[2].messages().len(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_non_delivery_report_leaves_from_the_high_risk_pool() {
    let w = pools_world().await;
    // The message leaves from `relay`; its bounce goes out high-risk.
    let id = send(&w, "news@pools.test", "nobody@refuse.test").await;
    assert_eq!(
        last_seen(&w, 3),
        ("127.0.0.153".into(), "relay.sender.test".into())
    );
    w.advance(Duration::ZERO).await;
    let ndr = w.receivers[2].messages();
    assert_eq!(ndr.len(), 1, "the NDR reached the sender's domain");
    assert_eq!(ndr[0].envelope.sender, "");
    assert_eq!(
        last_seen(&w, 2),
        ("127.0.0.152".into(), "risk.sender.test".into())
    );
    let traces = w
        .daemon
        .shared()
        .store
        .trace("news@pools.test")
        .await
        .unwrap();
    let notice = traces
        .iter()
        .find(|m| m.id.to_string() != id)
        .expect("the NDR is in the queue's trace");
    assert_eq!(notice.meta.pool, "high-risk");
    assert_eq!(
        notice.meta.pool_reason,
        "a notice (NDR, DSN or delay) we generated"
    );
}
