//! The MTA-STS policy cache in SQLite (schema version 3).

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::StoreError;
use crate::sts_cache::{STS_COLUMNS, StsRow};

/// The row of `domain`, if any.
pub fn entry(conn: &Connection, domain: &str) -> Result<Option<StsRow>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {STS_COLUMNS} FROM sts_policies WHERE domain = ?1"
        ))?
        .query_row(params![domain], |row| {
            Ok(StsRow {
                record_id: row.get(0)?,
                mode: row.get(1)?,
                mx: row.get(2)?,
                max_age: row.get(3)?,
                fetched_at: row.get(4)?,
                last_checked: row.get(5)?,
                failed_at: row.get(6)?,
                failed_id: row.get(7)?,
                failure: row.get(8)?,
            })
        })
        .optional()?)
}

/// A fetched policy: `(domain, record id, mode, mx, max_age seconds)`.
pub type Fetched = (String, String, &'static str, String, i64);

/// Replaces the policy of a domain and clears its failure mark.
pub fn store(conn: &Connection, fetched: &Fetched, now: i64) -> Result<(), StoreError> {
    let (domain, id, mode, mx, max_age) = fetched;
    conn.prepare_cached(
        "INSERT INTO sts_policies
             (domain, record_id, mode, mx, max_age, fetched_at, expires_at, last_checked,
              failed_at, failed_id, failure)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6 + ?5 * 1000, ?6, NULL, NULL, NULL)
         ON CONFLICT (domain) DO UPDATE SET
           record_id = excluded.record_id, mode = excluded.mode, mx = excluded.mx,
           max_age = excluded.max_age, fetched_at = excluded.fetched_at,
           expires_at = excluded.expires_at, last_checked = excluded.last_checked,
           failed_at = NULL, failed_id = NULL, failure = NULL",
    )?
    .execute(params![domain, id, mode, mx, max_age, now])?;
    Ok(())
}

/// Notes that the record still carries the cached id.
pub fn touch(conn: &Connection, domain: &str, now: i64) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE sts_policies SET last_checked = ?2 WHERE domain = ?1")?
        .execute(params![domain, now])?;
    Ok(())
}

/// Records a failed fetch, keeping the policy.
pub fn record_failure(
    conn: &Connection,
    domain: &str,
    id: &str,
    now: i64,
    reason: &str,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO sts_policies (domain, failed_at, failed_id, failure) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (domain) DO UPDATE SET
           failed_at = excluded.failed_at, failed_id = excluded.failed_id,
           failure = excluded.failure",
    )?
    .execute(params![domain, now, id, reason])?;
    Ok(())
}

/// Forgets a domain.
pub fn remove(conn: &Connection, domain: &str) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM sts_policies WHERE domain = ?1")?
        .execute(params![domain])?;
    Ok(())
}

/// Domains whose active policy expires in `(now, deadline]`, soonest first.
pub fn expiring(conn: &Connection, now: i64, deadline: i64) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT domain FROM sts_policies
         WHERE mode IN ('enforce', 'testing') AND expires_at > ?1 AND expires_at <= ?2
         ORDER BY expires_at, domain",
    )?;
    let domains = stmt
        .query_map(params![now, deadline], |row| row.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    Ok(domains)
}
