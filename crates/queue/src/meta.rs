//! What we know about a message's arrival, and a message ready to queue.

use std::net::SocketAddr;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::auth_record::{ArcSealRecord, AuthRecord};
use crate::envelope::Envelope;
use crate::id::QueueId;

/// The TLS parameters of a session (RFC 8314 §4.3 puts them in `Received:`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsSummary {
    /// The protocol version, e.g. `TLSv1.3`.
    pub version: String,
    /// The cipher suite, e.g. `TLS_AES_256_GCM_SHA384`.
    pub cipher: String,
}

/// How a message arrived: the first line of its trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageMeta {
    /// When the message was received (our clock); expiry counts from here.
    #[serde(with = "crate::time::millis")]
    pub received_at: SystemTime,
    /// The client's address; `None` for local submission (`sendmail`).
    pub client: Option<SocketAddr>,
    /// The name the client gave in EHLO or HELO.
    pub ehlo: Option<String>,
    /// The session's TLS, if it had any.
    pub tls: Option<TlsSummary>,
    /// The authenticated user (SMTP AUTH), if any.
    pub authenticated: Option<String>,
    /// The size of the stored message in octets; the store sets it from
    /// the body it writes.
    pub size: u64,
    /// The `Message-ID:` header field's value, angle brackets included.
    pub message_id: Option<String>,
    /// The outbound pool chosen for the message (DESIGN §3), named
    /// `outbound_pool` in the trace.
    #[serde(rename = "outbound_pool", alias = "pool")]
    pub pool: String,
    /// Why that pool was chosen, e.g. `sender domain has no A/AAAA or MX`.
    #[serde(rename = "outbound_pool_reason", default)]
    pub pool_reason: String,
    /// The message is a TLS report (RFC 8460 §5.3) that we queued: the
    /// sessions delivering it are not counted for TLS reporting, so no
    /// report is ever about the delivery of a report.
    #[serde(default)]
    pub tls_report: bool,
    /// What sender authentication found (the MX listener), if it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<Box<AuthRecord>>,
    /// Why the message went to quarantine on arrival: its recipients start
    /// quarantined instead of queued, until an administrator releases them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quarantine: Option<String>,
    /// The ARC set we added to this copy on arrival (a forwarded or
    /// relayed copy, with `[arc]` configured), if we sealed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arc_sealed: Option<Box<ArcSealRecord>>,
    /// When the message expires if that is sooner than the retry
    /// schedule's expiry: a TLS report is worth nothing after its day plus
    /// one (RFC 8460 §5.3 asks for delivery in a timely manner).
    #[serde(default, with = "crate::time::opt_millis")]
    pub expires_at: Option<SystemTime>,
}

impl MessageMeta {
    /// Metadata for a message received at `received_at` from nowhere in
    /// particular, in the `normal` pool.
    pub fn new(received_at: SystemTime) -> MessageMeta {
        MessageMeta {
            received_at,
            client: None,
            ehlo: None,
            tls: None,
            authenticated: None,
            size: 0,
            message_id: None,
            pool: "normal".to_owned(),
            pool_reason: String::new(),
            tls_report: false,
            auth: None,
            quarantine: None,
            arc_sealed: None,
            expires_at: None,
        }
    }
}

/// A message to queue: everything that must be on disk before the 250.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// Its id, made before the message is stored so that the `Received:`
    /// header in `body` can name it ([`QueueId::generate`]).
    pub id: QueueId,
    /// MAIL FROM and its parameters.
    pub envelope: Envelope,
    /// The recipients with their DSN parameters (RFC 3461 §4.1-4.2), in
    /// RCPT order.
    pub recipients: Vec<smtp::Recipient>,
    /// How it arrived.
    pub meta: MessageMeta,
    /// The message as received, our `Received:` header included.
    pub body: Vec<u8>,
}
