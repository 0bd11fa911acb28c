//! The MTA-STS policy cache in PostgreSQL (schema version 3): one row per
//! domain, shared by every node.

use super::pool::Conn;
use crate::error::StoreError;
use crate::sts_cache::{STS_COLUMNS, StsRow};

/// The row of `domain`, if any.
pub async fn entry(conn: &mut Conn<'_>, domain: &str) -> Result<Option<StsRow>, StoreError> {
    let sql = format!("SELECT {STS_COLUMNS} FROM sts_policies WHERE domain = $1");
    let Some(row) = conn.query_opt(&sql, &[&domain]).await? else {
        return Ok(None);
    };
    Ok(Some(StsRow {
        record_id: row.try_get(0)?,
        mode: row.try_get(1)?,
        mx: row.try_get(2)?,
        max_age: row.try_get(3)?,
        fetched_at: row.try_get(4)?,
        last_checked: row.try_get(5)?,
        failed_at: row.try_get(6)?,
        failed_id: row.try_get(7)?,
        failure: row.try_get(8)?,
    }))
}

/// Replaces the policy of a domain and clears its failure mark:
/// `(domain, record id, mode, mx, max_age seconds)`.
pub async fn store(
    conn: &mut Conn<'_>,
    (domain, id, mode, mx, max_age): (&str, &str, &str, &str, i64),
    now: i64,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO sts_policies
             (domain, record_id, mode, mx, max_age, fetched_at, expires_at, last_checked,
              failed_at, failed_id, failure)
         VALUES ($1, $2, $3, $4, $5::BIGINT, $6::BIGINT, $6::BIGINT + $5::BIGINT * 1000, $6::BIGINT,
                 NULL, NULL, NULL)
         ON CONFLICT (domain) DO UPDATE SET
           record_id = excluded.record_id, mode = excluded.mode, mx = excluded.mx,
           max_age = excluded.max_age, fetched_at = excluded.fetched_at,
           expires_at = excluded.expires_at, last_checked = excluded.last_checked,
           failed_at = NULL, failed_id = NULL, failure = NULL",
        &[&domain, &id, &mode, &mx, &max_age, &now],
    )
    .await?;
    Ok(())
}

/// Notes that the record still carries the cached id.
pub async fn touch(conn: &mut Conn<'_>, domain: &str, now: i64) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE sts_policies SET last_checked = $2 WHERE domain = $1",
        &[&domain, &now],
    )
    .await?;
    Ok(())
}

/// Records a failed fetch, keeping the policy.
pub async fn record_failure(
    conn: &mut Conn<'_>,
    domain: &str,
    id: &str,
    now: i64,
    reason: &str,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO sts_policies (domain, failed_at, failed_id, failure) VALUES ($1, $2, $3, $4)
         ON CONFLICT (domain) DO UPDATE SET
           failed_at = excluded.failed_at, failed_id = excluded.failed_id,
           failure = excluded.failure",
        &[&domain, &now, &id, &reason],
    )
    .await?;
    Ok(())
}

/// Forgets a domain.
pub async fn remove(conn: &mut Conn<'_>, domain: &str) -> Result<(), StoreError> {
    conn.execute("DELETE FROM sts_policies WHERE domain = $1", &[&domain])
        .await?;
    Ok(())
}

/// Domains whose active policy expires in `(now, deadline]`, soonest first.
pub async fn expiring(
    conn: &mut Conn<'_>,
    now: i64,
    deadline: i64,
) -> Result<Vec<String>, StoreError> {
    let rows = conn
        .query(
            "SELECT domain FROM sts_policies
             WHERE mode IN ('enforce', 'testing') AND expires_at > $1 AND expires_at <= $2
             ORDER BY expires_at, domain",
            &[&now, &deadline],
        )
        .await?;
    rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
}
