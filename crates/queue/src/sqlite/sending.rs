//! Sending limits in SQLite (schema version 6). The writer's transaction
//! is `BEGIN IMMEDIATE`, so checking and counting a message is serialised
//! with every other write, of this process or another on the same file.

use rusqlite::{Connection, OptionalExtension, params};

use super::rows::{add_event, to_json};
use crate::error::StoreError;
use crate::sending::{
    DAY_MINUTES, SendingBlock, SendingCounts, SendingRequest, SendingVerdict, Subject, SubjectKind,
    minute_of,
};
use crate::time::from_millis;

/// Checks the message against every subject's limits; counts it under
/// each subject when it is within them all, else blocks the subject that
/// would go over.
pub fn count(
    conn: &Connection,
    request: &SendingRequest,
    now: i64,
) -> Result<SendingVerdict, StoreError> {
    let minute = minute_of(now);
    for (subject, _) in &request.subjects {
        if let Some(block) = block_of(conn, subject)? {
            return Ok(SendingVerdict::Blocked(block));
        }
    }
    for (subject, limits) in &request.subjects {
        let counts = counts(conn, subject, minute)?;
        if let Some((limit, count, allowed)) = limits.exceeded(&counts, request.recipients) {
            let block = SendingBlock {
                subject: subject.clone(),
                limit,
                allowed,
                count,
                blocked_at: from_millis(now),
            };
            conn.prepare_cached(
                "INSERT INTO sending_blocks (kind, subject, limit_kind, allowed, count, blocked_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                subject.kind.as_str(),
                subject.name,
                limit.as_str(),
                saturating(allowed),
                saturating(count),
                now
            ])?;
            return Ok(SendingVerdict::Blocked(block));
        }
    }
    for (subject, _) in &request.subjects {
        conn.prepare_cached(
            "DELETE FROM sending_counts WHERE kind = ?1 AND subject = ?2 AND minute <= ?3",
        )?
        .execute(params![
            subject.kind.as_str(),
            subject.name,
            minute - DAY_MINUTES
        ])?;
        conn.prepare_cached(
            "INSERT INTO sending_counts (kind, subject, minute, messages, recipients)
             VALUES (?1, ?2, ?3, 1, ?4)
             ON CONFLICT (kind, subject, minute) DO UPDATE SET
               messages = messages + 1, recipients = recipients + excluded.recipients",
        )?
        .execute(params![
            subject.kind.as_str(),
            subject.name,
            minute,
            saturating(request.recipients)
        ])?;
    }
    Ok(SendingVerdict::Within)
}

/// What `subject` has sent in each window ending at `minute`.
pub fn counts(
    conn: &Connection,
    subject: &Subject,
    minute: i64,
) -> Result<SendingCounts, StoreError> {
    let (m, h, d): (i64, i64, i64) = conn
        .prepare_cached(
            "SELECT COALESCE(SUM(CASE WHEN minute = ?3 THEN messages END), 0),
                    COALESCE(SUM(CASE WHEN minute > ?3 - 60 THEN recipients END), 0),
                    COALESCE(SUM(recipients), 0)
             FROM sending_counts WHERE kind = ?1 AND subject = ?2 AND minute > ?3 - ?4",
        )?
        .query_row(
            params![subject.kind.as_str(), subject.name, minute, DAY_MINUTES],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )?;
    let u = |v: i64| u64::try_from(v).unwrap_or(0);
    Ok(SendingCounts {
        messages_this_minute: u(m),
        recipients_last_hour: u(h),
        recipients_last_day: u(d),
    })
}

const BLOCK_COLUMNS: &str = "kind, subject, limit_kind, allowed, count, blocked_at";

fn block_from(row: &rusqlite::Row<'_>) -> Result<SendingBlock, StoreError> {
    let kind: String = row.get(0)?;
    let limit: String = row.get(2)?;
    crate::sending::block_from_columns(
        &kind,
        row.get(1)?,
        &limit,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
    )
}

/// The block of `subject`, if it is blocked.
pub fn block_of(conn: &Connection, subject: &Subject) -> Result<Option<SendingBlock>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {BLOCK_COLUMNS} FROM sending_blocks WHERE kind = ?1 AND subject = ?2"
    ))?
    .query_row(params![subject.kind.as_str(), subject.name], |row| {
        Ok(block_from(row))
    })
    .optional()?
    .transpose()
}

/// Every block, oldest first.
pub fn blocks(conn: &Connection) -> Result<Vec<SendingBlock>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {BLOCK_COLUMNS} FROM sending_blocks ORDER BY blocked_at, kind, subject"
    ))?;
    let rows = stmt.query_map([], |row| Ok(block_from(row)))?;
    let mut out = Vec::new();
    for row in rows {
        out.push(row??);
    }
    Ok(out)
}

/// Lifts the blocks of every subject named `name` and forgets their
/// counts; returns how many blocks were lifted.
pub fn release(conn: &Connection, name: &str) -> Result<u64, StoreError> {
    let mut released = 0;
    for kind in [SubjectKind::User, SubjectKind::Domain] {
        let subject = match kind {
            SubjectKind::User => Subject::user(name),
            SubjectKind::Domain => Subject::domain(name),
        };
        released += conn
            .prepare_cached("DELETE FROM sending_blocks WHERE kind = ?1 AND subject = ?2")?
            .execute(params![kind.as_str(), subject.name])? as u64;
        conn.prepare_cached("DELETE FROM sending_counts WHERE kind = ?1 AND subject = ?2")?
            .execute(params![kind.as_str(), subject.name])?;
    }
    Ok(released)
}

fn saturating(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Keeps the trace of a message refused on arrival: its envelope and
/// arrival, each recipient bounced with `trouble`, then `events`. The
/// message is finished at once, so it is purged with the others.
pub fn trace_refused(
    conn: &Connection,
    message: crate::meta::NewMessage,
    trouble: &crate::state::TroubleRecord,
    events: &[crate::event::EventKind],
    now: i64,
) -> Result<(), StoreError> {
    let id = message.id.to_string();
    let addresses: Vec<String> = message
        .recipients
        .iter()
        .map(|r| r.address.clone())
        .collect();
    super::write::insert(conn, message, now)?;
    conn.prepare_cached(
        "UPDATE recipients SET state = 'bounced', due_at = NULL, trouble = ?2 WHERE message = ?1",
    )?
    .execute(params![id, to_json(trouble)])?;
    for event in events {
        add_event(conn, &id, now, None, event)?;
    }
    for address in &addresses {
        let bounced = crate::event::EventKind::Bounced {
            trouble: trouble.clone(),
        };
        add_event(conn, &id, now, Some(address), &bounced)?;
    }
    conn.prepare_cached("UPDATE messages SET finished_at = ?2 WHERE id = ?1")?
        .execute(params![id, now])?;
    Ok(())
}
