//! Errors of an SMTP session: at which stage, with which reply, and whether
//! trying again later may help.

use std::fmt;
use std::io;
use std::num::NonZeroU32;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::capabilities::Extension;
use crate::reply::{MalformedReply, Reply};

/// The step of a session an error (or a command) belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Stage {
    /// Opening the TCP connection.
    Connect,
    /// Waiting for the 220 greeting.
    Greeting,
    /// EHLO (or the HELO fallback).
    Ehlo,
    /// STARTTLS and the TLS handshake.
    StartTls,
    /// AUTH and its exchange (server side).
    Auth,
    /// MAIL FROM.
    Mail,
    /// RCPT TO.
    Rcpt,
    /// DATA, up to the 354 reply.
    Data,
    /// Sending the message data.
    DataBlock,
    /// The reply to the final dot.
    DataEnd,
    /// RSET.
    Rset,
    /// NOOP.
    Noop,
    /// QUIT.
    Quit,
    /// Reading a command (server side).
    Command,
}

impl Stage {
    /// A lower-case name, as used in messages and traces.
    pub const fn name(self) -> &'static str {
        match self {
            Stage::Connect => "connect",
            Stage::Greeting => "greeting",
            Stage::Ehlo => "ehlo",
            Stage::StartTls => "starttls",
            Stage::Auth => "auth",
            Stage::Mail => "mail",
            Stage::Rcpt => "rcpt",
            Stage::Data => "data",
            Stage::DataBlock => "data block",
            Stage::DataEnd => "data end",
            Stage::Rset => "rset",
            Stage::Noop => "noop",
            Stage::Quit => "quit",
            Stage::Command => "command",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What an argument to a command is, for [`Error::InvalidArgument`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Argument {
    /// The EHLO/HELO name.
    EhloName,
    /// The reverse-path (MAIL FROM).
    Sender,
    /// A forward-path (RCPT TO).
    Recipient,
    /// The DSN envelope identifier.
    EnvelopeId,
    /// A transaction without any recipient.
    NoRecipients,
}

impl fmt::Display for Argument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Argument::EhloName => "EHLO name",
            Argument::Sender => "sender address",
            Argument::Recipient => "recipient address",
            Argument::EnvelopeId => "envelope id",
            Argument::NoRecipients => "recipient list (empty)",
        })
    }
}

/// An error of an SMTP session.
///
/// Every error names its [`Stage`]; [`Error::is_temporary`] says whether the
/// same attempt may succeed later; [`Error::reply`] gives the server's reply
/// when there was one. Whether a failure defers or bounces a message is the
/// caller's decision; this is the wire's view.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The TCP connection could not be opened (or bound to the source address).
    #[error("connect: {}", crate::io_text(.source))]
    Connect {
        /// The cause.
        source: io::Error,
    },
    /// Reading or writing failed.
    #[error("{stage}: connection error: {}", crate::io_text(.source))]
    Io {
        /// Where.
        stage: Stage,
        /// The cause.
        source: io::Error,
    },
    /// The peer did not answer (or accept data) in time.
    #[error("{stage}: timed out after {}", crate::duration(.after))]
    Timeout {
        /// Where.
        stage: Stage,
        /// The limit that ran out.
        after: Duration,
    },
    /// The session's deadline ([`crate::ClientOptions::deadline`]) passed
    /// during this step.
    #[error("{stage}: the session's deadline passed")]
    Deadline {
        /// Where.
        stage: Stage,
    },
    /// The server took the message data slower than the minimum data rate
    /// ([`crate::ClientOptions::min_data_rate`]).
    #[error("data block: the server took {octets} octets slower than {rate} octets per second")]
    TooSlow {
        /// The size of the data.
        octets: u64,
        /// The minimum rate, octets per second.
        rate: NonZeroU32,
    },
    /// The peer closed the connection.
    #[error("{stage}: connection closed by the peer")]
    Closed {
        /// Where.
        stage: Stage,
    },
    /// The server refused with a 4xx or 5xx reply.
    #[error("{stage}: server replied {reply}")]
    Rejected {
        /// Where.
        stage: Stage,
        /// The server's reply.
        reply: Reply,
    },
    /// The server gave a positive reply that does not fit the command
    /// (e.g. 250 to DATA instead of 354).
    #[error("{stage}: unexpected reply {reply}")]
    UnexpectedReply {
        /// Where.
        stage: Stage,
        /// The server's reply.
        reply: Reply,
    },
    /// The peer's reply (or command) broke the protocol grammar.
    #[error("{stage}: malformed reply: {kind}")]
    Malformed {
        /// Where.
        stage: Stage,
        /// What was wrong.
        kind: MalformedReply,
    },
    /// The TLS handshake failed. The connection is closed and the session
    /// unusable: there is no way back to plaintext on it.
    #[error("starttls: TLS handshake failed, session unusable: {}", crate::io_text(.source))]
    TlsHandshake {
        /// The cause (a `rustls::Error` inside, e.g. a certificate rejected
        /// by the verifier).
        source: io::Error,
    },
    /// The peer sent data after the reply to STARTTLS and before the
    /// handshake: a command or reply injection attempt (RFC 3207 §6 notes
    /// such data must be discarded; a client cannot trust the session).
    #[error("starttls: peer sent data before the TLS handshake")]
    DataBeforeHandshake,
    /// The server sent something before the end of the message data was
    /// sent: its reply to the data comes after our final dot (RFC 5321
    /// §4.1.1.4, §4.2), so a `250` that arrives earlier accepts nothing.
    /// The transaction failed; the session is unusable.
    #[error(
        "data block: the server replied before the end of data was sent{}",
        early(reply)
    )]
    EarlyReply {
        /// What it sent, when that was a whole reply already.
        reply: Option<Reply>,
    },
    /// The session failed earlier and cannot be used any more.
    #[error("{stage}: session unusable after an earlier failure at {failed}")]
    Unusable {
        /// Where this call was made.
        stage: Stage,
        /// Where the session failed.
        failed: Stage,
    },
    /// A service extension the request needs is not offered.
    #[error("{stage}: the server does not offer {extension}")]
    NotOffered {
        /// Where.
        stage: Stage,
        /// The missing extension.
        extension: Extension,
    },
    /// The message exceeds the server's declared SIZE (RFC 1870 §6).
    #[error("mail: message of {size} octets exceeds the server's limit of {limit}")]
    TooLarge {
        /// The message size.
        size: u64,
        /// The server's limit.
        limit: u64,
    },
    /// An argument cannot be sent (e.g. it contains CR, LF, `<` or `>`, or is
    /// non-ASCII without SMTPUTF8).
    #[error("{stage}: invalid {argument}")]
    InvalidArgument {
        /// Where.
        stage: Stage,
        /// Which argument.
        argument: Argument,
    },
    /// The command needs a state the session is not in (e.g. STARTTLS twice,
    /// MAIL before EHLO).
    #[error("{stage}: command not allowed in this state of the session")]
    BadSequence {
        /// Where.
        stage: Stage,
    },
}

impl Error {
    /// The step at which it happened.
    pub fn stage(&self) -> Stage {
        match self {
            Error::Connect { .. } => Stage::Connect,
            Error::TlsHandshake { .. } | Error::DataBeforeHandshake => Stage::StartTls,
            Error::EarlyReply { .. } => Stage::DataBlock,
            Error::TooLarge { .. } => Stage::Mail,
            Error::TooSlow { .. } => Stage::DataBlock,
            Error::Io { stage, .. }
            | Error::Timeout { stage, .. }
            | Error::Deadline { stage }
            | Error::Closed { stage }
            | Error::Rejected { stage, .. }
            | Error::UnexpectedReply { stage, .. }
            | Error::Malformed { stage, .. }
            | Error::Unusable { stage, .. }
            | Error::NotOffered { stage, .. }
            | Error::InvalidArgument { stage, .. }
            | Error::BadSequence { stage } => *stage,
        }
    }

    /// The server's reply, when the error is one.
    pub fn reply(&self) -> Option<&Reply> {
        match self {
            Error::Rejected { reply, .. } | Error::UnexpectedReply { reply, .. } => Some(reply),
            _ => None,
        }
    }

    /// Whether the same attempt may succeed later (4xx replies, network
    /// trouble, a missing STARTTLS or REQUIRETLS), as opposed to failing the
    /// same way every time (5xx replies, a too large message, a message that
    /// needs SMTPUTF8 where it is not offered, an invalid address).
    pub fn is_temporary(&self) -> bool {
        match self {
            Error::Rejected { reply, .. } => !reply.is_permanent(),
            Error::NotOffered { extension, .. } => {
                !matches!(extension, Extension::SmtpUtf8 | Extension::EightBitMime)
            }
            Error::TooLarge { .. } | Error::InvalidArgument { .. } | Error::BadSequence { .. } => {
                false
            }
            Error::Connect { .. }
            | Error::Io { .. }
            | Error::Timeout { .. }
            | Error::Deadline { .. }
            | Error::TooSlow { .. }
            | Error::Closed { .. }
            | Error::UnexpectedReply { .. }
            | Error::Malformed { .. }
            | Error::TlsHandshake { .. }
            | Error::DataBeforeHandshake
            | Error::EarlyReply { .. }
            | Error::Unusable { .. } => true,
        }
    }

    /// The rustls error behind a failed handshake, e.g. the certificate
    /// verifier's verdict, for the caller to classify (expired, no TLSA
    /// match, untrusted, ...).
    pub fn tls_error(&self) -> Option<&rustls::Error> {
        match self {
            Error::TlsHandshake { source } => source.get_ref()?.downcast_ref::<rustls::Error>(),
            _ => None,
        }
    }

    /// Whether the TLS handshake failed; the caller must then not retry this
    /// host in plaintext under a policy that requires TLS.
    pub fn is_tls_failure(&self) -> bool {
        matches!(
            self,
            Error::TlsHandshake { .. } | Error::DataBeforeHandshake
        )
    }
}

fn early(reply: &Option<Reply>) -> String {
    reply
        .as_ref()
        .map(|reply| format!(": {reply}"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enhanced::EnhancedCode;

    #[test]
    fn rejection_temporariness_follows_reply_class() {
        let temp = Error::Rejected {
            stage: Stage::Rcpt,
            reply: Reply::new(451, None, "later"),
        };
        let perm = Error::Rejected {
            stage: Stage::Mail,
            reply: Reply::new(550, Some(EnhancedCode::BAD_MAILBOX), "no"),
        };
        assert!(temp.is_temporary());
        assert!(!perm.is_temporary());
        assert_eq!(perm.stage(), Stage::Mail);
        assert_eq!(perm.reply().map(|r| r.code), Some(550));
        assert_eq!(perm.to_string(), "mail: server replied 550 5.1.1 no");
    }

    #[test]
    fn network_trouble_is_temporary_and_has_no_reply() {
        let err = Error::Timeout {
            stage: Stage::Greeting,
            after: Duration::from_millis(5),
        };
        assert!(err.is_temporary());
        assert!(err.reply().is_none());
        assert_eq!(err.stage(), Stage::Greeting);
    }
}
