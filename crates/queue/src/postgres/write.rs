//! The writing operations, each inside one transaction begun by the
//! caller (`mod.rs`), which commits it before answering — except an
//! insert that is one statement, committed on its own. `now` is the
//! store clock's reading.

use std::collections::BTreeSet;

use super::pool::Conn;
use crate::columns::{first_state, to_json};
use crate::envelope::domain_of;
use crate::error::StoreError;
use crate::event::{Event, EventKind};
use crate::id::QueueId;
use crate::meta::NewMessage;
use crate::store::{AttemptReport, Lease, Outcome, Selector};
use crate::time::{from_millis, to_millis};

/// States in which a recipient still needs something done.
const PENDING: &str = "('queued', 'in-flight', 'deferred', 'held', 'quarantined')";

/// Trace events gathered to be written by one statement.
#[derive(Default)]
pub struct EventRows {
    messages: Vec<String>,
    at: Vec<i64>,
    recipients: Vec<Option<String>>,
    events: Vec<String>,
}

impl EventRows {
    /// Adds one event of `message`'s trace.
    pub fn push(&mut self, message: &str, at: i64, recipient: Option<&str>, kind: &EventKind) {
        self.messages.push(message.to_owned());
        self.at.push(at);
        self.recipients.push(recipient.map(str::to_owned));
        self.events.push(to_json(kind));
    }
}

/// Appends the events, in order.
pub async fn add_events(conn: &mut Conn<'_>, rows: EventRows) -> Result<(), StoreError> {
    if rows.messages.is_empty() {
        return Ok(());
    }
    conn.execute(
        "INSERT INTO events (message, at, recipient, event)
         SELECT * FROM unnest($1::text[], $2::int8[], $3::text[], $4::text[])",
        &[&rows.messages, &rows.at, &rows.recipients, &rows.events],
    )
    .await?;
    Ok(())
}

/// Stores a message, its body, recipients and `Received` event with one
/// statement: one round trip, and on its own (outside a transaction) one
/// commit. A message without recipients is finished at once, which takes
/// a second statement: [`insert_needs_transaction`] says when.
pub async fn insert(conn: &mut Conn<'_>, message: NewMessage, now: i64) -> Result<(), StoreError> {
    let id = message.id.to_string();
    let mut meta = message.meta;
    meta.size = message.body.len() as u64;
    let indexes: Vec<i32> = (0..message.recipients.len())
        .map(|i| i32::try_from(i).unwrap_or(i32::MAX))
        .collect();
    let addresses: Vec<&str> = message
        .recipients
        .iter()
        .map(|r| r.address.as_str())
        .collect();
    let domains: Vec<String> = message
        .recipients
        .iter()
        .map(|r| domain_of(&r.address))
        .collect();
    let specs: Vec<String> = message.recipients.iter().map(to_json).collect();
    let received = to_json(&EventKind::Received(meta.clone()));
    let (state, due_at) = first_state(&meta, now);
    // The rows of the other tables hang off the `RETURNING` of the
    // message's: a duplicate id inserts nothing at all. Foreign keys are
    // checked at the end of the statement, when the message row exists.
    let inserted: i64 = conn
        .query_one(
            "WITH m AS (
                 INSERT INTO messages (id, received_at, sender, message_id, size, envelope, meta)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING
                 RETURNING id),
             b AS (INSERT INTO bodies (id, data) SELECT id, $8 FROM m),
             r AS (INSERT INTO recipients (message, idx, address, domain, spec, state, due_at)
                 SELECT m.id, u.idx, u.address, u.domain, u.spec, $15::text, $16::int8
                 FROM m, unnest($9::int4[], $10::text[], $11::text[], $12::text[])
                     AS u(idx, address, domain, spec)),
             e AS (INSERT INTO events (message, at, recipient, event)
                 SELECT id, $13, NULL, $14 FROM m)
             SELECT COUNT(*) FROM m",
            &[
                &id,
                &to_millis(meta.received_at),
                &message.envelope.sender,
                &meta.message_id,
                &i64::try_from(meta.size).unwrap_or(i64::MAX),
                &to_json(&message.envelope),
                &to_json(&meta),
                &message.body,
                &indexes,
                &addresses,
                &domains,
                &specs,
                &now,
                &received,
                &state,
                &due_at,
            ],
        )
        .await?
        .try_get(0)?;
    if inserted == 0 {
        return Err(StoreError::Duplicate(message.id));
    }
    if message.recipients.is_empty() {
        refresh_finished(conn, &id, now).await?;
    }
    Ok(())
}

/// Whether [`insert`] of `message` runs more than one statement, and so
/// must run inside a transaction.
pub fn insert_needs_transaction(message: &NewMessage) -> bool {
    message.recipients.is_empty()
}

/// The outcome as stored: state, due time, trouble and trace event.
fn stored(outcome: Outcome) -> (&'static str, Option<i64>, Option<String>, EventKind) {
    match outcome {
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
    }
}

pub async fn record(
    conn: &mut Conn<'_>,
    lease: &Lease,
    report: AttemptReport,
    now: i64,
) -> Result<(), StoreError> {
    let id = report.id.to_string();
    // Locking the message's recipients makes a concurrent claim on another
    // node skip them, or this check wait for that claim's commit and see
    // its lease.
    let rows: Vec<(String, bool)> = conn
        .query(
            "SELECT address, state = 'in-flight' AND lease_id = $2 AND due_at > $3
             FROM recipients WHERE message = $1 FOR UPDATE",
            &[&id, &lease.id, &now],
        )
        .await?
        .iter()
        .map(|row| {
            Ok((
                row.try_get(0)?,
                row.try_get::<_, Option<bool>>(1)?.unwrap_or(false),
            ))
        })
        .collect::<Result<_, StoreError>>()?;
    let holds = |address: &str| {
        let mut of_address = rows.iter().filter(|(a, _)| a == address).peekable();
        of_address.peek().is_some() && of_address.all(|(_, mine)| *mine)
    };
    if report.outcomes.iter().any(|(address, _)| !holds(address))
        || (report.outcomes.is_empty() && !rows.iter().any(|(_, mine)| *mine))
    {
        return Err(StoreError::LeaseLost(report.id));
    }
    let mut events = EventRows::default();
    for attempt in report.attempts {
        events.push(&id, now, None, &EventKind::Attempt(Box::new(attempt)));
    }
    for (address, outcome) in report.outcomes {
        let (state, due, trouble, event) = stored(outcome);
        conn.execute(
            "UPDATE recipients SET state = $3, due_at = $4, trouble = COALESCE($5, trouble),
             attempts = attempts + 1, lease_owner = NULL, lease_id = NULL
             WHERE message = $1 AND address = $2",
            &[&id, &address, &state, &due, &trouble],
        )
        .await?;
        events.push(&id, now, Some(&address), &event);
    }
    let mut notices = Vec::new();
    for notice in report.notices {
        let kind = EventKind::NoticeSent {
            kind: notice.kind,
            notice: notice.message.id,
        };
        for address in &notice.recipients {
            events.push(&id, now, Some(address), &kind);
        }
        notices.push(notice.message);
    }
    add_events(conn, events).await?;
    for notice in notices {
        Box::pin(insert(conn, notice, now)).await?;
    }
    refresh_finished(conn, &id, now).await
}

pub async fn renew(
    conn: &mut Conn<'_>,
    lease: &Lease,
    id: QueueId,
    until: i64,
    now: i64,
) -> Result<Lease, StoreError> {
    let changed = conn
        .execute(
            "UPDATE recipients SET due_at = $3 WHERE message = $1 AND lease_id = $2
             AND state = 'in-flight' AND due_at > $4",
            &[&id.to_string(), &lease.id, &until, &now],
        )
        .await?;
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
async fn refresh_finished(conn: &mut Conn<'_>, id: &str, now: i64) -> Result<(), StoreError> {
    conn.execute(
        &format!(
            "UPDATE messages SET finished_at = CASE
                WHEN EXISTS (SELECT 1 FROM recipients WHERE message = $1 AND state IN {PENDING})
                THEN NULL ELSE COALESCE(finished_at, $2) END
             WHERE id = $1"
        ),
        &[&id, &now],
    )
    .await?;
    Ok(())
}

pub async fn release_lapsed(conn: &mut Conn<'_>, now: i64) -> Result<u64, StoreError> {
    let lapsed = conn
        .query(
            "UPDATE recipients r SET
                state = CASE WHEN r.trouble IS NULL THEN 'queued' ELSE 'deferred' END,
                lease_owner = NULL, lease_id = NULL
             FROM (SELECT message, idx, lease_owner FROM recipients
                   WHERE state = 'in-flight' AND due_at <= $1
                   FOR UPDATE SKIP LOCKED) old
             WHERE r.message = old.message AND r.idx = old.idx
             RETURNING r.message, r.address, old.lease_owner",
            &[&now],
        )
        .await?;
    let mut events = EventRows::default();
    for row in &lapsed {
        let message: String = row.try_get(0)?;
        let address: String = row.try_get(1)?;
        let owner: Option<String> = row.try_get(2)?;
        let kind = EventKind::LeaseLapsed {
            owner: owner.unwrap_or_default(),
        };
        events.push(&message, now, Some(&address), &kind);
    }
    add_events(conn, events).await?;
    Ok(lapsed.len() as u64)
}

/// The WHERE clause on `recipients` for a selector and its one parameter.
fn selector_clause(selector: &Selector) -> (&'static str, String) {
    match selector {
        Selector::Message(id) => ("message = $1", id.to_string()),
        Selector::Domain(domain) => (
            "domain = $1",
            domain.trim_end_matches('.').to_ascii_lowercase(),
        ),
        Selector::All => ("$1::text = $1::text", String::new()),
    }
}

/// Moves the selected recipients in `from` states with `set` (which uses
/// `$2`, the time now, or not at all), adding `event` to each one's trace;
/// returns how many moved.
async fn transition(
    conn: &mut Conn<'_>,
    selector: &Selector,
    from: &str,
    set: &str,
    event: &EventKind,
    now: i64,
) -> Result<u64, StoreError> {
    let (clause, param) = selector_clause(selector);
    let sql = format!(
        "UPDATE recipients SET {set} WHERE {clause} AND state IN {from}
         RETURNING message, address"
    );
    let moved = if set.contains("$2") {
        conn.query(&sql, &[&param, &now]).await?
    } else {
        conn.query(&sql, &[&param]).await?
    };
    let mut events = EventRows::default();
    for row in &moved {
        let message: String = row.try_get(0)?;
        let address: String = row.try_get(1)?;
        events.push(&message, now, Some(&address), event);
    }
    add_events(conn, events).await?;
    Ok(moved.len() as u64)
}

pub async fn hold(conn: &mut Conn<'_>, selector: &Selector, now: i64) -> Result<u64, StoreError> {
    transition(
        conn,
        selector,
        "('queued', 'deferred')",
        "state = 'held', due_at = NULL",
        &EventKind::Held,
        now,
    )
    .await
}

pub async fn quarantine(
    conn: &mut Conn<'_>,
    selector: &Selector,
    now: i64,
) -> Result<u64, StoreError> {
    transition(
        conn,
        selector,
        "('queued', 'deferred', 'held')",
        "state = 'quarantined', due_at = NULL",
        &EventKind::Quarantined,
        now,
    )
    .await
}

pub async fn release(
    conn: &mut Conn<'_>,
    selector: &Selector,
    now: i64,
) -> Result<u64, StoreError> {
    transition(
        conn,
        selector,
        "('held', 'quarantined')",
        "state = CASE WHEN trouble IS NULL THEN 'queued' ELSE 'deferred' END, due_at = $2",
        &EventKind::Released,
        now,
    )
    .await
}

pub async fn retry_now(
    conn: &mut Conn<'_>,
    selector: &Selector,
    now: i64,
) -> Result<u64, StoreError> {
    transition(
        conn,
        selector,
        "('deferred')",
        "due_at = $2",
        &EventKind::RetryRequested,
        now,
    )
    .await
}

pub async fn delete(conn: &mut Conn<'_>, selector: &Selector, now: i64) -> Result<u64, StoreError> {
    let deleted = match selector {
        Selector::Message(id) => {
            conn.execute("DELETE FROM messages WHERE id = $1", &[&id.to_string()])
                .await?
        }
        Selector::All => conn.execute("DELETE FROM messages", &[]).await?,
        Selector::Domain(_) => {
            let (clause, param) = selector_clause(selector);
            let touched: BTreeSet<String> = conn
                .query(
                    &format!("DELETE FROM recipients WHERE {clause} RETURNING message"),
                    &[&param],
                )
                .await?
                .iter()
                .map(|row| row.try_get(0))
                .collect::<Result<_, _>>()?;
            let mut deleted = 0;
            for message in &touched {
                deleted += conn
                    .execute(
                        "DELETE FROM messages WHERE id = $1
                         AND NOT EXISTS (SELECT 1 FROM recipients WHERE message = $1)",
                        &[message],
                    )
                    .await?;
                refresh_finished(conn, message, now).await?;
            }
            deleted
        }
    };
    Ok(deleted)
}

/// Deletes up to `batch` messages finished at or before `before`.
pub async fn purge(conn: &mut Conn<'_>, before: i64, batch: i64) -> Result<u64, StoreError> {
    conn.execute(
        "DELETE FROM messages WHERE id IN (
           SELECT id FROM messages
           WHERE finished_at IS NOT NULL AND finished_at <= $1 LIMIT $2)",
        &[&before, &batch],
    )
    .await
}

pub async fn add_trace_events(
    conn: &mut Conn<'_>,
    id: QueueId,
    events: &[Event],
) -> Result<(), StoreError> {
    let key = id.to_string();
    if conn
        .query_opt("SELECT 1 FROM messages WHERE id = $1", &[&key])
        .await?
        .is_none()
    {
        return Err(StoreError::NotFound(id));
    }
    let mut rows = EventRows::default();
    for event in events {
        rows.push(
            &key,
            to_millis(event.at),
            event.recipient.as_deref(),
            &event.kind,
        );
    }
    add_events(conn, rows).await
}
