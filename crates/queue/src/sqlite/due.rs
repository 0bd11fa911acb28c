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

/// The leases held on domain `?1` at time `?2`, lapsed ones not counted.
/// The unary `+` keeps `due_at` out of index selection: the domain's due
/// index would walk every deferred recipient of the domain.
pub const LEASES_OF_DOMAIN: &str = "SELECT COUNT(DISTINCT lease_id) FROM recipients
     WHERE domain = ?1 AND lease_id IS NOT NULL AND state = 'in-flight' AND +due_at > ?2";

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;
    use crate::sqlite::by_message::tests::plan;
    use crate::sqlite::schema;

    #[test]
    fn claims_read_their_index_without_sorting() {
        let mut conn = Connection::open_in_memory().unwrap();
        schema::configure(&conn).unwrap();
        schema::prepare(&mut conn).unwrap();
        for (sql, index) in [
            (DUE_ROWS, "recipients_due"),
            (DUE_ROWS_OF_DOMAIN, "recipients_domain_due"),
            (LEASES_OF_DOMAIN, "recipients_leases"),
        ] {
            let plan = plan(&conn, sql);
            assert!(plan.contains(index), "{sql}\n=> {plan}");
            assert!(!plan.contains("TEMP B-TREE"), "{sql}\n=> {plan}");
        }
    }
}
