//! TLS reporting in SQLite: session counts (schema V2).

use rusqlite::{Connection, params};

use crate::columns::{from_json, to_json};
use crate::error::StoreError;
use crate::tls_session::{TlsSession, TlsSessionCount, UtcDay};

/// Adds one to the count of each session's kind.
pub fn record_sessions(conn: &Connection, sessions: &[TlsSession]) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO tls_sessions (policy_domain, day, policy, failure, count)
         VALUES (?1, ?2, ?3, ?4, 1)
         ON CONFLICT (policy_domain, day, policy, failure) DO UPDATE SET count = count + 1",
    )?;
    for session in sessions {
        let failure = session.failure.as_ref().map(to_json).unwrap_or_default();
        stmt.execute(params![
            session.policy_domain,
            session.day,
            to_json(&session.policy),
            failure
        ])?;
    }
    Ok(())
}

/// The counts of one domain and day.
pub fn sessions(
    conn: &Connection,
    policy_domain: &str,
    day: UtcDay,
) -> Result<Vec<TlsSessionCount>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT policy, failure, count FROM tls_sessions
         WHERE policy_domain = ?1 AND day = ?2 ORDER BY policy, failure",
    )?;
    let rows = stmt
        .query_map(params![policy_domain, day], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(policy, failure, count)| {
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
