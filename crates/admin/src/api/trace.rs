//! The message trace search: by queue id, Message-ID or recipient (the
//! store's own search, as `sealane trace`) or by sender (the store's
//! search by sender), over every message kept, pending or finished,
//! narrowed to a time of arrival.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use queue::MessageDetail;
use serde::Deserialize;

use super::{ApiError, time_arg};
use crate::App;

/// Most messages one search returns.
const MOST: usize = 200;

/// The search of `GET /api/v1/trace`: at least one of `q` (a queue id, a
/// Message-ID or a recipient), `recipient` or `sender` (`<>` for the
/// null sender); `since` and `until` narrow it to messages that arrived
/// in that span (both ends included).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct TraceQuery {
    pub q: Option<String>,
    pub sender: Option<String>,
    pub recipient: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The end of the span: a UTC day `YYYY-MM-DD` includes that whole day,
/// any other time is taken as it is ([`time_arg`]).
fn until_arg(text: &str) -> Result<std::time::SystemTime, ApiError> {
    match report::tlsrpt::parse_day(text) {
        Some(day) => Ok(queue::day_start(day + 1) - std::time::Duration::from_millis(1)),
        None => time_arg("until", text),
    }
}

/// The messages the search finds, oldest first.
pub(crate) async fn search(app: &App, query: &TraceQuery) -> Result<Vec<MessageDetail>, ApiError> {
    let since = given(&query.since)
        .map(|t| time_arg("since", t))
        .transpose()?;
    let until = given(&query.until).map(until_arg).transpose()?;
    let sender = given(&query.sender).map(|s| {
        if s == "<>" {
            String::new()
        } else {
            s.to_ascii_lowercase()
        }
    });
    let store = &app.shared.store;
    let mut found = match (given(&query.q), given(&query.recipient)) {
        (Some(key), recipient) => {
            let mut found = store.trace(key).await?;
            if let Some(recipient) = recipient {
                found.retain(|m| {
                    m.recipients
                        .iter()
                        .any(|r| r.recipient.address.eq_ignore_ascii_case(recipient))
                });
            }
            found
        }
        (None, Some(recipient)) => store.trace(recipient).await?,
        (None, None) => {
            let Some(sender) = &sender else {
                return Err(ApiError::input(crate::texts::TRACE_NEEDS_KEY));
            };
            store.trace_sender(sender, since, until, MOST).await?
        }
    };
    found.retain(|m| {
        sender
            .as_deref()
            .is_none_or(|s| m.envelope.sender.to_ascii_lowercase() == s)
            && since.is_none_or(|t| m.meta.received_at >= t)
            && until.is_none_or(|t| m.meta.received_at <= t)
    });
    found.truncate(MOST);
    Ok(found)
}

/// `GET /api/v1/trace`.
pub(crate) async fn handler(
    State(app): State<Arc<App>>,
    Query(query): Query<TraceQuery>,
) -> Result<Json<Vec<MessageDetail>>, ApiError> {
    Ok(Json(search(&app, &query).await?))
}
