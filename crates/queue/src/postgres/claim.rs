//! Claiming due recipients when several nodes claim at once.
//!
//! Inside one transaction, for each candidate destination domain:
//! - a transaction-scoped advisory lock on the domain, taken with
//!   `pg_try_advisory_xact_lock`: a domain another node is claiming right
//!   now is skipped rather than waited for, and the count below cannot
//!   race with that node's claim;
//! - the per-destination limit: the domain's current leases, every
//!   node's, are counted in the table;
//! - the recipients, locked with `FOR UPDATE SKIP LOCKED`: rows another
//!   transaction holds (a node recording an outcome, an administrator's
//!   operation) are left for the next pass instead of blocking this one;
//! - one lease from the `lease_ids` sequence, unique across nodes.
//!
//! The commit makes the lease visible to every node before the batch is
//! handed to a worker.

use std::collections::BTreeMap;

use tokio_postgres::Row;

use super::pool::Conn;
use super::write::{EventRows, add_events};
use crate::columns::{corrupt, from_json, parse_id};
use crate::error::StoreError;
use crate::event::EventKind;
use crate::state::TroubleRecord;
use crate::store::{Batch, ClaimRequest, ClaimedMessage, ClaimedRecipient, Lease};
use crate::time::from_millis;

/// The first key of the two-key advisory locks on domains being claimed
/// (the second is the domain's hash); distinct from the migration lock.
const CLAIM_LOCK: i32 = 0x5345_414c;

/// The domains with recipients due at `$1`, earliest due first, at most
/// `$2`: a recursive query steps from one domain to the next in the
/// domain's due index and reads each one's earliest row, one index search
/// per domain however many recipients are due (a `GROUP BY domain` reads
/// and sorts every due row on every claim).
const DUE_DOMAINS: &str = "WITH RECURSIVE d(domain) AS (
         SELECT MIN(domain) FROM recipients WHERE due_at IS NOT NULL
         UNION ALL
         SELECT (SELECT MIN(domain) FROM recipients
                 WHERE due_at IS NOT NULL AND domain > d.domain)
         FROM d WHERE d.domain IS NOT NULL)
     SELECT domain FROM (
         SELECT domain, (SELECT MIN(due_at) FROM recipients
                         WHERE domain = d.domain AND due_at IS NOT NULL) AS first
         FROM d WHERE domain IS NOT NULL) c
     WHERE first <= $1 ORDER BY first, domain LIMIT $2";

/// The messages of domain `$1`'s recipients due at `$2`, earliest first,
/// at most `$3` rows (read through the domain's due index).
const DUE_ROWS_OF_DOMAIN: &str = "SELECT message FROM recipients
     WHERE domain = $1 AND due_at IS NOT NULL AND due_at <= $2 ORDER BY due_at LIMIT $3";

/// Rows read per message wanted: a message may have several recipients
/// at one domain; a batch short of messages is only smaller.
const ROWS_PER_MESSAGE: usize = 4;

pub async fn claim(
    conn: &mut Conn<'_>,
    request: &ClaimRequest,
    now: i64,
) -> Result<Vec<Batch>, StoreError> {
    if request.max_domains == 0 || request.max_messages == 0 {
        return Ok(Vec::new());
    }
    let until = now.saturating_add(i64::try_from(request.lease.as_millis()).unwrap_or(i64::MAX));
    // Some candidates may be skipped (limits, other nodes); look at a few
    // more than asked for.
    let look_at = (request.max_domains + request.skip_domains.len()) * 4 + 16;
    let own_lease = request.continuing.as_ref().map_or(0, |c| c.lease_id);
    let candidates: Vec<String> = if let Some(continuing) = &request.continuing {
        vec![continuing.domain.clone()]
    } else {
        conn.query(
            DUE_DOMAINS,
            &[&now, &i64::try_from(look_at).unwrap_or(i64::MAX)],
        )
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect()
    };
    let mut batches = Vec::new();
    for domain in candidates {
        if batches.len() >= request.max_domains {
            break;
        }
        if request
            .skip_domains
            .iter()
            .any(|d| d.eq_ignore_ascii_case(&domain))
        {
            continue;
        }
        let locked: bool = conn
            .query_one(
                "SELECT pg_try_advisory_xact_lock($1, hashtext($2))",
                &[&CLAIM_LOCK, &domain],
            )
            .await?
            .get(0);
        if !locked {
            continue;
        }
        if let Some(limit) = request.domain_limit {
            let leases: i64 = conn
                .query_one(
                    "SELECT COUNT(DISTINCT lease_id) FROM recipients
                     WHERE domain = $1 AND state = 'in-flight' AND due_at > $2
                       AND lease_id <> $3",
                    &[&domain, &now, &own_lease],
                )
                .await?
                .get(0);
            if leases >= i64::try_from(limit).unwrap_or(i64::MAX) {
                continue;
            }
        }
        if let Some(batch) = claim_domain(conn, domain, request, now, until).await? {
            batches.push(batch);
        }
    }
    Ok(batches)
}

/// A due recipient as [`claim_domain`] reads it.
struct DueRow {
    message: String,
    idx: i32,
    spec: String,
    state: String,
    attempts: i32,
    trouble: Option<String>,
    owner: Option<String>,
    due_at: i64,
}

impl DueRow {
    fn from_row(row: &Row) -> Result<DueRow, StoreError> {
        Ok(DueRow {
            message: row.try_get(0)?,
            idx: row.try_get(1)?,
            spec: row.try_get(2)?,
            state: row.try_get(3)?,
            attempts: row.try_get(4)?,
            trouble: row.try_get(5)?,
            owner: row.try_get(6)?,
            due_at: row.try_get(7)?,
        })
    }
}

async fn claim_domain(
    conn: &mut Conn<'_>,
    domain: String,
    request: &ClaimRequest,
    now: i64,
    until: i64,
) -> Result<Option<Batch>, StoreError> {
    // The earliest due rows, only as many as a batch can use: a message
    // with several recipients at the domain has several rows.
    let mut chosen: Vec<String> = Vec::new();
    for row in conn
        .query(
            DUE_ROWS_OF_DOMAIN,
            &[
                &domain,
                &now,
                &i64::try_from(request.max_messages.saturating_mul(ROWS_PER_MESSAGE))
                    .unwrap_or(i64::MAX),
            ],
        )
        .await?
    {
        let message: String = row.try_get(0)?;
        if chosen.len() >= request.max_messages {
            break;
        }
        if !chosen.contains(&message) {
            chosen.push(message);
        }
    }
    let rows = conn
        .query(
            "SELECT message, idx, spec, state, attempts, trouble, lease_owner, due_at
             FROM recipients
             WHERE domain = $1 AND due_at <= $2 AND message = ANY($3)
             ORDER BY message, idx
             FOR UPDATE SKIP LOCKED",
            &[&domain, &now, &chosen],
        )
        .await?
        .iter()
        .map(DueRow::from_row)
        .collect::<Result<Vec<_>, _>>()?;
    if rows.is_empty() {
        return Ok(None);
    }
    let lease = Lease {
        id: conn
            .query_one("SELECT nextval('lease_ids')", &[])
            .await?
            .get(0),
        owner: request.owner.clone(),
        until: from_millis(until),
    };
    let messages: Vec<&str> = rows.iter().map(|r| r.message.as_str()).collect();
    let indexes: Vec<i32> = rows.iter().map(|r| r.idx).collect();
    conn.execute(
        "UPDATE recipients r SET state = 'in-flight', due_at = $3, lease_owner = $4, lease_id = $5
         FROM unnest($1::text[], $2::int4[]) AS u(message, idx)
         WHERE r.message = u.message AND r.idx = u.idx",
        &[&messages, &indexes, &until, &lease.owner, &lease.id],
    )
    .await?;

    let mut ids: Vec<&str> = messages.clone();
    ids.dedup();
    let stored: BTreeMap<String, (String, String)> = conn
        .query(
            "SELECT id, envelope, meta FROM messages WHERE id = ANY($1)",
            &[&ids],
        )
        .await?
        .iter()
        .map(|row| Ok((row.try_get(0)?, (row.try_get(1)?, row.try_get(2)?))))
        .collect::<Result<_, StoreError>>()?;

    let mut lapsed = EventRows::default();
    let mut by_message: BTreeMap<&str, (i64, Vec<ClaimedRecipient>)> = BTreeMap::new();
    for row in &rows {
        let recipient: smtp::Recipient = from_json("recipient", &row.spec)?;
        if row.state == "in-flight" {
            let owner = row.owner.clone().unwrap_or_default();
            lapsed.push(
                &row.message,
                now,
                Some(&recipient.address),
                &EventKind::LeaseLapsed { owner },
            );
        }
        let entry = by_message
            .entry(row.message.as_str())
            .or_insert((row.due_at, Vec::new()));
        entry.0 = entry.0.min(row.due_at);
        entry.1.push(ClaimedRecipient {
            recipient,
            attempts: u32::try_from(row.attempts).unwrap_or(0),
            last_trouble: row
                .trouble
                .as_deref()
                .map(|t| from_json::<TroubleRecord>("recipient trouble", t))
                .transpose()?,
        });
    }
    add_events(conn, lapsed).await?;

    let mut out = Vec::with_capacity(by_message.len());
    for (id, (due, recipients)) in by_message {
        let (envelope, meta) = stored.get(id).ok_or_else(|| {
            corrupt(
                "message",
                format!("recipients of {id} without their message"),
            )
        })?;
        out.push((
            due,
            ClaimedMessage {
                id: parse_id(id)?,
                envelope: from_json("envelope", envelope)?,
                meta: from_json("message metadata", meta)?,
                recipients,
            },
        ));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.id.cmp(&b.1.id)));
    Ok(Some(Batch {
        domain,
        lease,
        messages: out.into_iter().map(|(_, m)| m).collect(),
    }))
}
