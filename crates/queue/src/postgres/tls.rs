//! TLS reporting in PostgreSQL: session counts and report states (schema
//! version 2), shared by every node so that one report covers the day's
//! sessions of all of them.

use super::pool::Conn;
use crate::columns::{from_json, to_json};
use crate::error::StoreError;
use crate::tls_session::{TlsReportDue, TlsReportState, TlsSession, TlsSessionCount, UtcDay};

/// Adds one to the count of each session's kind.
pub async fn record_sessions(
    conn: &mut Conn<'_>,
    sessions: &[TlsSession],
) -> Result<(), StoreError> {
    for session in sessions {
        let failure = session.failure.as_ref().map(to_json).unwrap_or_default();
        conn.execute(
            "INSERT INTO tls_sessions (policy_domain, day, policy, failure, count)
             VALUES ($1, $2, $3, $4, 1)
             ON CONFLICT (policy_domain, day, policy, failure)
             DO UPDATE SET count = tls_sessions.count + 1",
            &[
                &session.policy_domain,
                &session.day,
                &to_json(&session.policy),
                &failure,
            ],
        )
        .await?;
    }
    Ok(())
}

/// The counts of one domain and day.
pub async fn sessions(
    conn: &mut Conn<'_>,
    policy_domain: &str,
    day: UtcDay,
) -> Result<Vec<TlsSessionCount>, StoreError> {
    let rows = conn
        .query(
            "SELECT policy, failure, count FROM tls_sessions
             WHERE policy_domain = $1 AND day = $2 ORDER BY policy, failure",
            &[&policy_domain, &day],
        )
        .await?;
    rows.iter()
        .map(|row| {
            let policy: String = row.try_get(0)?;
            let failure: String = row.try_get(1)?;
            let count: i64 = row.try_get(2)?;
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
pub async fn reports_due(
    conn: &mut Conn<'_>,
    last_day: UtcDay,
    now: i64,
) -> Result<Vec<TlsReportDue>, StoreError> {
    let rows = conn
        .query(
            "SELECT s.policy_domain, s.day, COALESCE(r.attempts, 0)
             FROM (SELECT DISTINCT policy_domain, day FROM tls_sessions WHERE day <= $1) AS s
             LEFT JOIN tls_reports AS r ON r.policy_domain = s.policy_domain AND r.day = s.day
             WHERE r.state IS NULL OR (r.state = 'retry' AND r.next_at <= $2)
             ORDER BY s.day, s.policy_domain",
            &[&last_day, &now],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(TlsReportDue {
                policy_domain: row.try_get(0)?,
                day: row.try_get(1)?,
                attempts: u32::try_from(row.try_get::<_, i32>(2)?).unwrap_or(u32::MAX),
            })
        })
        .collect()
}

/// Stores a report's state.
pub async fn set_report(
    conn: &mut Conn<'_>,
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
    conn.execute(
        "INSERT INTO tls_reports (policy_domain, day, state, attempts, next_at, report_id, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (policy_domain, day) DO UPDATE SET
           state = excluded.state, attempts = tls_reports.attempts + excluded.attempts,
           next_at = excluded.next_at, report_id = excluded.report_id,
           reason = excluded.reason",
        &[
            &policy_domain,
            &day,
            &name,
            &attempt,
            &next_at,
            &report_id,
            &reason,
        ],
    )
    .await?;
    Ok(())
}
