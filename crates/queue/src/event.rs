//! The message trace: every event of a message's life, stored with it.
//!
//! These are the queue's own types, serialised as JSON, so that the stored
//! trace keeps its shape when the delivery and policy types change; the
//! delivery workers fill them from a delivery report.

use std::net::SocketAddr;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use smtp::Reply;

use crate::id::QueueId;
use crate::meta::{MessageMeta, TlsSummary};
use crate::sending::SendingBlock;
use crate::state::TroubleRecord;

/// One event of the trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// When it happened (the store's clock).
    #[serde(with = "crate::time::millis")]
    pub at: SystemTime,
    /// The recipient it concerns; `None` for the whole message.
    pub recipient: Option<String>,
    /// What happened.
    pub kind: EventKind,
}

/// The DNSSEC status of one answer an attempt relied on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnssecNote {
    /// The question, e.g. `_25._tcp.mx.example.net TLSA`.
    pub question: String,
    /// `secure`, `insecure`, `bogus` or `indeterminate`.
    pub status: String,
}

/// One connection to one address of one MX host: the security line of
/// the trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptRecord {
    /// The MX host name.
    pub mx: String,
    /// The address and port connected to.
    pub address: SocketAddr,
    /// Our source address, once connected.
    pub source: Option<SocketAddr>,
    /// What the plan required of the host (`dane`, `sts-enforce`,
    /// `opportunistic`, ...).
    pub requirement: String,
    /// The TLS version and cipher, if STARTTLS completed.
    pub tls: Option<TlsSummary>,
    /// How the certificate was verified (`dane`, `web-pki`,
    /// `opportunistic`, `mandatory-unauthenticated`) and with what verdict.
    pub verification: Option<String>,
    /// The TLSA record that matched, in presentation form.
    pub tlsa: Option<String>,
    /// The MTA-STS policy id that applied (RFC 8461 §3.1 `id=`).
    pub sts_policy_id: Option<String>,
    /// The DNSSEC status of each answer the plan for this host used.
    pub dnssec: Vec<DnssecNote>,
    /// The RFC 8460 §4.3 result type, when the attempt failed for a
    /// reason TLS-RPT counts.
    pub result_type: Option<String>,
    /// The remote server's decisive reply, if there was one.
    pub reply: Option<Reply>,
    /// What went wrong, if anything did.
    pub trouble: Option<TroubleRecord>,
    /// The recipients this connection carried.
    pub recipients: Vec<String>,
    /// Which transaction on the connection this was: 1 on a connection
    /// opened for it, more on one kept open from earlier messages under
    /// the same security context (its verification is the opening's).
    #[serde(default = "first_transaction")]
    pub transaction: u32,
}

fn first_transaction() -> u32 {
    1
}

/// Which delivery status notification was sent (RFC 3464).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoticeKind {
    /// A non-delivery report (bounced or expired).
    Failure,
    /// A delay notice.
    Delay,
    /// A success DSN (NOTIFY=SUCCESS).
    Success,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum EventKind {
    /// The message was queued.
    Received(MessageMeta),
    /// One connection was made for it.
    Attempt(Box<AttemptRecord>),
    /// A recipient will be tried again.
    Deferred {
        /// Why.
        trouble: TroubleRecord,
        /// When.
        #[serde(with = "crate::time::millis")]
        next_attempt: SystemTime,
    },
    /// A server accepted the message for a recipient.
    Delivered {
        /// The MX host that accepted.
        mx: Option<String>,
        /// Its reply to the data.
        reply: Option<Reply>,
    },
    /// A recipient was refused for good.
    Bounced {
        /// Why.
        trouble: TroubleRecord,
    },
    /// A recipient was still undelivered when the schedule ran out.
    Expired {
        /// The last cause.
        trouble: TroubleRecord,
    },
    /// A delivery status notification went to the sender.
    NoticeSent {
        /// Which.
        kind: NoticeKind,
        /// The notification's own queue id.
        notice: QueueId,
    },
    /// An administrator held the recipient.
    Held,
    /// An administrator quarantined the recipient.
    Quarantined,
    /// An administrator released it from hold or quarantine.
    Released,
    /// An administrator asked for an attempt now.
    RetryRequested,
    /// A worker's lease ran out before it reported; the recipient is due again.
    LeaseLapsed {
        /// The worker that held it.
        owner: String,
    },
    /// The message was refused on arrival because its sender went over a
    /// sending limit (DESIGN §3), and the sender is blocked until an
    /// administrator releases it.
    SendingLimit(SendingBlock),
    /// The message was refused on arrival because the spam filter's
    /// action was to reject it.
    SpamRefused {
        /// The filter's action, as it named it (`reject`).
        action: String,
        /// Its score, as it wrote it.
        score: String,
    },
}
