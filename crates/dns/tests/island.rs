//! Trust anchors below the root ("islands of security", RFC 4033 §5):
//! validation starts at the closest enclosing anchor and never looks above.

mod common;

use std::time::Duration;

use common::{logs, name};
use dns::{DnssecStatus, RecordType, Resolver, ResolverConfig, TrustAnchor};
use testworld::dns::{Denial, DnsServer, DnsWorld};

/// `island.test.` signed with a KSK and a ZSK, an unsigned child, and a
/// zone outside it.
async fn world() -> DnsServer {
    logs();
    let mut world = DnsWorld::new();
    world
        .signed_zone("island.test.", Denial::Nsec)
        .split_keys()
        .mx(10, "mx.island.test.")
        .a("mx.island.test.", "127.0.0.20")
        .a("unsigned.island.test.", "127.0.0.21")
        .rrset_fault(
            "unsigned.island.test.",
            "A",
            testworld::dns::Fault::MissingSignatures,
        );
    world
        .unsigned_zone("lab.island.test.")
        .a("mx.lab.island.test.", "127.0.0.22");
    world
        .signed_zone("elsewhere.test.", Denial::Nsec)
        .a("mx.elsewhere.test.", "127.0.0.23");
    world.serve().await.expect("test world starts")
}

fn resolver(server: &DnsServer, anchor: &str) -> Resolver {
    let anchors = TrustAnchor::parse(anchor).expect("the anchor parses");
    Resolver::new(
        ResolverConfig::new(vec![server.addr()])
            .with_trust_anchors(anchors)
            .with_timeout(Duration::from_millis(400), 1),
    )
}

async fn status(resolver: &Resolver, host: &str, rtype: RecordType) -> DnssecStatus {
    resolver
        .lookup(&name(host), rtype)
        .await
        .unwrap_or_else(|e| panic!("{host} {rtype}: {e}"))
        .status
}

#[tokio::test]
async fn trust_anchor_below_root_validates_island() {
    let server = world().await;
    // The root's DS at the TLD is broken on purpose: nothing above the
    // anchor may be consulted.
    server.set_fault("island.test.", testworld::dns::Fault::DsMismatch);
    let resolver = resolver(&server, &server.zone_anchor_ds("island.test."));
    for (host, rtype) in [
        ("island.test.", RecordType::DNSKEY),
        ("island.test.", RecordType::SOA),
        ("island.test.", RecordType::MX),
        ("mx.island.test.", RecordType::A),
        ("mx.island.test.", RecordType::AAAA),
        ("nothere.island.test.", RecordType::A),
    ] {
        assert_eq!(
            status(&resolver, host, rtype).await,
            DnssecStatus::Secure,
            "{host} {rtype}"
        );
    }
}

#[tokio::test]
async fn ksk_dnskey_anchor_below_root_validates_island() {
    let server = world().await;
    let resolver = resolver(&server, &server.zone_anchor_dnskey("island.test."));
    assert_eq!(
        status(&resolver, "mx.island.test.", RecordType::A).await,
        DnssecStatus::Secure
    );
}

#[tokio::test]
async fn island_keeps_its_insecure_delegations_and_bogus_data() {
    let server = world().await;
    let resolver = resolver(&server, &server.zone_anchor_ds("island.test."));
    assert_eq!(
        status(&resolver, "mx.lab.island.test.", RecordType::A).await,
        DnssecStatus::Insecure
    );
    assert_eq!(
        status(&resolver, "unsigned.island.test.", RecordType::A).await,
        DnssecStatus::Bogus
    );
}

#[tokio::test]
async fn names_outside_every_anchor_are_insecure() {
    let server = world().await;
    let resolver = resolver(&server, &server.zone_anchor_ds("island.test."));
    let answer = resolver
        .lookup(&name("mx.elsewhere.test."), RecordType::A)
        .await
        .expect("an answer");
    assert_eq!(answer.status, DnssecStatus::Insecure);
    assert_eq!(answer.records.len(), 1);
}

#[tokio::test]
async fn root_and_island_anchors_each_validate_their_subtree() {
    let server = world().await;
    let both = format!(
        "{}\n{}\n",
        server.trust_anchor_ds(),
        server.zone_anchor_ds("island.test.")
    );
    let resolver = resolver(&server, &both);
    assert_eq!(
        status(&resolver, "mx.island.test.", RecordType::A).await,
        DnssecStatus::Secure
    );
    assert_eq!(
        status(&resolver, "mx.elsewhere.test.", RecordType::A).await,
        DnssecStatus::Secure
    );
    // The island's DS lives in its parent and is validated from the root.
    assert_eq!(
        status(&resolver, "island.test.", RecordType::DS).await,
        DnssecStatus::Secure
    );
}

#[tokio::test]
async fn island_under_an_unsigned_parent_keeps_unsigned_data_bogus() {
    // Without the anchor, `island.plain.` is provably insecure: its parent
    // is unsigned. With the anchor, an RRset stripped of its signatures
    // inside the island must stay bogus, not become insecure by asking above.
    logs();
    let mut world = DnsWorld::new();
    world.unsigned_zone("plain.");
    world
        .signed_zone("island.plain.", Denial::Nsec)
        .split_keys()
        .a("mx.island.plain.", "127.0.0.24")
        .rrset_fault(
            "mx.island.plain.",
            "A",
            testworld::dns::Fault::MissingSignatures,
        );
    let server = world.serve().await.expect("test world starts");
    let resolver = resolver(&server, &server.zone_anchor_ds("island.plain."));
    assert_eq!(
        status(&resolver, "mx.island.plain.", RecordType::A).await,
        DnssecStatus::Bogus
    );
    assert_eq!(
        status(&resolver, "island.plain.", RecordType::SOA).await,
        DnssecStatus::Secure
    );
}
