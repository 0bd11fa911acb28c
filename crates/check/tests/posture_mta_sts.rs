//! MTA-STS findings: the record, the fetch, mode, max_age, mx coverage and
//! the MX certificates.

mod common;

use check::Severity;
use common::scene::{ENFORCE, Scene};
use common::{none, only};
use testworld::https::PolicyBehaviour;

/// `mx1` and `mx2` without DANE, with `policy` served.
async fn sts(policy: &str) -> check::DomainReport {
    let mut scene = Scene::new();
    let behaviour = scene.starttls();
    scene
        .mx_host(1, 111, behaviour.clone())
        .mx_host(2, 112, behaviour);
    scene.sts(113, policy);
    scene.start().await.check().await
}

#[tokio::test]
async fn enforce_policy_covering_every_mx_passes() {
    let report = sts(ENFORCE).await;
    only(&report.findings, "mta-sts-record");
    only(&report.findings, "mta-sts-policy");
    only(&report.findings, "mta-sts-enforce");
    only(&report.findings, "mta-sts-max-age");
    only(&report.findings, "mta-sts-mx-covered");
    let valid: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.id == "mta-sts-certificate-valid")
        .collect();
    assert_eq!(valid.len(), 2, "{:#?}", report.findings);
    let verdict = only(&report.findings, "delivery-deliverable");
    assert!(verdict.evidence.contains("web-pki"), "{verdict:?}");
}

#[tokio::test]
async fn policy_missing_one_mx_names_it() {
    let report =
        sts("version: STSv1\nmode: enforce\nmx: mx1.example.test\nmax_age: 604800\n").await;
    let finding = only(&report.findings, "mta-sts-mx-not-covered");
    assert_eq!(finding.severity, Severity::Error);
    assert!(
        finding.evidence.starts_with("mx2.example.test"),
        "{finding:?}"
    );
    none(&report.findings, "mta-sts-mx-covered");
}

#[tokio::test]
async fn testing_mode_and_short_max_age_are_flagged() {
    let report = sts(
        "version: STSv1\nmode: testing\nmx: mx1.example.test\nmx: mx2.example.test\nmax_age: 3600\n",
    )
    .await;
    only(&report.findings, "mta-sts-testing");
    let age = only(&report.findings, "mta-sts-max-age-short");
    assert!(age.remedy.contains("a week or more"), "{age:?}");
}

#[tokio::test]
async fn failed_fetch_is_an_error() {
    let mut scene = Scene::new();
    let behaviour = scene.starttls();
    scene.mx_host(1, 114, behaviour);
    let id = scene.ca.issue(&["mta-sts.example.test"]);
    scene.sts_with(115, PolicyBehaviour::serving(&id, ENFORCE).status(404));
    let report = scene.start().await.check().await;
    let finding = only(&report.findings, "mta-sts-fetch-failed");
    assert!(finding.evidence.contains("404"), "{finding:?}");
}

#[tokio::test]
async fn mx_certificate_for_another_name_is_an_error_and_deferred() {
    let mut scene = Scene::new();
    let wrong = scene.ca.issue(&["other.example.test"]);
    scene.mx_host(1, 116, testworld::smtp::Behaviour::starttls(&wrong));
    scene.sts(117, ENFORCE);
    let report = scene.start().await.check().await;
    only(&report.findings, "mta-sts-certificate-invalid");
    only(&report.findings, "delivery-deferred");
}

#[tokio::test]
async fn no_record_is_info() {
    let mut scene = Scene::new();
    let behaviour = scene.starttls();
    scene.mx_host(1, 118, behaviour);
    let report = scene.start().await.check().await;
    assert_eq!(
        only(&report.findings, "mta-sts-none").severity,
        Severity::Info
    );
}

#[tokio::test]
async fn dane_host_is_still_checked_under_webpki_for_the_policy() {
    let mut scene = Scene::new();
    let wrong = scene.ca.issue(&["other.example.test"]);
    scene
        .mx_host(1, 119, testworld::smtp::Behaviour::starttls(&wrong))
        .tlsa(1, &wrong);
    scene.sts(120, ENFORCE);
    let report = scene.start().await.check().await;
    // DANE-EE ignores names, so DANE senders deliver ...
    only(&report.findings, "dane-match");
    only(&report.findings, "delivery-deliverable");
    // ... but senders that only know MTA-STS refuse the certificate.
    let finding = only(&report.findings, "mta-sts-certificate-invalid");
    assert!(
        finding.evidence.starts_with("mx1.example.test"),
        "{finding:?}"
    );
}

#[tokio::test]
async fn testing_policy_hosts_are_checked_as_enforce_would() {
    let mut scene = Scene::new();
    let wrong = scene.ca.issue(&["other.example.test"]);
    scene.mx_host(1, 121, testworld::smtp::Behaviour::starttls(&wrong));
    scene.sts(
        122,
        "version: STSv1\nmode: testing\nmx: mx1.example.test\nmax_age: 604800\n",
    );
    let report = scene.start().await.check().await;
    only(&report.findings, "mta-sts-testing");
    only(&report.findings, "mta-sts-certificate-invalid");
    only(&report.findings, "delivery-deliverable");
}

#[tokio::test]
async fn policy_is_fetched_once_and_every_probe_ends_with_quit() {
    let mut scene = Scene::new();
    let behaviour = scene.starttls();
    scene.mx_host(1, 121, behaviour);
    scene.sts(122, ENFORCE);
    let started = scene.start().await;
    let report = started.check().await;
    only(&report.findings, "mta-sts-policy");
    only(&report.findings, "mta-sts-certificate-valid");
    let host = started.policy_host.as_ref().expect("policy host");
    // The plan's fetch is the check's: one connection to the policy host.
    assert_eq!(host.fetches(), 1);
    // The QUITs are sent after the findings are made, but before the check
    // returns.
    let sessions = started.receivers[0]
        .wait_for_ended_sessions(1, std::time::Duration::from_secs(5))
        .await
        .expect("the probe's session ends");
    for session in sessions {
        assert_eq!(
            session.end,
            Some(testworld::smtp::Ended::Quit),
            "{session:?}"
        );
    }
}
