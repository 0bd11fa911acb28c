//! DMARC aggregate reporting in PostgreSQL (schema version 7), shared by
//! every node so that one report covers the day's messages of all of
//! them: the counted rows, and the reports others sent us.

use super::pool::Conn;
use crate::columns::{from_json, to_json};
use crate::dmarc_report::{DmarcObservation, DmarcRowCount, ReceivedDmarcReport, row_key};
use crate::error::StoreError;
use crate::time::{from_millis, to_millis};
use crate::tls_session::UtcDay;

/// Adds each observation's count to its row.
pub async fn record(
    conn: &mut Conn<'_>,
    observations: &[DmarcObservation],
) -> Result<(), StoreError> {
    for seen in observations {
        let row = to_json(&seen.row);
        conn.execute(
            "INSERT INTO dmarc_rows (policy_domain, day, row_key, row, count)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (policy_domain, day, row_key)
             DO UPDATE SET count = dmarc_rows.count + excluded.count",
            &[
                &seen.policy_domain,
                &seen.day,
                &row_key(&row),
                &row,
                &i64::try_from(seen.count).unwrap_or(i64::MAX),
            ],
        )
        .await?;
    }
    Ok(())
}

/// The rows of one domain and day.
pub async fn rows(
    conn: &mut Conn<'_>,
    policy_domain: &str,
    day: UtcDay,
) -> Result<Vec<DmarcRowCount>, StoreError> {
    let rows = conn
        .query(
            "SELECT row, count FROM dmarc_rows
             WHERE policy_domain = $1 AND day = $2 ORDER BY row",
            &[&policy_domain, &day],
        )
        .await?;
    rows.iter()
        .map(|row| {
            let text: String = row.try_get(0)?;
            let count: i64 = row.try_get(1)?;
            Ok(DmarcRowCount {
                row: from_json("DMARC report row", &text)?,
                count: u64::try_from(count).unwrap_or(0),
            })
        })
        .collect()
}

/// Keeps a received report unless it is kept already.
pub async fn store(conn: &mut Conn<'_>, report: &ReceivedDmarcReport) -> Result<bool, StoreError> {
    let added = conn
        .execute(
            "INSERT INTO dmarc_received
               (policy_domain, organization, report_id, begin_at, end_at, received_at, xml)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (policy_domain, organization, report_id) DO NOTHING",
            &[
                &report.policy_domain,
                &report.organization_name,
                &report.report_id,
                &to_millis(report.begin),
                &to_millis(report.end),
                &to_millis(report.received_at),
                &report.xml,
            ],
        )
        .await?;
    Ok(added == 1)
}

/// Received reports of one domain or all, ending at or after `since`.
pub async fn received(
    conn: &mut Conn<'_>,
    policy_domain: Option<&str>,
    since: Option<i64>,
) -> Result<Vec<ReceivedDmarcReport>, StoreError> {
    let rows = conn
        .query(
            "SELECT policy_domain, organization, report_id, begin_at, end_at, received_at, xml
             FROM dmarc_received
             WHERE ($1::TEXT IS NULL OR policy_domain = $1)
               AND ($2::BIGINT IS NULL OR end_at >= $2)
             ORDER BY begin_at, policy_domain, organization, report_id",
            &[&policy_domain, &since],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(ReceivedDmarcReport {
                policy_domain: row.try_get(0)?,
                organization_name: row.try_get(1)?,
                report_id: row.try_get(2)?,
                begin: from_millis(row.try_get(3)?),
                end: from_millis(row.try_get(4)?),
                received_at: from_millis(row.try_get(5)?),
                xml: row.try_get(6)?,
            })
        })
        .collect()
}
