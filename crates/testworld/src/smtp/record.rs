//! What a receiver saw: its sessions and the messages it accepted, shared
//! between the receiver's thread and the test, with waiting.

use std::net::SocketAddr;

use smtp::{ReceivedMessage, TlsInfo};

pub use crate::record::WaitTimeout;

/// A receiver's recorder.
pub(crate) type Recorder = crate::record::Recorder<Log>;

/// How a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// The client sent QUIT.
    Quit,
    /// The receiver closed the connection, as its behaviour chose (a drop,
    /// a 421, or an aborted STARTTLS).
    Dropped,
    /// The session failed: the client closed without QUIT, a TLS handshake
    /// failed (e.g. the client rejected the certificate), a timeout.
    Failed {
        /// The step where it failed.
        stage: smtp::Stage,
        /// The error, as text.
        error: String,
    },
}

/// One connection to a receiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The client's address.
    pub peer: SocketAddr,
    /// The name in the client's latest EHLO or HELO.
    pub ehlo: Option<String>,
    /// The TLS parameters, once a STARTTLS handshake completed; the
    /// `server_name` is the SNI the client sent (empty when none).
    pub tls: Option<TlsInfo>,
    /// The commands received, in order, as `EHLO name`, `HELO name`,
    /// `STARTTLS`, `MAIL FROM:<a> PARAMS`, `RCPT TO:<b> PARAMS`, `DATA`, and
    /// `.` for a completed message.
    pub commands: Vec<String>,
    /// How the session ended; `None` while it runs.
    pub end: Option<Ended>,
}

impl Session {
    pub(crate) fn new(peer: SocketAddr) -> Session {
        Session {
            peer,
            ehlo: None,
            tls: None,
            commands: Vec::new(),
            end: None,
        }
    }

    /// Whether a STARTTLS handshake completed.
    pub fn starttls(&self) -> bool {
        self.tls.is_some()
    }

    /// The SNI the client sent, if a handshake completed with one.
    pub fn sni(&self) -> Option<&str> {
        self.tls
            .as_ref()
            .map(|tls| tls.server_name.as_str())
            .filter(|name| !name.is_empty())
    }

    /// The negotiated TLS version, e.g. `TLSv1.3`.
    pub fn tls_version(&self) -> Option<&str> {
        self.tls.as_ref().map(|tls| tls.version.as_str())
    }

    /// Whether a command starting with `prefix` (case-insensitive) arrived.
    pub fn received(&self, prefix: &str) -> bool {
        let prefix = prefix.to_ascii_uppercase();
        self.commands
            .iter()
            .any(|command| command.to_ascii_uppercase().starts_with(&prefix))
    }
}

/// Everything recorded so far.
#[derive(Debug, Default)]
pub(crate) struct Log {
    pub sessions: Vec<Session>,
    pub messages: Vec<ReceivedMessage>,
}

impl Log {
    pub fn ended(&self) -> usize {
        self.sessions.iter().filter(|s| s.end.is_some()).count()
    }
}
