//! What TLS reporting counts of real deliveries in the test world
//! (RFC 8460 §4): the policy each session was made under and its result.

#[path = "../../delivery/tests/common/mod.rs"]
mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::sts::{Script, TESTING};
use common::{add_tlsa, ca, identity, mx, tlsa_for, world};
use queue::{TlsSession, tls_sessions, utc_day};
use testworld::ca::TestCa;
use testworld::smtp::Behaviour;
use tls::TrustRoots;

const MX1: &str = "mx1.example.test.";

fn at() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

fn roots(ca: &TestCa) -> TrustRoots {
    TrustRoots::only(&[ca.root_der().clone()]).expect("the test root is usable")
}

fn only(sessions: &[TlsSession]) -> &TlsSession {
    assert_eq!(sessions.len(), 1, "{sessions:#?}");
    let session = &sessions[0];
    assert_eq!(session.policy_domain, "example.test");
    assert_eq!(session.day, utc_day(at()));
    session
}

#[tokio::test]
async fn dane_success_counts_under_the_tlsa_records() {
    let ca = ca();
    let id = identity(&ca, "mx1.example.test");
    let record = tlsa_for(id.leaf(), 3, 1, 1);
    let w = world(&[mx(MX1, 51, 10)], vec![Behaviour::starttls(&id)], |dns| {
        let zone = dns.zone("example.test.").expect("zone exists");
        add_tlsa(zone, "_25._tcp.mx1.example.test.", &record);
    })
    .await;
    let report = w.deliver().await;
    let session = only(&tls_sessions(&report, at())).clone();
    assert_eq!(session.policy.policy_type, "tlsa");
    assert_eq!(session.policy.mx_host, ["mx1.example.test"]);
    assert_eq!(session.policy.policy_string.len(), 1);
    assert!(session.failure.is_none(), "{session:?}");
}

#[tokio::test]
async fn an_sts_testing_failure_counts_as_a_failure_under_the_policy() {
    let ca = ca();
    let wrong = identity(&ca, "wrong.example.test");
    let w = world(
        &[mx(MX1, 52, 10)],
        vec![Behaviour::starttls(&wrong)],
        |_| {},
    )
    .await;
    let script = Script::default();
    script.publish("1", Some(TESTING));
    let report = w.deliver_sts(&script.policies(), roots(&ca), false).await;
    assert!(
        report.attempts[0].trouble.is_none(),
        "delivered under testing"
    );
    let sessions = tls_sessions(&report, at());
    let session = only(&sessions);
    assert_eq!(session.policy.policy_type, "sts");
    assert_eq!(
        session.policy.policy_string,
        [
            "version: STSv1",
            "mode: testing",
            "mx: mx1.example.test",
            "max_age: 604800"
        ]
    );
    assert_eq!(session.policy.mx_host, ["mx1.example.test"]);
    let failure = session.failure.as_ref().expect("a failure");
    assert_eq!(failure.result_type, "certificate-host-mismatch");
    assert_eq!(
        failure.receiving_mx_hostname.as_deref(),
        Some("mx1.example.test")
    );
    assert_eq!(failure.receiving_ip, Some("127.0.0.52".parse().unwrap()));
    assert_eq!(failure.receiving_mx_helo.as_deref(), Some("receiver.test"));
    assert!(failure.sending_mta_ip.is_some());
}

#[tokio::test]
async fn no_starttls_under_testing_is_starttls_not_supported() {
    let ca = ca();
    let w = world(&[mx(MX1, 53, 10)], vec![Behaviour::plain()], |_| {}).await;
    let script = Script::default();
    script.publish("1", Some(TESTING));
    let report = w.deliver_sts(&script.policies(), roots(&ca), false).await;
    let sessions = tls_sessions(&report, at());
    let failure = only(&sessions).failure.as_ref().expect("a failure");
    assert_eq!(failure.result_type, "starttls-not-supported");
}

#[tokio::test]
async fn nothing_published_counts_as_no_policy_found() {
    let w = world(&[mx(MX1, 54, 10)], vec![Behaviour::plain()], |_| {}).await;
    let report = w.deliver().await;
    let sessions = tls_sessions(&report, at());
    let session = only(&sessions);
    assert_eq!(session.policy.policy_type, "no-policy-found");
    assert!(session.failure.is_none());
}

#[tokio::test]
async fn a_refused_connection_is_no_tls_session() {
    let w = world(&[mx(MX1, 55, 10)], vec![], |_| {}).await;
    let report = w.deliver().await;
    assert!(!report.attempts.is_empty(), "{report:#?}");
    assert!(tls_sessions(&report, at()).is_empty());
}
