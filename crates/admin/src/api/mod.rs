//! The JSON API under `/api/v1` (`docs/api.md`). Every answer is one of
//! the types the command line prints with `--json`; errors are
//! `{"error": "..."}` with the HTTP status that fits.

mod diagnose;
mod queue_ops;
mod reports;
mod sending;
mod stats;
mod trace;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;

use crate::App;

pub(crate) use diagnose::{check_domain, route_destination};
pub(crate) use queue_ops::{ListQuery, Operation, listing, operate};
pub(crate) use reports::{ReceivedQuery, dmarc_summary, received_summary};
pub(crate) use stats::{DEFAULT_HOURS, hourly};
pub(crate) use trace::{TraceQuery, search};

/// The API's routes (behind the login).
pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/v1/queue", get(queue_ops::list))
        .route("/api/v1/queue/{id}", get(queue_ops::show))
        .route(
            "/api/v1/queue/{id}/{operation}",
            post(queue_ops::operate_one),
        )
        .route(
            "/api/v1/queue-operations/{operation}",
            post(queue_ops::operate_many),
        )
        .route("/api/v1/trace", get(trace::handler))
        .route("/api/v1/stats/hourly", get(stats::handler))
        .route("/api/v1/route/{destination}", get(diagnose::route))
        .route("/api/v1/check/{domain}", get(diagnose::check))
        .route("/api/v1/reports/tls/received", get(reports::received))
        .route("/api/v1/reports/tls/sent", get(reports::sent))
        .route(
            "/api/v1/reports/dmarc/received",
            get(reports::dmarc_received),
        )
        .route("/api/v1/reports/dmarc/sent", get(reports::dmarc_sent))
        .route("/api/v1/config", get(config))
        .route("/api/v1/limits", get(sending::list))
        .route("/api/v1/limits/release", post(sending::release))
        .route("/api/v1/pools", get(sending::list_pools))
}

/// A refusal or failure, as JSON.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    /// Bad input from the client.
    pub(crate) fn input(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// The status of the refusal.
    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }

    /// What went wrong, in words.
    pub(crate) fn message(&self) -> &str {
        &self.message
    }
}

impl From<queue::StoreError> for ApiError {
    fn from(error: queue::StoreError) -> Self {
        tracing::warn!(error = %error, "admin API: the store failed");
        let status = if error.is_temporary() {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        };
        Self::new(status, crate::texts::STORE_FAILED)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        error(self.status, &self.message)
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
}

/// `{"error": message}` with `status`.
pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(ErrorBody { error: message })).into_response()
}

/// `GET /api/v1/config`: the configuration file as loaded, secrets masked.
async fn config(State(app): State<Arc<App>>) -> Json<serde_json::Value> {
    Json(app.shared.config.shown.clone())
}

/// A time given in a query: milliseconds since the epoch (the API's own
/// times), an RFC 3339 date and time, or a UTC day `YYYY-MM-DD`.
pub(crate) fn time_arg(name: &str, text: &str) -> Result<SystemTime, ApiError> {
    let text = text.trim();
    if let Ok(millis) = text.parse::<u64>() {
        return Ok(UNIX_EPOCH + Duration::from_millis(millis));
    }
    if let Some(at) = report::tlsrpt::datetime::parse(text) {
        return Ok(at.into());
    }
    if let Some(day) = report::tlsrpt::parse_day(text) {
        return Ok(queue::day_start(day));
    }
    Err(ApiError::input(format!(
        "{name}: {} is not a time (milliseconds since 1970, RFC 3339, or YYYY-MM-DD)",
        smtp::untrusted(text)
    )))
}

/// A domain as given: lowercased, without its final dot.
pub(crate) fn domain_arg(text: &str) -> String {
    text.trim().trim_end_matches('.').to_ascii_lowercase()
}
