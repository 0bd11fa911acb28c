//! Statements a claim reads due recipients with.
//!
//! Both walk an index in the order rows fell due and are read only as far
//! as the claim needs (a few domains, a batch of messages). A `GROUP BY`
//! with `ORDER BY MIN(due_at)` gives the same order but reads and sorts
//! every due row first, on every claim: with 100,000 recipients due for
//! one destination each batch of 50 cost a walk over all of them.

/// Every due recipient's domain at time `?1`, earliest due first.
pub const DUE_ROWS: &str = "SELECT domain FROM recipients
     WHERE due_at IS NOT NULL AND due_at <= ?1 ORDER BY due_at";

/// The messages of the due recipients of domain `?1` at time `?2`,
/// earliest due first.
pub const DUE_ROWS_OF_DOMAIN: &str = "SELECT message FROM recipients
     WHERE domain = ?1 AND due_at IS NOT NULL AND due_at <= ?2 ORDER BY due_at";

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;
    use crate::sqlite::schema;

    fn plan(conn: &Connection, sql: &str) -> String {
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
    fn due_rows_are_read_in_index_order_without_sorting() {
        let mut conn = Connection::open_in_memory().unwrap();
        schema::configure(&conn).unwrap();
        schema::prepare(&mut conn).unwrap();
        for (sql, index) in [
            (DUE_ROWS, "recipients_due"),
            (DUE_ROWS_OF_DOMAIN, "recipients_domain_due"),
        ] {
            let plan = plan(&conn, sql);
            assert!(plan.contains(index), "{sql}\n=> {plan}");
            assert!(!plan.contains("TEMP B-TREE"), "{sql}\n=> {plan}");
        }
    }
}
