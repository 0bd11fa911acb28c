//! MX findings and the delivery verdict, in the test world.

mod common;

use check::Severity;
use common::scene::Scene;
use common::{name, none, only};

#[tokio::test]
async fn null_mx_is_info_and_accepts_no_mail() {
    let mut scene = Scene::new();
    scene.zone().mx(0, ".");
    let report = scene.start().await.check().await;
    assert_eq!(only(&report.findings, "mx-null").severity, Severity::Info);
    only(&report.findings, "delivery-no-mail");
}

#[tokio::test]
async fn no_mx_is_an_implicit_mx_warning() {
    let mut scene = Scene::new();
    scene.zone().a("example.test.", "127.0.0.81");
    let world = scene.start().await;
    let report = world.check().await;
    assert_eq!(
        only(&report.findings, "mx-implicit").severity,
        Severity::Warning
    );
}

#[tokio::test]
async fn mx_target_that_is_a_cname_is_a_warning_since_senders_follow_it() {
    let mut scene = Scene::new();
    scene.mx_host(1, 82, scene.starttls());
    scene
        .zone()
        .mx(20, "alias.example.test.")
        .cname("alias.example.test.", "mx1.example.test.");
    let report = scene.start().await.check().await;
    let finding = only(&report.findings, "mx-cname");
    assert_eq!(finding.severity, Severity::Warning);
    assert!(
        finding.evidence.contains("alias.example.test"),
        "{finding:?}"
    );
}

#[tokio::test]
async fn mx_target_that_is_an_ip_literal_is_an_error() {
    let mut scene = Scene::new();
    scene.zone().mx(10, "127.0.0.83.");
    let report = scene.start().await.check().await;
    let finding = only(&report.findings, "mx-ip-literal");
    assert!(finding.evidence.contains("127.0.0.83"), "{finding:?}");
    assert_eq!(report.worst, Severity::Error);
}

#[tokio::test]
async fn mx_host_without_addresses_is_an_error_and_not_deliverable() {
    let mut scene = Scene::new();
    scene.zone().mx(10, "ghost.example.test.");
    let report = scene.start().await.check().await;
    let finding = only(&report.findings, "mx-no-addresses");
    assert!(
        finding.evidence.contains("ghost.example.test"),
        "{finding:?}"
    );
    none(&report.findings, "delivery-deliverable");
    assert_eq!(report.worst, Severity::Error);
}

#[tokio::test]
async fn nonexistent_domain_is_one_finding_for_its_one_cause() {
    let world = Scene::new().start().await;
    let report = world.checker.check(&name("nowhere.example.test")).await;
    only(&report.findings, "mx-no-such-domain");
    let ids: Vec<&str> = report.findings.iter().map(|f| f.id).collect();
    assert_eq!(ids, ["mx-no-such-domain"], "{:#?}", report.findings);
    assert_eq!(report.worst, Severity::Error);
}
