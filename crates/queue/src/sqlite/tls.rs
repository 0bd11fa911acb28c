//! TLS reporting in SQLite: session counts and report states (schema V2).

use rusqlite::{Connection, params};

use crate::columns::{from_json, to_json};
use crate::error::StoreError;
use crate::tls_session::{TlsReportDue, TlsReportState, TlsSession, TlsSessionCount, UtcDay};

/// Adds one to the count of each session's kind.
pub fn record_sessions(conn: &Connection, sessions: &[TlsSession]) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO tls_sessions (policy_domain, day, policy, failure, count)
         VALUES (?1, ?2, ?3, ?4, 1)
         ON CONFLICT (policy_domain, day, policy, failure) DO UPDATE SET count = count + 1",
    )?;
    for session in sessions {
        let failure = session.failure.as_ref().map(to_json).unwrap_or_default();
        stmt.execute(params![
            session.policy_domain,
            session.day,
            to_json(&session.policy),
            failure
        ])?;
    }
    Ok(())
}

/// The counts of one domain and day.
pub fn sessions(
    conn: &Connection,
    policy_domain: &str,
    day: UtcDay,
) -> Result<Vec<TlsSessionCount>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT policy, failure, count FROM tls_sessions
         WHERE policy_domain = ?1 AND day = ?2 ORDER BY policy, failure",
    )?;
    let rows = stmt
        .query_map(params![policy_domain, day], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(policy, failure, count)| {
            Ok(TlsSessionCount {
                policy: from_json("TLS session policy", &policy)?,
                failure: if failure.is_empty() {
                    None
                } else {
                    Some(from_json("TLS session failure", &failure)?)
                },
                count: u64::try_from(count).unwrap_or(0),
            })
        })
        .collect()
}

/// Domains and days up to `last_day` whose report is owed and due at `now`.
pub fn reports_due(
    conn: &Connection,
    last_day: UtcDay,
    now: i64,
) -> Result<Vec<TlsReportDue>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT s.policy_domain, s.day, COALESCE(r.attempts, 0)
         FROM (SELECT DISTINCT policy_domain, day FROM tls_sessions WHERE day <= ?1) AS s
         LEFT JOIN tls_reports AS r ON r.policy_domain = s.policy_domain AND r.day = s.day
         WHERE r.state IS NULL OR (r.state = 'retry' AND r.next_at <= ?2)
         ORDER BY s.day, s.policy_domain",
    )?;
    let due = stmt
        .query_map(params![last_day, now], |row| {
            Ok(TlsReportDue {
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
    policy_domain: &str,
    day: UtcDay,
    state: &TlsReportState,
) -> Result<(), StoreError> {
    let columns = state.columns();
    let (name, next_at, report_id, reason, attempt) = (
        columns.name,
        columns.next_at,
        columns.report_id,
        columns.reason,
        columns.attempts,
    );
    conn.prepare_cached(
        "INSERT INTO tls_reports (policy_domain, day, state, attempts, next_at, report_id, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (policy_domain, day) DO UPDATE SET
           state = excluded.state, attempts = attempts + excluded.attempts,
           next_at = excluded.next_at, report_id = excluded.report_id,
           reason = excluded.reason",
    )?
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
