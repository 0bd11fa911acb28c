//! A worker goes on with the mail that came due for its destination while
//! it delivered, on the connection it holds and in the slot it holds under
//! the per-destination limit, instead of closing the connection and
//! leaving the new mail to a new worker with a new TLS handshake.

mod common;

use std::time::Duration;

use common::{submit, world};
use testworld::smtp::{Behaviour, Step};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_worker_goes_on_with_new_mail_for_its_destination_on_its_connection() {
    const MORE: usize = 8;
    let w = world("[limits]\nper_destination = 1\n").await;
    w.receivers[0].set_behaviour(
        Behaviour::starttls(&w.dane_identity).delay_at(Step::Data, Duration::from_millis(400)),
    );
    let first = submit(&w, "alice@sender.test", &["r0@dane.test"]).await;
    assert!(first.starts_with("250"), "{first}");
    // While the first message is delivered (the receiver waits 400 ms
    // before its reply to DATA), more mail for the destination arrives.
    let more = async {
        for i in 1..=MORE {
            let reply = submit(&w, "alice@sender.test", &[&format!("r{i}@dane.test")]).await;
            assert!(reply.starts_with("250"), "{reply}");
        }
    };
    let (drained, ()) = tokio::join!(
        async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            w.daemon.drain().await
        },
        more
    );
    drained.expect("the store answers");
    w.advance(Duration::ZERO).await;
    let receiver = &w.receivers[0];
    assert_eq!(receiver.messages().len(), MORE + 1);
    let sessions = receiver.sessions().len();
    println!(
        "{} messages arriving during a delivery: {sessions} session(s)",
        MORE + 1
    );
    assert_eq!(
        sessions, 1,
        "the mail that arrived during the first delivery rides its connection"
    );
}
