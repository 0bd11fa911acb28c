//! The database layout and its version (`PRAGMA user_version`).

use rusqlite::Connection;

use crate::error::StoreError;

/// The schema version this binary writes. Bump it with a migration step
/// in [`prepare`] whenever the layout changes.
pub const SCHEMA_VERSION: i64 = 8;

/// Version 1. Times are milliseconds since the Unix epoch. A recipient's
/// `due_at` is set exactly while it is schedulable: its first attempt or
/// retry time (queued, deferred), or its lease deadline (in flight); it is
/// NULL when held, quarantined or final, so the due index holds only the
/// recipients a claim can take.
const V1: &str = "
CREATE TABLE messages (
    id          TEXT PRIMARY KEY,
    received_at INTEGER NOT NULL,
    sender      TEXT NOT NULL,
    message_id  TEXT,
    size        INTEGER NOT NULL,
    envelope    TEXT NOT NULL,
    meta        TEXT NOT NULL,
    finished_at INTEGER
);
CREATE INDEX messages_message_id ON messages(message_id) WHERE message_id IS NOT NULL;
CREATE INDEX messages_finished ON messages(finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE bodies (
    id   TEXT PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    data BLOB NOT NULL
);

CREATE TABLE recipients (
    message     TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    idx         INTEGER NOT NULL,
    address     TEXT NOT NULL,
    domain      TEXT NOT NULL,
    spec        TEXT NOT NULL,
    state       TEXT NOT NULL,
    due_at      INTEGER,
    lease_owner TEXT,
    lease_id    INTEGER,
    attempts    INTEGER NOT NULL DEFAULT 0,
    trouble     TEXT,
    PRIMARY KEY (message, idx)
);
CREATE INDEX recipients_due ON recipients(due_at) WHERE due_at IS NOT NULL;
CREATE INDEX recipients_domain_due ON recipients(domain, due_at) WHERE due_at IS NOT NULL;
CREATE INDEX recipients_address ON recipients(address);

CREATE TABLE events (
    seq       INTEGER PRIMARY KEY,
    message   TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    at        INTEGER NOT NULL,
    recipient TEXT,
    event     TEXT NOT NULL
);
CREATE INDEX events_message ON events(message, seq);
";

/// Version 2: TLS reporting (RFC 8460). Alike sessions of a policy domain
/// and UTC day share one row and count (`policy` and `failure` are JSON,
/// `failure` empty for success); `tls_reports` holds where each day's
/// report stands (`retry`, `sent`, `abandoned`), absent until the first
/// attempt.
const V2: &str = "
CREATE TABLE tls_sessions (
    policy_domain TEXT NOT NULL,
    day           INTEGER NOT NULL,
    policy        TEXT NOT NULL,
    failure       TEXT NOT NULL,
    count         INTEGER NOT NULL,
    PRIMARY KEY (policy_domain, day, policy, failure)
);
CREATE INDEX tls_sessions_day ON tls_sessions(day);

CREATE TABLE tls_reports (
    policy_domain TEXT NOT NULL,
    day           INTEGER NOT NULL,
    state         TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_at       INTEGER,
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
    max_age      INTEGER,
    fetched_at   INTEGER,
    expires_at   INTEGER,
    last_checked INTEGER,
    failed_at    INTEGER,
    failed_id    TEXT,
    failure      TEXT
);
CREATE INDEX sts_policies_expiry ON sts_policies(expires_at)
    WHERE mode IN ('enforce', 'testing');
";

/// Version 4: TLS reports others sent us (RFC 8460), one row per report
/// and policy domain (`report` is the JSON of that domain's part), kept
/// once however often the same report arrives.
const V4: &str = "
CREATE TABLE tls_received (
    policy_domain TEXT NOT NULL,
    organization  TEXT NOT NULL,
    report_id     TEXT NOT NULL,
    start_at      INTEGER NOT NULL,
    end_at        INTEGER NOT NULL,
    received_at   INTEGER NOT NULL,
    report        TEXT NOT NULL,
    PRIMARY KEY (policy_domain, organization, report_id)
);
CREATE INDEX tls_received_end ON tls_received(end_at);
";

/// Version 5: the leases of a domain, counted by every claim for the
/// per-destination limit, without walking the domain's deferred rows
/// (every recipient with a lease is in flight).
const V5: &str = "
CREATE INDEX recipients_leases ON recipients(domain, lease_id) WHERE lease_id IS NOT NULL;
";

/// Version 6: sending limits (DESIGN §3). What each subject (an
/// authenticated user or a sender domain) sent, per minute, for a day;
/// and the subjects blocked for going over a limit, until released.
const V6: &str = "
CREATE TABLE sending_counts (
    kind       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    minute     INTEGER NOT NULL,
    messages   INTEGER NOT NULL,
    recipients INTEGER NOT NULL,
    PRIMARY KEY (kind, subject, minute)
);

CREATE TABLE sending_blocks (
    kind       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    limit_kind TEXT NOT NULL,
    allowed    INTEGER NOT NULL,
    count      INTEGER NOT NULL,
    blocked_at INTEGER NOT NULL,
    PRIMARY KEY (kind, subject)
);
";

/// Version 7: the console's reads over all history, bounded by time: the
/// trace's events by time (deliveries and failed connections per hour)
/// and the messages by sender (ASCII case folded, as `lower` does) and
/// arrival (trace search by sender).
const V7: &str = "
CREATE INDEX events_at ON events(at);
CREATE INDEX messages_sender ON messages(lower(sender), received_at);
";

/// Version 8: DMARC aggregate reporting (RFC 7489 §7.2). Alike messages
/// of a Domain Owner and UTC day share one row and count (`row` is
/// JSON, keyed by its SHA-256 in hex, `row_key`, so a key stays small
/// however long the row); `dmarc_reports` holds where each day's report stands, as
/// `tls_reports` does; `dmarc_received` keeps the reports others sent.
const V8: &str = "
CREATE TABLE dmarc_rows (
    policy_domain TEXT NOT NULL,
    day           INTEGER NOT NULL,
    row_key       TEXT NOT NULL,
    row           TEXT NOT NULL,
    count         INTEGER NOT NULL,
    PRIMARY KEY (policy_domain, day, row_key)
);
CREATE INDEX dmarc_rows_day ON dmarc_rows(day);

CREATE TABLE dmarc_reports (
    policy_domain TEXT NOT NULL,
    day           INTEGER NOT NULL,
    state         TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_at       INTEGER,
    report_id     TEXT,
    reason        TEXT,
    PRIMARY KEY (policy_domain, day)
);

CREATE TABLE dmarc_received (
    policy_domain TEXT NOT NULL,
    organization  TEXT NOT NULL,
    report_id     TEXT NOT NULL,
    begin_at      INTEGER NOT NULL,
    end_at        INTEGER NOT NULL,
    received_at   INTEGER NOT NULL,
    xml           TEXT NOT NULL,
    PRIMARY KEY (policy_domain, organization, report_id)
);
CREATE INDEX dmarc_received_end ON dmarc_received(end_at);
";

/// Settings every connection gets. `synchronous=FULL` in WAL mode syncs
/// the log at every commit, so a committed insert survives a crash or a
/// power cut: that commit is what the 250 waits for. (`NORMAL` would
/// sync only at checkpoints and could lose acknowledged mail.)
pub fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(())
}

/// Page cache of a reader connection, in KiB. Readers look up one message
/// or one list at a time and the kernel caches the file, so each keeps a
/// small cache; the writer keeps SQLite's default (2 MiB). With
/// [`super::readers::READERS`] readers the page caches of a store stay under
/// 2 MiB + 8 × 512 KiB = 6 MiB however deep the queue.
pub const READER_CACHE_KIB: i64 = 512;

/// [`configure`] for a reader connection.
pub fn configure_reader(conn: &Connection) -> Result<(), StoreError> {
    configure(conn)?;
    conn.pragma_update(None, "cache_size", -READER_CACHE_KIB)?;
    Ok(())
}

/// Checks, without changing anything, that the file is at exactly
/// [`SCHEMA_VERSION`] (see [`crate::SqliteStore::open_existing`]).
pub fn check(conn: &Connection) -> Result<(), StoreError> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
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

/// Switches the file to WAL and brings its schema to [`SCHEMA_VERSION`];
/// refuses a file written by a newer binary.
pub fn prepare(conn: &mut Connection) -> Result<(), StoreError> {
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(mode, "queue database is not in WAL mode");
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)?;
    let found: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    if found < 1 {
        tx.execute_batch(V1)?;
    }
    if found < 2 {
        tx.execute_batch(V2)?;
    }
    if found < 3 {
        tx.execute_batch(V3)?;
    }
    if found < 4 {
        tx.execute_batch(V4)?;
    }
    if found < 5 {
        tx.execute_batch(V5)?;
    }
    if found < 6 {
        tx.execute_batch(V6)?;
    }
    if found < 7 {
        tx.execute_batch(V7)?;
    }
    if found < 8 {
        tx.execute_batch(V8)?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(())
}
