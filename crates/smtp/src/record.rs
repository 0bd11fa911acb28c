//! What happened in one client session, for the message trace.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use crate::capabilities::Capabilities;
use crate::error::Stage;
use crate::reply::Reply;

/// The TLS parameters a STARTTLS handshake agreed on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsInfo {
    /// The protocol version as OpenSSL and Postfix write it, e.g.
    /// `TLSv1.3` (records made before that say `TLSv1_3`).
    pub version: String,
    /// The cipher suite, e.g. `TLS_AES_256_GCM_SHA384`.
    pub cipher: String,
    /// The name sent as SNI and verified against (the MX host name).
    pub server_name: String,
}

/// `version` as OpenSSL and Postfix logs write it: `TLSv1.3`, not the
/// library's `TLSv1_3`.
pub(crate) fn version_name(version: rustls::ProtocolVersion) -> String {
    match version {
        rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".to_owned(),
        rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".to_owned(),
        other => format!("TLS 0x{:04x}", u16::from(other)),
    }
}

/// `suite` by its IANA name, as OpenSSL and Postfix log a TLS 1.3 suite:
/// `TLS_AES_256_GCM_SHA384`, not the library's `TLS_AES_256_GCM_SHA384`.
pub(crate) fn cipher_name(suite: rustls::CipherSuite) -> String {
    match suite.as_str() {
        Some(name) => name.replacen("TLS13_", "TLS_", 1),
        None => format!("0x{:04x}", u16::from(suite)),
    }
}

/// One command and the reply it got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandRecord {
    /// The step it belongs to.
    pub stage: Stage,
    /// The command line as sent, without CRLF; message data is shown as
    /// `<N octets>` followed by the final `.`.
    pub command: String,
    /// The reply, or `None` when none arrived (timeout, closed connection).
    pub reply: Option<Reply>,
}

/// The record of one client session: where it went, what was offered and
/// agreed, and each command's reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// The server's address.
    pub remote: SocketAddr,
    /// Our address, once connected.
    pub local: Option<SocketAddr>,
    /// The server's greeting.
    pub greeting: Option<Reply>,
    /// The name we sent in EHLO/HELO.
    pub ehlo_name: Option<String>,
    /// Whether EHLO was refused and HELO used instead.
    pub used_helo: bool,
    /// What the server offered in its latest EHLO reply.
    pub capabilities: Option<Capabilities>,
    /// Whether STARTTLS completed.
    pub starttls: bool,
    /// The negotiated TLS parameters, after STARTTLS.
    pub tls: Option<TlsInfo>,
    /// Every command sent and its reply, in order.
    pub commands: Vec<CommandRecord>,
}

impl SessionRecord {
    /// An empty record for a session to `remote`.
    pub fn new(remote: SocketAddr) -> SessionRecord {
        SessionRecord {
            remote,
            local: None,
            greeting: None,
            ehlo_name: None,
            used_helo: false,
            capabilities: None,
            starttls: false,
            tls: None,
            commands: Vec::new(),
        }
    }
}
