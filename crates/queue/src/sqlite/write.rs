//! The writing operations, each run inside the writer's group
//! transaction (see `writer.rs`). `now` is the store clock's reading.

use std::collections::{BTreeSet, HashSet};

use rusqlite::{Connection, ErrorCode, OptionalExtension, params};

use super::by_message;
use super::due;
use super::rows::{add_event, from_json, to_json};
use crate::columns::first_state;
use crate::envelope::domain_of;
use crate::error::StoreError;
use crate::event::EventKind;
use crate::id::QueueId;
use crate::meta::NewMessage;
use crate::state::TroubleRecord;
use crate::store::{
    AttemptReport, Batch, ClaimRequest, ClaimedMessage, ClaimedRecipient, Lease, Outcome, Selector,
};
use crate::time::{from_millis, to_millis};

/// States in which a recipient still needs something done.
const PENDING: &str = "('queued', 'in-flight', 'deferred', 'held', 'quarantined')";

pub fn insert(conn: &Connection, message: NewMessage, now: i64) -> Result<(), StoreError> {
    let id = message.id.to_string();
    let mut meta = message.meta;
    meta.size = message.body.len() as u64;
    let inserted = conn
        .prepare_cached(
            "INSERT INTO messages (id, received_at, sender, message_id, size, envelope, meta)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            id,
            to_millis(meta.received_at),
            message.envelope.sender,
            meta.message_id,
            i64::try_from(meta.size).unwrap_or(i64::MAX),
            to_json(&message.envelope),
            to_json(&meta),
        ]);
    match inserted {
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == ErrorCode::ConstraintViolation => {
            return Err(StoreError::Duplicate(message.id));
        }
        other => other?,
    };
    conn.prepare_cached("INSERT INTO bodies (id, data) VALUES (?1, ?2)")?
        .execute(params![id, message.body])?;
    let (state, due_at) = first_state(&meta, now);
    let mut stmt = conn.prepare_cached(
        "INSERT INTO recipients (message, idx, address, domain, spec, state, due_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (idx, recipient) in message.recipients.iter().enumerate() {
        stmt.execute(params![
            id,
            idx as i64,
            recipient.address,
            domain_of(&recipient.address),
            to_json(recipient),
            state,
            due_at,
        ])?;
    }
    add_event(conn, &id, now, None, &EventKind::Received(meta))?;
    if message.recipients.is_empty() {
        refresh_finished(conn, &id, now)?;
    }
    Ok(())
}

pub fn claim(
    conn: &Connection,
    request: &ClaimRequest,
    now: i64,
) -> Result<Vec<Batch>, StoreError> {
    let mut domains = Vec::new();
    let own_lease = request.continuing.as_ref().map_or(0, |c| c.lease_id);
    if let Some(continuing) = &request.continuing {
        if !at_limit(
            conn,
            &continuing.domain,
            request.domain_limit,
            own_lease,
            now,
        )? {
            domains.push(continuing.domain.clone());
        }
    } else {
        let mut stmt = conn.prepare_cached(due::DUE_DOMAINS)?;
        let mut rows = stmt.query(params![now])?;
        while domains.len() < request.max_domains {
            let Some(row) = rows.next()? else { break };
            let domain: String = row.get(0)?;
            if !request
                .skip_domains
                .iter()
                .any(|d| d.eq_ignore_ascii_case(&domain))
                && !at_limit(conn, &domain, request.domain_limit, own_lease, now)?
            {
                domains.push(domain);
            }
        }
    }
    let until = now.saturating_add(i64::try_from(request.lease.as_millis()).unwrap_or(i64::MAX));
    let mut batches = Vec::new();
    for domain in domains {
        let lease = Lease {
            id: fastrand::i64(1..),
            owner: request.owner.clone(),
            until: from_millis(until),
        };
        let messages = claim_domain(conn, &domain, &lease, request.max_messages, now)?;
        if !messages.is_empty() {
            batches.push(Batch {
                domain,
                lease,
                messages,
            });
        }
    }
    Ok(batches)
}

/// Whether `domain` has `limit` current leases or more, not counting
/// `own_lease` (0: none).
fn at_limit(
    conn: &Connection,
    domain: &str,
    limit: Option<usize>,
    own_lease: i64,
    now: i64,
) -> Result<bool, StoreError> {
    let Some(limit) = limit else {
        return Ok(false);
    };
    let leases: i64 = conn
        .prepare_cached(due::LEASES_OF_DOMAIN)?
        .query_row(params![domain, now, own_lease], |row| row.get(0))?;
    Ok(leases >= i64::try_from(limit).unwrap_or(i64::MAX))
}

/// A due recipient as [`claim_domain`] reads it.
struct DueRow {
    idx: i64,
    spec: String,
    state: String,
    attempts: u32,
    trouble: Option<String>,
    owner: Option<String>,
}

fn claim_domain(
    conn: &Connection,
    domain: &str,
    lease: &Lease,
    max_messages: usize,
    now: i64,
) -> Result<Vec<ClaimedMessage>, StoreError> {
    // The domain's due rows in the order they fell due (its index), read
    // until `max_messages` messages are found, each at its earliest row.
    let mut ids: Vec<String> = Vec::new();
    {
        let mut stmt = conn.prepare_cached(due::DUE_ROWS_OF_DOMAIN)?;
        let mut rows = stmt.query(params![domain, now])?;
        let mut seen = HashSet::new();
        while ids.len() < max_messages {
            let Some(row) = rows.next()? else { break };
            let id: String = row.get(0)?;
            if seen.insert(id.clone()) {
                ids.push(id);
            }
        }
    }
    let until = to_millis(lease.until);
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let (envelope, meta): (String, String) = conn
            .prepare_cached("SELECT envelope, meta FROM messages WHERE id = ?1")?
            .query_row(params![id], |row| Ok((row.get(0)?, row.get(1)?)))?;
        let rows: Vec<DueRow> = conn
            .prepare_cached(by_message::DUE_RECIPIENTS)?
            .query_map(params![id, domain, now], |row| {
                Ok(DueRow {
                    idx: row.get(0)?,
                    spec: row.get(1)?,
                    state: row.get(2)?,
                    attempts: row.get(3)?,
                    trouble: row.get(4)?,
                    owner: row.get(5)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let mut recipients = Vec::with_capacity(rows.len());
        for DueRow {
            idx,
            spec,
            state,
            attempts,
            trouble,
            owner,
        } in rows
        {
            conn.prepare_cached(
                "UPDATE recipients SET state = 'in-flight', due_at = ?3, lease_owner = ?4,
                 lease_id = ?5 WHERE message = ?1 AND idx = ?2",
            )?
            .execute(params![id, idx, until, lease.owner, lease.id])?;
            let recipient: smtp::Recipient = from_json("recipient", &spec)?;
            if state == "in-flight" {
                let owner = owner.unwrap_or_default();
                let kind = EventKind::LeaseLapsed { owner };
                add_event(conn, &id, now, Some(&recipient.address), &kind)?;
            }
            recipients.push(ClaimedRecipient {
                recipient,
                attempts,
                last_trouble: trouble
                    .map(|t| from_json::<TroubleRecord>("recipient trouble", &t))
                    .transpose()?,
            });
        }
        out.push(ClaimedMessage {
            id: id.parse().map_err(|_| corrupt_id(&id))?,
            envelope: from_json("envelope", &envelope)?,
            meta: from_json("message metadata", &meta)?,
            recipients,
        });
    }
    Ok(out)
}

fn corrupt_id(id: &str) -> StoreError {
    StoreError::Corrupt {
        what: "queue id",
        source: std::sync::Arc::new(<serde_json::Error as serde::de::Error>::custom(format!(
            "{} is not a queue id",
            smtp::quoted(id)
        ))),
    }
}

/// Checks that every row of `address` in `message` is in flight under
/// `lease` and the lease has not lapsed.
fn lease_holds(
    conn: &Connection,
    id: &str,
    address: &str,
    lease: &Lease,
    now: i64,
) -> Result<bool, StoreError> {
    let rows: Vec<(String, Option<i64>, Option<i64>)> = conn
        .prepare_cached(by_message::LEASE_STATE)?
        .query_map(params![id, address], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?
        .collect::<Result<_, _>>()?;
    Ok(!rows.is_empty()
        && rows.iter().all(|(state, lease_id, due)| {
            state == "in-flight" && *lease_id == Some(lease.id) && due.is_some_and(|d| d > now)
        }))
}

/// Whether any recipient of `message` is in flight under `lease`, unlapsed.
fn lease_covers_message(
    conn: &Connection,
    id: &str,
    lease: &Lease,
    now: i64,
) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM recipients WHERE message = ?1 AND lease_id = ?2
             AND state = 'in-flight' AND due_at > ?3 LIMIT 1",
        )?
        .query_row(params![id, lease.id, now], |_| Ok(()))
        .optional()?
        .is_some())
}

pub fn record(
    conn: &Connection,
    lease: &Lease,
    report: AttemptReport,
    now: i64,
) -> Result<(), StoreError> {
    let id = report.id.to_string();
    for (address, _) in &report.outcomes {
        if !lease_holds(conn, &id, address, lease, now)? {
            return Err(StoreError::LeaseLost(report.id));
        }
    }
    if report.outcomes.is_empty() && !lease_covers_message(conn, &id, lease, now)? {
        return Err(StoreError::LeaseLost(report.id));
    }
    for attempt in report.attempts {
        add_event(conn, &id, now, None, &EventKind::Attempt(Box::new(attempt)))?;
    }
    for (address, outcome) in report.outcomes {
        let (state, due, trouble, event) = match outcome {
            Outcome::Delivered { mx, reply } => {
                ("delivered", None, None, EventKind::Delivered { mx, reply })
            }
            Outcome::Deferred {
                next_attempt,
                trouble,
            } => (
                "deferred",
                Some(to_millis(next_attempt)),
                Some(to_json(&trouble)),
                EventKind::Deferred {
                    trouble,
                    next_attempt,
                },
            ),
            Outcome::Bounced { trouble } => (
                "bounced",
                None,
                Some(to_json(&trouble)),
                EventKind::Bounced { trouble },
            ),
            Outcome::Expired { trouble } => (
                "expired",
                None,
                Some(to_json(&trouble)),
                EventKind::Expired { trouble },
            ),
        };
        conn.prepare_cached(by_message::RECORD_OUTCOME)?
            .execute(params![id, address, state, due, trouble])?;
        add_event(conn, &id, now, Some(&address), &event)?;
    }
    for notice in report.notices {
        let kind = EventKind::NoticeSent {
            kind: notice.kind,
            notice: notice.message.id,
        };
        insert(conn, notice.message, now)?;
        for address in &notice.recipients {
            add_event(conn, &id, now, Some(address), &kind)?;
        }
    }
    refresh_finished(conn, &id, now)
}

pub fn renew(
    conn: &Connection,
    lease: &Lease,
    id: QueueId,
    until: i64,
    now: i64,
) -> Result<Lease, StoreError> {
    let changed = conn
        .prepare_cached(
            "UPDATE recipients SET due_at = ?3 WHERE message = ?1 AND lease_id = ?2
             AND state = 'in-flight' AND due_at > ?4",
        )?
        .execute(params![id.to_string(), lease.id, until, now])?;
    if changed == 0 {
        return Err(StoreError::LeaseLost(id));
    }
    Ok(Lease {
        until: from_millis(until),
        ..lease.clone()
    })
}

/// Sets or clears a message's `finished_at`: set (once) when no recipient
/// is pending, so retention counts from the last recipient's end.
fn refresh_finished(conn: &Connection, id: &str, now: i64) -> Result<(), StoreError> {
    conn.prepare_cached(&format!(
        "UPDATE messages SET finished_at = CASE
            WHEN EXISTS (SELECT 1 FROM recipients WHERE message = ?1 AND state IN {PENDING})
            THEN NULL ELSE COALESCE(finished_at, ?2) END
         WHERE id = ?1"
    ))?
    .execute(params![id, now])?;
    Ok(())
}

pub fn release_lapsed(conn: &Connection, now: i64) -> Result<u64, StoreError> {
    let lapsed: Vec<(String, String, Option<String>)> = conn
        .prepare_cached(due::LAPSED_LEASES)?
        .query_map(params![now], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?
        .collect::<Result<_, _>>()?;
    conn.prepare_cached(due::RELEASE_LAPSED)?
        .execute(params![now])?;
    for (message, address, owner) in &lapsed {
        let kind = EventKind::LeaseLapsed {
            owner: owner.clone().unwrap_or_default(),
        };
        add_event(conn, message, now, Some(address), &kind)?;
    }
    Ok(lapsed.len() as u64)
}

/// The WHERE clause on `recipients` for a selector and its one parameter.
fn selector_clause(selector: &Selector) -> (&'static str, String) {
    match selector {
        Selector::Message(id) => ("message = ?1", id.to_string()),
        Selector::Domain(domain) => (
            "domain = ?1",
            domain.trim_end_matches('.').to_ascii_lowercase(),
        ),
        Selector::All => ("?1 = ?1", String::new()),
    }
}

/// Moves the selected recipients in `from` states with `set` (which may
/// use `?2`, the time now), adding `event` to each one's trace; returns
/// how many moved.
fn transition(
    conn: &Connection,
    selector: &Selector,
    from: &str,
    set: &str,
    event: &EventKind,
    now: i64,
) -> Result<u64, StoreError> {
    let (clause, param) = selector_clause(selector);
    let mut stmt = conn.prepare_cached(&format!(
        "UPDATE recipients SET {set} WHERE {clause} AND state IN {from}
         RETURNING message, address"
    ))?;
    let pair = |row: &rusqlite::Row<'_>| Ok((row.get(0)?, row.get(1)?));
    let moved: Vec<(String, String)> = if stmt.parameter_count() == 2 {
        stmt.query_map(params![param, now], pair)?
            .collect::<Result<_, _>>()?
    } else {
        stmt.query_map(params![param], pair)?
            .collect::<Result<_, _>>()?
    };
    drop(stmt);
    for (message, address) in &moved {
        add_event(conn, message, now, Some(address), event)?;
    }
    Ok(moved.len() as u64)
}

pub fn hold(conn: &Connection, selector: &Selector, now: i64) -> Result<u64, StoreError> {
    transition(
        conn,
        selector,
        "('queued', 'deferred')",
        "state = 'held', due_at = NULL",
        &EventKind::Held,
        now,
    )
}

pub fn quarantine(conn: &Connection, selector: &Selector, now: i64) -> Result<u64, StoreError> {
    transition(
        conn,
        selector,
        "('queued', 'deferred', 'held')",
        "state = 'quarantined', due_at = NULL",
        &EventKind::Quarantined,
        now,
    )
}

pub fn release(conn: &Connection, selector: &Selector, now: i64) -> Result<u64, StoreError> {
    transition(
        conn,
        selector,
        "('held', 'quarantined')",
        "state = CASE WHEN trouble IS NULL THEN 'queued' ELSE 'deferred' END, due_at = ?2",
        &EventKind::Released,
        now,
    )
}

pub fn retry_now(conn: &Connection, selector: &Selector, now: i64) -> Result<u64, StoreError> {
    transition(
        conn,
        selector,
        "('deferred')",
        "due_at = ?2",
        &EventKind::RetryRequested,
        now,
    )
}

pub fn delete(conn: &Connection, selector: &Selector, now: i64) -> Result<u64, StoreError> {
    let deleted = match selector {
        Selector::Message(id) => conn
            .prepare_cached("DELETE FROM messages WHERE id = ?1")?
            .execute(params![id.to_string()])?,
        Selector::All => conn.prepare_cached("DELETE FROM messages")?.execute([])?,
        Selector::Domain(_) => {
            let (clause, param) = selector_clause(selector);
            let touched: Vec<String> = conn
                .prepare_cached(&format!(
                    "DELETE FROM recipients WHERE {clause} RETURNING message"
                ))?
                .query_map(params![param], |row| row.get(0))?
                .collect::<Result<_, _>>()?;
            let touched: BTreeSet<String> = touched.into_iter().collect();
            let mut deleted = 0;
            for message in &touched {
                deleted += conn
                    .prepare_cached(
                        "DELETE FROM messages WHERE id = ?1
                         AND NOT EXISTS (SELECT 1 FROM recipients WHERE message = ?1)",
                    )?
                    .execute(params![message])?;
                refresh_finished(conn, message, now)?;
            }
            deleted
        }
    };
    Ok(deleted as u64)
}

/// Deletes up to `batch` messages finished at or before `before`.
pub fn purge(conn: &Connection, before: i64, batch: i64) -> Result<u64, StoreError> {
    let deleted = conn
        .prepare_cached(
            "DELETE FROM messages WHERE id IN (
               SELECT id FROM messages
               WHERE finished_at IS NOT NULL AND finished_at <= ?1 LIMIT ?2)",
        )?
        .execute(params![before, batch])?;
    Ok(deleted as u64)
}

pub fn add_events(
    conn: &Connection,
    id: QueueId,
    events: &[crate::event::Event],
) -> Result<(), StoreError> {
    let key = id.to_string();
    let exists = conn
        .prepare_cached("SELECT 1 FROM messages WHERE id = ?1")?
        .query_row(params![key], |_| Ok(()))
        .optional()?;
    if exists.is_none() {
        return Err(StoreError::NotFound(id));
    }
    for event in events {
        add_event(
            conn,
            &key,
            to_millis(event.at),
            event.recipient.as_deref(),
            &event.kind,
        )?;
    }
    Ok(())
}
