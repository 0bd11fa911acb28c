//! Helpers shared by the receiver tests: a client with test timeouts, an
//! envelope, and a whole delivery.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::CertificateError;
use rustls_pki_types::ServerName;
use smtp::{
    Client, ClientOptions, Envelope, Error, MailOptions, Recipient, Timeouts, TransactionResult,
};
use testworld::net::loopback;
use testworld::smtp::{Behaviour, Ended, Receiver};

pub const MX: &str = "mx.example.test";
pub const MESSAGE: &[u8] = b"Subject: test world\r\n\r\nHello.\r\n";
pub const PATIENCE: Duration = Duration::from_secs(5);

pub fn options() -> ClientOptions {
    ClientOptions {
        timeouts: Timeouts::uniform(PATIENCE),
        ..ClientOptions::default()
    }
}

pub fn envelope(recipients: &[&str]) -> Envelope {
    Envelope {
        sender: "sender@origin.test".into(),
        recipients: recipients.iter().map(|r| Recipient::new(*r)).collect(),
        options: MailOptions::default(),
    }
}

pub fn mx_name() -> ServerName<'static> {
    ServerName::try_from(MX).unwrap()
}

/// A receiver on 127.0.0.1 with a port of its own.
pub fn start(behaviour: Behaviour) -> Receiver {
    Receiver::start(SocketAddr::new(loopback(1), 0), behaviour).unwrap()
}

/// Connects, says EHLO and, when `tls` is given, does STARTTLS with it.
pub async fn session(
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
pub async fn deliver(receiver: &Receiver, recipients: &[&str]) -> Result<TransactionResult, Error> {
    let mut client = session(receiver, None).await?;
    let result = client.send(&envelope(recipients), MESSAGE).await?;
    client.quit().await?;
    Ok(result)
}

/// The certificate problem that failed a handshake.
pub fn certificate_error(err: &Error) -> CertificateError {
    match err.tls_error() {
        Some(rustls::Error::InvalidCertificate(problem)) => problem.clone(),
        other => panic!("expected a certificate error, got {other:?} from {err}"),
    }
}

/// How the receiver's first session ended, once it has.
pub async fn ended(receiver: &Receiver) -> Ended {
    let sessions = receiver.wait_for_ended_sessions(1, PATIENCE).await.unwrap();
    sessions[0].end.clone().unwrap()
}
