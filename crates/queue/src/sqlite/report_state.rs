//! Where each daily report stands, in SQLite, for every kind of report
//! (TLS: schema V2; DMARC: V8): what is owed, and each state.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::StoreError;
use crate::report_state::{ReportDue, ReportKind, ReportState, ReportStatus};
use crate::tls_session::UtcDay;

/// Domains and days up to `last_day` whose report is owed and due at `now`.
pub fn reports_due(
    conn: &Connection,
    kind: ReportKind,
    last_day: UtcDay,
    now: i64,
) -> Result<Vec<ReportDue>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT s.policy_domain, s.day, COALESCE(r.attempts, 0)
         FROM (SELECT DISTINCT policy_domain, day FROM {counts} WHERE day <= ?1) AS s
         LEFT JOIN {states} AS r ON r.policy_domain = s.policy_domain AND r.day = s.day
         WHERE r.state IS NULL OR (r.state = 'retry' AND r.next_at <= ?2)
         ORDER BY s.day, s.policy_domain",
        counts = kind.counts_table(),
        states = kind.states_table()
    ))?;
    let due = stmt
        .query_map(params![last_day, now], |row| {
            Ok(ReportDue {
                policy_domain: row.get(0)?,
                day: row.get(1)?,
                attempts: u32::try_from(row.get::<_, i64>(2)?).unwrap_or(u32::MAX),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(due)
}

/// Stores a report's state.
pub fn set_report(
    conn: &Connection,
    kind: ReportKind,
    policy_domain: &str,
    day: UtcDay,
    state: &ReportState,
) -> Result<(), StoreError> {
    let columns = state.columns();
    let (name, next_at, report_id, reason, attempt) = (
        columns.name,
        columns.next_at,
        columns.report_id,
        columns.reason,
        columns.attempts,
    );
    conn.prepare_cached(&format!(
        "INSERT INTO {states} (policy_domain, day, state, attempts, next_at, report_id, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (policy_domain, day) DO UPDATE SET
           state = excluded.state, attempts = attempts + excluded.attempts,
           next_at = excluded.next_at, report_id = excluded.report_id,
           reason = excluded.reason",
        states = kind.states_table()
    ))?
    .execute(params![
        policy_domain,
        day,
        name,
        attempt,
        next_at,
        report_id,
        reason
    ])?;
    Ok(())
}

/// Where one day's report stands.
pub fn report_status(
    conn: &Connection,
    kind: ReportKind,
    policy_domain: &str,
    day: UtcDay,
) -> Result<Option<ReportStatus>, StoreError> {
    let row = conn
        .prepare_cached(&format!(
            "SELECT state, next_at, report_id, reason, attempts FROM {states}
             WHERE policy_domain = ?1 AND day = ?2",
            states = kind.states_table()
        ))?
        .query_row(params![policy_domain, day], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, Option<i64>>(1)?,
                row.get::<_, Option<String>>(2)?,
                row.get::<_, Option<String>>(3)?,
                row.get::<_, i64>(4)?,
            ))
        })
        .optional()?;
    row.map(|(name, next_at, report_id, reason, attempts)| {
        Ok(ReportStatus {
            state: ReportState::from_columns(&name, next_at, report_id, reason)?,
            attempts: u32::try_from(attempts).unwrap_or(0),
        })
    })
    .transpose()
}

/// Takes the report of `policy_domain` and `day` for this node until
/// `until` (milliseconds) when it is owed and due at `now`: a report
/// without a state yet, or one whose retry (or another node's claim) is
/// due. `false`: another node has it, or it is done.
pub fn claim_report(
    conn: &Connection,
    kind: ReportKind,
    policy_domain: &str,
    day: UtcDay,
    now: i64,
    until: i64,
) -> Result<bool, StoreError> {
    let changed = conn
        .prepare_cached(&format!(
            "INSERT INTO {states} (policy_domain, day, state, attempts, next_at, reason)
             VALUES (?1, ?2, 'retry', 0, ?3, 'being sent')
             ON CONFLICT (policy_domain, day) DO UPDATE SET
               next_at = excluded.next_at, reason = excluded.reason
             WHERE {states}.state = 'retry' AND {states}.next_at <= ?4",
            states = kind.states_table()
        ))?
        .execute(params![policy_domain, day, until, now])?;
    Ok(changed == 1)
}

/// Deletes the reporting rows of days before `before_day` and the
/// received reports that ended before `received_before` (milliseconds).
pub fn purge(
    conn: &Connection,
    before_day: UtcDay,
    received_before: i64,
) -> Result<u64, StoreError> {
    let mut deleted = 0;
    for table in ["tls_sessions", "tls_reports", "dmarc_rows", "dmarc_reports"] {
        deleted += conn
            .prepare_cached(&format!("DELETE FROM {table} WHERE day < ?1"))?
            .execute(params![before_day])? as u64;
    }
    for table in ["tls_received", "dmarc_received"] {
        deleted += conn
            .prepare_cached(&format!("DELETE FROM {table} WHERE end_at < ?1"))?
            .execute(params![received_before])? as u64;
    }
    Ok(deleted)
}
