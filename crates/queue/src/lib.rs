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
//! At-least-once: a message is committed (SQLite: WAL, `synchronous=FULL`;
//! PostgreSQL: a committed transaction) before the SMTP server answers 250, and a recipient leaves the queue only by
//! an outcome recorded under its lease; a process killed at any moment
//! loses nothing acknowledged (`crates/server/tests/kill9.rs` kills the
//! daemon with SIGKILL under load and checks). A recipient is delivered
//! twice only in these windows:
//! - the process dies (kill -9, crash, power cut) after the remote
//!   server's 250 to the final dot and before [`Store::record`] commits:
//!   the lease lapses and the recipient is tried again;
//! - one delivery outlasts its lease (the daemon renews a batch's lease
//!   between messages, not during one), or the record cannot be written:
//!   the result is refused or lost, the lease lapses, the recipient is
//!   tried again;
//! - the connection breaks after the remote server took the final dot and
//!   before its reply arrived (RFC 1047): the attempt counts as failed.
//!
//! TLS reporting (RFC 8460) counts every delivery session by policy
//! domain, UTC day, policy and result ([`tls_sessions`],
//! [`Store::record_tls_sessions`]) and keeps where each day's report
//! stands; the `report` crate writes the reports. It also keeps the reports
//! others send about our domains ([`ReceivedTlsReport`]).
//!
//! The MTA-STS policy cache lives in the store too (`sts_cache.rs`): every
//! [`Store`] is a [`policy::sts::PolicyStore`], so nodes sharing a queue
//! database share their policies.
//!
//! Sending limits are counted here too (`sending.rs`): per authenticated
//! user and per sender domain, shared by every node, with the subjects
//! blocked for going over ([`Store::count_sending`]).
//!
//! A notice owed by an outcome is queued by the same transaction that
//! records the outcome ([`AttemptReport::notices`]), so a crash neither
//! loses it nor sends it twice.

mod auth_record;
mod columns;
mod dmarc_report;
mod envelope;
mod error;
mod event;
mod from_delivery;
mod hourly;
mod id;
mod meta;
pub mod postgres;
mod report_state;
mod schedule;
mod sending;
pub mod sqlite;
mod state;
mod store;
mod sts_cache;
mod time;
mod tls_from_delivery;
mod tls_received;
mod tls_session;
mod view;

/// Messages deleted per transaction by [`Store::purge`], so a large purge
/// (the first after an upgrade) never holds the writer for long.
pub(crate) const PURGE_BATCH: i64 = 1000;

pub use auth_record::{ArcRecord, ArcSealRecord, AuthRecord, DkimRecord, DmarcRecord, SpfRecord};
pub use dmarc_report::{
    DmarcDkim, DmarcObservation, DmarcOverride, DmarcRow, DmarcRowCount, DmarcSpf,
    ReceivedDmarcReport,
};
pub use envelope::{BodyType, Envelope, domain_of};
pub use error::StoreError;
pub use event::{AttemptRecord, DnssecNote, Event, EventKind, NoticeKind};
pub use hourly::{HourlyCount, SECURITY_LEVELS, last_hours};
pub use id::{QueueId, QueueIdError};
pub use meta::{MessageMeta, NewMessage, TlsSummary};
pub use postgres::{PgOptions, PgStore, PgUrlError};
pub use report_state::{ReportDue, ReportKind, ReportState, ReportStatus};
pub use schedule::{Retry, RetrySchedule};
pub use sending::{
    LimitKind, SendingBlock, SendingCounts, SendingLimits, SendingRequest, SendingVerdict, Subject,
    SubjectKind,
};
pub use sqlite::SqliteStore;
pub use state::{RecipientState, TroubleRecord};
pub use store::{
    AttemptReport, Batch, ClaimRequest, ClaimedMessage, ClaimedRecipient, Continuation, Lease,
    Outcome, QueuedNotice, Selector, Store,
};
pub use tls_from_delivery::tls_sessions;
pub use tls_received::ReceivedTlsReport;
pub use tls_session::{
    TlsFailure, TlsPolicy, TlsSession, TlsSessionCount, UtcDay, day_start, utc_day,
};
pub use view::{
    CauseCount, DomainCount, MessageDetail, MessageSummary, QueueListing, QueueSummary,
    RecipientView,
};
