//! The MTA-STS policy cache kept in the store (schema version 3): what
//! one node stores, any node sharing the store reads back.

use std::time::Duration;

use dns::clock::{Clock, ManualClock};
use policy::sts::{CacheEntry, FailedFetch, Mode, MxPattern, Policy};
use queue::Store;

use super::MIN;

fn policy(mode: Mode, max_age: u32, mx: &[&str]) -> Policy {
    Policy {
        mode,
        max_age,
        mx: mx
            .iter()
            .map(|p| MxPattern::parse(p).expect("pattern"))
            .collect(),
    }
}

/// A stored policy reads back whole under its normalised key; a failed
/// fetch keeps it and is cleared by the next success; `touch` moves only
/// `last_checked`; `remove` forgets the domain.
pub async fn sts_policy_round_trip(store: &dyn Store, clock: &ManualClock) {
    assert_eq!(
        store.sts_entry("example.com").await.expect("read"),
        CacheEntry::default()
    );
    let enforce = policy(Mode::Enforce, 86_400, &["mx.example.com", "*.example.net"]);
    let fetched_at = clock.now();
    store
        .store_sts_policy("Example.COM.", "id1", &enforce, fetched_at)
        .await
        .expect("store");
    let cached = store
        .sts_entry("example.com")
        .await
        .expect("read")
        .policy
        .expect("cached");
    assert_eq!((cached.id.as_str(), &cached.policy), ("id1", &enforce));
    assert_eq!(cached.fetched_at, fetched_at);
    assert_eq!(
        cached.expires_at(),
        fetched_at + Duration::from_secs(86_400)
    );

    clock.advance(MIN);
    let failed_at = clock.now();
    store
        .record_sts_failure("example.com", "id2", failed_at, "HTTP status 404")
        .await
        .expect("failure");
    let entry = store.sts_entry("example.com").await.expect("read");
    assert_eq!(
        entry
            .policy
            .expect("a failed fetch keeps the policy")
            .policy,
        enforce
    );
    assert_eq!(
        entry.failure,
        Some(FailedFetch {
            at: failed_at,
            id: "id2".into(),
            reason: "HTTP status 404".into()
        })
    );

    clock.advance(MIN);
    store
        .touch_sts_policy("example.com", clock.now())
        .await
        .expect("touch");
    let cached = store
        .sts_entry("example.com")
        .await
        .expect("read")
        .policy
        .expect("cached");
    assert_eq!(
        (cached.fetched_at, cached.last_checked),
        (fetched_at, clock.now())
    );

    let testing = policy(Mode::Testing, 3_600, &["mx.example.com"]);
    store
        .store_sts_policy("example.com", "id2", &testing, clock.now())
        .await
        .expect("store");
    let entry = store.sts_entry("example.com").await.expect("read");
    assert_eq!(entry.failure, None);
    assert_eq!(entry.policy.expect("cached").policy, testing);

    store
        .remove_sts_policy("example.com")
        .await
        .expect("remove");
    assert_eq!(
        store.sts_entry("example.com").await.expect("read"),
        CacheEntry::default()
    );
}

/// A failure with no policy before it is kept alone; a `none` policy
/// (no patterns) reads back; only active policies expiring within the
/// window are listed, soonest first.
pub async fn sts_failures_and_expiring_policies(store: &dyn Store, clock: &ManualClock) {
    let now = clock.now();
    store
        .record_sts_failure("nothing.example", "a", now, "timeout")
        .await
        .expect("failure");
    let entry = store.sts_entry("nothing.example").await.expect("read");
    assert_eq!(entry.policy, None);
    assert_eq!(entry.failure.expect("failure").at, now);

    for (domain, mode, max_age) in [
        ("soon.example", Mode::Enforce, 100),
        ("sooner.example", Mode::Testing, 50),
        ("late.example", Mode::Enforce, 10_000),
        ("gone.example", Mode::Enforce, 5),
        ("none.example", Mode::None, 100),
    ] {
        let mx: &[&str] = if mode == Mode::None {
            &[]
        } else {
            &["mx.example.net"]
        };
        store
            .store_sts_policy(domain, "a", &policy(mode, max_age, mx), now)
            .await
            .expect("store");
    }
    let none = store
        .sts_entry("none.example")
        .await
        .expect("read")
        .policy
        .expect("cached");
    assert!(none.policy.mx.is_empty());
    assert_eq!(none.policy.mode, Mode::None);
    assert_eq!(
        store
            .expiring_sts_policies(
                now + Duration::from_secs(10),
                now + Duration::from_secs(200)
            )
            .await
            .expect("expiring"),
        ["sooner.example", "soon.example"]
    );
}
