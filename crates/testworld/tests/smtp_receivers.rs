//! The SMTP receivers of the test world, driven by the `smtp` crate's
//! client: each behaviour shows up on the client's side as the failure it
//! stands for, and the receivers record what they got.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::CertificateError;
use rustls_pki_types::ServerName;
use smtp::{
    Client, ClientOptions, Envelope, Error, MailOptions, Recipient, RecipientStatus, Reply, Stage,
    Timeouts, TransactionResult,
};
use testworld::Identity;
use testworld::ca::TestCa;
use testworld::net::{free_port, loopback};
use testworld::smtp::{Behaviour, Ended, Receiver, Step};

const MX: &str = "mx.example.test";
const MESSAGE: &[u8] = b"Subject: test world\r\n\r\nHello.\r\n";
const PATIENCE: Duration = Duration::from_secs(5);

fn options() -> ClientOptions {
    ClientOptions {
        timeouts: Timeouts::uniform(PATIENCE),
        ..ClientOptions::default()
    }
}

fn envelope(recipients: &[&str]) -> Envelope {
    Envelope {
        sender: "sender@origin.test".into(),
        recipients: recipients.iter().map(|r| Recipient::new(*r)).collect(),
        options: MailOptions::default(),
    }
}

fn mx_name() -> ServerName<'static> {
    ServerName::try_from(MX).unwrap()
}

fn start(behaviour: Behaviour) -> Receiver {
    Receiver::start(SocketAddr::new(loopback(1), 0), behaviour).unwrap()
}

/// Connects, says EHLO and, when `tls` is given, does STARTTLS with it.
async fn session(
    receiver: &Receiver,
    tls: Option<Arc<rustls::ClientConfig>>,
) -> Result<Client, Error> {
    let mut client = Client::connect(receiver.addr(), options()).await?;
    client.ehlo("client.test").await?;
    if let Some(config) = tls {
        client.starttls(config, mx_name()).await?;
    }
    Ok(client)
}

/// A whole delivery of [`MESSAGE`] in plaintext.
async fn deliver(receiver: &Receiver, recipients: &[&str]) -> Result<TransactionResult, Error> {
    let mut client = session(receiver, None).await?;
    let result = client.send(&envelope(recipients), MESSAGE).await?;
    client.quit().await?;
    Ok(result)
}

/// The certificate problem that failed a handshake.
fn certificate_error(err: &Error) -> CertificateError {
    match err.tls_error() {
        Some(rustls::Error::InvalidCertificate(problem)) => problem.clone(),
        other => panic!("expected a certificate error, got {other:?} from {err}"),
    }
}

async fn ended(receiver: &Receiver) -> Ended {
    let sessions = receiver.wait_for_ended_sessions(1, PATIENCE).await.unwrap();
    sessions[0].end.clone().unwrap()
}

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
    assert_eq!(message.from, "sender@origin.test");
    assert_eq!(message.recipients, ["a@example.test", "b@example.test"]);
    assert_eq!(message.data, MESSAGE);
    assert_eq!(message.helo, "client.test");
    assert!(message.tls.is_some());

    assert_eq!(ended(&receiver).await, Ended::Quit);
    let session = &receiver.sessions()[0];
    assert!(session.starttls());
    assert_eq!(session.sni(), Some(MX));
    assert_eq!(session.tls_version(), Some("TLSv1_3"));
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
    assert!(messages[0].tls.is_none());
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
    assert_eq!(receiver.sessions()[0].tls_version(), Some("TLSv1_2"));
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
async fn temporary_refusal_at_each_step_reaches_the_client() {
    for step in [Step::Greeting, Step::Ehlo, Step::Mail] {
        let receiver = start(Behaviour::plain().temporary_at(step));
        let err = deliver(&receiver, &["a@example.test"]).await.unwrap_err();
        let code = err.reply().map(|r| r.code);
        assert!(code.is_some_and(|c| c / 100 == 4), "{step:?}: {err}");
        assert!(err.is_temporary(), "{step:?}: {err}");
        assert!(receiver.messages().is_empty());
    }
    for step in [Step::Rcpt, Step::Data, Step::DataEnd] {
        let receiver = start(Behaviour::plain().temporary_at(step));
        let result = deliver(&receiver, &["a@example.test"]).await.unwrap();
        let recipient = &result.recipients[0];
        assert_eq!(
            recipient.status,
            RecipientStatus::TemporaryFailure,
            "{step:?}"
        );
        assert_eq!(recipient.reply.code / 100, 4, "{step:?}");
        assert!(receiver.messages().is_empty(), "{step:?}");
    }
}

#[tokio::test]
async fn permanent_refusal_at_each_step_reaches_the_client() {
    for step in [Step::Greeting, Step::Ehlo, Step::Mail] {
        let receiver = start(Behaviour::plain().permanent_at(step));
        let err = deliver(&receiver, &["a@example.test"]).await.unwrap_err();
        let code = err.reply().map(|r| r.code);
        assert!(code.is_some_and(|c| c / 100 == 5), "{step:?}: {err}");
        assert!(!err.is_temporary(), "{step:?}: {err}");
    }
    for step in [Step::Rcpt, Step::Data, Step::DataEnd] {
        let receiver = start(Behaviour::plain().permanent_at(step));
        let result = deliver(&receiver, &["a@example.test"]).await.unwrap();
        let recipient = &result.recipients[0];
        assert_eq!(
            recipient.status,
            RecipientStatus::PermanentFailure,
            "{step:?}"
        );
        assert_eq!(recipient.reply.code / 100, 5, "{step:?}");
        assert!(receiver.messages().is_empty(), "{step:?}");
    }
}

#[tokio::test]
async fn refused_message_is_seen_but_not_recorded_as_accepted() {
    let receiver = start(Behaviour::plain().permanent_at(Step::DataEnd));
    deliver(&receiver, &["a@example.test"]).await.unwrap();
    ended(&receiver).await;
    assert!(receiver.sessions()[0].received("."));
    assert!(receiver.messages().is_empty());
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
async fn refusals_are_per_recipient_address() {
    let receiver = start(
        Behaviour::plain()
            .temporary_for("later@example.test")
            .permanent_for("never@example.test")
            .reply_for(
                "moved@example.test",
                Reply::new(551, None, "User not local; please try elsewhere"),
            ),
    );
    let recipients = [
        "ok@example.test",
        "later@example.test",
        "never@example.test",
        "moved@example.test",
    ];
    let result = deliver(&receiver, &recipients).await.unwrap();
    let statuses: Vec<_> = result.recipients.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [
            RecipientStatus::Accepted,
            RecipientStatus::TemporaryFailure,
            RecipientStatus::PermanentFailure,
            RecipientStatus::PermanentFailure,
        ]
    );
    assert_eq!(result.recipients[3].reply.code, 551);
    let messages = receiver.wait_for_messages(1, PATIENCE).await.unwrap();
    assert_eq!(messages[0].recipients, ["ok@example.test"]);
}

#[tokio::test]
async fn slow_reply_arrives_after_the_chosen_delay() {
    let delay = Duration::from_millis(200);
    let receiver = start(Behaviour::plain().delay_at(Step::Mail, delay));
    let mut client = session(&receiver, None).await.unwrap();
    let started = Instant::now();
    client
        .send(&envelope(&["a@example.test"]), MESSAGE)
        .await
        .unwrap();
    assert!(started.elapsed() >= delay, "{:?}", started.elapsed());
}

#[tokio::test]
async fn slow_greeting_times_out_an_impatient_client() {
    let receiver = start(Behaviour::plain().delay_at(Step::Greeting, Duration::from_millis(500)));
    let impatient = ClientOptions {
        timeouts: Timeouts::uniform(Duration::from_millis(100)),
        ..ClientOptions::default()
    };
    let err = Client::connect(receiver.addr(), impatient)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                stage: Stage::Greeting,
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn delay_combines_with_a_refusal_at_the_same_step() {
    let delay = Duration::from_millis(200);
    let receiver = start(
        Behaviour::plain()
            .delay_at(Step::Rcpt, delay)
            .permanent_for("never@example.test"),
    );
    let started = Instant::now();
    let result = deliver(&receiver, &["never@example.test"]).await.unwrap();
    assert!(started.elapsed() >= delay);
    assert_eq!(
        result.recipients[0].status,
        RecipientStatus::PermanentFailure
    );
}

#[tokio::test]
async fn dropped_connection_at_each_step_closes_without_a_reply() {
    for step in [
        Step::Greeting,
        Step::Ehlo,
        Step::Mail,
        Step::Rcpt,
        Step::Data,
        Step::DataEnd,
    ] {
        let receiver = start(Behaviour::plain().drop_at(step));
        let err = deliver(&receiver, &["a@example.test"]).await.unwrap_err();
        assert!(
            matches!(err, Error::Closed { .. } | Error::Io { .. }),
            "{step:?}: {err}"
        );
        assert!(err.is_temporary());
        assert_eq!(ended(&receiver).await, Ended::Dropped, "{step:?}");
        assert!(receiver.messages().is_empty(), "{step:?}");
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

#[tokio::test]
async fn helo_only_receiver_makes_the_client_fall_back_to_helo() {
    let receiver = start(Behaviour::plain().helo_only());
    let client = session(&receiver, None).await.unwrap();
    assert!(client.record().used_helo);
    let session = &receiver.sessions()[0];
    assert_eq!(session.commands, ["EHLO client.test", "HELO client.test"]);
    assert_eq!(session.ehlo.as_deref(), Some("client.test"));
}

#[tokio::test]
async fn new_behaviour_applies_to_the_next_connection() {
    let receiver = start(Behaviour::plain().temporary_at(Step::Mail));
    assert!(deliver(&receiver, &["a@example.test"]).await.is_err());
    receiver.set_behaviour(Behaviour::plain());
    deliver(&receiver, &["a@example.test"]).await.unwrap();
    assert_eq!(
        receiver.wait_for_messages(1, PATIENCE).await.unwrap().len(),
        1
    );
    assert_eq!(receiver.sessions().len(), 2);
}

#[tokio::test]
async fn two_receivers_share_a_port_on_different_loopback_addresses() {
    let (first_ip, second_ip) = (loopback(2), loopback(3));
    let port = free_port(&[first_ip, second_ip]);
    let first = Receiver::start(SocketAddr::new(first_ip, port), Behaviour::plain()).unwrap();
    let second = Receiver::start(
        SocketAddr::new(second_ip, port),
        Behaviour::plain().permanent_at(Step::Mail),
    )
    .unwrap();
    assert_eq!(first.addr().port(), second.addr().port());
    assert!(deliver(&second, &["a@example.test"]).await.is_err());
    deliver(&first, &["a@example.test"]).await.unwrap();
    assert_eq!(first.wait_for_messages(1, PATIENCE).await.unwrap().len(), 1);
    assert!(second.messages().is_empty());
    assert_eq!(first.sessions()[0].peer.ip(), loopback(1));
}

#[tokio::test]
async fn dropped_receiver_stops_listening() {
    let receiver = start(Behaviour::plain());
    let addr = receiver.addr();
    deliver(&receiver, &["a@example.test"]).await.unwrap();
    drop(receiver);
    let err = Client::connect(addr, options()).await.unwrap_err();
    assert!(matches!(err, Error::Connect { .. }), "{err}");
}

#[tokio::test]
async fn waiting_for_messages_times_out_with_what_arrived() {
    let receiver = start(Behaviour::plain());
    deliver(&receiver, &["a@example.test"]).await.unwrap();
    let err = receiver
        .wait_for_messages(2, Duration::from_millis(100))
        .await
        .unwrap_err();
    assert_eq!((err.wanted, err.got), (2, 1));
}

#[test]
fn blocking_wait_sees_a_message_sent_from_another_thread() {
    let receiver = start(Behaviour::plain());
    let addr = receiver.addr();
    let sender = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let mut client = Client::connect(addr, options()).await.unwrap();
            client.ehlo("client.test").await.unwrap();
            client
                .send(&envelope(&["a@example.test"]), MESSAGE)
                .await
                .unwrap();
            client.quit().await.unwrap();
        });
    });
    let messages = receiver.wait_for_messages_blocking(1, PATIENCE).unwrap();
    assert_eq!(messages[0].recipients, ["a@example.test"]);
    sender.join().unwrap();
}
