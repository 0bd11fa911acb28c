//! How answers arrive: TCP when UDP is truncated, trust anchors as DS or
//! DNSKEY, and failures when no server answers.

mod common;

use std::time::Duration;

use common::{name, world};
use dns::{DnsError, DnssecStatus, RecordType, Resolver, ResolverConfig, TrustAnchor};
use testworld::dns::standard;

#[tokio::test]
async fn truncated_udp_answer_is_fetched_over_tcp() {
    let w = world().await;
    let before = w.server.tcp_queries();
    let answer = w.resolver.txt(&name("big.secure.test")).await.unwrap();
    assert_eq!(answer.records.len(), 1);
    assert_eq!(answer.records[0].strings.len(), 10);
    assert_eq!(answer.status, DnssecStatus::Secure);
    assert!(w.server.tcp_queries() > before, "no query came over TCP");
}

#[tokio::test]
async fn dnskey_trust_anchor_validates_like_ds() {
    let server = standard().serve().await.unwrap();
    let anchors = TrustAnchor::parse(&server.trust_anchor_dnskey()).unwrap();
    assert!(matches!(anchors[0], TrustAnchor::Dnskey { .. }));
    let resolver =
        Resolver::new(ResolverConfig::new(vec![server.addr()]).with_trust_anchors(anchors));
    let answer = resolver
        .lookup(&name("mx.secure.test"), RecordType::A)
        .await
        .unwrap();
    assert_eq!(answer.status, DnssecStatus::Secure);
}

#[tokio::test]
async fn wrong_trust_anchor_is_an_error_not_secure() {
    let server = standard().serve().await.unwrap();
    let other = standard().serve().await.unwrap();
    let anchors = TrustAnchor::parse(&other.trust_anchor_ds()).unwrap();
    let resolver =
        Resolver::new(ResolverConfig::new(vec![server.addr()]).with_trust_anchors(anchors));
    let err = resolver
        .lookup(&name("mx.secure.test"), RecordType::A)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            DnsError::LocalResolver {
                seen: dns::LocalFault::NoMatchingKey { .. },
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn unreachable_server_is_a_temporary_failure_not_bogus() {
    // Nothing listens here: a bound socket that is never read.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let config = ResolverConfig::new(vec![silent.local_addr().unwrap()])
        .with_trust_anchors(
            TrustAnchor::parse(&standard().serve().await.unwrap().trust_anchor_dnskey()).unwrap(),
        )
        .with_timeout(Duration::from_millis(300), 1);
    let resolver = Resolver::new(config);
    let result = resolver
        .lookup(&name("mx.secure.test"), RecordType::A)
        .await;
    match result {
        Err(err) => assert!(err.is_temporary(), "{err:?}"),
        Ok(answer) => panic!("an unreachable server produced an answer: {answer:?}"),
    }
}

#[test]
fn bad_names_are_refused_with_a_clear_error() {
    for bad in ["", "two words", "a..b", &"x".repeat(64)] {
        let err = Resolver::parse_name(bad).unwrap_err();
        assert!(!err.is_temporary());
        assert!(err.to_string().contains("not a valid domain name"), "{err}");
    }
}
