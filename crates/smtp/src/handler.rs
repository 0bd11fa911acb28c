//! How the caller of a server session chooses replies and receives messages.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::record::TlsInfo;
use crate::reply::Reply;

/// What the server session does at a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The standard reply from the table (`replies.rs`) for this step.
    Accept,
    /// This reply instead. A 2xx (or 354 for DATA, 220 for STARTTLS) lets
    /// the session go on as if accepted; anything else refuses the step.
    Reply(Reply),
    /// Close the connection without a reply.
    Drop,
    /// Wait, then do what the inner decision says (a slow server).
    Delay(Duration, Box<Decision>),
    /// Send these replies together, in one write, then close the
    /// connection without reading further: a broken or hostile server, such
    /// as one that answers DATA with 354 and 250 at once, before any data.
    Burst(Vec<Reply>),
}

/// A message received by a server session, with its envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivedMessage {
    /// The name the client gave in EHLO/HELO.
    pub helo: String,
    /// The reverse-path (empty for the null sender).
    pub from: String,
    /// The MAIL parameters as sent.
    pub mail_params: Vec<String>,
    /// The accepted recipients, in order.
    pub recipients: Vec<String>,
    /// The message, dot-unstuffed, with the line ends the client sent.
    pub data: Vec<u8>,
    /// The TLS parameters, when the message came under STARTTLS.
    pub tls: Option<TlsInfo>,
}

/// The caller's say in a server session. Every method has a default that
/// accepts, so a handler overrides only the steps it cares about.
pub trait Handler: Send {
    /// The connection is open; the default greets with 220.
    fn connected(&mut self) -> Decision {
        Decision::Accept
    }

    /// EHLO (`extended`) or HELO with the client's name.
    fn hello(&mut self, name: &str, extended: bool) -> Decision {
        let _ = (name, extended);
        Decision::Accept
    }

    /// STARTTLS, before the 220 (or 454 when no TLS configuration is set).
    fn starttls(&mut self) -> Decision {
        Decision::Accept
    }

    /// The TLS handshake completed.
    fn tls_established(&mut self, info: &TlsInfo) {
        let _ = info;
    }

    /// MAIL, after the parameters were checked against what was advertised.
    fn mail(&mut self, from: &str, params: &[String]) -> Decision {
        let _ = (from, params);
        Decision::Accept
    }

    /// RCPT, after the parameters were checked.
    fn rcpt(&mut self, to: &str, params: &[String]) -> Decision {
        let _ = (to, params);
        Decision::Accept
    }

    /// DATA with at least one accepted recipient, before the 354.
    fn data(&mut self) -> Decision {
        Decision::Accept
    }

    /// The complete message after the final dot; the reply to the dot.
    fn message(&mut self, message: ReceivedMessage) -> Decision {
        let _ = message;
        Decision::Accept
    }
}
