//! `POST /tlsrpt`: TLS reports others send to a `rua=https://…/tlsrpt`
//! we publish (RFC 8460 §3 and §5.4: the report as the body,
//! `application/tlsrpt+gzip` or `application/tlsrpt+json`). No login: this
//! is how reporters reach us. The body is bounded by the size the report
//! reader takes ([`report::tlsrpt::MAX_REPORT_SIZE`]), uploads are handled
//! a few at once, and `report::tlsrpt::receive_post` does the rest (415,
//! 413, 400, 503 or 500 when it refuses).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use report::tlsrpt::{MAX_REPORT_SIZE, receive_post};
use tokio::sync::Semaphore;
use tracing::{info, warn};

use crate::App;

/// Uploads read at once: each may hold [`MAX_REPORT_SIZE`] in memory.
const AT_ONCE: usize = 4;

/// The upload route, with its own body limit.
pub(crate) fn routes() -> Router<Arc<App>> {
    let slots = Arc::new(Semaphore::new(AT_ONCE));
    Router::new()
        .route(
            "/tlsrpt",
            post(
                move |state: State<Arc<App>>, headers: HeaderMap, body: Bytes| {
                    upload(state, headers, body, slots.clone())
                },
            ),
        )
        .layer(DefaultBodyLimit::max(MAX_REPORT_SIZE))
}

async fn upload(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
    slots: Arc<Semaphore>,
) -> Response {
    let Ok(_slot) = slots.try_acquire() else {
        return (StatusCode::SERVICE_UNAVAILABLE, crate::texts::REPORTS_BUSY).into_response();
    };
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    match receive_post(
        app.shared.store.as_ref(),
        content_type,
        &body,
        app.shared.now(),
    )
    .await
    {
        Ok(received) => {
            info!(
                domains = %received.domains.join(","),
                duplicates = received.duplicates,
                "TLS report received by HTTPS"
            );
            (StatusCode::OK, crate::texts::REPORT_RECEIVED).into_response()
        }
        Err(error) => {
            warn!(error = %error, "TLS report upload refused");
            let status = StatusCode::from_u16(error.http_status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, format!("{error}\n")).into_response()
        }
    }
}
