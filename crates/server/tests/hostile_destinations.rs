//! A hostile destination costs the daemon a bounded number of
//! worker-seconds per message (issue 20): MX hosts that accept TCP and
//! never greet are given up on after their greeting limit and remembered,
//! so a queue of 200 messages costs a few connections and about one
//! attempt's time; a server that answers every step just under its limit
//! is cut by the connection and attempt deadlines. Every message is
//! deferred (4.x.x), never bounced. The limits are the daemon's
//! `[outbound]` keys, set short; the receivers delay in real time.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{ExtraDomain, Talk, World, world_with_domains};
use queue::{EventKind, MessageDetail};
use testworld::smtp::Behaviour;

/// One second a step.
const STEP_LIMITS: &str = r#"
[outbound.timeouts]
connect = "1s"
greeting = "1s"
command = "1s"
tls_handshake = "1s"
mail = "1s"
rcpt = "1s"
data_init = "1s"
data_block = "1s"
data_termination = "1s"
"#;

/// Submits `count` messages to `to` over `clients` connections.
async fn queue_messages(w: &World, to: &'static str, count: usize, clients: usize) {
    let submission = w.submission();
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            let (mut talk, _) = Talk::connect(submission).await;
            talk.send("EHLO client.sender.test").await;
            while next.fetch_add(1, Ordering::Relaxed) < count {
                let reply = talk
                    .mail("alice@sender.test", &[to], "Subject: h\r\n\r\nx")
                    .await;
                assert!(reply.starts_with("250"), "{reply}");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

/// The deferral of each message, after checking that none was delivered,
/// bounced or expired.
fn deferrals(traces: &[MessageDetail]) -> Vec<queue::TroubleRecord> {
    traces
        .iter()
        .map(|m| {
            for e in &m.events {
                assert!(
                    !matches!(
                        e.kind,
                        EventKind::Bounced { .. }
                            | EventKind::Expired { .. }
                            | EventKind::Delivered { .. }
                    ),
                    "{:?}",
                    e.kind
                );
            }
            m.events
                .iter()
                .find_map(|e| match &e.kind {
                    EventKind::Deferred { trouble, .. } => Some(trouble.clone()),
                    _ => None,
                })
                .expect("every message is deferred")
        })
        .collect()
}

/// The connections each receiver saw.
fn connections(w: &World, receivers: std::ops::Range<usize>) -> Vec<usize> {
    w.receivers[receivers]
        .iter()
        .map(|r| r.sessions().len())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn mx_hosts_that_never_greet_cost_a_few_connections_and_one_attempts_time_for_200_messages() {
    const MESSAGES: usize = 200;
    let w = world_with_domains(
        STEP_LIMITS,
        "attempt_deadline = \"5s\"\n",
        vec![ExtraDomain {
            name: "silent.test",
            hosts: vec![
                (31, Behaviour::never_greets()),
                (32, Behaviour::never_greets()),
                (33, Behaviour::never_greets()),
            ],
        }],
    )
    .await;
    queue_messages(&w, "x@silent.test", MESSAGES, 10).await;

    let started = Instant::now();
    w.advance(Duration::ZERO).await;
    let took = started.elapsed();

    let seen = connections(&w, 2..5);
    let total: usize = seen.iter().sum();
    let traces = w
        .daemon
        .shared()
        .store
        .trace("x@silent.test")
        .await
        .unwrap();
    assert_eq!(traces.len(), MESSAGES);
    let deferrals = deferrals(&traces);
    println!(
        "{MESSAGES} messages to 3 MX hosts that never greet: {total} connections {seen:?}, \
         one drain {took:?}, last cause {:?}",
        deferrals.last().map(|t| (&t.code, &t.cause))
    );
    for trouble in &deferrals {
        assert_eq!(trouble.code.class, smtp::Class::Transient, "{trouble:?}");
    }
    // The scheduler hands the domain to one worker per 50 messages (4
    // here); each gives up on a host after its greeting limit and every
    // worker skips what another remembered: at most one connection per
    // worker and host, not one per message (600).
    assert!(
        (3..=12).contains(&total),
        "{total} connections to hosts that never greet"
    );
    // About one attempt (three greetings of 1 s, within the attempt's 5 s),
    // not messages × greeting limit (200 s and more).
    assert!(took < Duration::from_secs(8), "one drain took {took:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn servers_that_drip_just_under_each_step_limit_are_cut_by_the_connection_and_attempt_deadlines()
 {
    const MESSAGES: usize = 3;
    // Each reply comes 1.5 s late, under the 2 s limit of every step: the
    // session would last about 9 s; the connection may last 4 s and the
    // attempt 6 s.
    let drip = || Behaviour::plain().slow_at_every_step(Duration::from_millis(1500));
    let w = world_with_domains(
        &STEP_LIMITS.replace("\"1s\"", "\"2s\""),
        "attempt_deadline = \"6s\"\nconnection_deadline = \"4s\"\n",
        vec![ExtraDomain {
            name: "drip.test",
            hosts: vec![(34, drip()), (35, drip())],
        }],
    )
    .await;
    queue_messages(&w, "x@drip.test", MESSAGES, 1).await;

    let started = Instant::now();
    w.advance(Duration::ZERO).await;
    let took = started.elapsed();

    let seen = connections(&w, 2..4);
    let traces = w.daemon.shared().store.trace("x@drip.test").await.unwrap();
    assert_eq!(traces.len(), MESSAGES);
    let deferrals = deferrals(&traces);
    let cut: Vec<_> = traces
        .iter()
        .flat_map(|m| &m.events)
        .filter_map(|e| match &e.kind {
            EventKind::Attempt(a) => a.trouble.as_ref().map(|t| (a.mx.clone(), t.detail.clone())),
            _ => None,
        })
        .collect();
    println!(
        "{MESSAGES} messages to 2 dripping MX hosts: connections {seen:?}, one drain {took:?}, \
         {:.1} worker-seconds per message; deferred {:?}; cut: {cut:?}",
        took.as_secs_f64() / MESSAGES as f64,
        deferrals
            .iter()
            .map(|t| (&t.code, &t.detail))
            .collect::<Vec<_>>()
    );
    for trouble in &deferrals {
        assert_eq!(trouble.code.class, smtp::Class::Transient, "{trouble:?}");
    }
    // The first message: the first host is cut by the connection's
    // deadline, the second by what is left of the attempt's, which names
    // the recipient's deferral.
    let named = deferrals
        .iter()
        .filter(|t| t.detail.contains("the attempt's deadline of 6s passed"))
        .count();
    assert_eq!(named, 1, "{deferrals:?}");
    assert_eq!(cut.len(), 2, "one connection per host: {cut:?}");
    assert!(
        cut[0].1.contains("the connection's deadline of 4s passed"),
        "{cut:?}"
    );
    assert!(
        cut[1].1.contains("the attempt's deadline of 6s passed"),
        "{cut:?}"
    );
    // The hosts are remembered as timed out: the other messages cost no
    // connection, and the three together about one attempt's deadline.
    assert_eq!(seen, vec![1, 1]);
    assert!(
        took < Duration::from_millis(7500),
        "one drain took {took:?}"
    );
    for r in &w.receivers[2..4] {
        assert!(r.messages().is_empty(), "nothing is delivered by a drip");
    }
}
