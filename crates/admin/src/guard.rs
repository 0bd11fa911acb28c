//! What stands in front of every route behind the login: a current
//! session, and on every state-changing request (anything but GET and
//! HEAD) the session's CSRF token, in the `X-CSRF-Token` header (scripts)
//! or the `csrf` field of a form (pages). Also the headers every answer
//! carries.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::session::same;
use crate::{App, texts};

/// The header scripts send the CSRF token in.
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";
/// The largest form read for its CSRF token.
const FORM_LIMIT: usize = 64 * 1024;

/// The id of the request's session (for logout).
#[derive(Debug, Clone)]
pub(crate) struct SessionId(pub String);

/// Lets the request through only with a current session, and a state
/// change only with its CSRF token.
pub(crate) async fn require_session(
    State(app): State<Arc<App>>,
    request: Request,
    next: Next,
) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let Some((id, session)) = app.sessions.find(request.headers()) else {
        return if api {
            crate::api::error(StatusCode::UNAUTHORIZED, texts::LOGIN_REQUIRED)
        } else {
            (StatusCode::SEE_OTHER, [(LOCATION, "/login")]).into_response()
        };
    };
    let mut request = if matches!(*request.method(), Method::GET | Method::HEAD) {
        request
    } else {
        match with_token(request, &session.csrf).await {
            Ok(request) => request,
            Err(status) => {
                return crate::api::error(status, texts::CSRF_REFUSED);
            }
        }
    };
    request.extensions_mut().insert(SessionId(id));
    request.extensions_mut().insert(session);
    next.run(request).await
}

/// The request, if it carries `expected` (in the header, or in the form
/// it sends, which is read and put back).
async fn with_token(request: Request, expected: &str) -> Result<Request, StatusCode> {
    if let Some(token) = request.headers().get(CSRF_HEADER) {
        return match token.to_str() {
            Ok(token) if same(token, expected) => Ok(request),
            _ => Err(StatusCode::FORBIDDEN),
        };
    }
    let form = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Err(StatusCode::FORBIDDEN);
    }
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, FORM_LIMIT)
        .await
        .map_err(|_| StatusCode::PAYLOAD_TOO_LARGE)?;
    let found = std::str::from_utf8(&bytes)
        .ok()
        .and_then(|text| {
            text.split('&')
                .filter_map(|pair| pair.split_once('='))
                .find(|(key, _)| *key == "csrf")
                .map(|(_, value)| value.to_owned())
        })
        .is_some_and(|token| same(&token, expected));
    if !found {
        return Err(StatusCode::FORBIDDEN);
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// Refuses a state-changing request a browser sent from another site:
/// its `Origin` (browsers send one with every POST) must name this host.
/// This covers the login form too, which has no session, hence no CSRF
/// token, yet (login CSRF). Requests without `Origin` (scripts, report
/// uploads) are left to the other checks.
pub(crate) async fn same_origin(request: Request, next: Next) -> Response {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        let origin = request
            .headers()
            .get("origin")
            .and_then(|v| v.to_str().ok());
        let host = request.headers().get("host").and_then(|v| v.to_str().ok());
        if let Some(origin) = origin {
            let authority = origin.split_once("://").map(|(_, rest)| rest);
            if authority.is_none() || authority != host {
                return crate::api::error(StatusCode::FORBIDDEN, texts::CROSS_SITE);
            }
        }
    }
    next.run(request).await
}

/// Headers on every answer: no caching of what an administrator sees, no
/// framing, no content sniffing, no referrer sent to other sites, and a
/// content security
/// policy that runs no script and loads nothing from elsewhere.
pub(crate) async fn security_headers(request: Request, next: Next) -> Response {
    let cacheable = request.uri().path().starts_with("/static/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    // Not `no-referrer`: under it browsers send `Origin: null` with the
    // console's own forms, which `same_origin` must then refuse.
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    if !cacheable {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
