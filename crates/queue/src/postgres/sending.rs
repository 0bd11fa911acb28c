//! Sending limits in PostgreSQL (schema version 5), shared by every node.
//! Checking and counting a message runs in one transaction that first
//! takes a transaction-scoped advisory lock per subject (in one order, so
//! two nodes never wait on each other in a circle): two nodes counting the
//! same user at once take turns, and never both let through the message
//! that crosses a limit.

use super::pool::Conn;
use super::write::{EventRows, add_events, insert};
use crate::columns::to_json;
use crate::error::StoreError;
use crate::event::EventKind;
use crate::meta::NewMessage;
use crate::sending::{
    DAY_MINUTES, SendingBlock, SendingCounts, SendingRequest, SendingVerdict, Subject,
    block_from_columns, minute_of,
};
use crate::state::TroubleRecord;
use crate::time::from_millis;

/// Checks the message against every subject's limits; counts it under
/// each subject when it is within them all, else blocks the subject that
/// would go over.
pub async fn count(
    conn: &mut Conn<'_>,
    request: &SendingRequest,
    now: i64,
) -> Result<SendingVerdict, StoreError> {
    let minute = minute_of(now);
    let mut locks: Vec<&Subject> = request.subjects.iter().map(|(s, _)| s).collect();
    locks.sort();
    locks.dedup();
    for subject in locks {
        conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))",
            &[&subject.kind.as_str(), &subject.name],
        )
        .await?;
    }
    for (subject, _) in &request.subjects {
        if let Some(block) = block_of(conn, subject).await? {
            return Ok(SendingVerdict::Blocked(block));
        }
    }
    for (subject, limits) in &request.subjects {
        let counts = counts(conn, subject, minute).await?;
        if let Some((limit, count, allowed)) = limits.exceeded(&counts, request.recipients) {
            conn.execute(
                "INSERT INTO sending_blocks (kind, subject, limit_kind, allowed, count, blocked_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &subject.kind.as_str(),
                    &subject.name,
                    &limit.as_str(),
                    &saturating(allowed),
                    &saturating(count),
                    &now,
                ],
            )
            .await?;
            return Ok(SendingVerdict::Blocked(SendingBlock {
                subject: subject.clone(),
                limit,
                allowed,
                count,
                blocked_at: from_millis(now),
            }));
        }
    }
    for (subject, _) in &request.subjects {
        conn.execute(
            "DELETE FROM sending_counts WHERE kind = $1 AND subject = $2 AND minute <= $3",
            &[
                &subject.kind.as_str(),
                &subject.name,
                &(minute - DAY_MINUTES),
            ],
        )
        .await?;
        conn.execute(
            "INSERT INTO sending_counts (kind, subject, minute, messages, recipients)
             VALUES ($1, $2, $3, 1, $4)
             ON CONFLICT (kind, subject, minute) DO UPDATE SET
               messages = sending_counts.messages + 1,
               recipients = sending_counts.recipients + excluded.recipients",
            &[
                &subject.kind.as_str(),
                &subject.name,
                &minute,
                &saturating(request.recipients),
            ],
        )
        .await?;
    }
    Ok(SendingVerdict::Within)
}

/// What `subject` has sent in each window ending at `minute`.
pub async fn counts(
    conn: &mut Conn<'_>,
    subject: &Subject,
    minute: i64,
) -> Result<SendingCounts, StoreError> {
    let row = conn
        .query_one(
            "SELECT COALESCE(SUM(CASE WHEN minute = $3 THEN messages END), 0)::BIGINT,
                    COALESCE(SUM(CASE WHEN minute > $3 - 60 THEN recipients END), 0)::BIGINT,
                    COALESCE(SUM(recipients), 0)::BIGINT
             FROM sending_counts WHERE kind = $1 AND subject = $2 AND minute > $3 - $4",
            &[&subject.kind.as_str(), &subject.name, &minute, &DAY_MINUTES],
        )
        .await?;
    let u = |v: i64| u64::try_from(v).unwrap_or(0);
    Ok(SendingCounts {
        messages_this_minute: u(row.try_get(0)?),
        recipients_last_hour: u(row.try_get(1)?),
        recipients_last_day: u(row.try_get(2)?),
    })
}

const BLOCK_COLUMNS: &str = "kind, subject, limit_kind, allowed, count, blocked_at";

fn block_from(row: &tokio_postgres::Row) -> Result<SendingBlock, StoreError> {
    let kind: String = row.try_get(0)?;
    let limit: String = row.try_get(2)?;
    block_from_columns(
        &kind,
        row.try_get(1)?,
        &limit,
        row.try_get(3)?,
        row.try_get(4)?,
        row.try_get(5)?,
    )
}

/// The block of `subject`, if it is blocked.
pub async fn block_of(
    conn: &mut Conn<'_>,
    subject: &Subject,
) -> Result<Option<SendingBlock>, StoreError> {
    let sql =
        format!("SELECT {BLOCK_COLUMNS} FROM sending_blocks WHERE kind = $1 AND subject = $2");
    conn.query_opt(&sql, &[&subject.kind.as_str(), &subject.name])
        .await?
        .as_ref()
        .map(block_from)
        .transpose()
}

/// Every block, oldest first.
pub async fn blocks(conn: &mut Conn<'_>) -> Result<Vec<SendingBlock>, StoreError> {
    let sql =
        format!("SELECT {BLOCK_COLUMNS} FROM sending_blocks ORDER BY blocked_at, kind, subject");
    conn.query(&sql, &[])
        .await?
        .iter()
        .map(block_from)
        .collect()
}

/// Lifts the blocks of every subject named `name` and forgets their
/// counts; returns how many blocks were lifted.
pub async fn release(conn: &mut Conn<'_>, name: &str) -> Result<u64, StoreError> {
    let mut released = 0;
    for subject in [Subject::user(name), Subject::domain(name)] {
        let kind = subject.kind.as_str();
        released += conn
            .execute(
                "DELETE FROM sending_blocks WHERE kind = $1 AND subject = $2",
                &[&kind, &subject.name],
            )
            .await?;
        conn.execute(
            "DELETE FROM sending_counts WHERE kind = $1 AND subject = $2",
            &[&kind, &subject.name],
        )
        .await?;
    }
    Ok(released)
}

/// Keeps the trace of a message refused on arrival: its envelope and
/// arrival, each recipient bounced with `trouble`, then `events`; finished
/// at once.
pub async fn trace_refused(
    conn: &mut Conn<'_>,
    message: NewMessage,
    trouble: &TroubleRecord,
    events: &[EventKind],
    now: i64,
) -> Result<(), StoreError> {
    let id = message.id.to_string();
    let addresses: Vec<String> = message
        .recipients
        .iter()
        .map(|r| r.address.clone())
        .collect();
    insert(conn, message, now).await?;
    conn.execute(
        "UPDATE recipients SET state = 'bounced', due_at = NULL, trouble = $2 WHERE message = $1",
        &[&id, &to_json(trouble)],
    )
    .await?;
    let mut rows = EventRows::default();
    for event in events {
        rows.push(&id, now, None, event);
    }
    for address in &addresses {
        let bounced = EventKind::Bounced {
            trouble: trouble.clone(),
        };
        rows.push(&id, now, Some(address), &bounced);
    }
    add_events(conn, rows).await?;
    conn.execute(
        "UPDATE messages SET finished_at = $2 WHERE id = $1",
        &[&id, &now],
    )
    .await?;
    Ok(())
}

fn saturating(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}
