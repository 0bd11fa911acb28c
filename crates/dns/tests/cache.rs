//! Answers from the cache keep their DNSSEC status and expire with their TTL.

mod common;

use std::time::Duration;

use common::{name, world};
use dns::{Absence, DnssecStatus, RecordType};
use testworld::dns::Fault;

#[tokio::test]
async fn cached_answer_keeps_its_secure_status() {
    let w = world().await;
    let first = w
        .resolver
        .lookup(&name("mx.secure.test"), RecordType::A)
        .await
        .unwrap();
    assert!(!first.cached);
    // The zone now goes silent: only the cache can answer.
    w.server.set_fault("secure.test.", Fault::Timeout);
    let second = w
        .resolver
        .lookup(&name("mx.secure.test"), RecordType::A)
        .await
        .unwrap();
    assert!(second.cached);
    assert_eq!(second.status, DnssecStatus::Secure);
    assert_eq!(second.records, first.records);
}

#[tokio::test]
async fn cached_insecure_answer_stays_insecure() {
    let w = world().await;
    let first = w
        .resolver
        .lookup(&name("mx.insecure.secure.test"), RecordType::A)
        .await
        .unwrap();
    assert_eq!(first.status, DnssecStatus::Insecure);
    w.server.set_fault("insecure.secure.test.", Fault::Timeout);
    let second = w
        .resolver
        .lookup(&name("mx.insecure.secure.test"), RecordType::A)
        .await
        .unwrap();
    assert!(second.cached);
    assert_eq!(second.status, DnssecStatus::Insecure);
}

#[tokio::test]
async fn cached_negative_answer_keeps_status_and_absence() {
    let w = world().await;
    let first = w.resolver.tlsa(&name("mx.nsec3.test"), 25).await.unwrap();
    assert_eq!(first.absence, Some(Absence::NxDomain));
    w.server.set_fault("nsec3.test.", Fault::Timeout);
    let second = w.resolver.tlsa(&name("mx.nsec3.test"), 25).await.unwrap();
    assert!(second.cached);
    assert_eq!(second.absence, Some(Absence::NxDomain));
    assert_eq!(second.status, DnssecStatus::Secure);
}

#[tokio::test]
async fn cached_answer_expires_with_its_ttl() {
    let w = world().await;
    let first = w
        .resolver
        .lookup(&name("mx.secure.test"), RecordType::A)
        .await
        .unwrap();
    assert!(first.ttl > 0 && first.ttl <= 300, "ttl {}", first.ttl);
    w.clock.advance(Duration::from_secs(100));
    let aged = w
        .resolver
        .lookup(&name("mx.secure.test"), RecordType::A)
        .await
        .unwrap();
    assert!(aged.cached);
    assert_eq!(aged.ttl, first.ttl - 100);
    w.clock.advance(Duration::from_secs(u64::from(first.ttl)));
    w.server.set_fault("secure.test.", Fault::ServFail);
    let expired = w
        .resolver
        .lookup(&name("mx.secure.test"), RecordType::A)
        .await;
    assert!(
        expired.is_err(),
        "the expired answer was served: {expired:?}"
    );
}

#[tokio::test]
async fn a_zone_keys_are_asked_for_once() {
    let w = world().await;
    let first = w
        .resolver
        .lookup(&name("mx.secure.test"), RecordType::A)
        .await
        .unwrap();
    assert_eq!(first.status, DnssecStatus::Secure);
    let keys_asked = w.server.queries("DNSKEY");
    assert!(keys_asked > 0);
    // Other RRsets signed by the same keys: the validator checks each, but
    // does not ask for the keys again.
    let tlsa = w
        .resolver
        .lookup(&name("_25._tcp.mx.secure.test"), RecordType::TLSA)
        .await
        .unwrap();
    assert_eq!(tlsa.status, DnssecStatus::Secure);
    let mx = w
        .resolver
        .lookup(&name("secure.test"), RecordType::MX)
        .await
        .unwrap();
    assert_eq!(mx.status, DnssecStatus::Secure);
    assert_eq!(w.server.queries("DNSKEY"), keys_asked);
}

#[tokio::test]
async fn cache_hits_and_network_lookups_are_counted_by_every_clone() {
    let w = world().await;
    let clone = w.resolver.clone();
    assert_eq!(w.resolver.stats().network_count, 0);
    let first = w
        .resolver
        .lookup(&name("mx.secure.test"), RecordType::A)
        .await
        .unwrap();
    assert!(!first.cached);
    let counted = clone.stats();
    assert_eq!(counted.network_count, 1, "{counted:?}");
    assert_eq!(counted.cache_hits, 0, "{counted:?}");
    assert_eq!(counted.network_failures, 0, "{counted:?}");
    assert!(counted.network_seconds > 0.0, "{counted:?}");
    assert_eq!(counted.network_buckets.last().map(|b| b.1), Some(1));
    let again = clone
        .lookup(&name("mx.secure.test"), RecordType::A)
        .await
        .unwrap();
    assert!(again.cached);
    let second = w.resolver.stats();
    assert_eq!(second.cache_hits, 1, "{second:?}");
    assert_eq!(second.network_count, 1, "{second:?}");
    // A lookup that fails went to the network too.
    w.server.set_fault("secure.test.", Fault::Timeout);
    assert!(
        w.resolver
            .lookup(&name("other.secure.test"), RecordType::A)
            .await
            .is_err()
    );
    let third = w.resolver.stats();
    assert_eq!(third.network_count, 2, "{third:?}");
    assert_eq!(third.network_failures, 1, "{third:?}");
}
