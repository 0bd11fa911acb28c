//! The `Store` trait: the queue's only door. The SQLite backend (one
//! node) and the PostgreSQL backend (one or several nodes) implement it;
//! callers see no difference.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use policy::sts::PolicyStore;
use serde::{Deserialize, Serialize};
use smtp::Reply;

use crate::dmarc_report::{DmarcObservation, DmarcRowCount, ReceivedDmarcReport};
use crate::envelope::Envelope;
use crate::error::StoreError;
use crate::event::{AttemptRecord, Event, EventKind, NoticeKind};
use crate::hourly::HourlyCount;
use crate::id::QueueId;
use crate::meta::{MessageMeta, NewMessage};
use crate::report_state::{ReportDue, ReportKind, ReportState, ReportStatus};
use crate::sending::{SendingBlock, SendingRequest, SendingVerdict, Subject};
use crate::state::TroubleRecord;
use crate::tls_received::ReceivedTlsReport;
use crate::tls_session::{TlsSession, TlsSessionCount, UtcDay};
use crate::view::{MessageDetail, MessageSummary, QueueSummary};

/// A worker's hold on the recipients of one claim. Results are recorded
/// only under a lease that is still current.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// Unique to this claim: a later claim of the same recipients, even by
    /// the same owner, has another.
    pub id: i64,
    /// Who holds it (e.g. `host:pid:worker`).
    pub owner: String,
    /// When it lapses (the store's clock).
    #[serde(with = "crate::time::millis")]
    pub until: SystemTime,
}

/// What [`Store::claim`] may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRequest {
    /// The claiming worker.
    pub owner: String,
    /// How long the lease lasts.
    pub lease: Duration,
    /// At most this many destination domains (batches).
    pub max_domains: usize,
    /// At most this many messages per domain.
    pub max_messages: usize,
    /// Domains not to take now (e.g. at their concurrency limit).
    pub skip_domains: Vec<String>,
    /// At most this many current leases per destination domain, counted
    /// in the store, every worker and every node together: a domain that
    /// has as many is not claimed (the per-destination concurrency limit).
    pub domain_limit: Option<usize>,
    /// A worker going on with what came due for its domain while it
    /// delivered: only that domain is claimed, and the worker's own lease
    /// is not counted against `domain_limit`, so the slot it holds passes
    /// to its next batch and no other worker takes it in between.
    pub continuing: Option<Continuation>,
}

/// The domain and lease of a worker that asks for more of the same
/// destination (see [`ClaimRequest::continuing`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Continuation {
    /// The destination domain of the batch the worker holds.
    pub domain: String,
    /// The id of the lease the worker holds.
    pub lease_id: i64,
}

/// A recipient handed to a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedRecipient {
    /// The address and its DSN parameters.
    pub recipient: smtp::Recipient,
    /// Attempts already made.
    pub attempts: u32,
    /// The last trouble, if an attempt failed.
    pub last_trouble: Option<TroubleRecord>,
}

/// A message with those of its recipients that are in one domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedMessage {
    /// Its queue id.
    pub id: QueueId,
    /// MAIL FROM and its parameters.
    pub envelope: Envelope,
    /// How it arrived (received time for expiry, pool, size).
    pub meta: MessageMeta,
    /// Its due recipients in the batch's domain.
    pub recipients: Vec<ClaimedRecipient>,
}

/// Due recipients of one destination domain, leased together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// The destination domain, lowercased.
    pub domain: String,
    /// The lease every recipient of the batch is under.
    pub lease: Lease,
    /// The messages, oldest due first.
    pub messages: Vec<ClaimedMessage>,
}

/// What became of one recipient in an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A server accepted it.
    Delivered {
        /// The MX host that accepted.
        mx: Option<String>,
        /// Its reply.
        reply: Option<Reply>,
    },
    /// Try again at `next_attempt` ([`crate::RetrySchedule`]).
    Deferred {
        /// When.
        next_attempt: SystemTime,
        /// Why.
        trouble: TroubleRecord,
    },
    /// Refused for good.
    Bounced {
        /// Why.
        trouble: TroubleRecord,
    },
    /// The retry schedule ran out.
    Expired {
        /// The last cause.
        trouble: TroubleRecord,
    },
}

/// The result of one delivery of one message to one domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptReport {
    /// The message.
    pub id: QueueId,
    /// Each recipient's outcome, by address. Leased recipients left out
    /// stay in flight until the lease lapses.
    pub outcomes: Vec<(String, Outcome)>,
    /// Every connection made, for the trace.
    pub attempts: Vec<AttemptRecord>,
    /// Notices to the sender these outcomes owe, queued in the same
    /// transaction as the outcomes: a crash keeps both or neither, so a
    /// final failure is never recorded without its NDR.
    pub notices: Vec<QueuedNotice>,
}

/// A notice to the sender (RFC 3464) queued with the outcome that owes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedNotice {
    /// The notice, a message from the null sender.
    pub message: NewMessage,
    /// Which notice it is.
    pub kind: NoticeKind,
    /// The original's recipients it reports on; each gets a
    /// [`EventKind::NoticeSent`](crate::EventKind::NoticeSent) in the trace.
    pub recipients: Vec<String>,
}

/// Which messages an administrative operation applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// One message.
    Message(QueueId),
    /// Every message with a recipient in this domain (only those
    /// recipients are affected).
    Domain(String),
    /// The whole queue.
    All,
}

/// The durable queue. Every state change goes through here (DESIGN §7:
/// only the queue manager changes queue state); every time is read from
/// the store's clock. It also keeps the MTA-STS policy cache
/// ([`PolicyStore`]), so nodes sharing a store share policies.
#[async_trait]
pub trait Store: PolicyStore + Send + Sync {
    /// Stores a message, its envelope and recipients durably (synced to
    /// disk) and returns when it is safe to answer 250. Concurrent inserts
    /// share one sync.
    async fn insert(&self, message: NewMessage) -> Result<(), StoreError>;

    /// Stores several messages from one arrival (the copies of a forwarded
    /// message, a bounce returned through SRS beside them) in one
    /// transaction: all of them are stored and synced, or none is, so the
    /// client's retry after a failure never duplicates a part.
    async fn insert_all(&self, messages: Vec<NewMessage>) -> Result<(), StoreError>;

    /// The stored message for delivery.
    async fn body(&self, id: QueueId) -> Result<Vec<u8>, StoreError>;

    /// Leases due recipients (queued, deferred and due, or in flight under
    /// a lapsed lease), grouped by destination domain, up to the request's
    /// limits. Each batch has its own lease.
    async fn claim(&self, request: &ClaimRequest) -> Result<Vec<Batch>, StoreError>;

    /// Extends a current lease to `now + extend`; fails with
    /// [`StoreError::LeaseLost`] for `id` if it is no longer ours.
    async fn renew(
        &self,
        lease: &Lease,
        id: QueueId,
        extend: Duration,
    ) -> Result<Lease, StoreError>;

    /// Records the outcome of an attempt, only if every recipient named is
    /// still in flight under `lease` and the lease has not lapsed (with no
    /// outcomes, only attempts: if some recipient of the message is), and
    /// queues the report's notices in the same transaction; otherwise
    /// records and queues nothing and fails with [`StoreError::LeaseLost`].
    async fn record(&self, lease: &Lease, report: AttemptReport) -> Result<(), StoreError>;

    /// Puts recipients whose lease lapsed back in line (due now), with a
    /// trace event; returns how many.
    async fn release_lapsed(&self) -> Result<u64, StoreError>;

    /// Adds events to a message's trace (e.g. an NDR sent).
    async fn add_events(&self, id: QueueId, events: Vec<Event>) -> Result<(), StoreError>;

    /// Holds queued and deferred recipients; returns how many.
    async fn hold(&self, selector: &Selector) -> Result<u64, StoreError>;

    /// Quarantines queued, deferred and held recipients; returns how many.
    async fn quarantine(&self, selector: &Selector) -> Result<u64, StoreError>;

    /// Releases held and quarantined recipients, due now; returns how many.
    async fn release(&self, selector: &Selector) -> Result<u64, StoreError>;

    /// Makes deferred recipients due now; returns how many.
    async fn retry_now(&self, selector: &Selector) -> Result<u64, StoreError>;

    /// Deletes messages, with their bodies and traces (`postsuper -d`);
    /// returns how many messages. With [`Selector::Domain`] only the
    /// domain's recipients go, and a message goes when none is left.
    async fn delete(&self, selector: &Selector) -> Result<u64, StoreError>;

    /// Deletes messages with no pending recipient whose last recipient
    /// finished at least `retention` ago, with their traces, a thousand
    /// per transaction; returns how many.
    async fn purge(&self, retention: Duration) -> Result<u64, StoreError>;

    /// Deletes what daily reporting keeps for days before `before_day`
    /// (TLS session counts, DMARC rows, both kinds of report states) and
    /// the reports others sent whose period ended before
    /// `received_before`; returns how many rows went.
    async fn purge_reports(
        &self,
        before_day: UtcDay,
        received_before: SystemTime,
    ) -> Result<u64, StoreError>;

    /// When the next recipient is due (the earliest retry or lease
    /// deadline); `None` when nothing is pending.
    async fn next_due(&self) -> Result<Option<SystemTime>, StoreError>;

    /// Pending recipients by destination and by cause.
    async fn summary(&self) -> Result<QueueSummary, StoreError>;

    /// Messages with at least one pending recipient, oldest first, at most
    /// `limit`.
    async fn list(&self, limit: usize) -> Result<Vec<MessageSummary>, StoreError>;

    /// One message with its trace.
    async fn show(&self, id: QueueId) -> Result<Option<MessageDetail>, StoreError>;

    /// Messages whose queue id, `Message-ID:` (with or without angle
    /// brackets) or a recipient address is `key`, with their traces.
    async fn trace(&self, key: &str) -> Result<Vec<MessageDetail>, StoreError>;

    /// Messages from `sender` (the envelope sender, compared without
    /// regard to ASCII case; empty for `<>`), pending or finished, that
    /// arrived at or after `since` and at or before `until` when given,
    /// with their traces: the last `limit` to arrive, oldest first.
    async fn trace_sender(
        &self,
        sender: &str,
        since: Option<SystemTime>,
        until: Option<SystemTime>,
        limit: usize,
    ) -> Result<Vec<MessageDetail>, StoreError>;

    /// Every hour from the one `since` falls in to the one `until` falls
    /// in, oldest first, with the recipients delivered in it by security
    /// level and the connections that failed by RFC 8460 result type, as
    /// the traces of the messages still kept record them (see
    /// [`HourlyCount`]; deleted or purged messages no longer count).
    async fn hourly_counts(
        &self,
        since: SystemTime,
        until: SystemTime,
    ) -> Result<Vec<HourlyCount>, StoreError>;

    /// Counts TLS sessions for reporting (RFC 8460), each under its policy
    /// domain, day, policy and result; alike sessions share one count.
    async fn record_tls_sessions(&self, sessions: Vec<TlsSession>) -> Result<(), StoreError>;

    /// The counted sessions of `policy_domain` on `day`.
    async fn tls_sessions(
        &self,
        policy_domain: &str,
        day: UtcDay,
    ) -> Result<Vec<TlsSessionCount>, StoreError>;

    /// Reports owed for days up to `last_day`: a policy domain and day
    /// with sessions, whose report is neither sent nor abandoned and whose
    /// next attempt (if one failed) is due by the store's clock.
    async fn tls_reports_due(&self, last_day: UtcDay) -> Result<Vec<ReportDue>, StoreError>;

    /// Records where the report of `policy_domain` for `day` stands; a
    /// [`ReportState::Retry`] also counts one attempt.
    async fn set_tls_report(
        &self,
        policy_domain: &str,
        day: UtcDay,
        state: ReportState,
    ) -> Result<(), StoreError>;

    /// Takes the TLS report of `policy_domain` for `day` for this node for
    /// `lease`, so that nodes sharing the store do not send it twice:
    /// `true` when it was owed and due (no state yet, or a retry or an
    /// earlier claim due by the store's clock); the claim shows as a retry
    /// due when the lease is over, so a node that dies while sending
    /// leaves the report to the others.
    async fn claim_tls_report(
        &self,
        policy_domain: &str,
        day: UtcDay,
        lease: Duration,
    ) -> Result<bool, StoreError>;

    /// Where the report of `policy_domain` for `day` stands; `None` before
    /// its first attempt.
    async fn tls_report_status(
        &self,
        policy_domain: &str,
        day: UtcDay,
    ) -> Result<Option<ReportStatus>, StoreError>;

    /// Keeps a report another organisation sent about `report.policy_domain`;
    /// `false` when the same report (organisation, report id, domain) is
    /// already kept, which is left as it was.
    async fn store_received_tls_report(
        &self,
        report: ReceivedTlsReport,
    ) -> Result<bool, StoreError>;

    /// Received reports, of `policy_domain` only if given, covering time at
    /// or after `since` if given, oldest period first.
    async fn received_tls_reports(
        &self,
        policy_domain: Option<&str>,
        since: Option<SystemTime>,
    ) -> Result<Vec<ReceivedTlsReport>, StoreError>;

    /// Counts messages evaluated against Domain Owners' DMARC policies
    /// for aggregate reporting (RFC 7489 §7.2): each observation's count
    /// is added to its policy domain, day and row.
    async fn record_dmarc(&self, observations: Vec<DmarcObservation>) -> Result<(), StoreError>;

    /// The counted rows of `policy_domain` on `day`.
    async fn dmarc_rows(
        &self,
        policy_domain: &str,
        day: UtcDay,
    ) -> Result<Vec<DmarcRowCount>, StoreError>;

    /// DMARC aggregate reports owed for days up to `last_day`, as
    /// [`Store::tls_reports_due`].
    async fn dmarc_reports_due(&self, last_day: UtcDay) -> Result<Vec<ReportDue>, StoreError>;

    /// Queues `mail`, the one message that carries the `kind` report of
    /// `policy_domain` for `day`, and records that report as sent with
    /// `report_id`, in one transaction: both or neither. Queued and marked
    /// in two writes, a failure between them left the report claimed but
    /// not sent, and it went out again once the claim lapsed.
    async fn queue_report_mail(
        &self,
        kind: ReportKind,
        policy_domain: &str,
        day: UtcDay,
        report_id: String,
        mail: NewMessage,
    ) -> Result<(), StoreError>;

    /// Records where the DMARC report of `policy_domain` for `day` stands.
    async fn set_dmarc_report(
        &self,
        policy_domain: &str,
        day: UtcDay,
        state: ReportState,
    ) -> Result<(), StoreError>;

    /// Takes the DMARC report of `policy_domain` for `day` for this node
    /// for `lease`, as [`Store::claim_tls_report`].
    async fn claim_dmarc_report(
        &self,
        policy_domain: &str,
        day: UtcDay,
        lease: Duration,
    ) -> Result<bool, StoreError>;

    /// Where the DMARC report of `policy_domain` for `day` stands.
    async fn dmarc_report_status(
        &self,
        policy_domain: &str,
        day: UtcDay,
    ) -> Result<Option<ReportStatus>, StoreError>;

    /// Keeps an aggregate report another organisation sent about
    /// `report.policy_domain`; `false` when it is kept already.
    async fn store_received_dmarc_report(
        &self,
        report: ReceivedDmarcReport,
    ) -> Result<bool, StoreError>;

    /// Received aggregate reports, of `policy_domain` only if given,
    /// covering time at or after `since` if given, oldest period first.
    async fn received_dmarc_reports(
        &self,
        policy_domain: Option<&str>,
        since: Option<SystemTime>,
    ) -> Result<Vec<ReceivedDmarcReport>, StoreError>;

    /// Checks a message against the sending limits of each of its
    /// subjects and, when it is within them all, counts it under each:
    /// one transaction, serialised per subject across every node. A
    /// subject already blocked, or that this message would take over a
    /// limit (which blocks it now), makes the verdict
    /// [`SendingVerdict::Blocked`] and nothing is counted.
    async fn count_sending(&self, request: SendingRequest) -> Result<SendingVerdict, StoreError>;

    /// The block of the first of `subjects` that is blocked, if any.
    async fn sending_block(&self, subjects: &[Subject])
    -> Result<Option<SendingBlock>, StoreError>;

    /// Every blocked subject, oldest block first.
    async fn sending_blocks(&self) -> Result<Vec<SendingBlock>, StoreError>;

    /// Lifts the block of the user or domain named `name` and forgets its
    /// counts, so it starts again from zero; returns how many blocks were
    /// lifted (0: none was blocked).
    async fn release_sending(&self, name: &str) -> Result<u64, StoreError>;

    /// Keeps the trace of a message refused on arrival (so `sealane trace`
    /// finds it): its envelope and arrival, each recipient bounced with
    /// `trouble`, then `events`. Nothing is delivered and no notice is
    /// sent; the caller leaves the body out. The message is finished at
    /// once and purged with the others.
    async fn trace_refused(
        &self,
        message: NewMessage,
        trouble: TroubleRecord,
        events: Vec<EventKind>,
    ) -> Result<(), StoreError>;
}
