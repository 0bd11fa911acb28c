//! What `sealane queue list|show` and `sealane trace` read.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use smtp::EnhancedCode;

use crate::envelope::Envelope;
use crate::event::Event;
use crate::id::QueueId;
use crate::meta::MessageMeta;
use crate::state::{RecipientState, TroubleRecord};

/// One recipient as the queue sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientView {
    /// The address and its DSN parameters.
    pub recipient: smtp::Recipient,
    /// Its domain, lowercased.
    pub domain: String,
    /// Where it stands.
    pub state: RecipientState,
    /// Attempts made so far.
    pub attempts: u32,
    /// The last trouble, if any attempt failed.
    pub last_trouble: Option<TroubleRecord>,
}

/// A message in a listing (`mailq`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageSummary {
    /// Its queue id.
    pub id: QueueId,
    /// When it arrived.
    #[serde(with = "crate::time::millis")]
    pub received_at: SystemTime,
    /// The envelope sender; empty for `<>`.
    pub sender: String,
    /// Octets stored.
    pub size: u64,
    /// Its `Message-ID:`.
    pub message_id: Option<String>,
    /// The outbound pool it leaves from (DESIGN §3).
    #[serde(rename = "outbound_pool")]
    pub pool: String,
    /// Its recipients.
    pub recipients: Vec<RecipientView>,
}

/// Everything about one message: `queue show` and `trace`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageDetail {
    /// Its queue id.
    pub id: QueueId,
    /// MAIL FROM and its parameters.
    pub envelope: Envelope,
    /// How it arrived.
    pub meta: MessageMeta,
    /// Its recipients.
    pub recipients: Vec<RecipientView>,
    /// The trace, oldest first.
    pub events: Vec<Event>,
}

/// Recipients waiting for one destination domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainCount {
    /// The destination domain.
    pub domain: String,
    /// Waiting for a first attempt.
    pub queued: u64,
    /// Leased to a worker.
    pub in_flight: u64,
    /// Waiting for a retry.
    pub deferred: u64,
    /// Held or quarantined.
    pub held: u64,
    /// When the oldest of their messages arrived.
    #[serde(with = "crate::time::opt_millis")]
    pub oldest: Option<SystemTime>,
}

/// Deferred recipients sharing one cause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CauseCount {
    /// The cause's stable name.
    pub cause: String,
    /// Its enhanced status code.
    pub code: EnhancedCode,
    /// How many deferred recipients it holds back.
    pub recipients: u64,
}

/// The `mailq` summary: pending recipients by destination and by cause.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueSummary {
    /// Per destination domain, most recipients first.
    pub by_domain: Vec<DomainCount>,
    /// Per cause of deferral, most recipients first.
    pub by_cause: Vec<CauseCount>,
}

/// `queue list --json` and `GET /api/v1/queue`: the summary, then the
/// pending messages listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueListing {
    /// Pending recipients by destination and by cause.
    pub summary: QueueSummary,
    /// The pending messages.
    pub messages: Vec<MessageSummary>,
}
