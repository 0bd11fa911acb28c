//! Where each daily report stands, in PostgreSQL, for every kind of
//! report (TLS: schema version 2; DMARC: 7): what is owed, and each state.

use super::pool::Conn;
use crate::error::StoreError;
use crate::report_state::{ReportDue, ReportKind, ReportState, ReportStatus};
use crate::tls_session::UtcDay;

/// Domains and days up to `last_day` whose report is owed and due at `now`.
pub async fn reports_due(
    conn: &mut Conn<'_>,
    kind: ReportKind,
    last_day: UtcDay,
    now: i64,
) -> Result<Vec<ReportDue>, StoreError> {
    let rows = conn
        .query(
            &format!(
                "SELECT s.policy_domain, s.day, COALESCE(r.attempts, 0)
             FROM (SELECT DISTINCT policy_domain, day FROM {counts} WHERE day <= $1) AS s
             LEFT JOIN {states} AS r ON r.policy_domain = s.policy_domain AND r.day = s.day
             WHERE r.state IS NULL OR (r.state = 'retry' AND r.next_at <= $2)
             ORDER BY s.day, s.policy_domain",
                counts = kind.counts_table(),
                states = kind.states_table()
            ),
            &[&last_day, &now],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(ReportDue {
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
    conn.execute(
        &format!(
            "INSERT INTO {states} (policy_domain, day, state, attempts, next_at, report_id, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (policy_domain, day) DO UPDATE SET
           state = excluded.state, attempts = {states}.attempts + excluded.attempts,
           next_at = excluded.next_at, report_id = excluded.report_id,
           reason = excluded.reason",
            states = kind.states_table()
        ),
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

/// Where one day's report stands.
pub async fn report_status(
    conn: &mut Conn<'_>,
    kind: ReportKind,
    policy_domain: &str,
    day: UtcDay,
) -> Result<Option<ReportStatus>, StoreError> {
    let rows = conn
        .query(
            &format!(
                "SELECT state, next_at, report_id, reason, attempts FROM {states}
             WHERE policy_domain = $1 AND day = $2",
                states = kind.states_table()
            ),
            &[&policy_domain, &day],
        )
        .await?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let name: String = row.try_get(0)?;
    let state =
        ReportState::from_columns(&name, row.try_get(1)?, row.try_get(2)?, row.try_get(3)?)?;
    Ok(Some(ReportStatus {
        state,
        attempts: u32::try_from(row.try_get::<_, i32>(4)?).unwrap_or(0),
    }))
}

/// Takes the report of `policy_domain` and `day` for this node until
/// `until` (milliseconds) when it is owed and due at `now`: a report
/// without a state yet, or one whose retry (or another node's claim) is
/// due. `false`: another node has it, or it is done.
pub async fn claim_report(
    conn: &mut Conn<'_>,
    kind: ReportKind,
    policy_domain: &str,
    day: UtcDay,
    now: i64,
    until: i64,
) -> Result<bool, StoreError> {
    let changed = conn
        .execute(
            &format!(
                "INSERT INTO {states} (policy_domain, day, state, attempts, next_at, reason)
                 VALUES ($1, $2, 'retry', 0, $3, 'being sent')
                 ON CONFLICT (policy_domain, day) DO UPDATE SET
                   next_at = excluded.next_at, reason = excluded.reason
                 WHERE {states}.state = 'retry' AND {states}.next_at <= $4",
                states = kind.states_table()
            ),
            &[&policy_domain, &day, &until, &now],
        )
        .await?;
    Ok(changed == 1)
}

/// Deletes the reporting rows of days before `before_day` and the
/// received reports that ended before `received_before` (milliseconds).
pub async fn purge(
    conn: &mut Conn<'_>,
    before_day: UtcDay,
    received_before: i64,
) -> Result<u64, StoreError> {
    let mut deleted = 0;
    for table in ["tls_sessions", "tls_reports", "dmarc_rows", "dmarc_reports"] {
        deleted += conn
            .execute(
                &format!("DELETE FROM {table} WHERE day < $1"),
                &[&before_day],
            )
            .await?;
    }
    for table in ["tls_received", "dmarc_received"] {
        deleted += conn
            .execute(
                &format!("DELETE FROM {table} WHERE end_at < $1"),
                &[&received_before],
            )
            .await?;
    }
    Ok(deleted)
}
