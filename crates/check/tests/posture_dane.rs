//! DANE findings: TLSA records, the STARTTLS probe of each MX, the match,
//! and rollover readiness.

mod common;

use check::Severity;
use common::scene::{Scene, tlsa_hex};
use common::{none, only};
use testworld::ca::Validity;
use testworld::smtp::Behaviour;

#[tokio::test]
async fn matching_tlsa_with_next_key_passes_and_is_deliverable() {
    let mut scene = Scene::new();
    let behaviour = scene.starttls();
    let (mx, next) = (scene.mx.clone(), scene.ca.issue(&["mx1.example.test"]));
    scene.mx_host(1, 101, behaviour).tlsa(1, &mx).tlsa(1, &next);
    let report = scene.start().await.check().await;
    only(&report.findings, "dane-tlsa-present");
    only(&report.findings, "dane-starttls");
    let version = only(&report.findings, "dane-tls-version");
    assert!(version.evidence.contains("TLSv1.3"), "{version:?}");
    let matched = only(&report.findings, "dane-match");
    assert!(
        matched.evidence.contains(&tlsa_hex(&mx, 3, 1, 1)),
        "{matched:?}"
    );
    let expiry = only(&report.findings, "dane-certificate-expiry");
    assert!(expiry.evidence.contains("days"), "{expiry:?}");
    only(&report.findings, "dane-rollover-ready");
    none(&report.findings, "dane-recommend-3-1-1");
    let verdict = only(&report.findings, "delivery-deliverable");
    assert!(verdict.evidence.contains("dane"), "{verdict:?}");
}

#[tokio::test]
async fn tlsa_matching_no_served_certificate_is_an_error_and_deferred() {
    let mut scene = Scene::new();
    let behaviour = scene.starttls();
    let other = scene.ca.issue(&["mx1.example.test"]);
    scene.mx_host(1, 102, behaviour).tlsa(1, &other);
    let report = scene.start().await.check().await;
    let finding = only(&report.findings, "dane-no-match");
    assert_eq!(finding.severity, Severity::Error);
    assert!(finding.evidence.contains("4.7.323"), "{finding:?}");
    only(&report.findings, "delivery-deferred");
    assert_eq!(report.worst, Severity::Error);
    assert!(matches!(report.verdict, delivery::Verdict::Defer { .. }));
}

#[tokio::test]
async fn single_record_is_not_rollover_ready() {
    let mut scene = Scene::new();
    let behaviour = scene.starttls();
    let mx = scene.mx.clone();
    scene.mx_host(1, 103, behaviour).tlsa(1, &mx);
    let report = scene.start().await.check().await;
    assert_eq!(
        only(&report.findings, "dane-rollover-single").severity,
        Severity::Warning
    );
}

#[tokio::test]
async fn usage_1_is_flagged_and_3_1_1_recommended() {
    let mut scene = Scene::new();
    let behaviour = scene.starttls();
    let mx = scene.mx.clone();
    let hex = tlsa_hex(&mx, 1, 1, 1);
    scene.mx_host(1, 104, behaviour).tlsa(1, &mx);
    scene
        .zone()
        .tlsa("_25._tcp.mx1.example.test.", 1, 1, 1, &hex);
    let report = scene.start().await.check().await;
    let pkix = only(&report.findings, "dane-usage-pkix");
    assert!(pkix.evidence.contains("TLSA 1 1 1"), "{pkix:?}");
    only(&report.findings, "dane-recommend-3-1-1");
}

#[tokio::test]
async fn host_without_tlsa_is_a_warning() {
    let mut scene = Scene::new();
    let behaviour = scene.starttls();
    let mx = scene.mx.clone();
    scene.mx_host(1, 105, behaviour.clone()).tlsa(1, &mx);
    scene.mx_host(2, 106, behaviour);
    let report = scene.start().await.check().await;
    let finding = only(&report.findings, "dane-tlsa-missing");
    assert!(finding.evidence.contains("mx2.example.test"), "{finding:?}");
    assert!(
        !finding.evidence.contains("mx1.example.test"),
        "{finding:?}"
    );
}

#[tokio::test]
async fn dane_host_without_starttls_is_an_error() {
    let mut scene = Scene::new();
    let mx = scene.mx.clone();
    scene.mx_host(1, 107, Behaviour::plain()).tlsa(1, &mx);
    let report = scene.start().await.check().await;
    only(&report.findings, "dane-starttls-missing");
    only(&report.findings, "delivery-deferred");
}

#[tokio::test]
async fn certificate_expiring_within_14_days_is_a_warning() {
    let mut scene = Scene::new();
    let soon = std::time::SystemTime::now() + std::time::Duration::from_secs(5 * 86_400);
    let yesterday = std::time::SystemTime::now() - std::time::Duration::from_secs(86_400);
    let expiring = scene
        .ca
        .issue_with(&["mx1.example.test"], Validity::between(yesterday, soon));
    scene
        .mx_host(1, 108, Behaviour::starttls(&expiring))
        .tlsa(1, &expiring);
    let report = scene.start().await.check().await;
    let finding = only(&report.findings, "dane-certificate-expiring");
    assert!(
        finding.evidence.contains("(4 days)") || finding.evidence.contains("(5 days)"),
        "{finding:?}"
    );
    only(&report.findings, "delivery-deliverable");
}

/// A certificate for `mx1` that expired `days` days ago.
fn expired(scene: &Scene, days: u32) -> testworld::Identity {
    let now = std::time::SystemTime::now();
    let day = std::time::Duration::from_secs(86_400);
    scene.ca.issue_with(
        &["mx1.example.test"],
        Validity::between(now - day * (days + 30), now - day * days),
    )
}

#[tokio::test]
async fn expired_certificate_under_dane_ee_is_a_warning_and_delivers() {
    let mut scene = Scene::new();
    let old = expired(&scene, 3);
    scene
        .mx_host(1, 109, Behaviour::starttls(&old))
        .tlsa(1, &old);
    let report = scene.start().await.check().await;
    let finding = only(&report.findings, "dane-certificate-expired-ee");
    assert_eq!(finding.severity, Severity::Warning);
    assert!(
        finding.evidence.contains("expired on") && finding.evidence.contains("(3 days ago)"),
        "{finding:?}"
    );
    assert!(finding.title.contains("usage 3"), "{finding:?}");
    assert!(finding.remedy.contains("RFC 7672 §3.1.1"), "{finding:?}");
    none(&report.findings, "dane-certificate-expired");
    only(&report.findings, "dane-match");
    only(&report.findings, "delivery-deliverable");
}

#[tokio::test]
async fn expired_certificate_under_dane_ta_is_an_error_and_deferred() {
    let mut scene = Scene::new();
    let old = expired(&scene, 3);
    let anchor = tls::tlsa_for_certificate(
        scene.ca.root_der(),
        tls::Usage::DaneTa,
        tls::Selector::Spki,
        tls::Matching::Sha256,
    )
    .expect("the test root parses")
    .to_string();
    let hex = anchor.rsplit(' ').next().expect("TLSA data").to_owned();
    scene.mx_host(1, 110, Behaviour::starttls(&old));
    scene
        .zone()
        .tlsa("_25._tcp.mx1.example.test.", 2, 1, 1, &hex);
    let report = scene.start().await.check().await;
    let finding = only(&report.findings, "dane-certificate-expired");
    assert_eq!(finding.severity, Severity::Error);
    none(&report.findings, "dane-certificate-expired-ee");
    only(&report.findings, "delivery-deferred");
}

#[tokio::test]
async fn only_pkix_tlsa_records_are_unusable_and_an_error() {
    let mut scene = Scene::new();
    let behaviour = scene.starttls();
    let mx = scene.mx.clone();
    let hex = tlsa_hex(&mx, 1, 1, 1);
    scene.mx_host(1, 111, behaviour);
    scene
        .zone()
        .tlsa("_25._tcp.mx1.example.test.", 1, 1, 1, &hex);
    let report = scene.start().await.check().await;
    let finding = only(&report.findings, "dane-tlsa-unusable");
    assert_eq!(finding.severity, Severity::Error);
    assert!(finding.evidence.contains("TLSA 1 1 1"), "{finding:?}");
    none(&report.findings, "dane-usage-pkix");
}
