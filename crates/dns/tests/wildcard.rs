//! Answers synthesised from a wildcard (RFC 4592, RFC 4035 §3.1.3.3): secure
//! when the NSEC/NSEC3 proof of no closer match validates, including the
//! shape every offline NSEC signer produces, where the NSEC that covers the
//! query name is owned by the wildcard itself; bogus without that proof.

mod common;

use std::time::Duration;

use common::{logs, name};
use dns::{Absence, DnssecStatus, RecordType, Resolver, ResolverConfig, TrustAnchor};
use testworld::dns::{Denial, DnsServer, DnsWorld, Fault};

async fn world() -> DnsServer {
    logs();
    let mut world = DnsWorld::new();
    for (zone, denial) in [("nsec.test.", Denial::Nsec), ("nsec3.test.", Denial::Nsec3)] {
        world
            .signed_zone(zone, denial)
            .a(&format!("*.wild.{zone}"), "127.0.0.40")
            .cname(&format!("*.alias.{zone}"), &format!("real.{zone}"))
            .a(&format!("real.{zone}"), "127.0.0.41");
    }
    world
        .signed_zone("stripped.test.", Denial::Nsec)
        .a("*.wild.stripped.test.", "127.0.0.42")
        .rrset_fault("*.wild.stripped.test.", "NSEC", Fault::MissingSignatures);
    world.serve().await.expect("test world starts")
}

fn resolver(server: &DnsServer) -> Resolver {
    let anchors = TrustAnchor::parse(&server.trust_anchor_ds()).expect("the anchor parses");
    Resolver::new(
        ResolverConfig::new(vec![server.addr()])
            .with_trust_anchors(anchors)
            .with_timeout(Duration::from_millis(400), 1),
    )
}

async fn a(resolver: &Resolver, host: &str) -> (usize, Option<Absence>, DnssecStatus) {
    let answer = resolver
        .lookup(&name(host), RecordType::A)
        .await
        .unwrap_or_else(|e| panic!("{host}: {e}"));
    (answer.records.len(), answer.absence, answer.status)
}

#[tokio::test]
async fn wildcard_answer_proven_by_the_wildcards_own_nsec_is_secure() {
    let server = world().await;
    let resolver = resolver(&server);
    for zone in ["nsec.test.", "nsec3.test."] {
        for host in [format!("a.wild.{zone}"), format!("x.y.wild.{zone}")] {
            assert_eq!(
                a(&resolver, &host).await,
                (1, None, DnssecStatus::Secure),
                "{host}"
            );
        }
    }
}

#[tokio::test]
#[ignore = "a wildcard-synthesised CNAME is still judged bogus (open; see the closing note of issue 11)"]
async fn wildcard_cname_to_data_is_secure() {
    let server = world().await;
    let resolver = resolver(&server);
    for zone in ["nsec.test.", "nsec3.test."] {
        let host = format!("a.alias.{zone}");
        assert_eq!(
            a(&resolver, &host).await,
            (1, None, DnssecStatus::Secure),
            "{host}"
        );
    }
}

#[tokio::test]
async fn wildcard_nodata_is_secure() {
    let server = world().await;
    let resolver = resolver(&server);
    for zone in ["nsec.test.", "nsec3.test."] {
        let host = format!("a.wild.{zone}");
        let answer = resolver
            .lookup(&name(&host), RecordType::AAAA)
            .await
            .unwrap_or_else(|e| panic!("{host}: {e}"));
        assert_eq!(answer.absence, Some(Absence::NoData), "{host}");
        assert_eq!(answer.status, DnssecStatus::Secure, "{host}");
    }
}

#[tokio::test]
async fn wildcard_answer_with_an_unsigned_proof_is_bogus() {
    let server = world().await;
    let resolver = resolver(&server);
    let (_, _, status) = a(&resolver, "a.wild.stripped.test.").await;
    assert_eq!(status, DnssecStatus::Bogus);
}
