//! The durable queue (DESIGN §7): messages, their recipients' states,
//! leases, attempts and the message trace, behind the [`Store`] trait.
//!
//! It owns what is queued and in which state each recipient stands: an
//! insert is on disk before the SMTP server answers 250, concurrent
//! inserts share one sync (group commit), workers lease due recipients
//! grouped by destination domain and record outcomes only under a lease
//! that is still theirs, and every event is kept for `sealane trace`. It
//! also computes when to try again ([`RetrySchedule`]).
//!
//! It does not deliver (`delivery`), decide TLS (`policy`), choose status
//! codes (`policy`'s trouble table), write DSNs (`report`) or run workers
//! (`server`). Its trace types are its own, stored as JSON, so the stored
//! trace keeps its shape when those crates change; `from_delivery.rs` is
//! the one place that fills them from a delivery report and a trouble
//! ([`AttemptRecord::from_host_attempt`], [`TroubleRecord::from_trouble`]).
//!
//! At-least-once: a recipient is delivered again only if the process dies
//! (or its lease lapses) between the remote server's 250 and the commit
//! of [`Store::record`].

mod envelope;
mod error;
mod event;
mod from_delivery;
mod id;
mod meta;
mod schedule;
pub mod sqlite;
mod state;
mod store;
mod time;
mod view;

pub use envelope::{BodyType, Envelope, domain_of};
pub use error::StoreError;
pub use event::{AttemptRecord, DnssecNote, Event, EventKind, NoticeKind};
pub use id::{QueueId, QueueIdError};
pub use meta::{MessageMeta, NewMessage, TlsSummary};
pub use schedule::{Retry, RetrySchedule};
pub use sqlite::SqliteStore;
pub use state::{RecipientState, TroubleRecord};
pub use store::{
    AttemptReport, Batch, ClaimRequest, ClaimedMessage, ClaimedRecipient, Lease, Outcome, Selector,
    Store,
};
pub use view::{
    CauseCount, DomainCount, MessageDetail, MessageSummary, QueueSummary, RecipientView,
};
