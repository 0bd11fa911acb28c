//! `[queue] retention`: the daemon's hourly housekeeping deletes finished
//! messages (and their traces) once they are older than the retention,
//! and never a message with a recipient still to try.

mod common;

use std::time::Duration;

use common::{queue_id, submit, world};

const DAY: Duration = Duration::from_secs(86_400);

#[tokio::test(flavor = "multi_thread")]
async fn finished_messages_go_after_the_retention_and_queued_ones_stay() {
    let w = world("[queue]\nretention = \"30d\"\n\n[retry]\nexpire = \"90d\"\n").await;
    let delivered = queue_id(&submit(&w, "alice@sender.test", &["bob@dane.test"]).await);
    let deferred = queue_id(&submit(&w, "alice@sender.test", &["bob@dead.test"]).await);
    w.daemon.drain().await.expect("the store answers");
    let store = &w.daemon.shared().store;
    let found = |id: String| async move { !store.trace(&id).await.expect("trace").is_empty() };

    w.clock.advance(29 * DAY);
    assert_eq!(w.daemon.housekeeping().await.expect("purge"), 0);
    assert!(found(delivered.clone()).await, "within the retention");

    w.clock.advance(2 * DAY);
    assert_eq!(w.daemon.housekeeping().await.expect("purge"), 1);
    assert!(!found(delivered).await, "past the retention: gone");
    assert!(found(deferred).await, "still queued: kept whatever its age");
}

#[test]
fn a_retention_under_an_hour_is_refused() {
    let text = "[queue]\nretention = \"10m\"\n";
    let e =
        server::config::Config::parse(text, std::path::Path::new("t.toml")).expect_err("refused");
    assert!(e.to_string().contains("at least an hour"), "{e}");
}
