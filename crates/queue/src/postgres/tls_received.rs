//! TLS reports others sent us, in PostgreSQL (schema version 3).

use super::pool::Conn;
use crate::error::StoreError;
use crate::time::{from_millis, to_millis};
use crate::tls_received::ReceivedTlsReport;

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
