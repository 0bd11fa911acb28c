//! The PostgreSQL backend: one queue shared by several nodes.
//!
//! Every operation runs in its own transaction on a pooled connection
//! (`pool.rs`) and is committed before it returns: an insert is durable on
//! the server (`synchronous_commit` on, PostgreSQL's default) before the
//! SMTP server answers 250, and concurrent inserts from any node share the
//! server's WAL flushes. Recipients are claimed with leases under row
//! locks taken with `FOR UPDATE SKIP LOCKED` (`claim.rs`), so two nodes
//! never hold the same recipient; a node that dies leaves leases that
//! lapse, and any node's next pass puts them back in line. Times come from
//! each node's clock: the nodes' clocks must agree (NTP) to well within a
//! lease.
//!
//! Bodies live in the database, in their own table, as with SQLite: one
//! commit covers the body and its envelope.

mod claim;
mod dmarc;
mod pool;
mod read;
mod report_state;
mod schema;
mod sending;
mod sts;
mod tls;
mod tls_received;
mod write;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use dns::clock::Clock;
use policy::sts::{CacheEntry, CacheError, Policy, PolicyStore, domain_key, mx_column};

pub use pool::MAX_CONNECTIONS;
pub use schema::SCHEMA_VERSION;

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
use pool::{Conn, Pool};

/// Why a PostgreSQL connection string cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PgUrlError {
    /// It is neither a `postgresql://` URL nor `key=value` pairs.
    #[error("not a PostgreSQL connection string: {0}")]
    Invalid(#[source] tokio_postgres::Error),
    /// It carries a password, which would then show wherever the string
    /// is shown (configuration dumps, process listings, logs).
    #[error("the connection string carries a password; give it with password_file or password_env")]
    PasswordInUrl,
}

/// Where the queue database is and how to log in. Its `Debug` output
/// never shows the password.
#[derive(Clone)]
pub struct PgOptions {
    config: tokio_postgres::Config,
}

impl std::fmt::Debug for PgOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgOptions")
            .field("hosts", &self.config.get_hosts())
            .field("ports", &self.config.get_ports())
            .field("user", &self.config.get_user())
            .field("dbname", &self.config.get_dbname())
            .field("password", &self.config.get_password().map(|_| "<hidden>"))
            .finish()
    }
}

impl PgOptions {
    /// Options from a connection string, as libpq takes it: a URL
    /// (`postgresql://sealane@db.example.org/sealane`) or `key=value`
    /// pairs (`host=/run/postgresql dbname=sealane`). A password in it is
    /// refused ([`PgUrlError::PasswordInUrl`]).
    pub fn from_url(url: &str) -> Result<PgOptions, PgUrlError> {
        let mut config: tokio_postgres::Config = url.parse().map_err(PgUrlError::Invalid)?;
        if config.get_password().is_some() {
            return Err(PgUrlError::PasswordInUrl);
        }
        if config.get_application_name().is_none() {
            config.application_name("sealane");
        }
        Ok(PgOptions { config })
    }

    /// The password to log in with.
    pub fn with_password(mut self, password: impl Into<String>) -> PgOptions {
        self.config.password(password.into());
        self
    }

    /// The same server and login, another database (tests make one per
    /// test).
    pub fn with_dbname(mut self, dbname: &str) -> PgOptions {
        self.config.dbname(dbname);
        self
    }
}

/// The queue in a PostgreSQL database.
pub struct PgStore {
    pool: Pool,
    clock: Arc<dyn Clock>,
}

impl PgStore {
    /// Connects to the database, brings its schema up to date (or fails
    /// with [`StoreError::SchemaTooNew`] if a newer Sealane migrated it),
    /// and reads times from `clock`.
    pub async fn connect(options: PgOptions, clock: Arc<dyn Clock>) -> Result<PgStore, StoreError> {
        let pool = Pool::new(options.config);
        schema::prepare(&mut pool.get().await?).await?;
        Ok(PgStore { pool, clock })
    }

    /// Connects to a database a daemon of this version has migrated,
    /// changing nothing in its layout: for commands that use the queue
    /// (`sealane queue`, `sealane trace`). Fails with
    /// [`StoreError::SchemaTooOld`] or [`StoreError::SchemaTooNew`] when
    /// the database is at another version.
    pub async fn connect_existing(
        options: PgOptions,
        clock: Arc<dyn Clock>,
    ) -> Result<PgStore, StoreError> {
        let pool = Pool::new(options.config);
        // The check runs in its own scope so its connection is back in
        // the pool before the pool moves into the store.
        {
            let mut conn = pool.get().await?;
            schema::check(&mut conn).await?;
        }
        Ok(PgStore { pool, clock })
    }

    fn now(&self) -> i64 {
        to_millis(self.clock.now())
    }

    async fn conn(&self) -> Result<Conn<'_>, StoreError> {
        self.pool.get().await
    }
}

/// Runs `$body` (using `$conn`) inside a transaction on a pooled
/// connection and commits it before returning its result.
macro_rules! in_transaction {
    ($store:expr, |$conn:ident| $body:expr) => {{
        let mut conn = $store.conn().await?;
        conn.begin().await?;
        let result = {
            let $conn = &mut conn;
            $body.await
        };
        conn.finish(result).await
    }};
}

#[async_trait]
impl Store for PgStore {
    async fn insert(&self, message: NewMessage) -> Result<(), StoreError> {
        let now = self.now();
        if write::insert_needs_transaction(&message) {
            return in_transaction!(self, |conn| write::insert(conn, message, now));
        }
        // One statement, committed on its own: durable before this returns.
        write::insert(&mut self.conn().await?, message, now).await
    }

    async fn insert_all(&self, messages: Vec<NewMessage>) -> Result<(), StoreError> {
        let now = self.now();
        in_transaction!(self, |conn| async move {
            for message in messages {
                write::insert(conn, message, now).await?;
            }
            Ok(())
        })
    }

    async fn body(&self, id: QueueId) -> Result<Vec<u8>, StoreError> {
        read::body(&mut self.conn().await?, id).await
    }

    async fn claim(&self, request: &ClaimRequest) -> Result<Vec<Batch>, StoreError> {
        let now = self.now();
        in_transaction!(self, |conn| claim::claim(conn, request, now))
    }

    async fn renew(
        &self,
        lease: &Lease,
        id: QueueId,
        extend: Duration,
    ) -> Result<Lease, StoreError> {
        let now = self.now();
        let until = to_millis(self.clock.now() + extend);
        write::renew(&mut self.conn().await?, lease, id, until, now).await
    }

    async fn record(&self, lease: &Lease, report: AttemptReport) -> Result<(), StoreError> {
        let now = self.now();
        in_transaction!(self, |conn| write::record(conn, lease, report, now))
    }

    async fn release_lapsed(&self) -> Result<u64, StoreError> {
        let now = self.now();
        in_transaction!(self, |conn| write::release_lapsed(conn, now))
    }

    async fn add_events(&self, id: QueueId, events: Vec<Event>) -> Result<(), StoreError> {
        in_transaction!(self, |conn| write::add_trace_events(conn, id, &events))
    }

    async fn hold(&self, selector: &Selector) -> Result<u64, StoreError> {
        let now = self.now();
        in_transaction!(self, |conn| write::hold(conn, selector, now))
    }

    async fn quarantine(&self, selector: &Selector) -> Result<u64, StoreError> {
        let now = self.now();
        in_transaction!(self, |conn| write::quarantine(conn, selector, now))
    }

    async fn release(&self, selector: &Selector) -> Result<u64, StoreError> {
        let now = self.now();
        in_transaction!(self, |conn| write::release(conn, selector, now))
    }

    async fn retry_now(&self, selector: &Selector) -> Result<u64, StoreError> {
        let now = self.now();
        in_transaction!(self, |conn| write::retry_now(conn, selector, now))
    }

    async fn delete(&self, selector: &Selector) -> Result<u64, StoreError> {
        let now = self.now();
        in_transaction!(self, |conn| write::delete(conn, selector, now))
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
            let batch = write::purge(&mut self.conn().await?, before, crate::PURGE_BATCH).await?;
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
        in_transaction!(self, |conn| report_state::purge(
            conn,
            before_day,
            received_before
        ))
    }

    async fn next_due(&self) -> Result<Option<SystemTime>, StoreError> {
        Ok(read::next_due(&mut self.conn().await?)
            .await?
            .map(from_millis))
    }

    async fn summary(&self) -> Result<QueueSummary, StoreError> {
        read::summary(&mut self.conn().await?).await
    }

    async fn list(&self, limit: usize) -> Result<Vec<MessageSummary>, StoreError> {
        read::list(&mut self.conn().await?, limit).await
    }

    async fn show(&self, id: QueueId) -> Result<Option<MessageDetail>, StoreError> {
        read::show(&mut self.conn().await?, id).await
    }

    async fn trace(&self, key: &str) -> Result<Vec<MessageDetail>, StoreError> {
        read::trace(&mut self.conn().await?, key).await
    }

    async fn trace_sender(
        &self,
        sender: &str,
        since: Option<SystemTime>,
        until: Option<SystemTime>,
        limit: usize,
    ) -> Result<Vec<MessageDetail>, StoreError> {
        let (since, until) = (since.map(to_millis), until.map(to_millis));
        read::trace_sender(&mut self.conn().await?, sender, since, until, limit).await
    }

    async fn hourly_counts(
        &self,
        since: SystemTime,
        until: SystemTime,
    ) -> Result<Vec<HourlyCount>, StoreError> {
        let (from, until) = crate::hourly::span(since, until);
        read::hourly_counts(&mut self.conn().await?, from, until).await
    }

    async fn record_tls_sessions(&self, sessions: Vec<TlsSession>) -> Result<(), StoreError> {
        in_transaction!(self, |conn| tls::record_sessions(conn, &sessions))
    }

    async fn tls_sessions(
        &self,
        policy_domain: &str,
        day: UtcDay,
    ) -> Result<Vec<TlsSessionCount>, StoreError> {
        tls::sessions(&mut self.conn().await?, policy_domain, day).await
    }

    async fn tls_reports_due(&self, last_day: UtcDay) -> Result<Vec<ReportDue>, StoreError> {
        let now = self.now();
        report_state::reports_due(&mut self.conn().await?, ReportKind::Tls, last_day, now).await
    }

    async fn set_tls_report(
        &self,
        policy_domain: &str,
        day: UtcDay,
        state: ReportState,
    ) -> Result<(), StoreError> {
        report_state::set_report(
            &mut self.conn().await?,
            ReportKind::Tls,
            policy_domain,
            day,
            &state,
        )
        .await
    }

    async fn claim_tls_report(
        &self,
        policy_domain: &str,
        day: UtcDay,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let now = self.now();
        let until = now.saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX));
        report_state::claim_report(
            &mut self.conn().await?,
            ReportKind::Tls,
            policy_domain,
            day,
            now,
            until,
        )
        .await
    }

    async fn tls_report_status(
        &self,
        policy_domain: &str,
        day: UtcDay,
    ) -> Result<Option<ReportStatus>, StoreError> {
        report_state::report_status(&mut self.conn().await?, ReportKind::Tls, policy_domain, day)
            .await
    }

    async fn store_received_tls_report(
        &self,
        report: ReceivedTlsReport,
    ) -> Result<bool, StoreError> {
        tls_received::store(&mut self.conn().await?, &report).await
    }

    async fn received_tls_reports(
        &self,
        policy_domain: Option<&str>,
        since: Option<SystemTime>,
    ) -> Result<Vec<ReceivedTlsReport>, StoreError> {
        let since = since.map(to_millis);
        tls_received::received(&mut self.conn().await?, policy_domain, since).await
    }

    async fn record_dmarc(&self, observations: Vec<DmarcObservation>) -> Result<(), StoreError> {
        if observations.is_empty() {
            return Ok(());
        }
        in_transaction!(self, |conn| dmarc::record(conn, &observations))
    }

    async fn dmarc_rows(
        &self,
        policy_domain: &str,
        day: UtcDay,
    ) -> Result<Vec<DmarcRowCount>, StoreError> {
        dmarc::rows(&mut self.conn().await?, policy_domain, day).await
    }

    async fn dmarc_reports_due(&self, last_day: UtcDay) -> Result<Vec<ReportDue>, StoreError> {
        let now = self.now();
        report_state::reports_due(&mut self.conn().await?, ReportKind::Dmarc, last_day, now).await
    }

    async fn queue_report_mail(
        &self,
        kind: ReportKind,
        policy_domain: &str,
        day: UtcDay,
        report_id: String,
        mail: NewMessage,
    ) -> Result<(), StoreError> {
        let now = self.now();
        // The mark first, so that a refused mail takes it back (the
        // contract test relies on this order to see the transaction).
        in_transaction!(self, |conn| async move {
            let sent = ReportState::Sent { report_id };
            report_state::set_report(conn, kind, policy_domain, day, &sent).await?;
            write::insert(conn, mail, now).await
        })
    }

    async fn set_dmarc_report(
        &self,
        policy_domain: &str,
        day: UtcDay,
        state: ReportState,
    ) -> Result<(), StoreError> {
        report_state::set_report(
            &mut self.conn().await?,
            ReportKind::Dmarc,
            policy_domain,
            day,
            &state,
        )
        .await
    }

    async fn claim_dmarc_report(
        &self,
        policy_domain: &str,
        day: UtcDay,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let now = self.now();
        let until = now.saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX));
        report_state::claim_report(
            &mut self.conn().await?,
            ReportKind::Dmarc,
            policy_domain,
            day,
            now,
            until,
        )
        .await
    }

    async fn dmarc_report_status(
        &self,
        policy_domain: &str,
        day: UtcDay,
    ) -> Result<Option<ReportStatus>, StoreError> {
        report_state::report_status(
            &mut self.conn().await?,
            ReportKind::Dmarc,
            policy_domain,
            day,
        )
        .await
    }

    async fn store_received_dmarc_report(
        &self,
        report: ReceivedDmarcReport,
    ) -> Result<bool, StoreError> {
        dmarc::store(&mut self.conn().await?, &report).await
    }

    async fn received_dmarc_reports(
        &self,
        policy_domain: Option<&str>,
        since: Option<SystemTime>,
    ) -> Result<Vec<ReceivedDmarcReport>, StoreError> {
        let since = since.map(to_millis);
        dmarc::received(&mut self.conn().await?, policy_domain, since).await
    }

    async fn count_sending(&self, request: SendingRequest) -> Result<SendingVerdict, StoreError> {
        let now = self.now();
        in_transaction!(self, |conn| sending::count(conn, &request, now))
    }

    async fn sending_block(
        &self,
        subjects: &[Subject],
    ) -> Result<Option<SendingBlock>, StoreError> {
        let mut conn = self.conn().await?;
        for subject in subjects {
            if let Some(block) = sending::block_of(&mut conn, subject).await? {
                return Ok(Some(block));
            }
        }
        Ok(None)
    }

    async fn sending_blocks(&self) -> Result<Vec<SendingBlock>, StoreError> {
        sending::blocks(&mut self.conn().await?).await
    }

    async fn release_sending(&self, name: &str) -> Result<u64, StoreError> {
        in_transaction!(self, |conn| sending::release(conn, name))
    }

    async fn trace_refused(
        &self,
        message: NewMessage,
        trouble: TroubleRecord,
        events: Vec<EventKind>,
    ) -> Result<(), StoreError> {
        let now = self.now();
        in_transaction!(self, |conn| sending::trace_refused(
            conn, message, &trouble, &events, now
        ))
    }
}

#[async_trait]
impl PolicyStore for PgStore {
    async fn sts_entry(&self, domain: &str) -> Result<CacheEntry, CacheError> {
        let domain = domain_key(domain);
        let row = async { sts::entry(&mut self.conn().await?, &domain).await }
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
        let domain = domain_key(domain);
        let mx = mx_column(policy);
        let fetched = (
            domain.as_str(),
            id,
            policy.mode.as_str(),
            mx.as_str(),
            i64::from(policy.max_age),
        );
        async { sts::store(&mut self.conn().await?, fetched, to_millis(now)).await }
            .await
            .map_err(cache_error)
    }

    async fn touch_sts_policy(&self, domain: &str, now: SystemTime) -> Result<(), CacheError> {
        let domain = domain_key(domain);
        async { sts::touch(&mut self.conn().await?, &domain, to_millis(now)).await }
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
        let domain = domain_key(domain);
        async {
            sts::record_failure(&mut self.conn().await?, &domain, id, to_millis(now), reason).await
        }
        .await
        .map_err(cache_error)
    }

    async fn remove_sts_policy(&self, domain: &str) -> Result<(), CacheError> {
        let domain = domain_key(domain);
        async { sts::remove(&mut self.conn().await?, &domain).await }
            .await
            .map_err(cache_error)
    }

    async fn expiring_sts_policies(
        &self,
        now: SystemTime,
        deadline: SystemTime,
    ) -> Result<Vec<String>, CacheError> {
        async { sts::expiring(&mut self.conn().await?, to_millis(now), to_millis(deadline)).await }
            .await
            .map_err(cache_error)
    }
}
