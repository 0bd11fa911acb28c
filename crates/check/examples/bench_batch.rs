//! Batch benchmark: builds a test world of N domains (default 1,000; each
//! with MX, TLSA, MTA-STS and SPF), checks them all with the batch checker
//! and prints domains per second.
//!
//! ```text
//! cargo run -p sealane-check --example bench_batch -- [DOMAINS] [CONCURRENCY]
//! ```

mod bench_world;

use std::collections::BTreeMap;
use std::time::Instant;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let count: usize = args
        .next()
        .map_or(1000, |a| a.parse().expect("DOMAINS is a number"));
    let concurrency: usize = args.next().map_or(check::batch::DEFAULT_CONCURRENCY, |a| {
        a.parse().expect("CONCURRENCY is a number")
    });
    let built = Instant::now();
    let world = bench_world::start(count, 141).await;
    eprintln!("world of {count} domains built in {:.1?}", built.elapsed());
    let started = Instant::now();
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    let mut worst: BTreeMap<&'static str, usize> = BTreeMap::new();
    check::batch::check_all(
        world.checker.clone(),
        world.domains.clone(),
        concurrency,
        |_, report| {
            let outcome =
                serde_json::to_value(&report.verdict).expect("verdicts serialize")["outcome"]
                    .as_str()
                    .unwrap_or("?")
                    .to_owned();
            *outcomes.entry(outcome).or_default() += 1;
            *worst.entry(report.worst.as_str()).or_default() += 1;
        },
    )
    .await;
    let elapsed = started.elapsed();
    println!(
        "{count} domains in {:.2?} with concurrency {concurrency}: {:.1} domains/s",
        elapsed,
        count as f64 / elapsed.as_secs_f64()
    );
    println!("verdicts: {outcomes:?}; worst severities: {worst:?}");
}
