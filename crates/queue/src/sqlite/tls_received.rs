//! TLS reports others sent us, and the status of our own, in SQLite
//! (schema V3 and V2).

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::StoreError;
use crate::time::{from_millis, to_millis};
use crate::tls_received::ReceivedTlsReport;
use crate::tls_session::{TlsReportState, TlsReportStatus, UtcDay};

/// Where one day's report stands.
pub fn report_status(
    conn: &Connection,
    policy_domain: &str,
    day: UtcDay,
) -> Result<Option<TlsReportStatus>, StoreError> {
    let row = conn
        .prepare_cached(
            "SELECT state, next_at, report_id, reason, attempts FROM tls_reports
             WHERE policy_domain = ?1 AND day = ?2",
        )?
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
        Ok(TlsReportStatus {
            state: TlsReportState::from_columns(&name, next_at, report_id, reason)?,
            attempts: u32::try_from(attempts).unwrap_or(0),
        })
    })
    .transpose()
}

/// Keeps a received report unless it is kept already.
pub fn store(conn: &Connection, report: &ReceivedTlsReport) -> Result<bool, StoreError> {
    let added = conn
        .prepare_cached(
            "INSERT INTO tls_received
               (policy_domain, organization, report_id, start_at, end_at, received_at, report)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (policy_domain, organization, report_id) DO NOTHING",
        )?
        .execute(params![
            report.policy_domain,
            report.organization_name,
            report.report_id,
            to_millis(report.start),
            to_millis(report.end),
            to_millis(report.received_at),
            report.json
        ])?;
    Ok(added == 1)
}

/// Received reports of one domain or all, ending at or after `since`.
pub fn received(
    conn: &Connection,
    policy_domain: Option<&str>,
    since: Option<i64>,
) -> Result<Vec<ReceivedTlsReport>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT policy_domain, organization, report_id, start_at, end_at, received_at, report
         FROM tls_received
         WHERE (?1 IS NULL OR policy_domain = ?1) AND (?2 IS NULL OR end_at >= ?2)
         ORDER BY start_at, policy_domain, organization, report_id",
    )?;
    let reports = stmt
        .query_map(params![policy_domain, since], |row| {
            Ok(ReceivedTlsReport {
                policy_domain: row.get(0)?,
                organization_name: row.get(1)?,
                report_id: row.get(2)?,
                start: from_millis(row.get(3)?),
                end: from_millis(row.get(4)?),
                received_at: from_millis(row.get(5)?),
                json: row.get(6)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(reports)
}
