//! The SMTP wire protocol for Sealane (RFC 5321 and its extensions): the
//! client session that delivers mail ([`Client`]: connect from a chosen
//! source address, greeting, EHLO with HELO fallback, STARTTLS, MAIL/RCPT/DATA
//! with PIPELINING and dot-stuffing, per-recipient results, RFC 5321
//! §4.5.3.2 timeouts, a [`SessionRecord`] for the message trace), the server
//! session that receives it ([`serve`] with an async [`Handler`]: ESMTP with
//! PIPELINING, SIZE, 8BITMIME, SMTPUTF8, CHUNKING, DSN, STARTTLS, REQUIRETLS
//! and AUTH PLAIN/LOGIN under TLS, within [`Limits`]; [`received_header`]
//! for the trace header), replies and
//! enhanced status codes ([`Reply`], [`EnhancedCode`]), and the one table of
//! reply texts ([`replies`]), and [`Untrusted`], the one way text from the
//! network is shown to people (escaped), with the wording helpers every
//! crate's text table shares ([`quoted`], [`count`], [`io_text`]).
//!
//! It does not decide TLS policy: the caller hands [`Client::starttls`] a
//! ready `rustls::ClientConfig` whose verifier (DANE, MTA-STS/WebPKI,
//! opportunistic) lives in the `tls` crate, and decides whether STARTTLS is
//! required. It does no DNS, and it does not decide what a failure means for
//! the queue: its [`Error`] says only at which [`Stage`] something failed,
//! with which reply, and whether the same attempt may succeed later. It
//! imports no other crate of the workspace.

mod capabilities;
mod client;
mod command;
pub mod data;
mod enhanced;
mod envelope;
mod error;
mod handler;
mod params;
mod received;
mod record;
pub mod replies;
mod reply;
mod server;
mod timeouts;
mod transaction;
mod untrusted;
mod wire;
mod wording;

pub use capabilities::{Capabilities, Extension};
pub use client::{Client, ClientOptions, MAX_REPLY_LINE};
pub use command::{Command, CommandError};
pub use enhanced::{Class, EnhancedCode, EnhancedCodeError};
pub use envelope::{
    DsnNotify, DsnReturn, Envelope, MailOptions, Recipient, RecipientResult, RecipientStatus,
    TransactionResult, xtext,
};
pub use error::{Argument, Error, Stage};
pub use handler::{
    AuthVerdict, Credentials, Decision, Handler, Mechanism, ReceivedMessage, SessionFacts,
};
pub use params::{Body, MailFrom, RcptTo, xtext_decode};
pub use received::{Stamp, protocol, received_header};
pub use record::{CommandRecord, SessionRecord, TlsInfo};
pub use reply::{Category, MAX_REPLY_LINES, MalformedReply, Reply, ReplyParseError, ReplyParser};
pub use server::{Limits, ServerConfig, SessionEnd, refuse, serve, serve_implicit_tls};
pub use timeouts::Timeouts;
pub use untrusted::{Untrusted, untrusted};
pub use wording::{Quoted, count, duration, io_text, quoted};
