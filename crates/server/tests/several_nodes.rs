//! Several daemons on one PostgreSQL queue (issue 13): they share the work
//! without delivering a recipient twice, a node that stops mid-run leaves
//! its recipients to the others once its leases lapse, and the
//! per-destination limit holds for all nodes together, and a node started
//! later joins with nothing but the database URL.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use common::{Internet, Talk, internet};
use dns::clock::ManualClock;
use queue::EventKind;
use server::config::Config;
use server::{Daemon, Scheduling};
use testworld::postgres::TestDatabase;
use testworld::smtp::{Behaviour, Step};

/// A daemon named `name` on the world's zones and receivers, its queue in
/// `db`, its submission listener on a free port.
async fn node(
    net: &Internet,
    db: &TestDatabase,
    name: &str,
    extra: &str,
    clock: &Arc<ManualClock>,
) -> Daemon {
    let store = format!(
        "{extra}\n[store]\nkind = \"postgres\"\nurl = \"{}\"\n",
        db.url
    );
    let text = net
        .config_text(&store, SocketAddr::from(([127, 0, 0, 1], 0)))
        .replace("\"mail.sender.test\"", &format!("\"{name}.sender.test\""));
    let config = Config::parse(&text, std::path::Path::new("test.toml")).expect("valid");
    Daemon::start(config, clock.clone(), Scheduling::Manual)
        .await
        .expect("node starts")
}

fn submission(node: &Daemon) -> SocketAddr {
    node.listening()[0].1
}

/// Submits `count` messages, one recipient each (`u<i>@dane.test`), over
/// 20 sessions spread across `nodes`.
async fn submit_all(nodes: &[&Daemon], count: usize) {
    let next = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for c in 0..20 {
        let addr = submission(nodes[c % nodes.len()]);
        let next = next.clone();
        clients.push(tokio::spawn(async move {
            let (mut talk, _) = Talk::connect(addr).await;
            talk.send("EHLO client.sender.test").await;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                let to = format!("u{i}@dane.test");
                let body = format!("Subject: m{i}\r\nMessage-ID: <m{i}@sender.test>\r\n\r\nx");
                let reply = talk.mail("alice@sender.test", &[&to], &body).await;
                assert!(reply.starts_with("250"), "{reply}");
            }
        }));
    }
    for c in clients {
        c.await.expect("client");
    }
}

/// Runs `node`'s scheduler until nothing is pending in the shared queue:
/// [`Daemon::drain`] returns when this node finds nothing to claim, which
/// may be because another node holds it for now.
async fn work_until_empty(node: &Daemon) {
    loop {
        node.drain().await.expect("the store answers");
        if node.shared().store.list(1).await.expect("list").is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// How many times each recipient reached the receiver.
fn deliveries(net: &Internet) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    for m in net.receivers[0].messages() {
        for address in m.recipient_addresses() {
            *seen.entry(address.to_owned()).or_default() += 1;
        }
    }
    seen
}

fn check_all_delivered(seen: &BTreeMap<String, usize>, count: usize) -> usize {
    for i in 0..count {
        assert!(
            seen.contains_key(&format!("u{i}@dane.test")),
            "u{i}@dane.test never delivered"
        );
    }
    assert_eq!(seen.len(), count, "only the submitted recipients");
    seen.values().map(|n| n - 1).sum()
}

const MESSAGES: usize = 1000;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_drain_a_thousand_messages_and_deliver_each_once() {
    let net = internet().await;
    let db = TestDatabase::create().await;
    let clock = Arc::new(ManualClock::new(SystemTime::now()));
    // Five batches (of 50) per node at once would be ten per node with
    // the default limit of 20 per destination: one node would claim the
    // whole queue at once.
    let limits = "[limits]\nper_destination = 5\n";
    let a = node(&net, &db, "node-a", limits, &clock).await;
    let b = node(&net, &db, "node-b", limits, &clock).await;
    let started = Instant::now();
    submit_all(&[&a, &b], MESSAGES).await;
    let queued = started.elapsed();
    let started = Instant::now();
    tokio::join!(work_until_empty(&a), work_until_empty(&b));
    let drained = started.elapsed();
    let seen = deliveries(&net);
    let duplicates = check_all_delivered(&seen, MESSAGES);
    println!(
        "{MESSAGES} messages: queued through two nodes in {queued:?}, delivered by two nodes in \
         {drained:?} ({:.0} msg/s), {duplicates} duplicates",
        MESSAGES as f64 / drained.as_secs_f64()
    );
    assert_eq!(
        duplicates, 0,
        "no node crashed, so nothing is delivered twice"
    );

    // Each node did part of the work, and each sees every message.
    let mut by_node = BTreeMap::<String, usize>::new();
    for m in net.receivers[0].messages() {
        *by_node
            .entry(m.session.helo.clone().unwrap_or_default())
            .or_default() += 1;
    }
    println!("deliveries by node: {by_node:?}");
    assert_eq!(by_node.len(), 2, "both nodes delivered: {by_node:?}");
    for i in (0..MESSAGES).step_by(97) {
        let found = b
            .shared()
            .store
            .trace(&format!("<m{i}@sender.test>"))
            .await
            .unwrap();
        assert_eq!(found.len(), 1, "node b traces m{i}");
        assert!(
            found[0]
                .events
                .iter()
                .any(|e| matches!(e.kind, EventKind::Delivered { .. }))
        );
    }
    assert!(
        a.shared().store.list(10).await.unwrap().is_empty(),
        "nothing pending"
    );
    a.stop().await;
    b.stop().await;
}

/// The figure: 10,000 messages through three nodes, the third
/// started once the others are at work, configured with nothing but the
/// database URL (and its own name): it takes its share of the queue.
const MANY: usize = 10_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_nodes_one_joining_late_drain_ten_thousand_messages_each_once() {
    let net = internet().await;
    let db = TestDatabase::create().await;
    let clock = Arc::new(ManualClock::new(SystemTime::now()));
    let limits = "[limits]\nper_destination = 5\n";
    let a = node(&net, &db, "node-a", limits, &clock).await;
    let b = node(&net, &db, "node-b", limits, &clock).await;
    let started = Instant::now();
    submit_all(&[&a, &b], MANY).await;
    let queued = started.elapsed();
    let started = Instant::now();
    let joining = async {
        net.receivers[0]
            .wait_for_messages(MANY / 10, Duration::from_secs(300))
            .await
            .expect("nodes a and b deliver");
        let c = node(&net, &db, "node-c", limits, &clock).await;
        work_until_empty(&c).await;
        c
    };
    let ((), (), c) = tokio::join!(work_until_empty(&a), work_until_empty(&b), joining);
    let drained = started.elapsed();
    let seen = deliveries(&net);
    let duplicates = check_all_delivered(&seen, MANY);
    let mut by_node = BTreeMap::<String, usize>::new();
    for m in net.receivers[0].messages() {
        *by_node
            .entry(m.session.helo.clone().unwrap_or_default())
            .or_default() += 1;
    }
    println!(
        "{MANY} messages: queued through two nodes in {queued:?}, delivered by three nodes \
         (one joining late) in {drained:?} ({:.0} msg/s), {duplicates} duplicates; \
         deliveries by node: {by_node:?}",
        MANY as f64 / drained.as_secs_f64()
    );
    assert_eq!(
        duplicates, 0,
        "no node crashed, so nothing is delivered twice"
    );
    assert_eq!(by_node.len(), 3, "every node delivered: {by_node:?}");
    assert!(
        c.shared().store.list(10).await.unwrap().is_empty(),
        "nothing pending"
    );
    for node in [a, b, c] {
        node.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_stopped_mid_run_leaves_its_recipients_to_the_other() {
    const COUNT: usize = 300;
    let net = internet().await;
    let db = TestDatabase::create().await;
    let clock = Arc::new(ManualClock::new(SystemTime::now()));
    let a = node(&net, &db, "node-a", "", &clock).await;
    let b = node(&net, &db, "node-b", "", &clock).await;
    submit_all(&[&a, &b], COUNT).await;
    // Slow deliveries, so that node a is stopped with batches in flight.
    net.receivers[0].set_behaviour(
        Behaviour::starttls(&net.dane_identity).delay_at(Step::Data, Duration::from_millis(20)),
    );

    let shared = a.shared().clone();
    let running = tokio::spawn(async move { server::Scheduler::new(shared).drain().await });
    net.receivers[0]
        .wait_for_messages(50, Duration::from_secs(60))
        .await
        .expect("node a delivers");
    // Node a stops dead: its workers vanish mid-delivery, leases held.
    running.abort();
    let _ = running.await;
    a.stop().await;
    let in_flight: u64 = b
        .shared()
        .store
        .summary()
        .await
        .unwrap()
        .by_domain
        .iter()
        .map(|d| d.in_flight)
        .sum();
    let before = net.receivers[0].messages().len();
    assert!(in_flight > 0, "node a held leases when it stopped");
    assert!(before < COUNT, "node a stopped before the end");

    // Nothing moves until node a's leases lapse (default 15 minutes).
    net.receivers[0].set_behaviour(Behaviour::starttls(&net.dane_identity));
    b.drain().await.unwrap();
    // Node a's last outcomes may still commit (a worker commits them while
    // it delivers the next message), so its leases can only shrink; node
    // b delivers none of them.
    let summary = b.shared().store.summary().await.unwrap();
    let still = summary.by_domain.iter().map(|d| d.in_flight).sum::<u64>();
    assert!(
        still > 0 && still <= in_flight,
        "node b leaves node a's leases alone while they last ({still} of {in_flight})"
    );
    let by_b = net.receivers[0]
        .messages()
        .iter()
        .filter(|m| m.session.helo.as_deref() == Some("node-b.sender.test"))
        .count();
    assert_eq!(by_b, 0, "node b took none of node a's leased recipients");
    clock.advance(Duration::from_secs(16 * 60));
    b.drain().await.unwrap();

    let seen = deliveries(&net);
    let duplicates = check_all_delivered(&seen, COUNT);
    println!(
        "{COUNT} messages, node a stopped after {before} deliveries with {in_flight} recipients \
         in flight; node b finished; {duplicates} delivered twice"
    );
    assert!(
        duplicates as u64 <= in_flight,
        "only recipients in flight when node a stopped may be delivered twice"
    );
    assert!(
        b.shared().store.list(10).await.unwrap().is_empty(),
        "nothing pending"
    );
    let mut taken_over = 0;
    for i in 0..COUNT {
        let trace = b
            .shared()
            .store
            .trace(&format!("u{i}@dane.test"))
            .await
            .unwrap();
        taken_over += trace[0]
            .events
            .iter()
            .filter(|e| matches!(&e.kind, EventKind::LeaseLapsed { owner } if owner.starts_with("node-a")))
            .count();
    }
    assert!(
        taken_over > 0 && taken_over as u64 <= in_flight,
        "the lapsed leases are in the trace: {taken_over} of at most {in_flight}"
    );
    b.stop().await;
}

/// With a limit of two deliveries at once per destination, two nodes
/// together never open more than two sessions to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_per_destination_limit_holds_across_nodes() {
    const COUNT: usize = 400;
    let net = internet().await;
    let db = TestDatabase::create().await;
    let clock = Arc::new(ManualClock::new(SystemTime::now()));
    let limits = "[limits]\nper_destination = 2\n";
    let a = node(&net, &db, "node-a", limits, &clock).await;
    let b = node(&net, &db, "node-b", limits, &clock).await;
    submit_all(&[&a, &b], COUNT).await;
    net.receivers[0].set_behaviour(
        Behaviour::starttls(&net.dane_identity).delay_at(Step::Data, Duration::from_millis(5)),
    );
    let receiver = &net.receivers[0];
    let sampling = async {
        let mut most = 0;
        while receiver.messages().len() < COUNT {
            let open = receiver
                .sessions()
                .iter()
                .filter(|s| s.end.is_none())
                .count();
            most = most.max(open);
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        most
    };
    let ((), (), most) = tokio::join!(work_until_empty(&a), work_until_empty(&b), sampling);
    println!("at most {most} sessions at once to dane.test from two nodes");
    assert!(
        most <= 2,
        "{most} sessions at once; the limit is 2 for all nodes"
    );
    assert!(most >= 1);
    assert_eq!(check_all_delivered(&deliveries(&net), COUNT), 0);
    a.stop().await;
    b.stop().await;
}
