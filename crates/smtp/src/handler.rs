//! How the caller of a server session chooses replies and receives messages.
//!
//! The session checks the grammar, the sequence, the advertised extensions
//! and the limits; the [`Handler`] decides everything that needs policy:
//! whether to talk to a client at all, relay rules per recipient, credential
//! checks, and when a message is safely stored (the reply to the end of
//! data is sent only when [`Handler::message`] returns).

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::envelope::Envelope;
use crate::params::{Body, MailFrom, RcptTo};
use crate::record::TlsInfo;
use crate::reply::Reply;

/// What the server session does at a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The standard reply from the table (`replies.rs`) for this step.
    Accept,
    /// This reply instead. A 2xx (or 354 for DATA, 220 for STARTTLS) lets
    /// the session go on as if accepted; anything else refuses the step.
    /// A 421 closes the session after it is sent.
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

/// What the session knows about its client, handed to the handler with each
/// envelope step and with the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionFacts {
    /// The client's address and port.
    pub client: SocketAddr,
    /// The name given in the accepted EHLO or HELO.
    pub helo: Option<String>,
    /// Whether that was EHLO (for the `with` clause of `Received:`).
    pub extended: bool,
    /// The TLS parameters after STARTTLS.
    pub tls: Option<TlsInfo>,
    /// The identity a successful AUTH established (the authorization
    /// identity when one was given, else the user name).
    pub user: Option<String>,
}

impl SessionFacts {
    /// The facts of a session that has just connected.
    pub fn new(client: SocketAddr) -> SessionFacts {
        SessionFacts {
            client,
            helo: None,
            extended: false,
            tls: None,
            user: None,
        }
    }
}

/// A message received by a server session: complete (the end-of-data line
/// or `BDAT LAST` arrived), within the limits, with its envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivedMessage {
    /// Sender, accepted recipients with their DSN parameters, and the MAIL
    /// options (SMTPUTF8, REQUIRETLS, RET, ENVID).
    pub envelope: Envelope,
    /// The MAIL parameters as sent.
    pub mail_params: Vec<String>,
    /// `BODY=` of MAIL.
    pub body: Body,
    /// The message: dot-unstuffed after DATA (every line ending in CRLF),
    /// the chunks joined after BDAT.
    pub data: Vec<u8>,
    /// Who sent it, and how.
    pub session: SessionFacts,
}

impl ReceivedMessage {
    /// The accepted recipients' addresses, in order.
    pub fn recipient_addresses(&self) -> Vec<&str> {
        self.envelope
            .recipients
            .iter()
            .map(|r| r.address.as_str())
            .collect()
    }
}

/// The SASL mechanisms the session implements (RFC 4954 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Mechanism {
    /// `PLAIN` (RFC 4616).
    Plain,
    /// `LOGIN` (draft-murchison-sasl-login).
    Login,
}

/// What AUTH presented. The password is kept out of `Debug`, so the
/// credentials can be logged without the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The mechanism used.
    pub mechanism: Mechanism,
    /// The authorization identity (PLAIN only; empty when not given).
    pub authzid: String,
    /// The user name (authentication identity).
    pub username: String,
    password: String,
}

impl Credentials {
    pub(crate) fn new(
        mechanism: Mechanism,
        authzid: String,
        username: String,
        password: String,
    ) -> Credentials {
        Credentials {
            mechanism,
            authzid,
            username,
            password,
        }
    }

    /// The password, to check against a stored hash. Never log it.
    pub fn password(&self) -> &str {
        &self.password
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("mechanism", &self.mechanism)
            .field("authzid", &self.authzid)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// The handler's verdict on credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[must_use]
pub enum AuthVerdict {
    /// Valid: the session is authenticated (235).
    Accepted,
    /// Invalid (535 5.7.8). The default: no handler, no login.
    #[default]
    Refused,
    /// Cannot be checked now (454 4.7.0).
    Temporary,
}

/// The caller's say in a server session. Every method has a default: the
/// steps accept, [`Handler::authenticate`] refuses. The methods are async so
/// a handler can wait for a store (the reply to [`Handler::message`] should
/// say 250 only once the message is on disk).
pub trait Handler: Send {
    /// The connection from `client` is open; the default greets with 220.
    /// A 421 or 554 here refuses the client (RFC 5321 §3.1).
    fn connected(&mut self, client: SocketAddr) -> impl Future<Output = Decision> + Send {
        let _ = client;
        async { Decision::Accept }
    }

    /// EHLO (`extended`) or HELO with the client's name.
    fn hello(&mut self, name: &str, extended: bool) -> impl Future<Output = Decision> + Send {
        let _ = (name, extended);
        async { Decision::Accept }
    }

    /// STARTTLS, before the 220 (or 454 when no TLS configuration is set).
    fn starttls(&mut self) -> impl Future<Output = Decision> + Send {
        async { Decision::Accept }
    }

    /// The TLS handshake completed.
    fn tls_established(&mut self, info: &TlsInfo) {
        let _ = info;
    }

    /// AUTH under TLS with decoded credentials: check them.
    fn authenticate(
        &mut self,
        credentials: &Credentials,
        session: &SessionFacts,
    ) -> impl Future<Output = AuthVerdict> + Send {
        let _ = (credentials, session);
        async { AuthVerdict::Refused }
    }

    /// MAIL, after its parameters were parsed and checked against what was
    /// advertised.
    fn mail(
        &mut self,
        mail: &MailFrom,
        session: &SessionFacts,
    ) -> impl Future<Output = Decision> + Send {
        let _ = (mail, session);
        async { Decision::Accept }
    }

    /// RCPT, after its parameters were checked and within the recipient
    /// limit; the relay decision is the handler's.
    fn rcpt(
        &mut self,
        rcpt: &RcptTo,
        mail: &MailFrom,
        session: &SessionFacts,
    ) -> impl Future<Output = Decision> + Send {
        let _ = (rcpt, mail, session);
        async { Decision::Accept }
    }

    /// DATA (before the 354) or the first BDAT of a transaction (before its
    /// chunk is taken), with at least one accepted recipient.
    fn data(&mut self) -> impl Future<Output = Decision> + Send {
        async { Decision::Accept }
    }

    /// The complete message; the decision is the reply to the end of data
    /// (or to `BDAT LAST`).
    fn message(&mut self, message: ReceivedMessage) -> impl Future<Output = Decision> + Send {
        let _ = message;
        async { Decision::Accept }
    }
}
