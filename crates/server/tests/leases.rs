//! Leases on claimed recipients: a batch that takes longer than one lease
//! keeps it, so no second worker delivers the same message meanwhile.

mod common;

use std::time::Duration;

use common::{submit, world};
use server::Scheduler;
use testworld::smtp::{Behaviour, Step};

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_longer_than_its_lease_renews_it_and_delivers_each_message_once() {
    let w = world("[queue]\nlease = \"10m\"\n").await;
    for _ in 0..3 {
        let reply = submit(&w, "alice@sender.test", &["bob@dane.test"]).await;
        assert!(reply.starts_with("250"), "{reply}");
    }
    // Each delivery waits at DATA, so the clock moves while the batch of
    // three runs: six minutes after each message, twelve in all.
    w.receivers[0].set_behaviour(
        Behaviour::starttls(&w.dane_identity).delay_at(Step::Data, Duration::from_millis(400)),
    );
    let shared = w.daemon.shared().clone();
    let drain = tokio::spawn(async move { Scheduler::new(shared).drain().await });
    for n in 1..=2 {
        w.receivers[0]
            .wait_for_messages(n, Duration::from_secs(20))
            .await
            .unwrap();
        // The clock moves only once the delivery is recorded: six minutes
        // of the test's clock pass in an instant, and on a loaded machine
        // the commit of an outcome can take longer than that instant, so
        // the lease would lapse under a delivery that a real clock would
        // have seen recorded in milliseconds.
        let store = &w.daemon.shared().store;
        let recorded = async {
            while store.list(100).await.unwrap().len() > 3 - n {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(20), recorded)
            .await
            .expect("the delivery is recorded");
        w.clock.advance(Duration::from_secs(6 * 60));
    }
    drain.await.unwrap().unwrap();
    w.advance(Duration::ZERO).await;
    let got = w.receivers[0].messages();
    assert_eq!(
        got.len(),
        3,
        "each message delivered once, none again after a lapsed lease"
    );
    let summary = w.daemon.shared().store.list(100).await.unwrap();
    assert!(summary.is_empty(), "all delivered: {summary:?}");
}
