//! The SQLite backend: the embedded default.
//!
//! One file in WAL mode with `synchronous=FULL`. Bodies live in the
//! database, in their own table, rather than as spool files: the body and
//! its envelope are then committed by the same transaction, so one sync
//! of the log makes both durable for every message of a group commit,
//! where spool files would need a sync of each file and of its directory
//! per message, and could be orphaned by a crash between the two. Deleting
//! a message deletes its body in the same transaction.
//!
//! Writes go to one thread that commits them in groups (`writer.rs`);
//! reads use a small pool of other connections and never wait for it.

mod by_message;
mod dmarc;
mod due;
mod read;
mod readers;
mod report_state;
mod rows;
mod schema;
mod sending;
mod sts;
mod tls;
mod tls_received;
mod write;
mod writer;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use dns::clock::Clock;
use policy::sts::{CacheEntry, CacheError, Policy, PolicyStore, domain_key, mx_column};
use rusqlite::{Connection, OpenFlags};

pub use schema::SCHEMA_VERSION;
pub use writer::WriteStats;

use crate::dmarc_report::{DmarcObservation, DmarcRowCount, ReceivedDmarcReport};
use crate::error::StoreError;
use crate::event::{Event, EventKind};
use crate::hourly::HourlyCount;
use crate::id::QueueId;
use crate::meta::NewMessage;
use crate::report_state::{ReportDue, ReportKind, ReportState, ReportStatus};
use crate::sending::{SendingBlock, SendingRequest, SendingVerdict, Subject};
use crate::state::TroubleRecord;
use crate::store::{AttemptReport, Batch, ClaimRequest, Lease, Selector, Store};
use crate::sts_cache::cache_error;
use crate::time::{from_millis, to_millis};
use crate::tls_received::ReceivedTlsReport;
use crate::tls_session::{TlsSession, TlsSessionCount, UtcDay};
use crate::view::{MessageDetail, MessageSummary, QueueSummary};
use readers::Readers;
use writer::Writer;

/// The queue in one SQLite file.
pub struct SqliteStore {
    writer: Writer,
    readers: Readers,
    clock: Arc<dyn Clock>,
}

impl SqliteStore {
    /// Page cache of each reader connection, in KiB (the writer keeps
    /// SQLite's default of 2 MiB).
    pub const READER_CACHE_KIB: i64 = schema::READER_CACHE_KIB;

    /// Opens (creating if needed) the queue database at `path`, bringing
    /// its schema up to date; fails with [`StoreError::SchemaTooNew`] if
    /// a newer Sealane wrote it. Times are read from `clock`.
    pub fn open(path: impl AsRef<Path>, clock: Arc<dyn Clock>) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut conn = Connection::open(&path)?;
        schema::configure(&conn)?;
        schema::prepare(&mut conn)?;
        Ok(SqliteStore {
            writer: Writer::start(conn)?,
            readers: Readers::start(path)?,
            clock,
        })
    }

    /// Opens an existing queue database that a daemon of this version has
    /// brought to [`SCHEMA_VERSION`], changing nothing in its layout: for
    /// commands that use the queue (`sealane queue`, `sealane trace`).
    /// Fails with [`StoreError::SchemaTooOld`] or
    /// [`StoreError::SchemaTooNew`] when the file is at another version.
    pub fn open_existing(
        path: impl AsRef<Path>,
        clock: Arc<dyn Clock>,
    ) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref().to_path_buf();
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        schema::configure(&conn)?;
        schema::check(&conn)?;
        Ok(SqliteStore {
            writer: Writer::start(conn)?,
            readers: Readers::start(path)?,
            clock,
        })
    }

    /// How many write requests the store has committed, in how many
    /// transactions: the ratio is the group commit's effect.
    pub fn write_stats(&self) -> WriteStats {
        self.writer.stats()
    }

    fn now(&self) -> i64 {
        to_millis(self.clock.now())
    }

    async fn read<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.readers.read(work).await
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn insert(&self, message: NewMessage) -> Result<(), StoreError> {
        let now = self.now();
        self.writer
            .write(move |conn| write::insert(conn, message, now))
            .await
    }

    async fn insert_all(&self, messages: Vec<NewMessage>) -> Result<(), StoreError> {
        let now = self.now();
        // One savepoint for them all: a failure undoes every one.
        self.writer
            .write(move |conn| {
                messages
                    .into_iter()
                    .try_for_each(|message| write::insert(conn, message, now))
            })
            .await
    }

    async fn body(&self, id: QueueId) -> Result<Vec<u8>, StoreError> {
        self.read(move |conn| read::body(conn, id)).await
    }

    async fn claim(&self, request: &ClaimRequest) -> Result<Vec<Batch>, StoreError> {
        let request = request.clone();
        let now = self.now();
        self.writer
            .write(move |conn| write::claim(conn, &request, now))
            .await
    }

    async fn renew(
        &self,
        lease: &Lease,
        id: QueueId,
        extend: Duration,
    ) -> Result<Lease, StoreError> {
        let lease = lease.clone();
        let now = self.now();
        let until = to_millis(self.clock.now() + extend);
        self.writer
            .write(move |conn| write::renew(conn, &lease, id, until, now))
            .await
    }

    async fn record(&self, lease: &Lease, report: AttemptReport) -> Result<(), StoreError> {
        let lease = lease.clone();
        let now = self.now();
        self.writer
            .write(move |conn| write::record(conn, &lease, report, now))
            .await
    }

    async fn release_lapsed(&self) -> Result<u64, StoreError> {
        let now = self.now();
        self.writer
            .write(move |conn| write::release_lapsed(conn, now))
            .await
    }

    async fn add_events(&self, id: QueueId, events: Vec<Event>) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| write::add_events(conn, id, &events))
            .await
    }

    async fn hold(&self, selector: &Selector) -> Result<u64, StoreError> {
        let selector = selector.clone();
        let now = self.now();
        self.writer
            .write(move |conn| write::hold(conn, &selector, now))
            .await
    }

    async fn quarantine(&self, selector: &Selector) -> Result<u64, StoreError> {
        let selector = selector.clone();
        let now = self.now();
        self.writer
            .write(move |conn| write::quarantine(conn, &selector, now))
            .await
    }

    async fn release(&self, selector: &Selector) -> Result<u64, StoreError> {
        let selector = selector.clone();
        let now = self.now();
        self.writer
            .write(move |conn| write::release(conn, &selector, now))
            .await
    }

    async fn retry_now(&self, selector: &Selector) -> Result<u64, StoreError> {
        let selector = selector.clone();
        let now = self.now();
        self.writer
            .write(move |conn| write::retry_now(conn, &selector, now))
            .await
    }

    async fn delete(&self, selector: &Selector) -> Result<u64, StoreError> {
        let selector = selector.clone();
        let now = self.now();
        self.writer
            .write(move |conn| write::delete(conn, &selector, now))
            .await
    }

    async fn purge(&self, retention: Duration) -> Result<u64, StoreError> {
        let before = to_millis(
            self.clock
                .now()
                .checked_sub(retention)
                .unwrap_or(SystemTime::UNIX_EPOCH),
        );
        let mut deleted = 0;
        loop {
            let batch = self
                .writer
                .write(move |conn| write::purge(conn, before, crate::PURGE_BATCH))
                .await?;
            deleted += batch;
            if batch < crate::PURGE_BATCH as u64 {
                return Ok(deleted);
            }
        }
    }

    async fn purge_reports(
        &self,
        before_day: UtcDay,
        received_before: SystemTime,
    ) -> Result<u64, StoreError> {
        let received_before = to_millis(received_before);
        self.writer
            .write(move |conn| report_state::purge(conn, before_day, received_before))
            .await
    }

    async fn next_due(&self) -> Result<Option<SystemTime>, StoreError> {
        Ok(self.read(read::next_due).await?.map(from_millis))
    }

    async fn summary(&self) -> Result<QueueSummary, StoreError> {
        self.read(read::summary).await
    }

    async fn list(&self, limit: usize) -> Result<Vec<MessageSummary>, StoreError> {
        self.read(move |conn| read::list(conn, limit)).await
    }

    async fn show(&self, id: QueueId) -> Result<Option<MessageDetail>, StoreError> {
        self.read(move |conn| read::show(conn, id)).await
    }

    async fn trace(&self, key: &str) -> Result<Vec<MessageDetail>, StoreError> {
        let key = key.to_owned();
        self.read(move |conn| read::trace(conn, &key)).await
    }

    async fn trace_sender(
        &self,
        sender: &str,
        since: Option<SystemTime>,
        until: Option<SystemTime>,
        limit: usize,
    ) -> Result<Vec<MessageDetail>, StoreError> {
        let sender = sender.to_owned();
        let (since, until) = (since.map(to_millis), until.map(to_millis));
        self.read(move |conn| read::trace_sender(conn, &sender, since, until, limit))
            .await
    }

    async fn hourly_counts(
        &self,
        since: SystemTime,
        until: SystemTime,
    ) -> Result<Vec<HourlyCount>, StoreError> {
        let (from, until) = crate::hourly::span(since, until);
        self.read(move |conn| read::hourly_counts(conn, from, until))
            .await
    }

    async fn record_tls_sessions(&self, sessions: Vec<TlsSession>) -> Result<(), StoreError> {
        if sessions.is_empty() {
            return Ok(());
        }
        self.writer
            .write(move |conn| tls::record_sessions(conn, &sessions))
            .await
    }

    async fn tls_sessions(
        &self,
        policy_domain: &str,
        day: UtcDay,
    ) -> Result<Vec<TlsSessionCount>, StoreError> {
        let policy_domain = policy_domain.to_owned();
        self.read(move |conn| tls::sessions(conn, &policy_domain, day))
            .await
    }

    async fn tls_reports_due(&self, last_day: UtcDay) -> Result<Vec<ReportDue>, StoreError> {
        let now = self.now();
        self.read(move |conn| report_state::reports_due(conn, ReportKind::Tls, last_day, now))
            .await
    }

    async fn set_tls_report(
        &self,
        policy_domain: &str,
        day: UtcDay,
        state: ReportState,
    ) -> Result<(), StoreError> {
        let policy_domain = policy_domain.to_owned();
        self.writer
            .write(move |conn| {
                report_state::set_report(conn, ReportKind::Tls, &policy_domain, day, &state)
            })
            .await
    }

    async fn claim_tls_report(
        &self,
        policy_domain: &str,
        day: UtcDay,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let policy_domain = policy_domain.to_owned();
        let now = self.now();
        let until = now.saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX));
        self.writer
            .write(move |conn| {
                report_state::claim_report(conn, ReportKind::Tls, &policy_domain, day, now, until)
            })
            .await
    }

    async fn tls_report_status(
        &self,
        policy_domain: &str,
        day: UtcDay,
    ) -> Result<Option<ReportStatus>, StoreError> {
        let policy_domain = policy_domain.to_owned();
        self.read(move |conn| {
            report_state::report_status(conn, ReportKind::Tls, &policy_domain, day)
        })
        .await
    }

    async fn store_received_tls_report(
        &self,
        report: ReceivedTlsReport,
    ) -> Result<bool, StoreError> {
        self.writer
            .write(move |conn| tls_received::store(conn, &report))
            .await
    }

    async fn received_tls_reports(
        &self,
        policy_domain: Option<&str>,
        since: Option<SystemTime>,
    ) -> Result<Vec<ReceivedTlsReport>, StoreError> {
        let policy_domain = policy_domain.map(str::to_owned);
        let since = since.map(to_millis);
        self.read(move |conn| tls_received::received(conn, policy_domain.as_deref(), since))
            .await
    }

    async fn record_dmarc(&self, observations: Vec<DmarcObservation>) -> Result<(), StoreError> {
        if observations.is_empty() {
            return Ok(());
        }
        self.writer
            .write(move |conn| dmarc::record(conn, &observations))
            .await
    }

    async fn dmarc_rows(
        &self,
        policy_domain: &str,
        day: UtcDay,
    ) -> Result<Vec<DmarcRowCount>, StoreError> {
        let policy_domain = policy_domain.to_owned();
        self.read(move |conn| dmarc::rows(conn, &policy_domain, day))
            .await
    }

    async fn dmarc_reports_due(&self, last_day: UtcDay) -> Result<Vec<ReportDue>, StoreError> {
        let now = self.now();
        self.read(move |conn| report_state::reports_due(conn, ReportKind::Dmarc, last_day, now))
            .await
    }

    async fn queue_report_mail(
        &self,
        kind: ReportKind,
        policy_domain: &str,
        day: UtcDay,
        report_id: String,
        mail: NewMessage,
    ) -> Result<(), StoreError> {
        let policy_domain = policy_domain.to_owned();
        let now = self.now();
        // One savepoint for both, as in `insert_all`; the mark first, so
        // that a refused mail takes it back (the contract test relies on
        // this order to see the savepoint).
        self.writer
            .write(move |conn| {
                let sent = ReportState::Sent { report_id };
                report_state::set_report(conn, kind, &policy_domain, day, &sent)?;
                write::insert(conn, mail, now)
            })
            .await
    }

    async fn set_dmarc_report(
        &self,
        policy_domain: &str,
        day: UtcDay,
        state: ReportState,
    ) -> Result<(), StoreError> {
        let policy_domain = policy_domain.to_owned();
        self.writer
            .write(move |conn| {
                report_state::set_report(conn, ReportKind::Dmarc, &policy_domain, day, &state)
            })
            .await
    }

    async fn claim_dmarc_report(
        &self,
        policy_domain: &str,
        day: UtcDay,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let policy_domain = policy_domain.to_owned();
        let now = self.now();
        let until = now.saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX));
        self.writer
            .write(move |conn| {
                report_state::claim_report(conn, ReportKind::Dmarc, &policy_domain, day, now, until)
            })
            .await
    }

    async fn dmarc_report_status(
        &self,
        policy_domain: &str,
        day: UtcDay,
    ) -> Result<Option<ReportStatus>, StoreError> {
        let policy_domain = policy_domain.to_owned();
        self.read(move |conn| {
            report_state::report_status(conn, ReportKind::Dmarc, &policy_domain, day)
        })
        .await
    }

    async fn store_received_dmarc_report(
        &self,
        report: ReceivedDmarcReport,
    ) -> Result<bool, StoreError> {
        self.writer
            .write(move |conn| dmarc::store(conn, &report))
            .await
    }

    async fn received_dmarc_reports(
        &self,
        policy_domain: Option<&str>,
        since: Option<SystemTime>,
    ) -> Result<Vec<ReceivedDmarcReport>, StoreError> {
        let policy_domain = policy_domain.map(str::to_owned);
        let since = since.map(to_millis);
        self.read(move |conn| dmarc::received(conn, policy_domain.as_deref(), since))
            .await
    }

    async fn count_sending(&self, request: SendingRequest) -> Result<SendingVerdict, StoreError> {
        let now = self.now();
        self.writer
            .write(move |conn| sending::count(conn, &request, now))
            .await
    }

    async fn sending_block(
        &self,
        subjects: &[Subject],
    ) -> Result<Option<SendingBlock>, StoreError> {
        let subjects = subjects.to_vec();
        self.read(move |conn| {
            for subject in &subjects {
                if let Some(block) = sending::block_of(conn, subject)? {
                    return Ok(Some(block));
                }
            }
            Ok(None)
        })
        .await
    }

    async fn sending_blocks(&self) -> Result<Vec<SendingBlock>, StoreError> {
        self.read(sending::blocks).await
    }

    async fn release_sending(&self, name: &str) -> Result<u64, StoreError> {
        let name = name.to_owned();
        self.writer
            .write(move |conn| sending::release(conn, &name))
            .await
    }

    async fn trace_refused(
        &self,
        message: NewMessage,
        trouble: TroubleRecord,
        events: Vec<EventKind>,
    ) -> Result<(), StoreError> {
        let now = self.now();
        self.writer
            .write(move |conn| sending::trace_refused(conn, message, &trouble, &events, now))
            .await
    }
}

#[async_trait]
impl PolicyStore for SqliteStore {
    async fn sts_entry(&self, domain: &str) -> Result<CacheEntry, CacheError> {
        let domain = domain_key(domain);
        let key = domain.clone();
        let row = self
            .read(move |conn| sts::entry(conn, &key))
            .await
            .map_err(cache_error)?;
        row.map_or(Ok(CacheEntry::default()), |row| row.entry(&domain))
    }

    async fn store_sts_policy(
        &self,
        domain: &str,
        id: &str,
        policy: &Policy,
        now: SystemTime,
    ) -> Result<(), CacheError> {
        let fetched = (
            domain_key(domain),
            id.to_owned(),
            policy.mode.as_str(),
            mx_column(policy),
            i64::from(policy.max_age),
        );
        let now = to_millis(now);
        self.writer
            .write(move |conn| sts::store(conn, &fetched, now))
            .await
            .map_err(cache_error)
    }

    async fn touch_sts_policy(&self, domain: &str, now: SystemTime) -> Result<(), CacheError> {
        let domain = domain_key(domain);
        let now = to_millis(now);
        self.writer
            .write(move |conn| sts::touch(conn, &domain, now))
            .await
            .map_err(cache_error)
    }

    async fn record_sts_failure(
        &self,
        domain: &str,
        id: &str,
        now: SystemTime,
        reason: &str,
    ) -> Result<(), CacheError> {
        let (domain, id, reason) = (domain_key(domain), id.to_owned(), reason.to_owned());
        let now = to_millis(now);
        self.writer
            .write(move |conn| sts::record_failure(conn, &domain, &id, now, &reason))
            .await
            .map_err(cache_error)
    }

    async fn remove_sts_policy(&self, domain: &str) -> Result<(), CacheError> {
        let domain = domain_key(domain);
        self.writer
            .write(move |conn| sts::remove(conn, &domain))
            .await
            .map_err(cache_error)
    }

    async fn expiring_sts_policies(
        &self,
        now: SystemTime,
        deadline: SystemTime,
    ) -> Result<Vec<String>, CacheError> {
        let (now, deadline) = (to_millis(now), to_millis(deadline));
        self.read(move |conn| sts::expiring(conn, now, deadline))
            .await
            .map_err(cache_error)
    }
}
