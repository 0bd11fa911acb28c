//! The reading operations, on a reader connection: they see the last
//! committed state and never wait for the writer (WAL).

use rusqlite::{Connection, OptionalExtension, params};

use super::rows::{RECIPIENT_COLUMNS, events, from_json, recipient_view};
use crate::error::StoreError;
use crate::hourly::{CountedEvent, HourlyCount};
use crate::id::QueueId;
use crate::time::from_millis;
use crate::view::{
    CauseCount, DomainCount, MessageDetail, MessageSummary, QueueSummary, RecipientView,
};

pub fn body(conn: &Connection, id: QueueId) -> Result<Vec<u8>, StoreError> {
    conn.prepare_cached("SELECT data FROM bodies WHERE id = ?1")?
        .query_row(params![id.to_string()], |row| row.get(0))
        .optional()?
        .ok_or(StoreError::NotFound(id))
}

pub fn next_due(conn: &Connection) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT MIN(due_at) FROM recipients WHERE due_at IS NOT NULL")?
        .query_row([], |row| row.get(0))?)
}

fn recipients(conn: &Connection, id: &str) -> Result<Vec<RecipientView>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {RECIPIENT_COLUMNS} FROM recipients WHERE message = ?1 ORDER BY idx"
    ))?;
    let mut rows = stmt.query(params![id])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(recipient_view(row)?);
    }
    Ok(out)
}

pub fn summary(conn: &Connection) -> Result<QueueSummary, StoreError> {
    let by_domain = conn
        .prepare_cached(
            "SELECT r.domain,
                SUM(r.state = 'queued'), SUM(r.state = 'in-flight'), SUM(r.state = 'deferred'),
                SUM(r.state IN ('held', 'quarantined')), MIN(m.received_at)
             FROM recipients r JOIN messages m ON m.id = r.message
             WHERE r.state IN ('queued', 'in-flight', 'deferred', 'held', 'quarantined')
             GROUP BY r.domain ORDER BY COUNT(*) DESC, r.domain",
        )?
        .query_map([], |row| {
            Ok(DomainCount {
                domain: row.get(0)?,
                queued: row.get(1)?,
                in_flight: row.get(2)?,
                deferred: row.get(3)?,
                held: row.get(4)?,
                oldest: row.get::<_, Option<i64>>(5)?.map(from_millis),
            })
        })?
        .collect::<Result<_, _>>()?;
    let causes: Vec<(String, String, u64)> = conn
        .prepare_cached(
            "SELECT json_extract(trouble, '$.cause'), json_extract(trouble, '$.code'), COUNT(*)
             FROM recipients WHERE state = 'deferred' AND trouble IS NOT NULL
             GROUP BY 1, 2 ORDER BY 3 DESC, 1",
        )?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut by_cause = Vec::with_capacity(causes.len());
    for (cause, code, recipients) in causes {
        by_cause.push(CauseCount {
            cause,
            code: from_json("trouble code", &serde_json::Value::String(code).to_string())?,
            recipients,
        });
    }
    Ok(QueueSummary {
        by_domain,
        by_cause,
    })
}

pub fn list(conn: &Connection, limit: usize) -> Result<Vec<MessageSummary>, StoreError> {
    type Row = (String, i64, String, u64, Option<String>, String);
    let rows: Vec<Row> = conn
        .prepare_cached(
            "SELECT id, received_at, sender, size, message_id,
                    COALESCE(json_extract(meta, '$.outbound_pool'), json_extract(meta, '$.pool'), 'normal')
             FROM messages WHERE finished_at IS NULL ORDER BY id LIMIT ?1",
        )?
        .query_map(params![i64::try_from(limit).unwrap_or(i64::MAX)], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, received_at, sender, size, message_id, pool) in rows {
        out.push(MessageSummary {
            recipients: recipients(conn, &id)?,
            id: parse_id(&id)?,
            received_at: from_millis(received_at),
            sender,
            size,
            message_id,
            pool,
        });
    }
    Ok(out)
}

fn parse_id(id: &str) -> Result<QueueId, StoreError> {
    from_json(
        "queue id",
        &serde_json::Value::String(id.to_owned()).to_string(),
    )
}

pub fn show(conn: &Connection, id: QueueId) -> Result<Option<MessageDetail>, StoreError> {
    let key = id.to_string();
    let Some((envelope, meta)) = conn
        .prepare_cached("SELECT envelope, meta FROM messages WHERE id = ?1")?
        .query_row(params![key], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })
        .optional()?
    else {
        return Ok(None);
    };
    Ok(Some(MessageDetail {
        id,
        envelope: from_json("envelope", &envelope)?,
        meta: from_json("message metadata", &meta)?,
        recipients: recipients(conn, &key)?,
        events: events(conn, &key)?,
    }))
}

pub fn trace(conn: &Connection, key: &str) -> Result<Vec<MessageDetail>, StoreError> {
    let as_id = key
        .parse::<QueueId>()
        .map(|id| id.to_string())
        .unwrap_or_default();
    let bare = key.trim_start_matches('<').trim_end_matches('>');
    let bracketed = format!("<{bare}>");
    let ids: Vec<String> = conn
        .prepare_cached(
            "SELECT id FROM messages WHERE id = ?1 OR message_id = ?2 OR message_id = ?3 OR message_id = ?4
             UNION SELECT message FROM recipients WHERE address = ?3 COLLATE NOCASE
             ORDER BY 1",
        )?
        .query_map(params![as_id, bracketed, key, bare], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(detail) = show(conn, parse_id(&id)?)? {
            out.push(detail);
        }
    }
    Ok(out)
}

pub fn trace_sender(
    conn: &Connection,
    sender: &str,
    since: Option<i64>,
    until: Option<i64>,
    limit: usize,
) -> Result<Vec<MessageDetail>, StoreError> {
    let mut ids: Vec<String> = conn
        .prepare_cached(
            "SELECT id FROM messages
             WHERE lower(sender) = lower(?1) AND received_at >= ?2 AND received_at <= ?3
             ORDER BY received_at DESC, id DESC LIMIT ?4",
        )?
        .query_map(
            params![
                sender,
                since.unwrap_or(i64::MIN),
                until.unwrap_or(i64::MAX),
                i64::try_from(limit).unwrap_or(i64::MAX)
            ],
            |row| row.get(0),
        )?
        .collect::<Result<_, _>>()?;
    ids.reverse();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(detail) = show(conn, parse_id(&id)?)? {
            out.push(detail);
        }
    }
    Ok(out)
}

pub fn hourly_counts(
    conn: &Connection,
    from: i64,
    until: i64,
) -> Result<Vec<HourlyCount>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT message, at, recipient, event FROM events
         WHERE at >= ?1 AND at < ?2
           AND json_extract(event, '$.event') IN ('attempt', 'delivered')
         ORDER BY message, seq",
    )?;
    let rows = stmt.query_map(params![from, until], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, i64>(1)?,
            row.get::<_, Option<String>>(2)?,
            row.get::<_, String>(3)?,
        ))
    })?;
    let mut events = Vec::new();
    for row in rows {
        let (message, at, recipient, kind) = row?;
        events.push(CountedEvent {
            message,
            at,
            recipient,
            kind: from_json("event", &kind)?,
        });
    }
    Ok(crate::hourly::tally(from, until, events))
}
