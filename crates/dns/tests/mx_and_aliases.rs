//! Where mail goes: MX order, null MX, implicit MX, aliases.

mod common;

use common::{name, world};
use dns::{DnssecStatus, MxKind, RecordType};

#[tokio::test]
async fn explicit_mx_is_secure_and_listed() {
    let w = world().await;
    let mx = w.resolver.mx(&name("secure.test")).await.unwrap();
    assert_eq!(mx.kind, MxKind::Explicit);
    assert_eq!(mx.status, DnssecStatus::Secure);
    assert_eq!(mx.hosts.len(), 1);
    assert_eq!(mx.hosts[0].name, name("mx.secure.test"));
    assert_eq!(mx.hosts[0].preference, 10);
}

#[tokio::test]
async fn null_mx_is_reported_as_such() {
    let w = world().await;
    let mx = w.resolver.mx(&name("nullmx.secure.test")).await.unwrap();
    assert_eq!(mx.kind, MxKind::NullMx);
    assert!(mx.hosts.is_empty());
    assert_eq!(mx.status, DnssecStatus::Secure);
}

#[tokio::test]
async fn no_mx_means_implicit_mx_on_the_domain() {
    let w = world().await;
    let mx = w.resolver.mx(&name("implicit.secure.test")).await.unwrap();
    assert_eq!(mx.kind, MxKind::Implicit);
    assert_eq!(mx.hosts.len(), 1);
    assert_eq!(mx.hosts[0].name, name("implicit.secure.test"));
    assert_eq!(mx.hosts[0].preference, 0);
    assert_eq!(mx.status, DnssecStatus::Secure, "the NODATA is proven");
}

#[tokio::test]
async fn nonexistent_domain_has_no_mail_exchangers() {
    let w = world().await;
    let mx = w.resolver.mx(&name("nowhere.secure.test")).await.unwrap();
    assert_eq!(mx.kind, MxKind::NoSuchDomain);
    assert!(mx.hosts.is_empty());
    assert_eq!(mx.status, DnssecStatus::Secure);
}

#[tokio::test]
async fn mx_of_insecure_zone_is_insecure() {
    let w = world().await;
    let mx = w.resolver.mx(&name("insecure.nsec3.test")).await.unwrap();
    assert_eq!(mx.kind, MxKind::Explicit);
    assert_eq!(mx.status, DnssecStatus::Insecure);
}

#[tokio::test]
async fn mx_of_bogus_zone_is_bogus() {
    let w = world().await;
    let mx = w.resolver.mx(&name("expired.test")).await.unwrap();
    assert_eq!(mx.status, DnssecStatus::Bogus);
}

#[tokio::test]
async fn cname_to_signed_target_is_followed_and_secure() {
    let w = world().await;
    let answer = w
        .resolver
        .lookup(&name("alias.secure.test"), RecordType::A)
        .await
        .unwrap();
    assert_eq!(answer.canonical_name, name("mx.nsec3.test"));
    assert_eq!(answer.aliases.len(), 1);
    assert_eq!(answer.aliases[0].status, DnssecStatus::Secure);
    assert_eq!(answer.records.len(), 1);
    assert_eq!(answer.status, DnssecStatus::Secure);
}

#[tokio::test]
async fn addresses_merge_a_and_aaaa() {
    let w = world().await;
    let answer = w.resolver.addresses(&name("mx.secure.test")).await.unwrap();
    let mut addresses: Vec<String> = answer.records.iter().map(|a| a.to_string()).collect();
    addresses.sort();
    assert_eq!(addresses, vec!["127.0.0.10", "::1"]);
    assert_eq!(answer.status, DnssecStatus::Secure);
}
