//! What needs TLS on the server side: AUTH PLAIN and LOGIN (RFC 4954, 538
//! before STARTTLS), REQUIRETLS (RFC 8689), and the reset after STARTTLS
//! (RFC 3207 §4.2); DSN parameters handed over parsed.

mod common;

use common::*;
use smtp::{AuthVerdict, DsnNotify, DsnReturn, Stamp, replies};

const PLAIN_ALICE: &str = "AGFsaWNlAHMzY3JldA=="; // "\0alice\0s3cret"

fn config(pki: &Pki) -> smtp::ServerConfig {
    let mut config = server_config().with_tls(pki.server.clone()).with_auth();
    config.capabilities.dsn = true;
    config
}

fn script() -> Script {
    Script {
        login: Some(("alice".into(), "s3cret".into())),
        ..Script::default()
    }
}

#[tokio::test]
async fn auth_before_starttls_is_refused_with_538() {
    let pki = pki();
    let server = spawn_server(config(&pki), script()).await;
    let (mut raw, _) = Raw::connect(&server).await;
    let ehlo = raw.command("EHLO client.example").await;
    assert!(ehlo.lines.iter().any(|l| l == "STARTTLS"));
    assert!(
        !ehlo.lines.iter().any(|l| l.starts_with("AUTH")),
        "{ehlo:?}"
    );
    assert!(!ehlo.lines.iter().any(|l| l == "REQUIRETLS"));
    assert_eq!(
        raw.command(&format!("AUTH PLAIN {PLAIN_ALICE}")).await,
        replies::ENCRYPTION_REQUIRED.reply()
    );
    assert_eq!(
        raw.command("AUTH LOGIN").await,
        replies::ENCRYPTION_REQUIRED.reply()
    );
    // REQUIRETLS is not offered in plaintext, so its parameter is unknown.
    assert_eq!(
        raw.command("MAIL FROM:<a@b.example> REQUIRETLS").await,
        replies::PARAMETER_NOT_IMPLEMENTED.reply()
    );
    raw.command("QUIT").await;
    server.task.await.unwrap().unwrap();
    assert!(server.seen.lock().unwrap().logins.is_empty());
}

#[tokio::test]
async fn auth_plain_and_login_after_starttls() {
    let pki = pki();
    let server = spawn_server(config(&pki), script()).await;
    let (mut raw, _) = Raw::connect(&server).await;
    raw.command("EHLO client.example").await;
    // A command pipelined behind STARTTLS is discarded (RFC 3207 §6).
    raw.send(b"STARTTLS\r\nMAIL FROM:<injected@evil.example>\r\n")
        .await;
    assert_eq!(raw.reply().await, replies::READY_FOR_TLS.reply());
    let inner = raw.stream.into_inner();
    let connector = tokio_rustls::TlsConnector::from(pki.client.clone());
    let mut raw = Raw::over(connector.connect(mx_name(), inner).await.unwrap());
    // RFC 3207 §4.2: the session starts over; MAIL needs a new EHLO.
    assert_eq!(
        raw.command("MAIL FROM:<a@b.example>").await,
        replies::BAD_SEQUENCE.reply()
    );
    let ehlo = raw.command("EHLO client.example").await;
    assert!(
        ehlo.lines.iter().any(|l| l == "AUTH PLAIN LOGIN"),
        "{ehlo:?}"
    );
    assert!(ehlo.lines.iter().any(|l| l == "REQUIRETLS"));
    assert!(!ehlo.lines.iter().any(|l| l == "STARTTLS"));

    // Wrong password, unknown mechanism, cancelled exchange.
    assert_eq!(
        raw.command("AUTH PLAIN AGFsaWNlAHdyb25n").await,
        replies::AUTH_INVALID.reply()
    );
    assert_eq!(
        raw.command("AUTH CRAM-MD5").await,
        replies::AUTH_MECHANISM_UNKNOWN.reply()
    );
    assert_eq!(
        raw.command("AUTH LOGIN").await,
        replies::AUTH_USERNAME.reply()
    );
    assert_eq!(raw.command("*").await, replies::AUTH_CANCELLED.reply());
    assert_eq!(
        raw.command("AUTH PLAIN").await,
        replies::AUTH_CONTINUE.reply()
    );
    assert_eq!(
        raw.command("not base64!").await,
        replies::AUTH_MALFORMED.reply()
    );
    // LOGIN: user name, then password.
    assert_eq!(
        raw.command("AUTH LOGIN").await,
        replies::AUTH_USERNAME.reply()
    );
    assert_eq!(
        raw.command("YWxpY2U=").await,
        replies::AUTH_PASSWORD.reply()
    );
    assert_eq!(
        raw.command("czNjcmV0").await,
        replies::AUTH_SUCCEEDED.reply()
    );
    assert_eq!(
        raw.command(&format!("AUTH PLAIN {PLAIN_ALICE}")).await,
        replies::BAD_SEQUENCE.reply()
    );

    assert_eq!(
        raw.command(
            "MAIL FROM:<alice@b.example> REQUIRETLS RET=HDRS ENVID=id+2B1 AUTH=alice@b.example"
        )
        .await,
        replies::SENDER_OK.reply()
    );
    assert_eq!(
        raw.command("RCPT TO:<c@d.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;c+2Bx@d.example")
            .await,
        replies::RECIPIENT_OK.reply()
    );
    raw.command("DATA").await;
    raw.send(b"Subject: signed in\r\n\r\nhi\r\n.\r\n").await;
    assert_eq!(raw.reply().await, replies::MESSAGE_ACCEPTED.reply());
    raw.command("QUIT").await;
    server.task.await.unwrap().unwrap();

    let seen = server.seen.lock().unwrap();
    assert_eq!(seen.mails.len(), 1, "the injected MAIL was taken");
    let logins: Vec<_> = seen.logins.iter().map(|(_, v)| *v).collect();
    assert_eq!(logins, [AuthVerdict::Refused, AuthVerdict::Accepted]);
    let message = &seen.messages[0];
    let options = &message.envelope.options;
    assert!(options.requiretls);
    assert_eq!(options.dsn_return, Some(DsnReturn::Headers));
    assert_eq!(options.envelope_id.as_deref(), Some("id+1"));
    let recipient = &message.envelope.recipients[0];
    assert_eq!(
        recipient.notify,
        Some(DsnNotify {
            success: true,
            failure: true,
            delay: false
        })
    );
    assert_eq!(recipient.original.as_deref(), Some("c+x@d.example"));
    assert_eq!(seen.mail_params[0].auth.as_deref(), Some("alice@b.example"));
    let session = &message.session;
    assert_eq!(session.user.as_deref(), Some("alice"));
    assert_eq!(session.client, seen.connected.unwrap());
    assert_eq!(smtp::protocol(session), "ESMTPSA");
    let header = smtp::received_header(
        session,
        &Stamp {
            by: MX,
            id: Some("Q1"),
            recipient: Some("c@d.example"),
            at: std::time::SystemTime::now(),
        },
    );
    assert!(
        header.contains("(using TLSv1.3 with cipher TLS_"),
        "{header}"
    );
    assert!(header.contains(" with ESMTPSA id Q1"), "{header}");
}

#[tokio::test]
async fn auth_plain_after_an_empty_challenge() {
    let pki = pki();
    let server = spawn_server(config(&pki), script()).await;
    let (mut raw, _) = Raw::connect(&server).await;
    raw.command("EHLO client.example").await;
    let mut raw = raw.starttls(&pki).await;
    raw.command("EHLO client.example").await;
    assert_eq!(
        raw.command("AUTH PLAIN").await,
        replies::AUTH_CONTINUE.reply()
    );
    assert_eq!(
        raw.command(PLAIN_ALICE).await,
        replies::AUTH_SUCCEEDED.reply()
    );
    raw.command("QUIT").await;
    server.task.await.unwrap().unwrap();
    let seen = server.seen.lock().unwrap();
    assert_eq!(seen.logins, [("alice".to_owned(), AuthVerdict::Accepted)]);
}
