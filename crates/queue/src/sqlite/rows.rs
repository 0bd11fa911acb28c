//! Turning stored rows back into the queue's types.

use rusqlite::{Connection, Row, params};

use crate::columns::state_from;
pub use crate::columns::{from_json, to_json};
use crate::error::StoreError;
use crate::event::{Event, EventKind};
use crate::state::TroubleRecord;
use crate::time::from_millis;
use crate::view::RecipientView;

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
