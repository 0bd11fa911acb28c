//! DNSSEC findings: the status of each answer, and the named cause of a
//! bogus one.

mod common;

use check::Severity;
use common::scene::Scene;
use common::{none, only};
use testworld::dns::Fault;

/// A scene with one DANE MX host, `mx1`, whose zone has `fault`.
async fn faulty(fault: Fault) -> check::DomainReport {
    let mut scene = Scene::new();
    let behaviour = scene.starttls();
    let mx = scene.mx.clone();
    scene.mx_host(1, 91, behaviour).tlsa(1, &mx);
    scene.zone().fault(fault);
    scene.start().await.check().await
}

#[tokio::test]
async fn signed_zone_passes() {
    let report = faulty(Fault::Healthy).await;
    let finding = only(&report.findings, "dnssec-secure");
    assert!(finding.evidence.contains("example.test MX"), "{finding:?}");
    assert!(finding.evidence.contains("TLSA"), "{finding:?}");
    none(&report.findings, "dnssec-bogus");
}

#[tokio::test]
async fn unsigned_zone_is_a_warning() {
    let mut scene = Scene::new();
    scene.dns.unsigned_zone("example.test.");
    let behaviour = scene.starttls();
    scene.mx_host(1, 92, behaviour);
    let report = scene.start().await.check().await;
    assert_eq!(
        only(&report.findings, "dnssec-insecure").severity,
        Severity::Warning
    );
}

#[tokio::test]
async fn expired_signatures_are_named_with_their_date() {
    let report = faulty(Fault::ExpiredSignatures).await;
    only(&report.findings, "dnssec-bogus");
    let expired: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.id == "dnssec-rrsig-expired")
        .collect();
    assert!(!expired.is_empty(), "{:#?}", report.findings);
    assert!(expired[0].evidence.contains("expired on 20"), "{expired:?}");
    only(&report.findings, "delivery-deferred");
}

#[tokio::test]
async fn signatures_not_yet_valid_are_named() {
    let report = faulty(Fault::SignaturesNotYetValid).await;
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.id == "dnssec-rrsig-not-yet-valid"),
        "{:#?}",
        report.findings
    );
}

#[tokio::test]
async fn ds_matching_no_key_is_named_with_key_tags() {
    let report = faulty(Fault::DsMismatch).await;
    let finding = only(&report.findings, "dnssec-ds-mismatch");
    assert!(finding.evidence.contains("key tag"), "{finding:?}");
    assert!(
        finding.evidence.starts_with("example.test DS"),
        "{finding:?}"
    );
    assert_eq!(report.worst, Severity::Error);
}

#[tokio::test]
async fn missing_signatures_are_named() {
    let mut scene = Scene::new();
    let behaviour = scene.starttls();
    let mx = scene.mx.clone();
    scene.mx_host(1, 93, behaviour).tlsa(1, &mx);
    scene.zone().rrset_fault(
        "_25._tcp.mx1.example.test.",
        "TLSA",
        Fault::MissingSignatures,
    );
    let report = scene.start().await.check().await;
    let finding = only(&report.findings, "dnssec-rrsig-missing");
    assert!(
        finding.evidence.contains("_25._tcp.mx1.example.test TLSA"),
        "{finding:?}"
    );
    none(&report.findings, "delivery-deliverable");
}
