//! The daemon's memory with a deep queue: N messages (default 100,000)
//! submitted over SMTP by C concurrent clients to `sealane serve` (the
//! library, in this process) for `sink@dead.test`, whose MX nobody listens
//! on, so every attempt defers. A scheduler pass runs after every 1,000
//! submissions (each message gets its first attempt and is deferred), then
//! the clock moves past the first retry and one more pass tries all of
//! them again. Prints the process's RSS at about 1,000 queued messages, at
//! N, and after that last pass: it must not grow with the queue.
//!
//!     cargo run --release -p sealane-server --example bench_deferring_queue -- [N] [C]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{Load, World, submit_load, world};

/// Submissions between two scheduler passes.
const STEP: usize = 1_000;

/// A field of /proc/self/status in KiB (`VmRSS`, `VmHWM`).
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

/// Bytes of the queue's files (database and its write-ahead log).
fn queue_bytes(w: &World) -> u64 {
    let data = w.dir.path().join("data");
    ["queue.db", "queue.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(data.join(f)).ok())
        .map(|m| m.len())
        .sum()
}

/// Prints the process's RSS and the queue's state; returns the RSS in MiB.
async fn report(w: &World, label: &str, started: Instant) -> u64 {
    let summary = w
        .daemon
        .shared()
        .store
        .summary()
        .await
        .expect("the store answers");
    let (mut queued, mut deferred, mut in_flight) = (0, 0, 0);
    for d in &summary.by_domain {
        queued += d.queued;
        deferred += d.deferred;
        in_flight += d.in_flight;
    }
    println!(
        "{label}: RSS {} MiB (peak {} MiB; heap and stacks {} MiB, files {} MiB, shared memory {} MiB; {} threads); queue: {queued} queued, {deferred} deferred, {in_flight} in flight; queue files {} MiB; {:.1} s",
        status_kib("VmRSS:") / 1024,
        status_kib("VmHWM:") / 1024,
        status_kib("RssAnon:") / 1024,
        status_kib("RssFile:") / 1024,
        status_kib("RssShmem:") / 1024,
        status_kib("Threads:"),
        queue_bytes(w) / (1024 * 1024),
        started.elapsed().as_secs_f64(),
    );
    status_kib("VmRSS:") / 1024
}

/// Submits messages `from..to` over `c` concurrent SMTP sessions.
async fn submit(w: &World, from: usize, to: usize, c: usize) {
    let load = Load {
        range: from..to,
        sender: "bench@sender.test",
        rcpt: "sink@dead.test",
        head: |i| format!("Subject: deferred {i}\r\nMessage-ID: <d{i}@sender.test>\r\n"),
    };
    submit_load(&[w.submission()], c, load).await;
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let c: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let w = world("").await;
    let started = Instant::now();
    report(&w, "sealane-deferring: started", started).await;
    let mut queued = 0;
    let mut at_first_step = 0;
    let mut at_n = 0;
    while queued < n {
        let to = (queued + STEP).min(n);
        submit(&w, queued, to, c).await;
        queued = to;
        w.daemon.drain().await.expect("the store answers");
        if queued == STEP.min(n) || queued == n || queued % 20_000 == 0 {
            let rss = report(&w, &format!("sealane-deferring: {queued} queued"), started).await;
            if queued == STEP.min(n) {
                at_first_step = rss;
            }
            if queued == n {
                at_n = rss;
            }
        }
    }
    // Past the first retry (15 min, up to 10 % jitter): all are due again.
    let pass = Instant::now();
    w.advance(Duration::from_secs(20 * 60)).await;
    println!(
        "sealane-deferring: one pass over {n} deferred messages took {:.1} s",
        pass.elapsed().as_secs_f64()
    );
    let after = report(
        &w,
        &format!("sealane-deferring: {n} queued, after one more pass"),
        started,
    )
    .await;
    // A second pass (past the next hourly retry) and an idle pause, after
    // which the runtime's idle blocking threads (10 s keep-alive) are gone.
    let pass = Instant::now();
    w.advance(Duration::from_secs(70 * 60)).await;
    println!(
        "sealane-deferring: a second pass took {:.1} s",
        pass.elapsed().as_secs_f64()
    );
    report(&w, "sealane-deferring: after the second pass", started).await;
    tokio::time::sleep(Duration::from_secs(12)).await;
    let idle = report(&w, "sealane-deferring: after 12 s idle", started).await;
    println!(
        "sealane-deferring: RSS {at_first_step} MiB at {} queued, {at_n} MiB at {n}, {after} MiB after the pass, {idle} MiB after 12 s idle; SQLite page caches are bounded at 2 MiB (writer) + 8 x {} KiB (readers)",
        STEP.min(n),
        queue::SqliteStore::READER_CACHE_KIB,
    );
}
