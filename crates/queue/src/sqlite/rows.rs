//! Turning stored rows back into the queue's types.

use std::sync::Arc;

use rusqlite::{Connection, Row, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::StoreError;
use crate::event::{Event, EventKind};
use crate::state::{RecipientState, TroubleRecord};
use crate::time::from_millis;
use crate::view::RecipientView;

/// JSON for a column. The queue's types are plain structs and enums with
/// string keys, which serde_json always encodes.
pub fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("queue types have string keys and encode as JSON")
}

/// A column's JSON read back.
pub fn from_json<T: DeserializeOwned>(what: &'static str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|source| StoreError::Corrupt {
        what,
        source: Arc::new(source),
    })
}

/// The columns [`recipient_view`] reads, in order.
pub const RECIPIENT_COLUMNS: &str = "spec, domain, state, due_at, lease_owner, attempts, trouble";

/// A recipient from a row selected with [`RECIPIENT_COLUMNS`] first.
pub fn recipient_view(row: &Row<'_>) -> Result<RecipientView, StoreError> {
    let spec: String = row.get(0)?;
    let state: String = row.get(2)?;
    let trouble: Option<String> = row.get(6)?;
    let last_trouble = trouble
        .map(|t| from_json::<TroubleRecord>("recipient trouble", &t))
        .transpose()?;
    let state = state_from(&state, row.get(3)?, row.get(4)?, last_trouble.clone())?;
    Ok(RecipientView {
        recipient: from_json("recipient", &spec)?,
        domain: row.get(1)?,
        state,
        attempts: row.get(5)?,
        last_trouble,
    })
}

fn state_from(
    name: &str,
    due_at: Option<i64>,
    owner: Option<String>,
    trouble: Option<TroubleRecord>,
) -> Result<RecipientState, StoreError> {
    let unknown = || StoreError::Corrupt {
        what: "recipient state",
        source: Arc::new(<serde_json::Error as serde::de::Error>::custom(format!(
            "state {name:?} with due time {due_at:?}"
        ))),
    };
    Ok(match name {
        "queued" => RecipientState::Queued,
        "in-flight" => RecipientState::InFlight {
            lease_until: from_millis(due_at.ok_or_else(unknown)?),
            owner: owner.unwrap_or_default(),
        },
        "deferred" => RecipientState::Deferred {
            next_attempt: from_millis(due_at.ok_or_else(unknown)?),
            trouble: trouble.ok_or_else(unknown)?,
        },
        "delivered" => RecipientState::Delivered,
        "bounced" => RecipientState::Bounced,
        "expired" => RecipientState::Expired,
        "held" => RecipientState::Held,
        "quarantined" => RecipientState::Quarantined,
        _ => return Err(unknown()),
    })
}

/// Appends one event to a message's trace.
pub fn add_event(
    conn: &Connection,
    message: &str,
    at: i64,
    recipient: Option<&str>,
    kind: &EventKind,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO events (message, at, recipient, event) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![message, at, recipient, to_json(kind)])?;
    Ok(())
}

/// A message's trace, oldest first.
pub fn events(conn: &Connection, message: &str) -> Result<Vec<Event>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT at, recipient, event FROM events WHERE message = ?1 ORDER BY seq",
    )?;
    let rows = stmt.query_map(params![message], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, Option<String>>(1)?,
            row.get::<_, String>(2)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (at, recipient, kind) = row?;
        out.push(Event {
            at: from_millis(at),
            recipient,
            kind: from_json("event", &kind)?,
        });
    }
    Ok(out)
}
