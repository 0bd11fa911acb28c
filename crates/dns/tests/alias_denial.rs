//! A secure CNAME whose target has no data of the type asked (NODATA) or
//! does not exist (NXDOMAIN): the chain is secure when each link and the
//! final denial are (RFC 4035 §3.1.3, RFC 6604).

mod common;

use std::time::Duration;

use common::{logs, name};
use dns::{Absence, DnssecStatus, RecordType, Resolver, ResolverConfig, TrustAnchor};
use testworld::dns::{Denial, DnsServer, DnsWorld};

async fn world() -> DnsServer {
    logs();
    let mut world = DnsWorld::new();
    for (zone, denial) in [("nsec.test.", Denial::Nsec), ("nsec3.test.", Denial::Nsec3)] {
        let mx = format!("mx.{zone}");
        let real = format!("real.{zone}");
        world
            .signed_zone(zone, denial)
            .cname(&mx, &real)
            .a(&real, "127.0.0.30")
            .cname(&format!("gone.{zone}"), &format!("missing.{zone}"))
            .cname(&format!("two.{zone}"), &mx)
            .cname(&format!("across.{zone}"), "real.other.test.")
            .cname(&format!("plain.{zone}"), "real.plain.test.");
    }
    world
        .signed_zone("other.test.", Denial::Nsec3)
        .a("real.other.test.", "127.0.0.31");
    world
        .unsigned_zone("plain.test.")
        .a("real.plain.test.", "127.0.0.32");
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

async fn check(resolver: &Resolver, host: &str, absence: Absence, status: DnssecStatus) {
    let answer = resolver
        .lookup(&name(host), RecordType::AAAA)
        .await
        .unwrap_or_else(|e| panic!("{host}: {e}"));
    assert_eq!(answer.absence, Some(absence), "{host}");
    assert_eq!(answer.status, status, "{host}");
    assert!(!answer.aliases.is_empty(), "{host} is an alias");
}

#[tokio::test]
async fn secure_cname_to_nodata_is_secure() {
    let server = world().await;
    let resolver = resolver(&server);
    for zone in ["nsec.test.", "nsec3.test."] {
        check(
            &resolver,
            &format!("mx.{zone}"),
            Absence::NoData,
            DnssecStatus::Secure,
        )
        .await;
    }
}

#[tokio::test]
async fn secure_cname_to_nxdomain_is_secure() {
    let server = world().await;
    let resolver = resolver(&server);
    for zone in ["nsec.test.", "nsec3.test."] {
        check(
            &resolver,
            &format!("gone.{zone}"),
            Absence::NxDomain,
            DnssecStatus::Secure,
        )
        .await;
    }
}

#[tokio::test]
async fn secure_cname_chain_of_two_to_nodata_is_secure() {
    let server = world().await;
    let resolver = resolver(&server);
    for zone in ["nsec.test.", "nsec3.test."] {
        check(
            &resolver,
            &format!("two.{zone}"),
            Absence::NoData,
            DnssecStatus::Secure,
        )
        .await;
    }
}

#[tokio::test]
async fn secure_cname_into_another_signed_zone_to_nodata_is_secure() {
    let server = world().await;
    let resolver = resolver(&server);
    for zone in ["nsec.test.", "nsec3.test."] {
        check(
            &resolver,
            &format!("across.{zone}"),
            Absence::NoData,
            DnssecStatus::Secure,
        )
        .await;
    }
}

#[tokio::test]
async fn secure_cname_into_an_unsigned_zone_to_nodata_is_insecure() {
    let server = world().await;
    let resolver = resolver(&server);
    for zone in ["nsec.test.", "nsec3.test."] {
        check(
            &resolver,
            &format!("plain.{zone}"),
            Absence::NoData,
            DnssecStatus::Insecure,
        )
        .await;
    }
}

#[tokio::test]
async fn secure_cname_to_data_stays_secure() {
    let server = world().await;
    let resolver = resolver(&server);
    let answer = resolver
        .lookup(&name("two.nsec3.test."), RecordType::A)
        .await
        .unwrap();
    assert_eq!(answer.status, DnssecStatus::Secure);
    assert_eq!(answer.records.len(), 1);
}
