//! TLS reporting in PostgreSQL: session counts (schema version 2), shared
//! by every node so that one report covers the day's sessions of all of
//! them.

use super::pool::Conn;
use crate::columns::{from_json, to_json};
use crate::error::StoreError;
use crate::tls_session::{TlsSession, TlsSessionCount, UtcDay};

/// Adds one to the count of each session's kind.
pub async fn record_sessions(
    conn: &mut Conn<'_>,
    sessions: &[TlsSession],
) -> Result<(), StoreError> {
    for session in sessions {
        let failure = session.failure.as_ref().map(to_json).unwrap_or_default();
        conn.execute(
            "INSERT INTO tls_sessions (policy_domain, day, policy, failure, count)
             VALUES ($1, $2, $3, $4, 1)
             ON CONFLICT (policy_domain, day, policy, failure)
             DO UPDATE SET count = tls_sessions.count + 1",
            &[
                &session.policy_domain,
                &session.day,
                &to_json(&session.policy),
                &failure,
            ],
        )
        .await?;
    }
    Ok(())
}

/// The counts of one domain and day.
pub async fn sessions(
    conn: &mut Conn<'_>,
    policy_domain: &str,
    day: UtcDay,
) -> Result<Vec<TlsSessionCount>, StoreError> {
    let rows = conn
        .query(
            "SELECT policy, failure, count FROM tls_sessions
             WHERE policy_domain = $1 AND day = $2 ORDER BY policy, failure",
            &[&policy_domain, &day],
        )
        .await?;
    rows.iter()
        .map(|row| {
            let policy: String = row.try_get(0)?;
            let failure: String = row.try_get(1)?;
            let count: i64 = row.try_get(2)?;
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
