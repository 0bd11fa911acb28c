//! The reading operations: each statement sees what was committed when it
//! began, every node's work included.

use tokio_postgres::Row;

use super::pool::Conn;
use crate::columns::{from_json, parse_id, state_from};
use crate::error::StoreError;
use crate::event::Event;
use crate::hourly::{CountedEvent, HourlyCount};
use crate::id::QueueId;
use crate::state::TroubleRecord;
use crate::time::from_millis;
use crate::view::{
    CauseCount, DomainCount, MessageDetail, MessageSummary, QueueSummary, RecipientView,
};

pub async fn body(conn: &mut Conn<'_>, id: QueueId) -> Result<Vec<u8>, StoreError> {
    conn.query_opt("SELECT data FROM bodies WHERE id = $1", &[&id.to_string()])
        .await?
        .map(|row| row.try_get(0))
        .transpose()?
        .ok_or(StoreError::NotFound(id))
}

pub async fn next_due(conn: &mut Conn<'_>) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .query_one(
            "SELECT MIN(due_at) FROM recipients WHERE due_at IS NOT NULL",
            &[],
        )
        .await?
        .try_get(0)?)
}

fn count(row: &Row, index: usize) -> Result<u64, StoreError> {
    Ok(u64::try_from(row.try_get::<_, i64>(index)?).unwrap_or(0))
}

fn recipient_view(row: &Row) -> Result<RecipientView, StoreError> {
    let spec: String = row.try_get(0)?;
    let state: String = row.try_get(2)?;
    let trouble: Option<String> = row.try_get(6)?;
    let last_trouble = trouble
        .map(|t| from_json::<TroubleRecord>("recipient trouble", &t))
        .transpose()?;
    let state = state_from(
        &state,
        row.try_get(3)?,
        row.try_get(4)?,
        last_trouble.clone(),
    )?;
    Ok(RecipientView {
        recipient: from_json("recipient", &spec)?,
        domain: row.try_get(1)?,
        state,
        attempts: u32::try_from(row.try_get::<_, i32>(5)?).unwrap_or(0),
        last_trouble,
    })
}

async fn recipients(conn: &mut Conn<'_>, id: &str) -> Result<Vec<RecipientView>, StoreError> {
    conn.query(
        "SELECT spec, domain, state, due_at, lease_owner, attempts, trouble
         FROM recipients WHERE message = $1 ORDER BY idx",
        &[&id],
    )
    .await?
    .iter()
    .map(recipient_view)
    .collect()
}

async fn events(conn: &mut Conn<'_>, id: &str) -> Result<Vec<Event>, StoreError> {
    let mut out = Vec::new();
    for row in conn
        .query(
            "SELECT at, recipient, event FROM events WHERE message = $1 ORDER BY seq",
            &[&id],
        )
        .await?
    {
        let kind: String = row.try_get(2)?;
        out.push(Event {
            at: from_millis(row.try_get(0)?),
            recipient: row.try_get(1)?,
            kind: from_json("event", &kind)?,
        });
    }
    Ok(out)
}

pub async fn summary(conn: &mut Conn<'_>) -> Result<QueueSummary, StoreError> {
    let mut by_domain = Vec::new();
    for row in conn
        .query(
            "SELECT r.domain,
                COUNT(*) FILTER (WHERE r.state = 'queued'),
                COUNT(*) FILTER (WHERE r.state = 'in-flight'),
                COUNT(*) FILTER (WHERE r.state = 'deferred'),
                COUNT(*) FILTER (WHERE r.state IN ('held', 'quarantined')),
                MIN(m.received_at)
             FROM recipients r JOIN messages m ON m.id = r.message
             WHERE r.state IN ('queued', 'in-flight', 'deferred', 'held', 'quarantined')
             GROUP BY r.domain ORDER BY COUNT(*) DESC, r.domain",
            &[],
        )
        .await?
    {
        by_domain.push(DomainCount {
            domain: row.try_get(0)?,
            queued: count(&row, 1)?,
            in_flight: count(&row, 2)?,
            deferred: count(&row, 3)?,
            held: count(&row, 4)?,
            oldest: row.try_get::<_, Option<i64>>(5)?.map(from_millis),
        });
    }
    let mut by_cause = Vec::new();
    for row in conn
        .query(
            "SELECT trouble::jsonb ->> 'cause', trouble::jsonb ->> 'code', COUNT(*)
             FROM recipients WHERE state = 'deferred' AND trouble IS NOT NULL
             GROUP BY 1, 2 ORDER BY 3 DESC, 1",
            &[],
        )
        .await?
    {
        let code: String = row.try_get(1)?;
        by_cause.push(CauseCount {
            cause: row.try_get(0)?,
            code: from_json("trouble code", &serde_json::Value::String(code).to_string())?,
            recipients: count(&row, 2)?,
        });
    }
    Ok(QueueSummary {
        by_domain,
        by_cause,
    })
}

pub async fn list(conn: &mut Conn<'_>, limit: usize) -> Result<Vec<MessageSummary>, StoreError> {
    let rows = conn
        .query(
            "SELECT id, received_at, sender, size, message_id,
                    COALESCE(meta::jsonb ->> 'outbound_pool', meta::jsonb ->> 'pool', 'normal')
             FROM messages WHERE finished_at IS NULL ORDER BY id LIMIT $1",
            &[&i64::try_from(limit).unwrap_or(i64::MAX)],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let id: String = row.try_get(0)?;
        out.push(MessageSummary {
            recipients: recipients(conn, &id).await?,
            id: parse_id(&id)?,
            received_at: from_millis(row.try_get(1)?),
            sender: row.try_get(2)?,
            size: count(&row, 3)?,
            message_id: row.try_get(4)?,
            pool: row.try_get(5)?,
        });
    }
    Ok(out)
}

pub async fn show(conn: &mut Conn<'_>, id: QueueId) -> Result<Option<MessageDetail>, StoreError> {
    let key = id.to_string();
    let Some(row) = conn
        .query_opt("SELECT envelope, meta FROM messages WHERE id = $1", &[&key])
        .await?
    else {
        return Ok(None);
    };
    let envelope: String = row.try_get(0)?;
    let meta: String = row.try_get(1)?;
    Ok(Some(MessageDetail {
        id,
        envelope: from_json("envelope", &envelope)?,
        meta: from_json("message metadata", &meta)?,
        recipients: recipients(conn, &key).await?,
        events: events(conn, &key).await?,
    }))
}

pub async fn trace(conn: &mut Conn<'_>, key: &str) -> Result<Vec<MessageDetail>, StoreError> {
    let as_id = key
        .parse::<QueueId>()
        .map(|id| id.to_string())
        .unwrap_or_default();
    let bare = key.trim_start_matches('<').trim_end_matches('>');
    let bracketed = format!("<{bare}>");
    let ids: Vec<String> = conn
        .query(
            "SELECT id FROM messages WHERE id = $1 OR message_id = $2 OR message_id = $3
                 OR message_id = $4
             UNION SELECT message FROM recipients WHERE lower(address) = lower($3)
             ORDER BY 1",
            &[&as_id, &bracketed, &key, &bare],
        )
        .await?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(detail) = show(conn, parse_id(&id)?).await? {
            out.push(detail);
        }
    }
    Ok(out)
}

pub async fn trace_sender(
    conn: &mut Conn<'_>,
    sender: &str,
    since: Option<i64>,
    until: Option<i64>,
    limit: usize,
) -> Result<Vec<MessageDetail>, StoreError> {
    let (since, until) = (since.unwrap_or(i64::MIN), until.unwrap_or(i64::MAX));
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut ids: Vec<String> = conn
        .query(
            "SELECT id FROM messages
             WHERE lower(sender) = lower($1) AND received_at >= $2 AND received_at <= $3
             ORDER BY received_at DESC, id DESC LIMIT $4",
            &[&sender, &since, &until, &limit],
        )
        .await?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<_, _>>()?;
    ids.reverse();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(detail) = show(conn, parse_id(&id)?).await? {
            out.push(detail);
        }
    }
    Ok(out)
}

pub async fn hourly_counts(
    conn: &mut Conn<'_>,
    from: i64,
    until: i64,
) -> Result<Vec<HourlyCount>, StoreError> {
    let mut events = Vec::new();
    for row in conn
        .query(
            "SELECT message, at, recipient, event FROM events
             WHERE at >= $1 AND at < $2
               AND (event::json ->> 'event') IN ('attempt', 'delivered')
             ORDER BY message, seq",
            &[&from, &until],
        )
        .await?
    {
        let kind: String = row.try_get(3)?;
        events.push(CountedEvent {
            message: row.try_get(0)?,
            at: row.try_get(1)?,
            recipient: row.try_get(2)?,
            kind: from_json("event", &kind)?,
        });
    }
    Ok(crate::hourly::tally(from, until, events))
}
