//! Batch mode over 1,000 domains of the test world: every domain is
//! checked once, with one shared resolver, and each is found deliverable
//! over DANE without errors.

#[path = "../examples/bench_world/mod.rs"]
mod bench_world;

use std::collections::BTreeSet;

use check::Severity;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_checks_a_thousand_domains() {
    let world = bench_world::start(1000, 151).await;
    let mut seen = BTreeSet::new();
    let mut failures = Vec::new();
    check::batch::check_all(
        world.checker.clone(),
        world.domains.clone(),
        32,
        |index, report| {
            assert_eq!(report.domain, bench_world::domain(index));
            assert!(seen.insert(index), "{index} reported twice");
            let deliverable = report
                .findings
                .iter()
                .any(|f| f.id == "delivery-deliverable");
            if report.worst == Severity::Error || !deliverable {
                failures.push(report);
            }
        },
    )
    .await;
    assert_eq!(seen.len(), 1000);
    assert!(
        failures.is_empty(),
        "{} failed, first: {:#?}",
        failures.len(),
        failures.first()
    );
}
