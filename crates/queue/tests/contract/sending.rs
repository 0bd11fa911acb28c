//! Sending limits: counted per subject in the store, a subject blocked
//! when a message would take it over a limit, released by an
//! administrator, and shared by every handle (node) on one store.

use std::time::Duration;

use dns::clock::ManualClock;
use queue::{
    EventKind, LimitKind, RecipientState, SendingLimits, SendingRequest, SendingVerdict, Store,
    Subject, SubjectKind,
};

use super::{MIN, message, trouble};

fn limits(per_hour: u64, per_day: u64, per_minute: u64) -> SendingLimits {
    SendingLimits {
        recipients_per_hour: per_hour,
        recipients_per_day: per_day,
        messages_per_minute: per_minute,
    }
}

fn request(user: &str, recipients: u64, user_limits: SendingLimits) -> SendingRequest {
    SendingRequest {
        subjects: vec![
            (Subject::user(user), user_limits),
            (Subject::domain("Example.ORG"), limits(1000, 1000, 1000)),
        ],
        recipients,
    }
}

async fn count(store: &dyn Store, req: SendingRequest) -> SendingVerdict {
    store.count_sending(req).await.expect("count")
}

/// Recipients are counted, not messages: a message to three recipients
/// counts three against the hourly limit. The message that would go over
/// blocks the user, it is listed and stays blocked until released, and a
/// release starts the counts again.
pub async fn sending_limits_block_and_release(store: &dyn Store, clock: &ManualClock) {
    let alice = limits(5, 100, 100);
    assert_eq!(
        count(store, request("alice", 3, alice)).await,
        SendingVerdict::Within
    );
    assert_eq!(
        count(store, request("alice", 2, alice)).await,
        SendingVerdict::Within
    );
    // Another user's counts are their own.
    assert_eq!(
        count(store, request("bob", 5, alice)).await,
        SendingVerdict::Within
    );
    let SendingVerdict::Blocked(block) = count(store, request("alice", 1, alice)).await else {
        panic!("the sixth recipient in an hour goes over a limit of 5");
    };
    assert_eq!(block.subject, Subject::user("alice"));
    assert_eq!(
        (block.limit, block.count, block.allowed),
        (LimitKind::RecipientsPerHour, 6, 5)
    );

    // Blocked until released, even once the hour has passed.
    clock.advance(Duration::from_secs(2 * 3600));
    assert!(
        matches!(count(store, request("alice", 1, alice)).await, SendingVerdict::Blocked(b) if b.limit == LimitKind::RecipientsPerHour)
    );
    let listed = store.sending_blocks().await.expect("list");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].subject.kind, SubjectKind::User);
    assert_eq!(
        store
            .sending_block(&[Subject::domain("example.org"), Subject::user("alice")])
            .await
            .expect("read"),
        Some(block.clone())
    );
    assert_eq!(
        store
            .sending_block(&[Subject::user("bob")])
            .await
            .expect("read"),
        None
    );

    assert_eq!(store.release_sending("alice").await.expect("release"), 1);
    assert_eq!(store.release_sending("alice").await.expect("release"), 0);
    assert!(store.sending_blocks().await.expect("list").is_empty());
    assert_eq!(
        count(store, request("alice", 5, alice)).await,
        SendingVerdict::Within
    );

    // Messages per minute: the minute after, the count starts again.
    let fast = limits(1000, 1000, 2);
    assert_eq!(
        count(store, request("carol", 1, fast)).await,
        SendingVerdict::Within
    );
    assert_eq!(
        count(store, request("carol", 1, fast)).await,
        SendingVerdict::Within
    );
    clock.advance(MIN);
    assert_eq!(
        count(store, request("carol", 1, fast)).await,
        SendingVerdict::Within
    );
    assert!(matches!(
        count(store, request("carol", 1, fast)).await,
        SendingVerdict::Within
    ));
    assert!(matches!(
        count(store, request("carol", 1, fast)).await,
        SendingVerdict::Blocked(b) if b.limit == LimitKind::MessagesPerMinute && b.allowed == 2
    ));

    // The daily window slides: a day later the old recipients are gone.
    let daily = limits(1000, 4, 1000);
    assert_eq!(
        count(store, request("dave", 4, daily)).await,
        SendingVerdict::Within
    );
    clock.advance(Duration::from_secs(24 * 3600));
    assert_eq!(
        count(store, request("dave", 4, daily)).await,
        SendingVerdict::Within
    );
}

/// A sender domain is a subject of its own: its users together go over
/// its limit, and the user who sent the message that crossed it is not
/// the one blocked.
pub async fn sender_domain_limit_counts_every_user(store: &dyn Store, _clock: &ManualClock) {
    let user = limits(100, 100, 100);
    let req = |name: &str| SendingRequest {
        subjects: vec![
            (Subject::user(name), user),
            (Subject::domain("example.org"), limits(4, 100, 100)),
        ],
        recipients: 2,
    };
    assert_eq!(count(store, req("alice")).await, SendingVerdict::Within);
    assert_eq!(count(store, req("bob")).await, SendingVerdict::Within);
    let SendingVerdict::Blocked(block) = count(store, req("carol")).await else {
        panic!("the domain's fifth and sixth recipients go over its limit of 4");
    };
    assert_eq!(block.subject, Subject::domain("example.org"));
    assert_eq!(
        store
            .sending_block(&[Subject::user("carol")])
            .await
            .expect("read"),
        None
    );
    assert_eq!(
        store.release_sending("EXAMPLE.org").await.expect("release"),
        1
    );
}

/// Two handles on one store (two nodes) share the counts and the blocks:
/// what one counted, the other sees, and a release on one frees both.
pub async fn sending_counts_are_shared(a: &dyn Store, b: &dyn Store, _clock: &ManualClock) {
    let l = limits(4, 100, 100);
    assert_eq!(
        count(a, request("alice", 2, l)).await,
        SendingVerdict::Within
    );
    assert_eq!(
        count(b, request("alice", 2, l)).await,
        SendingVerdict::Within
    );
    assert!(matches!(
        count(a, request("alice", 1, l)).await,
        SendingVerdict::Blocked(_)
    ));
    assert!(
        b.sending_block(&[Subject::user("alice")])
            .await
            .expect("read")
            .is_some()
    );
    assert_eq!(b.release_sending("alice").await.expect("release"), 1);
    assert!(a.sending_blocks().await.expect("list").is_empty());
    assert_eq!(
        count(a, request("alice", 4, l)).await,
        SendingVerdict::Within
    );
}

/// Concurrent messages of one user never both get through the last
/// places under a limit.
pub async fn concurrent_counts_never_exceed_a_limit(store: &dyn Store, _clock: &ManualClock) {
    let l = limits(10, 100, 100);
    let sender = || async move {
        let mut within = 0;
        for _ in 0..5 {
            if count(store, request("eve", 1, l)).await == SendingVerdict::Within {
                within += 1;
            }
        }
        within
    };
    let (a, b, c, d) = tokio::join!(sender(), sender(), sender(), sender());
    assert_eq!(a + b + c + d, 10);
}

/// A message refused for a sending limit is kept in the trace: found by
/// its recipient, each recipient bounced with the cause, the block as an
/// event; nothing is left to deliver.
pub async fn refused_message_is_traced(store: &dyn Store, clock: &ManualClock) {
    let mut msg = message(clock, &["x@example.net", "y@example.net"]);
    msg.body.clear();
    let id = msg.id;
    let SendingVerdict::Blocked(block) =
        count(store, request("mallory", 101, limits(100, 100, 100))).await
    else {
        panic!("101 recipients go over a limit of 100");
    };
    store
        .trace_refused(
            msg,
            trouble("5.7.1", "sending-limit"),
            vec![EventKind::SendingLimit(block.clone())],
        )
        .await
        .expect("trace");
    let traced = store.trace("y@example.net").await.expect("trace");
    assert_eq!(traced.len(), 1);
    let detail = &traced[0];
    assert_eq!(detail.id, id);
    assert!(
        detail
            .recipients
            .iter()
            .all(|r| r.state == RecipientState::Bounced),
        "{detail:?}"
    );
    assert!(
        detail
            .events
            .iter()
            .any(|e| e.kind == EventKind::SendingLimit(block.clone())),
        "{:?}",
        detail.events
    );
    assert!(
        store
            .claim(&super::request("w"))
            .await
            .expect("claim")
            .is_empty()
    );
    assert_eq!(store.next_due().await.expect("next"), None);
}
