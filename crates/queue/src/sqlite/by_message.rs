//! Statements that read or change the recipients of one message.
//!
//! Each has `message = ?1` (the primary key's first column) and also a
//! condition on `address` or on `domain` and `due_at`, which have indexes
//! of their own. Without statistics SQLite prefers the index matching
//! more terms, so it walked every row with the same address (a mailing
//! list, a benchmark's one recipient, delivered messages kept for their
//! trace) or every due row of the domain, once per message: each claim,
//! lease check and outcome cost time in proportion to the queue. The
//! unary `+` keeps those columns out of index selection (SQLite's
//! documented way), so the primary key is used and a message's
//! recipients are found directly.

/// The due recipients of message `?1` for domain `?2` at time `?3`, as a
/// claim takes them.
pub const DUE_RECIPIENTS: &str = "SELECT idx, spec, state, attempts, trouble, lease_owner
     FROM recipients
     WHERE message = ?1 AND +domain = ?2 AND +due_at IS NOT NULL AND +due_at <= ?3
     ORDER BY idx";

/// The lease state of recipient `?2` of message `?1`.
pub const LEASE_STATE: &str =
    "SELECT state, lease_id, due_at FROM recipients WHERE message = ?1 AND +address = ?2";

/// Records the outcome of an attempt for recipient `?2` of message `?1`.
pub const RECORD_OUTCOME: &str =
    "UPDATE recipients SET state = ?3, due_at = ?4, trouble = COALESCE(?5, trouble),
     attempts = attempts + 1, lease_owner = NULL, lease_id = NULL
     WHERE message = ?1 AND +address = ?2";

#[cfg(test)]
pub(super) mod tests {
    use rusqlite::Connection;

    use super::*;
    use crate::sqlite::schema;

    /// SQLite's query plan for `sql`, its steps joined with `; `.
    pub(in crate::sqlite) fn plan(conn: &Connection, sql: &str) -> String {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let unbound = vec![rusqlite::types::Null; stmt.parameter_count()];
        let rows = stmt
            .query_map(rusqlite::params_from_iter(unbound), |row| {
                row.get::<_, String>(3)
            })
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        rows.join("; ")
    }

    #[test]
    fn each_statement_finds_the_message_by_its_primary_key() {
        let mut conn = Connection::open_in_memory().unwrap();
        schema::configure(&conn).unwrap();
        schema::prepare(&mut conn).unwrap();
        for sql in [DUE_RECIPIENTS, LEASE_STATE, RECORD_OUTCOME] {
            let plan = plan(&conn, sql);
            assert!(
                plan.contains("sqlite_autoindex_recipients_1 (message=?"),
                "{sql}\n=> {plan}"
            );
        }
    }
}
