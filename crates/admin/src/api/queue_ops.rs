//! The queue: the listing with its filters, one message, and the
//! administrator's operations (retry, drop, hold, quarantine, release),
//! through the same `Store` calls as `sealane queue`.

use std::sync::Arc;
use std::time::SystemTime;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use queue::{MessageDetail, MessageSummary, QueueId, QueueListing, RecipientState, Selector};
use serde::{Deserialize, Serialize};
use server::config::Period;

use super::{ApiError, domain_arg};
use crate::App;

/// Most messages one listing shows.
const LIST_LIMIT: usize = 10_000;

/// The filters of `GET /api/v1/queue`: a message is listed when it is at
/// least `older_than` old and one of its recipients has the `state`, is in
/// the `destination` domain and was last held back by the `cause` asked.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListQuery {
    pub state: Option<String>,
    pub destination: Option<String>,
    pub cause: Option<String>,
    pub older_than: Option<String>,
}

impl ListQuery {
    fn is_empty_text(value: &Option<String>) -> bool {
        value.as_deref().is_none_or(|v| v.trim().is_empty())
    }

    fn matches(
        &self,
        message: &MessageSummary,
        now: SystemTime,
        min_age: Option<std::time::Duration>,
    ) -> bool {
        if let Some(age) = min_age
            && now.duration_since(message.received_at).unwrap_or_default() < age
        {
            return false;
        }
        let state = (!Self::is_empty_text(&self.state))
            .then(|| self.state.as_deref().unwrap_or_default().trim());
        let destination = (!Self::is_empty_text(&self.destination))
            .then(|| domain_arg(self.destination.as_deref().unwrap_or_default()));
        let cause = (!Self::is_empty_text(&self.cause))
            .then(|| self.cause.as_deref().unwrap_or_default().trim());
        message.recipients.iter().any(|r| {
            state.is_none_or(|s| r.state.name() == s)
                && destination.as_deref().is_none_or(|d| r.domain == d)
                && cause.is_none_or(|c| {
                    let trouble = match &r.state {
                        RecipientState::Deferred { trouble, .. } => Some(trouble),
                        _ => r.last_trouble.as_ref(),
                    };
                    trouble.is_some_and(|t| t.cause == c)
                })
        })
    }
}

/// The listing, filtered.
pub(crate) async fn listing(app: &App, query: &ListQuery) -> Result<QueueListing, ApiError> {
    let min_age = match query.older_than.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(
            text.parse::<Period>()
                .map_err(|e| ApiError::input(format!("older_than: {e}")))?
                .0,
        ),
    };
    let store = &app.shared.store;
    let summary = store.summary().await?;
    let now = app.shared.now();
    let messages = store
        .list(LIST_LIMIT)
        .await?
        .into_iter()
        .filter(|m| query.matches(m, now, min_age))
        .collect();
    Ok(QueueListing { summary, messages })
}

/// `GET /api/v1/queue`.
pub(crate) async fn list(
    State(app): State<Arc<App>>,
    Query(query): Query<ListQuery>,
) -> Result<Json<QueueListing>, ApiError> {
    Ok(Json(listing(&app, &query).await?))
}

fn queue_id(text: &str) -> Result<QueueId, ApiError> {
    text.parse()
        .map_err(|_| ApiError::input(format!("{} is not a queue id", smtp::untrusted(text))))
}

/// `GET /api/v1/queue/{id}`: the message with its whole trace.
pub(crate) async fn show(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Result<Json<MessageDetail>, ApiError> {
    let id = queue_id(&id)?;
    match app.shared.store.show(id).await? {
        Some(detail) => Ok(Json(detail)),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no message {id} in the queue"),
        )),
    }
}

/// What an administrator may do to queued messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    /// Deferred recipients due now.
    Retry,
    /// Messages deleted with their bodies and traces.
    Drop,
    /// Queued and deferred recipients held.
    Hold,
    /// Recipients set aside until released.
    Quarantine,
    /// Held and quarantined recipients due now.
    Release,
}

impl Operation {
    pub(crate) fn parse(text: &str) -> Result<Self, ApiError> {
        Ok(match text {
            "retry" => Self::Retry,
            "drop" => Self::Drop,
            "hold" => Self::Hold,
            "quarantine" => Self::Quarantine,
            "release" => Self::Release,
            _ => {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    crate::texts::NO_SUCH_OPERATION,
                ));
            }
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Retry => "retry",
            Self::Drop => "drop",
            Self::Hold => "hold",
            Self::Quarantine => "quarantine",
            Self::Release => "release",
        }
    }
}

/// How many recipients (or, for `drop`, messages) an operation touched.
#[derive(Debug, Serialize)]
pub(crate) struct Count {
    count: u64,
}

/// Applies `operation` to `selector`; wakes the scheduler when recipients
/// became due.
pub(crate) async fn operate(
    app: &App,
    operation: Operation,
    selector: Selector,
    user: &str,
) -> Result<u64, ApiError> {
    let store = &app.shared.store;
    let count = match operation {
        Operation::Retry => store.retry_now(&selector).await?,
        Operation::Drop => store.delete(&selector).await?,
        Operation::Hold => store.hold(&selector).await?,
        Operation::Quarantine => store.quarantine(&selector).await?,
        Operation::Release => store.release(&selector).await?,
    };
    if matches!(operation, Operation::Retry | Operation::Release) && count > 0 {
        app.shared.wake.notify_one();
    }
    let target = match &selector {
        Selector::Message(id) => id.to_string(),
        Selector::Domain(domain) => format!("domain {domain}"),
        Selector::All => "the whole queue".to_owned(),
    };
    tracing::info!(user = %smtp::untrusted(user), operation = operation.name(), target = %target, count, "admin queue operation");
    Ok(count)
}

/// `POST /api/v1/queue/{id}/{operation}`.
pub(crate) async fn operate_one(
    State(app): State<Arc<App>>,
    axum::extract::Extension(session): axum::extract::Extension<crate::Session>,
    Path((id, operation)): Path<(String, String)>,
) -> Result<Json<Count>, ApiError> {
    let operation = Operation::parse(&operation)?;
    let selector = Selector::Message(queue_id(&id)?);
    let count = operate(&app, operation, selector, &session.user).await?;
    Ok(Json(Count { count }))
}

/// Which messages `POST /api/v1/queue-operations/{operation}` applies to:
/// exactly one of them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Selection {
    id: Option<String>,
    domain: Option<String>,
    #[serde(default)]
    all: bool,
}

/// `POST /api/v1/queue-operations/{operation}` with a [`Selection`].
pub(crate) async fn operate_many(
    State(app): State<Arc<App>>,
    axum::extract::Extension(session): axum::extract::Extension<crate::Session>,
    Path(operation): Path<String>,
    Json(selection): Json<Selection>,
) -> Result<Json<Count>, ApiError> {
    let operation = Operation::parse(&operation)?;
    let selector = match (selection.id, selection.domain, selection.all) {
        (Some(id), None, false) => Selector::Message(queue_id(&id)?),
        (None, Some(domain), false) => Selector::Domain(domain_arg(&domain)),
        (None, None, true) => Selector::All,
        _ => {
            return Err(ApiError::input(crate::texts::ONE_SELECTION));
        }
    };
    let count = operate(&app, operation, selector, &session.user).await?;
    Ok(Json(Count { count }))
}
