//! DMARC aggregate reporting in SQLite (schema V8): the counted rows of
//! each Domain Owner and day, and the reports others sent us.

use rusqlite::{Connection, params};

use crate::columns::{from_json, to_json};
use crate::dmarc_report::{DmarcObservation, DmarcRowCount, ReceivedDmarcReport, row_key};
use crate::error::StoreError;
use crate::time::{from_millis, to_millis};
use crate::tls_session::UtcDay;

/// Adds each observation's count to its row.
pub fn record(conn: &Connection, observations: &[DmarcObservation]) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO dmarc_rows (policy_domain, day, row_key, row, count)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (policy_domain, day, row_key) DO UPDATE SET count = count + excluded.count",
    )?;
    for seen in observations {
        let row = to_json(&seen.row);
        stmt.execute(params![
            seen.policy_domain,
            seen.day,
            row_key(&row),
            row,
            i64::try_from(seen.count).unwrap_or(i64::MAX)
        ])?;
    }
    Ok(())
}

/// The rows of one domain and day.
pub fn rows(
    conn: &Connection,
    policy_domain: &str,
    day: UtcDay,
) -> Result<Vec<DmarcRowCount>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT row, count FROM dmarc_rows WHERE policy_domain = ?1 AND day = ?2 ORDER BY row",
    )?;
    let rows = stmt
        .query_map(params![policy_domain, day], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(row, count)| {
            Ok(DmarcRowCount {
                row: from_json("DMARC report row", &row)?,
                count: u64::try_from(count).unwrap_or(0),
            })
        })
        .collect()
}

/// Keeps a received report unless it is kept already.
pub fn store(conn: &Connection, report: &ReceivedDmarcReport) -> Result<bool, StoreError> {
    let added = conn
        .prepare_cached(
            "INSERT INTO dmarc_received
               (policy_domain, organization, report_id, begin_at, end_at, received_at, xml)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (policy_domain, organization, report_id) DO NOTHING",
        )?
        .execute(params![
            report.policy_domain,
            report.organization_name,
            report.report_id,
            to_millis(report.begin),
            to_millis(report.end),
            to_millis(report.received_at),
            report.xml
        ])?;
    Ok(added == 1)
}

/// Received reports of one domain or all, ending at or after `since`.
pub fn received(
    conn: &Connection,
    policy_domain: Option<&str>,
    since: Option<i64>,
) -> Result<Vec<ReceivedDmarcReport>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT policy_domain, organization, report_id, begin_at, end_at, received_at, xml
         FROM dmarc_received
         WHERE (?1 IS NULL OR policy_domain = ?1) AND (?2 IS NULL OR end_at >= ?2)
         ORDER BY begin_at, policy_domain, organization, report_id",
    )?;
    let reports = stmt
        .query_map(params![policy_domain, since], |row| {
            Ok(ReceivedDmarcReport {
                policy_domain: row.get(0)?,
                organization_name: row.get(1)?,
                report_id: row.get(2)?,
                begin: from_millis(row.get(3)?),
                end: from_millis(row.get(4)?),
                received_at: from_millis(row.get(5)?),
                xml: row.get(6)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(reports)
}
