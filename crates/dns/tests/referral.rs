//! A referral is not an answer: asked straight at an authoritative server
//! for a name in a child zone it does not serve, we got nothing to judge.

mod common;

use std::time::Duration;

use common::{logs, name};
use dns::{DnsError, RecordType, Resolver, ResolverConfig, TrustAnchor};
use testworld::dns::{Denial, DnsWorld, Fault};

#[tokio::test]
async fn referral_is_a_lookup_failure_not_bogus() {
    logs();
    let mut world = DnsWorld::new();
    world
        .signed_zone("parent.test.", Denial::Nsec)
        .a("www.parent.test.", "127.0.0.40");
    for (zone, denial) in [
        ("child.parent.test.", Some(Denial::Nsec)),
        ("plain.parent.test.", None),
    ] {
        let spec = match denial {
            Some(denial) => world.signed_zone(zone, denial),
            None => world.unsigned_zone(zone),
        };
        spec.a(&format!("mx.{zone}"), "127.0.0.41")
            .fault(Fault::ServedElsewhere);
    }
    let server = world.serve().await.expect("test world starts");
    let anchors = TrustAnchor::parse(&server.trust_anchor_ds()).unwrap();
    let resolver = Resolver::new(
        ResolverConfig::new(vec![server.addr()])
            .with_trust_anchors(anchors)
            .with_timeout(Duration::from_millis(400), 1),
    );
    for host in ["mx.child.parent.test.", "mx.plain.parent.test."] {
        let result = resolver.lookup(&name(host), RecordType::A).await;
        match result {
            Err(DnsError::Referral { zone, .. }) => assert!(host.ends_with(&zone), "{zone}"),
            other => panic!("{host}: expected a referral, got {other:?}"),
        }
    }
    // The parent's own data is still answered and secure.
    let answer = resolver
        .lookup(&name("www.parent.test."), RecordType::A)
        .await
        .unwrap();
    assert!(answer.is_secure());
}
