//! One node on SQLite vs one node on PostgreSQL vs two nodes on one
//! PostgreSQL (issue 13): N messages submitted over SMTP by 20 clients
//! (spread over the nodes), then delivered over DANE-verified STARTTLS to a
//! receiver on loopback by every node at once. Prints messages per second
//! for queueing (durable before each 250) and for delivery.
//!
//!     cargo run --release -p sealane-server --example bench_nodes -- [N]
//!
//! PostgreSQL comes from `$SEALANE_TEST_POSTGRES_URL` or the private test
//! cluster (`scripts/pg-test-cluster.sh`).

#[path = "../tests/common/mod.rs"]
mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use common::{Internet, Load, internet, submit_load};
use dns::clock::ManualClock;
use server::config::Config;
use server::{Daemon, Scheduling};
use testworld::postgres::TestDatabase;

async fn node(net: &Internet, store: &str, name: &str, clock: &Arc<ManualClock>) -> Daemon {
    // Five batches of 50 at once per node, so that two nodes share a
    // single destination.
    let extra = format!("{store}\n[limits]\nper_destination = 5\n");
    let text = net
        .config_text(&extra, SocketAddr::from(([127, 0, 0, 1], 0)))
        .replace("\"mail.sender.test\"", &format!("\"{name}.sender.test\""));
    let config = Config::parse(&text, std::path::Path::new("bench.toml")).expect("valid");
    Daemon::start(config, clock.clone(), Scheduling::Manual)
        .await
        .expect("node starts")
}

async fn submit(nodes: &[Daemon], n: usize) {
    let listeners: Vec<_> = nodes.iter().map(|node| node.listening()[0].1).collect();
    let load = Load {
        range: 0..n,
        sender: "bench@sender.test",
        rcpt: "sink@dane.test",
        head: |i| format!("Subject: bench {i}\r\nMessage-ID: <b{i}@sender.test>\r\n"),
    };
    submit_load(&listeners, 20, load).await;
}

async fn work_until_empty(node: &Daemon) {
    loop {
        node.drain().await.expect("the store answers");
        if node.shared().store.list(1).await.expect("list").is_empty() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

async fn run(label: &str, n: usize, store: &str, nodes: usize) {
    let net = internet().await;
    let clock = Arc::new(ManualClock::new(SystemTime::now()));
    let mut daemons = Vec::new();
    for i in 0..nodes {
        daemons.push(node(&net, store, &format!("node-{i}"), &clock).await);
    }
    let start = Instant::now();
    submit(&daemons, n).await;
    let queued = start.elapsed();
    let start = Instant::now();
    let mut work = tokio::task::JoinSet::new();
    let daemons: Vec<Arc<Daemon>> = daemons.into_iter().map(Arc::new).collect();
    for d in &daemons {
        let d = d.clone();
        work.spawn(async move { work_until_empty(&d).await });
    }
    while work.join_next().await.is_some() {}
    let delivered = start.elapsed();
    assert!(
        net.receivers[0].messages().len() >= n,
        "every message delivered"
    );
    println!(
        "{label:<28} {n} messages: queued {:>6.0} msg/s, delivered {:>6.0} msg/s",
        n as f64 / queued.as_secs_f64(),
        n as f64 / delivered.as_secs_f64()
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000);
    run("one node, SQLite", n, "", 1).await;
    let db = TestDatabase::create().await;
    let pg = format!("[store]\nkind = \"postgres\"\nurl = \"{}\"\n", db.url);
    run("one node, PostgreSQL", n, &pg, 1).await;
    let db2 = TestDatabase::create().await;
    let pg2 = format!("[store]\nkind = \"postgres\"\nurl = \"{}\"\n", db2.url);
    run("two nodes, one PostgreSQL", n, &pg2, 2).await;
}
