//! Inserts per second into the SQLite queue, one at a time and with many
//! sessions at once (group commit), each insert durable before it returns.
//!
//! `cargo run --release -p sealane-queue --example bench_insert [-- COUNT [SESSIONS] [DIR]]`
//! DIR defaults to a temporary directory; point it at the disk the server
//! will use, since the figure is mostly the disk's sync latency.

use std::sync::Arc;
use std::time::Instant;

use dns::clock::SystemClock;
use queue::{Envelope, MessageMeta, NewMessage, QueueId, SqliteStore, Store};

fn message(i: usize) -> NewMessage {
    let now = std::time::SystemTime::now();
    let id = QueueId::generate(now);
    let mut body = format!("Received: from bench\r\nSubject: bench {i}\r\n\r\n").into_bytes();
    body.resize(4096, b'x');
    NewMessage {
        id,
        envelope: Envelope::new("bench@example.org"),
        recipients: vec![smtp::Recipient::new(format!("r{}@example.net", i % 50))],
        meta: MessageMeta::new(now),
        body,
    }
}

async fn run(store: Arc<SqliteStore>, count: usize, sessions: usize) -> f64 {
    let before = store.write_stats();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for s in 0..sessions {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let mut i = s;
            while i < count {
                store.insert(message(i)).await.expect("insert");
                i += sessions;
            }
        }));
    }
    for task in tasks {
        task.await.expect("session");
    }
    let secs = started.elapsed().as_secs_f64();
    let after = store.write_stats();
    let rate = count as f64 / secs;
    println!(
        "{count} inserts of 4 KiB, {sessions} sessions: {secs:.2} s, {rate:.0} inserts/s, \
         {} commits ({:.1} inserts per sync)",
        after.commits - before.commits,
        (after.operations - before.operations) as f64 / (after.commits - before.commits) as f64
    );
    rate
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let count: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5000);
    let sessions: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(100);
    let temp = tempfile::tempdir().expect("temporary directory");
    let dir = args
        .get(3)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| temp.path().to_path_buf());
    let store = Arc::new(
        SqliteStore::open(dir.join("bench-queue.db"), Arc::new(SystemClock)).expect("open"),
    );
    let sequential = run(Arc::clone(&store), count.min(500), 1).await;
    let grouped = run(store, count, sessions).await;
    println!("group commit speed-up: {:.1}x", grouped / sequential);
}
