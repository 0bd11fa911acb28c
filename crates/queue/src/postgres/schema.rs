//! The database layout, as numbered migrations applied on start.
//!
//! `sealane_migrations` lists the versions applied. Every node runs
//! [`prepare`] when it starts, under a transaction-scoped advisory lock, so
//! nodes starting together apply each migration once; a node finding a
//! version it does not know refuses to start ([`StoreError::SchemaTooNew`])
//! rather than write rows a newer layout does not expect.

use super::pool::Conn;
use crate::error::StoreError;

/// The newest schema version this binary knows: the last migration's.
pub const SCHEMA_VERSION: i64 = 7;

/// The advisory lock key that serialises migrations (any constant no
/// other application of the database uses: "sealane" in ASCII).
const MIGRATION_LOCK: i64 = 0x0073_6561_6c61_6e65;

/// Version 1: the layout of the SQLite backend's version 1, in
/// PostgreSQL's types. Times are milliseconds since the Unix epoch; a
/// recipient's `due_at` is set exactly while it is schedulable (queued or
/// deferred: its next attempt; in flight: its lease deadline). Lease ids
/// come from a sequence, so they are unique across nodes.
const V1: &str = "
CREATE TABLE messages (
    id          TEXT PRIMARY KEY,
    received_at BIGINT NOT NULL,
    sender      TEXT NOT NULL,
    message_id  TEXT,
    size        BIGINT NOT NULL,
    envelope    TEXT NOT NULL,
    meta        TEXT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX messages_message_id ON messages(message_id) WHERE message_id IS NOT NULL;
CREATE INDEX messages_finished ON messages(finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX messages_pending ON messages(id) WHERE finished_at IS NULL;

CREATE TABLE bodies (
    id   TEXT PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    data BYTEA NOT NULL
);

CREATE TABLE recipients (
    message     TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    idx         INTEGER NOT NULL,
    address     TEXT NOT NULL,
    domain      TEXT NOT NULL,
    spec        TEXT NOT NULL,
    state       TEXT NOT NULL,
    due_at      BIGINT,
    lease_owner TEXT,
    lease_id    BIGINT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    trouble     TEXT,
    PRIMARY KEY (message, idx)
);
CREATE INDEX recipients_due ON recipients(due_at) WHERE due_at IS NOT NULL;
CREATE INDEX recipients_domain_due ON recipients(domain, due_at) WHERE due_at IS NOT NULL;
CREATE INDEX recipients_address ON recipients(lower(address));
CREATE INDEX recipients_leases ON recipients(domain, lease_id) WHERE state = 'in-flight';

CREATE SEQUENCE lease_ids;

CREATE TABLE events (
    seq       BIGSERIAL PRIMARY KEY,
    message   TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    at        BIGINT NOT NULL,
    recipient TEXT,
    event     TEXT NOT NULL
);
CREATE INDEX events_message ON events(message, seq);
";

/// Version 2: TLS reporting (RFC 8460), as the SQLite backend's version
/// 2. Alike sessions of a policy domain and UTC day share one row and
/// count (`policy` and `failure` are JSON, `failure` empty for success);
/// `tls_reports` holds where each day's report stands (`retry`, `sent`,
/// `abandoned`), absent until the first attempt.
const V2: &str = "
CREATE TABLE tls_sessions (
    policy_domain TEXT NOT NULL,
    day           BIGINT NOT NULL,
    policy        TEXT NOT NULL,
    failure       TEXT NOT NULL,
    count         BIGINT NOT NULL,
    PRIMARY KEY (policy_domain, day, policy, failure)
);
CREATE INDEX tls_sessions_day ON tls_sessions(day);

CREATE TABLE tls_reports (
    policy_domain TEXT NOT NULL,
    day           BIGINT NOT NULL,
    state         TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_at       BIGINT,
    report_id     TEXT,
    reason        TEXT,
    PRIMARY KEY (policy_domain, day)
);
";

/// Version 3: the MTA-STS policy cache (RFC 8461 §5.1), one row per
/// domain, shared by every node that shares the queue: the policy last
/// fetched (`record_id`, `mode`, `mx` patterns one per line, `max_age` in
/// seconds, `fetched_at` and `expires_at`) and the last failed fetch
/// (`failed_at`, `failed_id`, `failure`). A row may hold only a failure.
const V3: &str = "
CREATE TABLE sts_policies (
    domain       TEXT PRIMARY KEY,
    record_id    TEXT,
    mode         TEXT,
    mx           TEXT,
    max_age      BIGINT,
    fetched_at   BIGINT,
    expires_at   BIGINT,
    last_checked BIGINT,
    failed_at    BIGINT,
    failed_id    TEXT,
    failure      TEXT
);
CREATE INDEX sts_policies_expiry ON sts_policies(expires_at)
    WHERE mode IN ('enforce', 'testing');
";

/// Version 4: TLS reports others sent us (RFC 8460), as the SQLite
/// backend's version 4: one row per report and policy domain, kept once
/// however often the same report arrives.
const V4: &str = "
CREATE TABLE tls_received (
    policy_domain TEXT NOT NULL,
    organization  TEXT NOT NULL,
    report_id     TEXT NOT NULL,
    start_at      BIGINT NOT NULL,
    end_at        BIGINT NOT NULL,
    received_at   BIGINT NOT NULL,
    report        TEXT NOT NULL,
    PRIMARY KEY (policy_domain, organization, report_id)
);
CREATE INDEX tls_received_end ON tls_received(end_at);
";

/// Version 5: sending limits (DESIGN §3), as the SQLite backend's
/// version 6: what each subject sent per minute, for a day, and the
/// subjects blocked until released.
const V5: &str = "
CREATE TABLE sending_counts (
    kind       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    minute     BIGINT NOT NULL,
    messages   BIGINT NOT NULL,
    recipients BIGINT NOT NULL,
    PRIMARY KEY (kind, subject, minute)
);

CREATE TABLE sending_blocks (
    kind       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    limit_kind TEXT NOT NULL,
    allowed    BIGINT NOT NULL,
    count      BIGINT NOT NULL,
    blocked_at BIGINT NOT NULL,
    PRIMARY KEY (kind, subject)
);
";

/// Version 6: the console's reads over all history, bounded by time, as
/// the SQLite backend's version 7: the trace's events by time
/// (deliveries and failed connections per hour) and the messages by
/// sender (case folded) and arrival (trace search by sender).
const V6: &str = "
CREATE INDEX events_at ON events(at);
CREATE INDEX messages_sender ON messages(lower(sender), received_at);
";

/// Version 7: DMARC aggregate reporting (RFC 7489 §7.2), as the SQLite
/// backend's version 8: counted rows per Domain Owner and UTC day (JSON,
/// keyed by its SHA-256),
/// where each day's report stands, and the reports others sent.
const V7: &str = "
CREATE TABLE dmarc_rows (
    policy_domain TEXT NOT NULL,
    day           BIGINT NOT NULL,
    row_key       TEXT NOT NULL,
    row           TEXT NOT NULL,
    count         BIGINT NOT NULL,
    PRIMARY KEY (policy_domain, day, row_key)
);
CREATE INDEX dmarc_rows_day ON dmarc_rows(day);

CREATE TABLE dmarc_reports (
    policy_domain TEXT NOT NULL,
    day           BIGINT NOT NULL,
    state         TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_at       BIGINT,
    report_id     TEXT,
    reason        TEXT,
    PRIMARY KEY (policy_domain, day)
);

CREATE TABLE dmarc_received (
    policy_domain TEXT NOT NULL,
    organization  TEXT NOT NULL,
    report_id     TEXT NOT NULL,
    begin_at      BIGINT NOT NULL,
    end_at        BIGINT NOT NULL,
    received_at   BIGINT NOT NULL,
    xml           TEXT NOT NULL,
    PRIMARY KEY (policy_domain, organization, report_id)
);
CREATE INDEX dmarc_received_end ON dmarc_received(end_at);
";

/// Every migration, in order: (version, SQL).
const MIGRATIONS: &[(i64, &str)] = &[
    (1, V1),
    (2, V2),
    (3, V3),
    (4, V4),
    (5, V5),
    (6, V6),
    (7, V7),
];

/// Brings the database to [`SCHEMA_VERSION`], or refuses it if a newer
/// Sealane has migrated it further.
pub async fn prepare(conn: &mut Conn<'_>) -> Result<(), StoreError> {
    conn.begin().await?;
    let result = migrate(conn).await;
    conn.finish(result).await
}

/// Checks, without changing anything, that the database is at exactly
/// [`SCHEMA_VERSION`]: for commands that use a queue a daemon runs
/// ([`StoreError::SchemaTooOld`] if no daemon of this version migrated it
/// yet, [`StoreError::SchemaTooNew`] if a newer one did).
pub async fn check(conn: &mut Conn<'_>) -> Result<(), StoreError> {
    let migrated: bool = conn
        .query_one("SELECT to_regclass('sealane_migrations') IS NOT NULL", &[])
        .await?
        .try_get(0)?;
    if !migrated {
        return compare(0);
    }
    let found: i64 = conn
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM sealane_migrations",
            &[],
        )
        .await?
        .try_get(0)?;
    compare(found)
}

fn compare(found: i64) -> Result<(), StoreError> {
    match found.cmp(&SCHEMA_VERSION) {
        std::cmp::Ordering::Equal => Ok(()),
        std::cmp::Ordering::Greater => Err(StoreError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        }),
        std::cmp::Ordering::Less => Err(StoreError::SchemaTooOld {
            found,
            supported: SCHEMA_VERSION,
        }),
    }
}

async fn migrate(conn: &mut Conn<'_>) -> Result<(), StoreError> {
    conn.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    conn.batch(
        "CREATE TABLE IF NOT EXISTS sealane_migrations (
            version    BIGINT PRIMARY KEY,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )",
    )
    .await?;
    let found: i64 = conn
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM sealane_migrations",
            &[],
        )
        .await?
        .get(0);
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > found) {
        tracing::info!(version, "queue database: applying migration");
        conn.batch(sql).await?;
        conn.execute(
            "INSERT INTO sealane_migrations (version) VALUES ($1)",
            &[version],
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_in_order_up_to_the_schema_version() {
        for (i, (version, _)) in MIGRATIONS.iter().enumerate() {
            assert_eq!(*version, i as i64 + 1);
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.0), Some(SCHEMA_VERSION));
    }
}
