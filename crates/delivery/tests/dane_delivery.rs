//! DANE delivery (RFC 7672) end to end: signed DNS, real SMTP receivers on
//! loopback, real TLS. One test per DESIGN §2 row and per attack.

mod common;

use std::time::Duration;

use common::{RECIPIENT, add_tlsa, ca, code, identity, mx, status, tlsa_for, world};
use delivery::RecipientStatus;
use testworld::Identity;
use testworld::dns::Fault;
use testworld::smtp::Behaviour;
use tls::Method;

const MX1: &str = "mx1.example.test.";
const MX2: &str = "mx2.example.test.";
const TLSA1: &str = "_25._tcp.mx1.example.test.";
const TLSA2: &str = "_25._tcp.mx2.example.test.";

#[tokio::test]
async fn dane_host_with_matching_tlsa_gets_the_message_over_authenticated_tls() {
    let ca = ca();
    let id = identity(&ca, "mx1.example.test");
    let record = tlsa_for(id.leaf(), 3, 1, 1);
    let w = world(&[mx(MX1, 31, 10)], vec![Behaviour::starttls(&id)], |z| {
        add_tlsa(z.zone("example.test.").unwrap(), TLSA1, &record)
    })
    .await;
    let report = w.deliver().await;
    assert_eq!(status(&report), RecipientStatus::Delivered, "{report:#?}");
    let attempt = &report.attempts[0];
    let verification = attempt.verification.as_ref().expect("verified");
    assert_eq!(verification.method, Method::Dane);
    assert_eq!(verification.status, tls::Status::Authenticated);
    assert_eq!(
        verification.dane.as_ref().unwrap().record.to_string(),
        record
    );
    let messages = w.receivers[0].messages();
    assert_eq!(messages.len(), 1);
    let sessions = w.receivers[0].sessions();
    assert!(sessions[0].starttls());
    assert_eq!(sessions[0].sni(), Some("mx1.example.test"));
}

#[tokio::test]
async fn replayed_chain_without_its_key_is_refused_and_deferred() {
    let ca = ca();
    let real = identity(&ca, "mx1.example.test");
    let impostor = identity(&ca, "mx1.example.test");
    let record = tlsa_for(real.leaf(), 3, 1, 1);
    let w = world(
        &[mx(MX1, 31, 10)],
        vec![Behaviour::starttls(&Identity::replayed(&real, &impostor))],
        |z| add_tlsa(z.zone("example.test.").unwrap(), TLSA1, &record),
    )
    .await;
    let report = w.deliver().await;
    assert_eq!(status(&report), RecipientStatus::Deferred, "{report:#?}");
    assert!(code(&report).starts_with("4."), "{}", code(&report));
    assert!(w.receivers[0].messages().is_empty());
    assert!(!w.receivers[0].sessions().iter().any(|s| s.received("MAIL")));
}

#[tokio::test]
async fn starttls_stripped_on_a_dane_host_is_deferred_without_plaintext() {
    let ca = ca();
    let id = identity(&ca, "mx1.example.test");
    let record = tlsa_for(id.leaf(), 3, 1, 1);
    let w = world(&[mx(MX1, 31, 10)], vec![Behaviour::plain()], |z| {
        add_tlsa(z.zone("example.test.").unwrap(), TLSA1, &record)
    })
    .await;
    let report = w.deliver().await;
    assert_eq!(status(&report), RecipientStatus::Deferred);
    assert_eq!(code(&report), "4.7.321");
    assert!(!w.receivers[0].sessions().iter().any(|s| s.received("MAIL")));
}

#[tokio::test]
async fn dane_usage3_ignores_expiry() {
    let ca = ca();
    let id = ca.issue_expired(&["mx1.example.test"]);
    let record = tlsa_for(id.leaf(), 3, 1, 1);
    let w = world(&[mx(MX1, 31, 10)], vec![Behaviour::starttls(&id)], |z| {
        add_tlsa(z.zone("example.test.").unwrap(), TLSA1, &record)
    })
    .await;
    let report = w.deliver().await;
    assert_eq!(status(&report), RecipientStatus::Delivered, "{report:#?}");
}

#[tokio::test]
async fn dane_usage2_with_expired_certificate_is_4_7_322() {
    let root = ca();
    let issuer = root.intermediate("delivery issuing ca");
    let id = issuer.issue_expired(&["mx1.example.test"]);
    let record = tlsa_for(issuer.cert_der(), 2, 1, 1);
    let w = world(&[mx(MX1, 31, 10)], vec![Behaviour::starttls(&id)], |z| {
        add_tlsa(z.zone("example.test.").unwrap(), TLSA1, &record)
    })
    .await;
    let report = w.deliver().await;
    assert_eq!(status(&report), RecipientStatus::Deferred);
    assert_eq!(code(&report), "4.7.322", "{report:#?}");
    assert!(w.receivers[0].messages().is_empty());
}

#[tokio::test]
async fn dane_usage2_with_certificate_for_another_name_fails() {
    let root = ca();
    let issuer = root.intermediate("delivery issuing ca");
    let id = issuer.issue(&["other.example.test"]);
    let record = tlsa_for(issuer.cert_der(), 2, 1, 1);
    let w = world(&[mx(MX1, 31, 10)], vec![Behaviour::starttls(&id)], |z| {
        add_tlsa(z.zone("example.test.").unwrap(), TLSA1, &record)
    })
    .await;
    let report = w.deliver().await;
    assert_eq!(status(&report), RecipientStatus::Deferred);
    assert_eq!(code(&report), "4.7.323", "{report:#?}");
    let failure = report.attempts[0]
        .verification
        .as_ref()
        .and_then(|v| v.failure.as_ref())
        .expect("the verifier recorded the failure");
    assert_eq!(failure.result_type.as_str(), "certificate-host-mismatch");
    assert!(w.receivers[0].messages().is_empty());
}

#[tokio::test]
async fn dane_usage2_with_matching_name_delivers() {
    let root = ca();
    let issuer = root.intermediate("delivery issuing ca");
    let id = issuer.issue(&["mx1.example.test"]);
    let record = tlsa_for(issuer.cert_der(), 2, 1, 1);
    let w = world(&[mx(MX1, 31, 10)], vec![Behaviour::starttls(&id)], |z| {
        add_tlsa(z.zone("example.test.").unwrap(), TLSA1, &record)
    })
    .await;
    let report = w.deliver().await;
    assert_eq!(status(&report), RecipientStatus::Delivered, "{report:#?}");
    let dane = report.attempts[0]
        .verification
        .as_ref()
        .unwrap()
        .dane
        .as_ref()
        .unwrap();
    assert_eq!(dane.depth, 1);
}

#[tokio::test]
async fn all_unusable_tlsa_delivers_only_over_tls() {
    let ca = ca();
    let id = identity(&ca, "mx1.example.test");
    let unusable = tlsa_for(id.leaf(), 1, 1, 1);
    // Offered STARTTLS: delivered encrypted, certificate not authenticated.
    let w = world(&[mx(MX1, 31, 10)], vec![Behaviour::starttls(&id)], |z| {
        add_tlsa(z.zone("example.test.").unwrap(), TLSA1, &unusable)
    })
    .await;
    let report = w.deliver().await;
    assert_eq!(status(&report), RecipientStatus::Delivered, "{report:#?}");
    assert!(w.receivers[0].sessions()[0].starttls());
    // No STARTTLS: not delivered in plaintext.
    let w = world(&[mx(MX1, 31, 10)], vec![Behaviour::plain()], |z| {
        add_tlsa(z.zone("example.test.").unwrap(), TLSA1, &unusable)
    })
    .await;
    let report = w.deliver().await;
    assert_eq!(status(&report), RecipientStatus::Deferred);
    assert_eq!(code(&report), "4.7.321");
    assert!(w.receivers[0].messages().is_empty());
}

#[tokio::test]
async fn bogus_tlsa_is_no_downgrade() {
    let ca = ca();
    let id = identity(&ca, "mx1.example.test");
    let record = tlsa_for(id.leaf(), 3, 1, 1);
    let w = world(&[mx(MX1, 31, 10)], vec![Behaviour::plain()], |z| {
        let zone = z.zone("example.test.").unwrap();
        add_tlsa(zone, TLSA1, &record);
        zone.rrset_fault(TLSA1, "TLSA", Fault::ExpiredSignatures);
    })
    .await;
    let report = w.deliver().await;
    assert_eq!(status(&report), RecipientStatus::Deferred);
    assert_eq!(code(&report), "4.7.324", "{report:#?}");
    assert!(
        w.receivers[0].sessions().is_empty(),
        "the host was contacted"
    );
}

#[tokio::test]
async fn bogus_mx_is_4_7_324() {
    let ca = ca();
    let id = identity(&ca, "mx1.example.test");
    let w = world(&[mx(MX1, 31, 10)], vec![Behaviour::starttls(&id)], |z| {
        z.zone("example.test.").unwrap().rrset_fault(
            "example.test.",
            "MX",
            Fault::ExpiredSignatures,
        );
    })
    .await;
    let report = w.deliver().await;
    assert_eq!(status(&report), RecipientStatus::Deferred);
    assert_eq!(code(&report), "4.7.324");
    assert!(w.receivers[0].sessions().is_empty());
}

#[tokio::test]
async fn securely_absent_tlsa_delivers_opportunistically() {
    let ca = ca();
    let id = identity(&ca, "mx1.example.test");
    let w = world(&[mx(MX1, 31, 10)], vec![Behaviour::starttls(&id)], |_| {}).await;
    let report = w.deliver().await;
    assert_eq!(status(&report), RecipientStatus::Delivered, "{report:#?}");
    assert_eq!(
        report.attempts[0].verification.as_ref().unwrap().method,
        Method::Opportunistic
    );
}

#[tokio::test]
async fn first_mx_fails_dane_second_mx_succeeds() {
    let ca = ca();
    let id1 = identity(&ca, "mx1.example.test");
    let id2 = identity(&ca, "mx2.example.test");
    let other = identity(&ca, "mx1.example.test");
    let wrong = tlsa_for(other.leaf(), 3, 1, 1);
    let right = tlsa_for(id2.leaf(), 3, 1, 1);
    let w = world(
        &[mx(MX1, 31, 10), mx(MX2, 32, 20)],
        vec![Behaviour::starttls(&id1), Behaviour::starttls(&id2)],
        |z| {
            let zone = z.zone("example.test.").unwrap();
            add_tlsa(zone, TLSA1, &wrong);
            add_tlsa(zone, TLSA2, &right);
        },
    )
    .await;
    let report = w.deliver().await;
    assert_eq!(status(&report), RecipientStatus::Delivered, "{report:#?}");
    assert_eq!(report.recipients[0].host.as_deref(), Some(MX2));
    assert_eq!(
        report.attempts[0]
            .trouble
            .as_ref()
            .map(|t| t.code().to_string())
            .as_deref(),
        Some("4.7.323")
    );
    assert!(w.receivers[0].messages().is_empty());
    w.receivers[1]
        .wait_for_messages(1, Duration::from_secs(2))
        .await
        .expect("the second MX got the message");
}

#[tokio::test]
async fn sha512_record_makes_a_matching_sha256_record_unused() {
    let ca = ca();
    let id = identity(&ca, "mx1.example.test");
    let other = identity(&ca, "mx1.example.test");
    let sha256_right = tlsa_for(id.leaf(), 3, 1, 1);
    let sha512_wrong = tlsa_for(other.leaf(), 3, 1, 2);
    let w = world(&[mx(MX1, 31, 10)], vec![Behaviour::starttls(&id)], |z| {
        let zone = z.zone("example.test.").unwrap();
        add_tlsa(zone, TLSA1, &sha256_right);
        add_tlsa(zone, TLSA1, &sha512_wrong);
    })
    .await;
    let report = w.deliver().await;
    assert_eq!(status(&report), RecipientStatus::Deferred, "{report:#?}");
    assert_eq!(code(&report), "4.7.323");
}

#[tokio::test]
async fn requiretls_message_goes_only_to_an_authenticated_host_offering_it() {
    let ca = ca();
    let id = identity(&ca, "mx1.example.test");
    let record = tlsa_for(id.leaf(), 3, 1, 1);
    let w = world(
        &[mx(MX1, 31, 10)],
        vec![Behaviour::starttls(&id).requiretls(true)],
        |z| add_tlsa(z.zone("example.test.").unwrap(), TLSA1, &record),
    )
    .await;
    let report = w.deliver_with(true).await;
    assert_eq!(status(&report), RecipientStatus::Delivered, "{report:#?}");
    // Without DANE the host is not authenticated: deferred, not sent.
    let w = world(
        &[mx(MX1, 31, 10)],
        vec![Behaviour::starttls(&id).requiretls(true)],
        |_| {},
    )
    .await;
    let report = w.deliver_with(true).await;
    assert_eq!(status(&report), RecipientStatus::Deferred);
    assert_eq!(code(&report), "4.7.30");
    assert!(w.receivers[0].sessions().is_empty());
}

#[tokio::test]
async fn permanent_rcpt_refusal_fails_the_recipient_with_the_server_reply() {
    let ca = ca();
    let id = identity(&ca, "mx1.example.test");
    let w = world(
        &[mx(MX1, 31, 10)],
        vec![Behaviour::starttls(&id).permanent_for(RECIPIENT)],
        |_| {},
    )
    .await;
    let report = w.deliver().await;
    assert_eq!(status(&report), RecipientStatus::Failed, "{report:#?}");
    assert!(code(&report).starts_with("5."));
    assert_eq!(report.recipients[0].reply.as_ref().unwrap().code, 550);
}

#[tokio::test]
async fn permanent_refusal_before_tls_on_a_dane_host_defers_not_bounces() {
    use testworld::smtp::Step;
    for step in [Step::Greeting, Step::Ehlo] {
        let ca = ca();
        let id = identity(&ca, "mx1.example.test");
        let record = tlsa_for(id.leaf(), 3, 1, 1);
        let w = world(
            &[mx(MX1, 31, 10)],
            vec![Behaviour::starttls(&id).permanent_at(step)],
            |z| add_tlsa(z.zone("example.test.").unwrap(), TLSA1, &record),
        )
        .await;
        let report = w.deliver().await;
        assert_eq!(
            status(&report),
            RecipientStatus::Deferred,
            "{step:?}: {report:#?}"
        );
        assert!(
            code(&report).starts_with("4."),
            "{step:?}: {}",
            code(&report)
        );
    }
}

#[tokio::test]
async fn mx_name_that_tls_refuses_as_server_name_defers_not_bounces() {
    let ca = ca();
    let id = identity(&ca, "mx1.example.test");
    let w = world(
        &[mx("mx-.example.test.", 31, 10)],
        vec![Behaviour::starttls(&id)],
        |_| {},
    )
    .await;
    let report = w.deliver().await;
    assert_eq!(status(&report), RecipientStatus::Deferred, "{report:#?}");
    assert!(w.receivers[0].messages().is_empty());
}
