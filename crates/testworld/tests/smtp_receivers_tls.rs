//! The SMTP receivers' TLS behaviours, driven by the `smtp` crate's client
//! with a plain rustls configuration trusting the test CA: each certificate
//! problem shows up as the verification failure it stands for, and the
//! receivers record the sessions.

mod common;

use common::*;
use rustls::CertificateError;
use smtp::{Error, Stage};
use testworld::Identity;
use testworld::ca::TestCa;
use testworld::smtp::{Behaviour, Ended, Receiver, Step};

#[tokio::test]
async fn normal_receiver_takes_mail_over_starttls_and_records_it() {
    let ca = TestCa::new("Normal CA");
    let receiver = start(Behaviour::starttls(&ca.issue(&[MX])).hostname(MX));
    let mut client = session(&receiver, Some(ca.rustls_client_config()))
        .await
        .unwrap();
    let result = client
        .send(&envelope(&["a@example.test", "b@example.test"]), MESSAGE)
        .await
        .unwrap();
    assert_eq!(result.accepted().count(), 2);
    client.quit().await.unwrap();

    let messages = receiver.wait_for_messages(1, PATIENCE).await.unwrap();
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    assert_eq!(message.envelope.sender, "sender@origin.test");
    assert_eq!(
        message.recipient_addresses(),
        ["a@example.test", "b@example.test"]
    );
    assert_eq!(message.data, MESSAGE);
    assert_eq!(message.session.helo.as_deref(), Some("client.test"));
    assert!(message.session.tls.is_some());

    assert_eq!(ended(&receiver).await, Ended::Quit);
    let session = &receiver.sessions()[0];
    assert!(session.starttls());
    assert_eq!(session.sni(), Some(MX));
    assert_eq!(session.tls_version(), Some("TLSv1.3"));
    assert_eq!(session.ehlo.as_deref(), Some("client.test"));
    assert_eq!(
        session.commands,
        [
            "EHLO client.test",
            "STARTTLS",
            "EHLO client.test",
            "MAIL FROM:<sender@origin.test> SIZE=31",
            "RCPT TO:<a@example.test>",
            "RCPT TO:<b@example.test>",
            "DATA",
            ".",
        ]
    );
}

#[tokio::test]
async fn plain_receiver_does_not_offer_starttls_but_takes_plaintext_mail() {
    let receiver = start(Behaviour::plain());
    let mut client = session(&receiver, None).await.unwrap();
    assert!(!client.capabilities().starttls);
    let ca = TestCa::new("Unused CA");
    let err = client
        .starttls(ca.rustls_client_config(), mx_name())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotOffered { .. }), "{err}");
    client
        .send(&envelope(&["a@example.test"]), MESSAGE)
        .await
        .unwrap();
    client.quit().await.unwrap();
    let messages = receiver.wait_for_messages(1, PATIENCE).await.unwrap();
    assert!(messages[0].session.tls.is_none());
    assert!(!receiver.sessions()[0].starttls());
}

#[tokio::test]
async fn refused_starttls_answers_454_and_stays_in_plaintext() {
    let receiver = start(Behaviour::starttls_refused());
    let mut client = session(&receiver, None).await.unwrap();
    assert!(client.capabilities().starttls, "STARTTLS is advertised");
    let ca = TestCa::new("Refused CA");
    let err = client
        .starttls(ca.rustls_client_config(), mx_name())
        .await
        .unwrap_err();
    assert_eq!(err.reply().map(|r| r.code), Some(454), "{err}");
    assert!(client.is_usable());
    client.quit().await.unwrap();
    assert_eq!(ended(&receiver).await, Ended::Quit);
    assert!(!receiver.sessions()[0].starttls());
}

#[tokio::test]
async fn aborted_starttls_closes_the_connection_before_the_handshake() {
    let receiver = start(Behaviour::starttls_aborted());
    let mut client = session(&receiver, None).await.unwrap();
    let ca = TestCa::new("Aborted CA");
    let err = client
        .starttls(ca.rustls_client_config(), mx_name())
        .await
        .unwrap_err();
    assert!(err.is_tls_failure(), "{err}");
    assert!(!client.is_usable(), "no plaintext after a failed handshake");
    assert_eq!(ended(&receiver).await, Ended::Dropped);
}

#[tokio::test]
async fn failing_starttls_ends_in_a_tls_alert() {
    let receiver = start(Behaviour::starttls_failing());
    let ca = TestCa::new("Failing CA");
    let err = session(&receiver, Some(ca.rustls_client_config()))
        .await
        .unwrap_err();
    assert!(
        matches!(err.tls_error(), Some(rustls::Error::AlertReceived(_))),
        "{err}"
    );
    let end = ended(&receiver).await;
    assert!(
        matches!(
            end,
            Ended::Failed {
                stage: Stage::StartTls,
                ..
            }
        ),
        "{end:?}"
    );
}

/// Starts a receiver presenting `identity` and returns the error of a
/// client that trusts `trusted`'s root.
async fn handshake_error(identity: &Identity, trusted: &TestCa) -> (Error, Receiver) {
    let receiver = start(Behaviour::starttls(identity));
    let err = session(&receiver, Some(trusted.rustls_client_config()))
        .await
        .unwrap_err();
    assert!(err.is_tls_failure(), "{err}");
    (err, receiver)
}

#[tokio::test]
async fn expired_certificate_fails_verification_as_expired() {
    let ca = TestCa::new("Expired CA");
    let (err, receiver) = handshake_error(&ca.issue_expired(&[MX]), &ca).await;
    assert!(
        matches!(
            certificate_error(&err),
            CertificateError::Expired | CertificateError::ExpiredContext { .. }
        ),
        "{err}"
    );
    let end = ended(&receiver).await;
    assert!(
        matches!(
            end,
            Ended::Failed {
                stage: Stage::StartTls,
                ..
            }
        ),
        "the receiver saw the handshake fail: {end:?}"
    );
}

#[tokio::test]
async fn not_yet_valid_certificate_fails_verification() {
    let ca = TestCa::new("Future CA");
    let (err, _receiver) = handshake_error(&ca.issue_not_yet_valid(&[MX]), &ca).await;
    assert!(
        matches!(
            certificate_error(&err),
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn certificate_for_another_name_fails_name_check() {
    let ca = TestCa::new("Other Name CA");
    let (err, _receiver) = handshake_error(&ca.issue(&["other.example.test"]), &ca).await;
    assert!(
        matches!(
            certificate_error(&err),
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn certificate_from_an_untrusted_ca_is_an_unknown_issuer() {
    let trusted = TestCa::new("Trusted CA");
    let stranger = TestCa::new("Stranger CA");
    let (err, _receiver) = handshake_error(&stranger.issue(&[MX]), &trusted).await;
    assert_eq!(certificate_error(&err), CertificateError::UnknownIssuer);
}

#[tokio::test]
async fn replayed_chain_without_its_key_fails_the_handshake_signature() {
    let ca = TestCa::new("Replay CA");
    let real = ca.issue(&[MX]);
    let attacker = ca.issue(&["attacker.example.test"]);
    let replayed = Identity::replayed(&real, &attacker);
    let (err, _receiver) = handshake_error(&replayed, &ca).await;
    assert_eq!(certificate_error(&err), CertificateError::BadSignature);
}

#[tokio::test]
async fn replayed_chain_fails_over_tls12_too() {
    let ca = TestCa::new("Replay 1.2 CA");
    let real = ca.issue(&[MX]);
    let attacker = ca.issue(&[MX]);
    let replayed = Identity::replayed(&real, &attacker);
    let config = replayed.rustls_server_config_for(&[&rustls::version::TLS12]);
    let receiver = start(Behaviour::starttls_with(config));
    let err = session(&receiver, Some(ca.rustls_client_config()))
        .await
        .unwrap_err();
    assert_eq!(certificate_error(&err), CertificateError::BadSignature);
}

#[tokio::test]
async fn intermediate_chain_verifies_with_only_the_root_trusted() {
    let root = TestCa::new("Chain Root CA");
    let intermediate = root.intermediate("Chain Intermediate CA");
    let receiver = start(Behaviour::starttls(&intermediate.issue(&[MX])));
    let client = session(&receiver, Some(root.rustls_client_config()))
        .await
        .unwrap();
    let presented = client.peer_certificates().unwrap();
    assert_eq!(presented.len(), 2, "leaf and intermediate, no root");
    assert_eq!(presented[1], *intermediate.cert_der());
}

#[tokio::test]
async fn tls12_only_receiver_records_tls12() {
    let ca = TestCa::new("TLS 1.2 CA");
    let config = ca
        .issue(&[MX])
        .rustls_server_config_for(&[&rustls::version::TLS12]);
    let receiver = start(Behaviour::starttls_with(config));
    let mut client = session(&receiver, Some(ca.rustls_client_config()))
        .await
        .unwrap();
    client.quit().await.unwrap();
    ended(&receiver).await;
    assert_eq!(receiver.sessions()[0].tls_version(), Some("TLSv1.2"));
}

#[tokio::test]
async fn requiretls_is_advertised_under_tls_only_when_chosen() {
    let ca = TestCa::new("Requiretls CA");
    let identity = ca.issue(&[MX]);
    for offered in [true, false] {
        let receiver = start(Behaviour::starttls(&identity).requiretls(offered));
        let mut client = session(&receiver, None).await.unwrap();
        assert!(!client.capabilities().requiretls, "never before STARTTLS");
        client
            .starttls(ca.rustls_client_config(), mx_name())
            .await
            .unwrap();
        assert_eq!(client.capabilities().requiretls, offered);
    }
}

#[tokio::test]
async fn starttls_refusal_as_a_step_uses_the_chosen_class() {
    let ca = TestCa::new("Starttls Step CA");
    let identity = ca.issue(&[MX]);
    for (behaviour, class) in [
        (
            Behaviour::starttls(&identity).temporary_at(Step::StartTls),
            4,
        ),
        (
            Behaviour::starttls(&identity).permanent_at(Step::StartTls),
            5,
        ),
    ] {
        let receiver = start(behaviour);
        let err = session(&receiver, Some(ca.rustls_client_config()))
            .await
            .unwrap_err();
        assert_eq!(err.reply().map(|r| r.code / 100), Some(class), "{err}");
    }
}

#[tokio::test]
async fn dropped_connection_at_starttls_leaves_the_client_without_tls() {
    let ca = TestCa::new("Drop Starttls CA");
    let receiver = start(Behaviour::starttls(&ca.issue(&[MX])).drop_at(Step::StartTls));
    let err = session(&receiver, Some(ca.rustls_client_config()))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Closed {
                stage: Stage::StartTls
            }
        ),
        "{err}"
    );
}
