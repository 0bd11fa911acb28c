//! Every answer carries the DNSSEC status the standard test world was built
//! to produce, and failures stay failures, never "bogus".

mod common;

use common::{name, world};
use dns::{Absence, DnsError, DnssecStatus, RecordType};

#[tokio::test]
async fn signed_zone_answer_is_secure() {
    let w = world().await;
    let answer = w
        .resolver
        .lookup(&name("mx.secure.test"), RecordType::A)
        .await
        .unwrap();
    assert_eq!(answer.status, DnssecStatus::Secure);
    assert_eq!(answer.records.len(), 1);
    assert!(!answer.cached);
}

#[tokio::test]
async fn nsec3_signed_zone_answer_is_secure() {
    let w = world().await;
    let answer = w
        .resolver
        .lookup(&name("mx.nsec3.test"), RecordType::A)
        .await
        .unwrap();
    assert_eq!(answer.status, DnssecStatus::Secure);
}

#[tokio::test]
async fn tlsa_answer_is_secure_and_typed() {
    let w = world().await;
    let answer = w.resolver.tlsa(&name("mx.secure.test"), 25).await.unwrap();
    assert_eq!(answer.status, DnssecStatus::Secure);
    assert_eq!(answer.records.len(), 1);
    assert_eq!(
        answer.records[0].to_string(),
        format!("3 1 1 {}", testworld::dns::STANDARD_TLSA)
    );
}

#[tokio::test]
async fn securely_absent_tlsa_is_secure_nodata_or_nxdomain() {
    let w = world().await;
    // No TLSA at the implicit-MX host: the NSEC chain proves it.
    let answer = w
        .resolver
        .tlsa(&name("implicit.secure.test"), 25)
        .await
        .unwrap();
    assert!(answer.is_empty());
    assert_eq!(answer.absence, Some(Absence::NxDomain));
    assert_eq!(answer.status, DnssecStatus::Secure);
}

#[tokio::test]
async fn nsec_proves_nodata_securely() {
    let w = world().await;
    let answer = w
        .resolver
        .lookup(&name("mx.secure.test"), RecordType::TXT)
        .await
        .unwrap();
    assert_eq!(answer.absence, Some(Absence::NoData));
    assert_eq!(answer.status, DnssecStatus::Secure);
}

#[tokio::test]
async fn nsec3_proves_nxdomain_securely() {
    let w = world().await;
    let answer = w.resolver.tlsa(&name("mx.nsec3.test"), 25).await.unwrap();
    assert_eq!(answer.absence, Some(Absence::NxDomain));
    assert_eq!(answer.status, DnssecStatus::Secure);
}

#[tokio::test]
async fn nsec3_proves_nodata_securely() {
    let w = world().await;
    let answer = w
        .resolver
        .lookup(&name("mx.nsec3.test"), RecordType::AAAA)
        .await
        .unwrap();
    assert_eq!(answer.absence, Some(Absence::NoData));
    assert_eq!(answer.status, DnssecStatus::Secure);
}

async fn status_of_mx_host(zone: &str) -> DnssecStatus {
    let w = world().await;
    let answer = w
        .resolver
        .lookup(&name(&format!("mx.{zone}")), RecordType::A)
        .await
        .unwrap_or_else(|e| panic!("{zone}: a bogus answer is an answer, not {e}"));
    answer.status
}

#[tokio::test]
async fn expired_rrsig_is_bogus() {
    assert_eq!(status_of_mx_host("expired.test").await, DnssecStatus::Bogus);
}

#[tokio::test]
async fn rrsig_not_yet_valid_is_bogus() {
    assert_eq!(status_of_mx_host("future.test").await, DnssecStatus::Bogus);
}

#[tokio::test]
async fn ds_matching_no_dnskey_is_bogus() {
    assert_eq!(
        status_of_mx_host("dsmismatch.test").await,
        DnssecStatus::Bogus
    );
}

#[tokio::test]
async fn missing_rrsig_is_bogus() {
    assert_eq!(status_of_mx_host("nosig.test").await, DnssecStatus::Bogus);
}

#[tokio::test]
async fn unsigned_delegation_proven_by_nsec_is_insecure() {
    assert_eq!(
        status_of_mx_host("insecure.secure.test").await,
        DnssecStatus::Insecure
    );
}

#[tokio::test]
async fn unsigned_delegation_proven_by_nsec3_is_insecure() {
    assert_eq!(
        status_of_mx_host("insecure.nsec3.test").await,
        DnssecStatus::Insecure
    );
}

#[tokio::test]
async fn insecure_zone_nodata_is_insecure() {
    let w = world().await;
    let answer = w
        .resolver
        .tlsa(&name("mx.insecure.secure.test"), 25)
        .await
        .unwrap();
    assert!(answer.is_empty());
    assert_eq!(answer.status, DnssecStatus::Insecure);
}

#[tokio::test]
async fn servfail_is_a_lookup_failure_not_bogus() {
    let w = world().await;
    let err = w
        .resolver
        .lookup(&name("mx.servfail.test"), RecordType::A)
        .await
        .unwrap_err();
    assert!(matches!(err, DnsError::ServFail { .. }), "{err:?}");
    assert!(err.is_temporary());
}

#[tokio::test]
async fn silent_server_is_a_timeout_not_bogus() {
    let w = world().await;
    let err = w
        .resolver
        .lookup(&name("mx.silent.test"), RecordType::A)
        .await
        .unwrap_err();
    assert!(matches!(err, DnsError::Timeout { .. }), "{err:?}");
    assert!(err.is_temporary());
}
