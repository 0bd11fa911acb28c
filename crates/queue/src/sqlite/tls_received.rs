//! TLS reports others sent us, in SQLite (schema V3).

use rusqlite::{Connection, params};

use crate::error::StoreError;
use crate::time::{from_millis, to_millis};
use crate::tls_received::ReceivedTlsReport;

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
