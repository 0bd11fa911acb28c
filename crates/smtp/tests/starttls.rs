//! STARTTLS: upgrade and second EHLO, refusals, failed handshakes, and
//! the plaintext injection guard on both sides.

mod common;

use common::*;
use smtp::{Client, Decision, Error, Extension, Reply, Stage};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const MESSAGE: &[u8] = b"Subject: tls\r\n\r\nsecret\r\n";

fn tls_config(pki: &Pki) -> smtp::ServerConfig {
    let mut config = server_config();
    config.capabilities.starttls = true;
    config.capabilities.requiretls = true;
    config.tls = Some(pki.server.clone());
    config
}

#[tokio::test]
async fn starttls_then_second_ehlo() {
    let pki = pki();
    let server = spawn_server(tls_config(&pki), Script::default()).await;
    let mut client = Client::connect(server.addr, options()).await.unwrap();
    let before = client.ehlo("client.example").await.unwrap().clone();
    assert!(before.starttls);
    assert!(!before.requiretls, "REQUIRETLS is only offered under TLS");
    let info = client
        .starttls(pki.client.clone(), mx_name())
        .await
        .unwrap();
    assert_eq!(info.version, "TLSv1.3");
    assert!(info.cipher.starts_with("TLS_"), "{}", info.cipher);
    assert_eq!(info.server_name, MX);
    let after = client.capabilities().clone();
    assert!(!after.starttls);
    assert!(after.requiretls);
    assert!(client.peer_certificates().is_some_and(|c| c.len() == 1));

    let mut env = envelope(&["a@dest.example"]);
    env.options.requiretls = true;
    client.send(&env, MESSAGE).await.unwrap();
    client.quit().await.unwrap();

    let record = client.record();
    assert!(record.starttls);
    assert_eq!(record.tls.as_ref(), Some(&info));
    let ehlos = record
        .commands
        .iter()
        .filter(|c| c.stage == Stage::Ehlo)
        .count();
    assert_eq!(ehlos, 2);
    server.task.await.unwrap().unwrap();
    let seen = server.seen.lock().unwrap();
    assert_eq!(seen.hellos.len(), 2);
    assert_eq!(seen.tls.as_ref().map(|t| t.server_name.as_str()), Some(MX));
    let message = &seen.messages[0];
    assert!(message.session.tls.is_some());
    assert_eq!(
        message.mail_params.last().map(String::as_str),
        Some("REQUIRETLS")
    );
    assert!(message.envelope.options.requiretls);
}

#[tokio::test]
async fn starttls_handshake_failure_makes_session_unusable() {
    let pki = pki();
    let server = spawn_server(tls_config(&pki), Script::default()).await;
    let mut client = Client::connect(server.addr, options()).await.unwrap();
    client.ehlo("client.example").await.unwrap();
    let err = client
        .starttls(pki.stranger.clone(), mx_name())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TlsHandshake { .. }), "{err}");
    assert!(err.is_tls_failure());
    assert!(err.is_temporary());
    assert_eq!(err.stage(), Stage::StartTls);
    // The verifier's verdict is there for the caller to classify.
    assert!(
        matches!(err.tls_error(), Some(rustls::Error::InvalidCertificate(_))),
        "{err:?}"
    );
    assert!(err.to_string().contains("unusable"), "{err}");
    assert!(!client.is_usable());
    let after = client
        .send(&envelope(&["a@dest.example"]), MESSAGE)
        .await
        .unwrap_err();
    assert!(
        matches!(
            after,
            Error::Unusable {
                failed: Stage::StartTls,
                ..
            }
        ),
        "{after}"
    );
    assert!(server.task.await.unwrap().is_err());
    assert!(server.seen.lock().unwrap().mails.is_empty());
}

#[tokio::test]
async fn starttls_not_offered_is_reported_without_sending() {
    let pki = pki();
    let server = spawn_server(server_config(), Script::default()).await;
    let mut client = Client::connect(server.addr, options()).await.unwrap();
    client.ehlo("client.example").await.unwrap();
    let err = client
        .starttls(pki.client.clone(), mx_name())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::NotOffered {
                extension: Extension::StartTls,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.is_temporary());
    assert!(client.is_usable());
    assert!(
        !client
            .record()
            .commands
            .iter()
            .any(|c| c.command == "STARTTLS")
    );
    client.quit().await.unwrap();
    server.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn starttls_refused_with_454_keeps_plaintext_session() {
    let pki = pki();
    let mut config = server_config();
    config.capabilities.starttls = true; // advertised, but no TLS configuration
    let server = spawn_server(config, Script::default()).await;
    let mut client = Client::connect(server.addr, options()).await.unwrap();
    client.ehlo("client.example").await.unwrap();
    let err = client
        .starttls(pki.client.clone(), mx_name())
        .await
        .unwrap_err();
    assert_eq!(err.reply().map(|r| r.code), Some(454));
    assert!(err.is_temporary());
    assert!(!err.is_tls_failure());
    assert!(client.is_usable());
    client.quit().await.unwrap();
    server.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn starttls_accepted_then_dropped_is_a_tls_failure() {
    let pki = pki();
    let mut config = server_config();
    config.capabilities.starttls = true;
    let script = Script {
        starttls: Some(Decision::Reply(Reply::new(220, None, "go ahead"))),
        ..Script::default()
    };
    let server = spawn_server(config, script).await;
    let mut client = Client::connect(server.addr, options()).await.unwrap();
    client.ehlo("client.example").await.unwrap();
    let err = client
        .starttls(pki.client.clone(), mx_name())
        .await
        .unwrap_err();
    assert!(err.is_tls_failure(), "{err}");
    assert!(!client.is_usable());
    server.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn client_refuses_data_injected_before_handshake() {
    let pki = pki();
    let (addr, task) = spawn_script(vec![
        send("220 mx\r\n"),
        Step::Read(1),
        send("250-mx\r\n250 STARTTLS\r\n"),
        Step::Read(1),
        send("220 go ahead\r\n250 injected\r\n"),
    ])
    .await;
    let mut client = Client::connect(addr, options()).await.unwrap();
    client.ehlo("client.example").await.unwrap();
    let err = client
        .starttls(pki.client.clone(), mx_name())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::DataBeforeHandshake), "{err}");
    assert!(!client.is_usable());
    drop(client);
    task.await.unwrap();
}

#[tokio::test]
async fn server_discards_plaintext_pipelined_after_starttls() {
    let pki = pki();
    let server = spawn_server(tls_config(&pki), Script::default()).await;
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let mut plain = BufReader::new(stream);
    let mut line = String::new();
    plain.read_line(&mut line).await.unwrap(); // greeting
    plain.get_mut().write_all(b"EHLO raw\r\n").await.unwrap();
    loop {
        line.clear();
        plain.read_line(&mut line).await.unwrap();
        if line.starts_with("250 ") {
            break;
        }
    }
    // An attacker's command rides in the same packet as STARTTLS.
    plain
        .get_mut()
        .write_all(b"STARTTLS\r\nFROB\r\n")
        .await
        .unwrap();
    line.clear();
    plain.read_line(&mut line).await.unwrap();
    assert!(line.starts_with("220 "), "{line}");
    let connector = tokio_rustls::TlsConnector::from(pki.client.clone());
    let tls = connector
        .connect(mx_name(), plain.into_inner())
        .await
        .unwrap();
    let mut tls = BufReader::new(tls);
    tls.get_mut().write_all(b"NOOP\r\n").await.unwrap();
    line.clear();
    tls.read_line(&mut line).await.unwrap();
    // Had FROB survived the handshake, this would be its 500.
    assert!(line.starts_with("250 "), "{line}");
    tls.get_mut().write_all(b"QUIT\r\n").await.unwrap();
    line.clear();
    tls.read_line(&mut line).await.unwrap();
    assert!(line.starts_with("221 "), "{line}");
    server.task.await.unwrap().unwrap();
}
