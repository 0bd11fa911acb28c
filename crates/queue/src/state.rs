//! Where each recipient stands (DESIGN §7).

use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use smtp::EnhancedCode;

/// The last thing that went wrong for a recipient, as the trace, the queue
/// listing and the NDR show it. Built by the delivery workers from the
/// `policy` crate's trouble table; the queue only keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TroubleRecord {
    /// The enhanced status code (RFC 3463) the trouble table assigned.
    pub code: EnhancedCode,
    /// The cause's stable name (e.g. `tlsa-no-match`), what `queue list`
    /// groups by.
    pub cause: String,
    /// The diagnostic in words, with what was seen.
    pub detail: String,
    /// The MX host it happened on, when there was one.
    pub mx: Option<String>,
}

/// The state of one recipient of one message.
///
/// `Queued` → `InFlight` (leased to one worker until a deadline) →
/// `Delivered` | `Deferred` | `Bounced` | `Expired`. `Held` and
/// `Quarantined` are set and cleared only by an administrator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum RecipientState {
    /// Waiting for its first attempt.
    Queued,
    /// A worker holds it until `lease_until`; after that anyone may claim it.
    InFlight {
        /// The lease's deadline.
        #[serde(with = "crate::time::millis")]
        lease_until: SystemTime,
        /// Who holds the lease.
        owner: String,
    },
    /// Not delivered yet; tried again at `next_attempt`.
    Deferred {
        /// When the next attempt is due.
        #[serde(with = "crate::time::millis")]
        next_attempt: SystemTime,
        /// Why the last attempt failed.
        trouble: TroubleRecord,
    },
    /// A server accepted it.
    Delivered,
    /// Refused for good.
    Bounced,
    /// Still undelivered when the retry schedule ran out.
    Expired,
    /// Kept back by an administrator.
    Held,
    /// Set aside by an administrator (or a filter) for inspection.
    Quarantined,
}

impl RecipientState {
    /// The state's name as stored and printed.
    pub fn name(&self) -> &'static str {
        match self {
            RecipientState::Queued => "queued",
            RecipientState::InFlight { .. } => "in-flight",
            RecipientState::Deferred { .. } => "deferred",
            RecipientState::Delivered => "delivered",
            RecipientState::Bounced => "bounced",
            RecipientState::Expired => "expired",
            RecipientState::Held => "held",
            RecipientState::Quarantined => "quarantined",
        }
    }

    /// Whether nothing more will happen to the recipient by itself or by
    /// an administrator: delivered, bounced or expired.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            RecipientState::Delivered | RecipientState::Bounced | RecipientState::Expired
        )
    }
}
