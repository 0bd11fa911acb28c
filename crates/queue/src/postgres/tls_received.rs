//! TLS reports others sent us, and the status of our own, in PostgreSQL
//! (schema versions 3 and 2).

use super::pool::Conn;
use crate::error::StoreError;
use crate::time::{from_millis, to_millis};
use crate::tls_received::ReceivedTlsReport;
use crate::tls_session::{TlsReportState, TlsReportStatus, UtcDay};

/// Where one day's report stands.
pub async fn report_status(
    conn: &mut Conn<'_>,
    policy_domain: &str,
    day: UtcDay,
) -> Result<Option<TlsReportStatus>, StoreError> {
    let rows = conn
        .query(
            "SELECT state, next_at, report_id, reason, attempts FROM tls_reports
             WHERE policy_domain = $1 AND day = $2",
            &[&policy_domain, &day],
        )
        .await?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let name: String = row.try_get(0)?;
    let state =
        TlsReportState::from_columns(&name, row.try_get(1)?, row.try_get(2)?, row.try_get(3)?)?;
    Ok(Some(TlsReportStatus {
        state,
        attempts: u32::try_from(row.try_get::<_, i32>(4)?).unwrap_or(0),
    }))
}

/// Keeps a received report unless it is kept already.
pub async fn store(conn: &mut Conn<'_>, report: &ReceivedTlsReport) -> Result<bool, StoreError> {
    let added = conn
        .execute(
            "INSERT INTO tls_received
               (policy_domain, organization, report_id, start_at, end_at, received_at, report)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (policy_domain, organization, report_id) DO NOTHING",
            &[
                &report.policy_domain,
                &report.organization_name,
                &report.report_id,
                &to_millis(report.start),
                &to_millis(report.end),
                &to_millis(report.received_at),
                &report.json,
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
) -> Result<Vec<ReceivedTlsReport>, StoreError> {
    let rows = conn
        .query(
            "SELECT policy_domain, organization, report_id, start_at, end_at, received_at, report
             FROM tls_received
             WHERE ($1::TEXT IS NULL OR policy_domain = $1)
               AND ($2::BIGINT IS NULL OR end_at >= $2)
             ORDER BY start_at, policy_domain, organization, report_id",
            &[&policy_domain, &since],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(ReceivedTlsReport {
                policy_domain: row.try_get(0)?,
                organization_name: row.try_get(1)?,
                report_id: row.try_get(2)?,
                start: from_millis(row.try_get(3)?),
                end: from_millis(row.try_get(4)?),
                received_at: from_millis(row.try_get(5)?),
                json: row.try_get(6)?,
            })
        })
        .collect()
}
