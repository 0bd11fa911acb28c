//! Statements a claim reads due recipients with.
//!
//! None reads all the due rows: domains are found one index search each,
//! a domain's messages are read in the order they fell due only as far as
//! the batch needs. A `GROUP BY`
//! with `ORDER BY MIN(due_at)` gives the same order but reads and sorts
//! every due row first, on every claim: with 100,000 recipients due for
//! one destination each batch of 50 cost a walk over all of them.

/// The domains with recipients due at time `?1`, earliest due first.
/// A recursive query steps from one domain to the next in the domain's
/// due index and reads each domain's earliest row: one index search per
/// domain with scheduled recipients, however many recipients each has.
/// (Walking the due rows themselves reads all of a domain's rows when
/// fewer domains are due than the claim asks for.)
pub const DUE_DOMAINS: &str = "WITH RECURSIVE d(domain) AS (
         SELECT MIN(domain) FROM recipients WHERE due_at IS NOT NULL
         UNION ALL
         SELECT (SELECT MIN(domain) FROM recipients
                 WHERE due_at IS NOT NULL AND domain > d.domain)
         FROM d WHERE d.domain IS NOT NULL)
     SELECT domain, first FROM (
         SELECT domain, (SELECT MIN(due_at) FROM recipients
                         WHERE domain = d.domain AND due_at IS NOT NULL) AS first
         FROM d WHERE domain IS NOT NULL)
     WHERE first <= ?1 ORDER BY first, domain";

/// The messages of the due recipients of domain `?1` at time `?2`,
/// earliest due first.
pub const DUE_ROWS_OF_DOMAIN: &str = "SELECT message FROM recipients
     WHERE domain = ?1 AND due_at IS NOT NULL AND due_at <= ?2 ORDER BY due_at";

/// The leases held on domain `?1` at time `?2`, lapsed ones not counted.
/// The unary `+` keeps `due_at` out of index selection: the domain's due
/// index would walk every deferred recipient of the domain.
pub const LEASES_OF_DOMAIN: &str = "SELECT COUNT(DISTINCT lease_id) FROM recipients
     WHERE domain = ?1 AND lease_id IS NOT NULL AND lease_id != ?3
       AND state = 'in-flight' AND +due_at > ?2";

/// The recipients in flight under a lease that lapsed by time `?1`. Read
/// through the index of leases (only recipients in flight are in it): the
/// due index would walk every recipient due, which a deep queue to a
/// dead destination makes all of them, on every scheduler pass.
pub const LAPSED_LEASES: &str = "SELECT message, address, lease_owner
     FROM recipients INDEXED BY recipients_leases
     WHERE lease_id IS NOT NULL AND state = 'in-flight' AND due_at <= ?1";

/// Puts back the recipients of [`LAPSED_LEASES`].
pub const RELEASE_LAPSED: &str = "UPDATE recipients INDEXED BY recipients_leases SET
     state = CASE WHEN trouble IS NULL THEN 'queued' ELSE 'deferred' END,
     lease_owner = NULL, lease_id = NULL
     WHERE lease_id IS NOT NULL AND state = 'in-flight' AND due_at <= ?1";

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
        let plan_of_domains = plan(&conn, DUE_DOMAINS);
        assert!(
            !plan_of_domains.contains("SCAN recipients"),
            "{plan_of_domains}"
        );
        for (sql, index) in [
            (DUE_ROWS_OF_DOMAIN, "recipients_domain_due"),
            (LEASES_OF_DOMAIN, "recipients_leases"),
            (LAPSED_LEASES, "recipients_leases"),
            (RELEASE_LAPSED, "recipients_leases"),
        ] {
            let plan = plan(&conn, sql);
            assert!(plan.contains(index), "{sql}\n=> {plan}");
            assert!(!plan.contains("TEMP B-TREE"), "{sql}\n=> {plan}");
        }
    }
}
