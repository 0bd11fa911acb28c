//! MTA-STS delivery (RFC 8461 §4, §5) end to end: signed DNS, SMTP
//! receivers on loopback with certificates from a test CA, real TLS, and
//! the policy from a scripted MTA-STS source. DESIGN §2: enforce failures
//! move on and defer (never bounce), testing mode delivers and records,
//! DANE wins.

mod common;

use common::sts::{ENFORCE, Script, TESTING};
use common::{World, add_tlsa, ca, code, identity, mx, status, tlsa_for, world};
use delivery::{DeliveryReport, RecipientStatus};
use testworld::ca::TestCa;
use testworld::smtp::Behaviour;
use tls::{Method, TrustRoots};

const MX1: &str = "mx1.example.test.";
const OTHER: &str = "other.example.test.";
const WILD: &str = "a.mx.example.test.";

/// The test CA as the only WebPKI root.
fn roots(ca: &TestCa) -> TrustRoots {
    TrustRoots::only(&[ca.root_der().clone()]).expect("the test root is usable")
}

/// Delivers once under the policy `body` published with id `1`.
async fn deliver_under(w: &World, ca: &TestCa, body: &str) -> DeliveryReport {
    let script = Script::default();
    script.publish("1", Some(body));
    w.deliver_sts(&script.policies(), roots(ca), false).await
}

/// The TLS-RPT result type of a recorded trouble.
fn rpt(trouble: Option<&policy::Trouble>) -> Option<&'static str> {
    trouble.and_then(|t| t.result_type()).map(|t| t.as_str())
}

fn assert_deferred_without_mail(report: &DeliveryReport, w: &World) {
    assert_eq!(status(report), RecipientStatus::Deferred, "{report:#?}");
    let trouble = report.recipients[0].trouble.as_ref().expect("a cause");
    assert!(trouble.is_temporary());
    assert!(trouble.final_code().to_string().starts_with("5."));
    for receiver in &w.receivers {
        assert!(receiver.messages().is_empty());
        assert!(!receiver.sessions().iter().any(|s| s.received("MAIL")));
    }
}

#[tokio::test]
async fn enforce_valid_certificate_delivers() {
    let ca = ca();
    let id = identity(&ca, "mx1.example.test");
    let w = world(&[mx(MX1, 41, 10)], vec![Behaviour::starttls(&id)], |_| {}).await;
    let report = deliver_under(&w, &ca, ENFORCE).await;
    assert_eq!(status(&report), RecipientStatus::Delivered, "{report:#?}");
    let verification = report.attempts[0].verification.as_ref().expect("verified");
    assert_eq!(verification.method, Method::WebPki);
    assert_eq!(verification.status, tls::Status::Authenticated);
    assert_eq!(w.receivers[0].messages().len(), 1);
    assert_eq!(w.receivers[0].sessions()[0].sni(), Some("mx1.example.test"));
}

#[tokio::test]
async fn enforce_mx_outside_policy_is_not_used() {
    let ca = ca();
    let other = identity(&ca, "other.example.test");
    let listed = identity(&ca, "a.mx.example.test");
    let w = world(
        &[mx(OTHER, 41, 10), mx(WILD, 42, 20)],
        vec![Behaviour::starttls(&other), Behaviour::starttls(&listed)],
        |_| {},
    )
    .await;
    let report = deliver_under(&w, &ca, ENFORCE).await;
    assert_eq!(status(&report), RecipientStatus::Delivered, "{report:#?}");
    assert_eq!(report.recipients[0].host.as_deref(), Some(WILD));
    assert!(
        w.receivers[0].sessions().is_empty(),
        "the host outside the policy was contacted"
    );
    assert_eq!(report.attempts.len(), 1);
}

#[tokio::test]
async fn enforce_with_no_mx_in_policy_is_deferred_4_7_5() {
    let ca = ca();
    let other = identity(&ca, "other.example.test");
    let w = world(
        &[mx(OTHER, 41, 10)],
        vec![Behaviour::starttls(&other)],
        |_| {},
    )
    .await;
    let report = deliver_under(&w, &ca, ENFORCE).await;
    assert_deferred_without_mail(&report, &w);
    assert_eq!(code(&report), "4.7.5");
    assert_eq!(
        rpt(report.recipients[0].trouble.as_ref()),
        Some("validation-failure")
    );
    assert!(w.receivers[0].sessions().is_empty());
}

#[tokio::test]
async fn enforce_wrong_certificate_is_deferred_not_bounced() {
    let ca = ca();
    let wrong = identity(&ca, "wrong.example.test");
    let w = world(
        &[mx(MX1, 41, 10)],
        vec![Behaviour::starttls(&wrong)],
        |_| {},
    )
    .await;
    let report = deliver_under(&w, &ca, ENFORCE).await;
    assert_deferred_without_mail(&report, &w);
    assert_eq!(code(&report), "4.7.5");
    assert_eq!(
        rpt(report.recipients[0].trouble.as_ref()),
        Some("certificate-host-mismatch")
    );
}

#[tokio::test]
async fn enforce_untrusted_certificate_is_deferred() {
    let ca = ca();
    let stranger = TestCa::new("some other ca");
    let id = identity(&stranger, "mx1.example.test");
    let w = world(&[mx(MX1, 41, 10)], vec![Behaviour::starttls(&id)], |_| {}).await;
    let report = deliver_under(&w, &ca, ENFORCE).await;
    assert_deferred_without_mail(&report, &w);
    assert_eq!(code(&report), "4.7.5");
    assert_eq!(
        rpt(report.recipients[0].trouble.as_ref()),
        Some("certificate-not-trusted")
    );
}

#[tokio::test]
async fn enforce_expired_certificate_is_deferred_4_7_322() {
    let ca = ca();
    let id = ca.issue_expired(&["mx1.example.test"]);
    let w = world(&[mx(MX1, 41, 10)], vec![Behaviour::starttls(&id)], |_| {}).await;
    let report = deliver_under(&w, &ca, ENFORCE).await;
    assert_deferred_without_mail(&report, &w);
    assert_eq!(code(&report), "4.7.322");
    assert_eq!(
        rpt(report.recipients[0].trouble.as_ref()),
        Some("certificate-expired")
    );
}

#[tokio::test]
async fn enforce_starttls_stripped_is_deferred() {
    let ca = ca();
    let w = world(&[mx(MX1, 41, 10)], vec![Behaviour::plain()], |_| {}).await;
    let report = deliver_under(&w, &ca, ENFORCE).await;
    assert_deferred_without_mail(&report, &w);
    assert_eq!(code(&report), "4.7.321");
    assert_eq!(
        rpt(report.recipients[0].trouble.as_ref()),
        Some("starttls-not-supported")
    );
    assert!(!report.attempts.iter().any(|a| a.plaintext_retry));
}

#[tokio::test]
async fn enforce_failure_on_first_mx_moves_to_the_next() {
    let ca = ca();
    let wrong = identity(&ca, "wrong.example.test");
    let right = identity(&ca, "a.mx.example.test");
    let w = world(
        &[mx(MX1, 41, 10), mx(WILD, 42, 20)],
        vec![Behaviour::starttls(&wrong), Behaviour::starttls(&right)],
        |_| {},
    )
    .await;
    let report = deliver_under(&w, &ca, ENFORCE).await;
    assert_eq!(status(&report), RecipientStatus::Delivered, "{report:#?}");
    assert_eq!(report.recipients[0].host.as_deref(), Some(WILD));
    assert_eq!(
        rpt(report.attempts[0].trouble.as_ref()),
        Some("certificate-host-mismatch")
    );
    assert!(w.receivers[0].messages().is_empty());
}

#[tokio::test]
async fn requiretls_counts_an_enforce_host_as_authenticated() {
    let ca = ca();
    let id = identity(&ca, "mx1.example.test");
    let w = world(
        &[mx(MX1, 41, 10)],
        vec![Behaviour::starttls(&id).requiretls(true)],
        |_| {},
    )
    .await;
    let script = Script::default();
    script.publish("1", Some(ENFORCE));
    let report = w.deliver_sts(&script.policies(), roots(&ca), true).await;
    assert_eq!(status(&report), RecipientStatus::Delivered, "{report:#?}");
    // Under `testing` the host is not authenticated: REQUIRETLS defers.
    script.publish("2", Some(TESTING));
    let report = w.deliver_sts(&script.policies(), roots(&ca), true).await;
    assert_eq!(status(&report), RecipientStatus::Deferred, "{report:#?}");
    assert_eq!(code(&report), "4.7.30");
}

#[tokio::test]
async fn testing_mode_delivers_and_records_the_failure() {
    let ca = ca();
    let wrong = identity(&ca, "wrong.example.test");
    let w = world(
        &[mx(MX1, 41, 10)],
        vec![Behaviour::starttls(&wrong)],
        |_| {},
    )
    .await;
    let report = deliver_under(&w, &ca, TESTING).await;
    assert_eq!(status(&report), RecipientStatus::Delivered, "{report:#?}");
    let attempt = &report.attempts[0];
    assert!(attempt.trouble.is_none());
    assert_eq!(
        rpt(attempt.sts_testing_failure.as_ref()),
        Some("certificate-host-mismatch")
    );
    assert!(w.receivers[0].sessions()[0].starttls());
}

#[tokio::test]
async fn testing_mode_with_a_valid_certificate_records_nothing() {
    let ca = ca();
    let id = identity(&ca, "mx1.example.test");
    let w = world(&[mx(MX1, 41, 10)], vec![Behaviour::starttls(&id)], |_| {}).await;
    let report = deliver_under(&w, &ca, TESTING).await;
    assert_eq!(status(&report), RecipientStatus::Delivered, "{report:#?}");
    assert!(report.attempts[0].sts_testing_failure.is_none());
    assert_eq!(
        report.attempts[0].verification.as_ref().unwrap().method,
        Method::Opportunistic
    );
}

#[tokio::test]
async fn testing_mode_records_untrusted_and_expired_certificates() {
    let ca = ca();
    let stranger = TestCa::new("some other ca");
    let cases = [
        (
            identity(&stranger, "mx1.example.test"),
            "certificate-not-trusted",
        ),
        (
            ca.issue_expired(&["mx1.example.test"]),
            "certificate-expired",
        ),
    ];
    for (id, expected) in cases {
        let w = world(&[mx(MX1, 41, 10)], vec![Behaviour::starttls(&id)], |_| {}).await;
        let report = deliver_under(&w, &ca, TESTING).await;
        assert_eq!(status(&report), RecipientStatus::Delivered, "{report:#?}");
        assert_eq!(
            rpt(report.attempts[0].sts_testing_failure.as_ref()),
            Some(expected)
        );
    }
}

#[tokio::test]
async fn testing_mode_without_starttls_delivers_in_plaintext_and_records_it() {
    let ca = ca();
    let w = world(&[mx(MX1, 41, 10)], vec![Behaviour::plain()], |_| {}).await;
    let report = deliver_under(&w, &ca, TESTING).await;
    assert_eq!(status(&report), RecipientStatus::Delivered, "{report:#?}");
    assert_eq!(
        rpt(report.attempts[0].sts_testing_failure.as_ref()),
        Some("starttls-not-supported")
    );
}

#[tokio::test]
async fn testing_mode_mx_outside_policy_delivers_and_records_validation_failure() {
    let ca = ca();
    let id = identity(&ca, "other.example.test");
    let w = world(&[mx(OTHER, 41, 10)], vec![Behaviour::starttls(&id)], |_| {}).await;
    let report = deliver_under(&w, &ca, TESTING).await;
    assert_eq!(status(&report), RecipientStatus::Delivered, "{report:#?}");
    let failure = report.attempts[0].sts_testing_failure.as_ref();
    assert_eq!(rpt(failure), Some("validation-failure"));
    assert_eq!(failure.unwrap().cause, policy::Cause::StsMxNotInPolicy);
}

#[tokio::test]
async fn dane_and_sts_both_present_dane_decides() {
    let ca = ca();
    // DANE fails (no TLSA record matches); the certificate would satisfy
    // MTA-STS. MTA-STS does not rescue it: deferred with the DANE cause.
    let id = identity(&ca, "mx1.example.test");
    let unrelated = identity(&ca, "mx1.example.test");
    let wrong = tlsa_for(unrelated.leaf(), 3, 1, 1);
    let w = world(&[mx(MX1, 41, 10)], vec![Behaviour::starttls(&id)], |z| {
        add_tlsa(
            z.zone("example.test.").unwrap(),
            "_25._tcp.mx1.example.test.",
            &wrong,
        )
    })
    .await;
    let report = deliver_under(&w, &ca, ENFORCE).await;
    assert_deferred_without_mail(&report, &w);
    assert_eq!(code(&report), "4.7.323");

    // DANE passes on a host the policy does not list, with a certificate
    // WebPKI would refuse (expired, another name): DANE is used, and the
    // message is delivered.
    let expired = ca.issue_expired(&["somewhere.else.test"]);
    let right = tlsa_for(expired.leaf(), 3, 1, 1);
    let w = world(
        &[mx(OTHER, 42, 10)],
        vec![Behaviour::starttls(&expired)],
        |z| {
            add_tlsa(
                z.zone("example.test.").unwrap(),
                "_25._tcp.other.example.test.",
                &right,
            )
        },
    )
    .await;
    let report = deliver_under(&w, &ca, ENFORCE).await;
    assert_eq!(status(&report), RecipientStatus::Delivered, "{report:#?}");
    let verification = report.attempts[0].verification.as_ref().unwrap();
    assert_eq!(verification.method, Method::Dane);
    assert_eq!(verification.status, tls::Status::Authenticated);
}

#[tokio::test]
async fn sts_fetch_failure_with_valid_cache_still_enforces() {
    let ca = ca();
    let wrong = identity(&ca, "wrong.example.test");
    let w = world(
        &[mx(MX1, 41, 10)],
        vec![Behaviour::starttls(&wrong)],
        |_| {},
    )
    .await;
    let script = Script::default();
    let policies = script.policies();
    script.publish("1", Some(ENFORCE));
    let report = w.deliver_sts(&policies, roots(&ca), false).await;
    assert_deferred_without_mail(&report, &w);
    // A new id, and the policy host fails: the cached policy still rules.
    script.publish("2", None);
    let report = w.deliver_sts(&policies, roots(&ca), false).await;
    assert_eq!(script.fetches(), 2);
    assert_deferred_without_mail(&report, &w);
    assert_eq!(code(&report), "4.7.5");
    let sts = report.plan.sts.as_ref().unwrap();
    assert_eq!(sts.active().unwrap().origin, policy::sts::Origin::Cache);
    assert_eq!(rpt(sts.trouble.as_ref()), Some("sts-policy-fetch-error"));
}

#[tokio::test]
async fn sts_fetch_failure_without_cache_delivers_as_without_policy() {
    let ca = ca();
    let wrong = identity(&ca, "wrong.example.test");
    let w = world(
        &[mx(MX1, 41, 10)],
        vec![Behaviour::starttls(&wrong)],
        |_| {},
    )
    .await;
    let script = Script::default();
    script.publish("1", None);
    let report = w.deliver_sts(&script.policies(), roots(&ca), false).await;
    assert_eq!(status(&report), RecipientStatus::Delivered, "{report:#?}");
    let sts = report.plan.sts.as_ref().unwrap();
    assert!(sts.active().is_none());
    assert_eq!(rpt(sts.trouble.as_ref()), Some("sts-policy-fetch-error"));
}
