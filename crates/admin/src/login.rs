//! Logging in and out. Only administrators (`admin = true` in `[[user]]`)
//! log in; a wrong name costs as much as a wrong password (a decoy hash is
//! checked), and an address that fails too often is refused for a while.
//! A successful login always makes a new session (and ends the one the
//! browser brought), so no session id chosen by someone else survives it.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Extension, State};
use axum::http::header::{LOCATION, RETRY_AFTER, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use crate::guard::SessionId;
use crate::listener::Peer;
use crate::session::Session;
use crate::{App, api, texts};

/// What a login sends.
#[derive(Deserialize)]
pub(crate) struct Credentials {
    user: String,
    password: String,
}

/// What a script gets back from a login, and from `GET /api/v1/session`.
#[derive(Serialize)]
pub(crate) struct SessionView {
    user: String,
    csrf_token: String,
}

enum Refusal {
    Wrong,
    Limited(Duration),
}

async fn attempt(
    app: &App,
    peer: Peer,
    headers: &HeaderMap,
    credentials: Credentials,
) -> Result<(String, Session), Refusal> {
    let client = peer.0.ip();
    if let Some(wait) = app.limiter.refused(client) {
        return Err(Refusal::Limited(wait));
    }
    let user = app
        .shared
        .config
        .admins()
        .find(|u| u.name == credentials.user);
    let hash = user.map_or_else(|| app.decoy_hash.clone(), |u| u.password_hash.clone());
    let verified = {
        let _permit = app.hashing.acquire().await;
        let password = credentials.password;
        tokio::task::spawn_blocking(move || server::users::verify(&hash, &password))
            .await
            .unwrap_or(false)
    };
    if !(verified && user.is_some()) {
        app.limiter.failed(client);
        warn!(client = %client, user = %smtp::untrusted(&credentials.user), "admin login failed");
        return Err(Refusal::Wrong);
    }
    app.limiter.succeeded(client);
    if let Some((old, _)) = app.sessions.find(headers) {
        app.sessions.end(&old);
    }
    info!(client = %client, user = %smtp::untrusted(&credentials.user), "admin logged in");
    Ok(app.sessions.start(&credentials.user))
}

/// `GET /login`: the form (or the dashboard, when logged in already).
pub(crate) async fn page(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    if app.sessions.find(&headers).is_some() {
        return (StatusCode::SEE_OTHER, [(LOCATION, "/")]).into_response();
    }
    app.pages.login(None, StatusCode::OK)
}

/// `POST /login` from the form.
pub(crate) async fn form(
    State(app): State<Arc<App>>,
    Extension(peer): Extension<Peer>,
    headers: HeaderMap,
    Form(credentials): Form<Credentials>,
) -> Response {
    match attempt(&app, peer, &headers, credentials).await {
        Ok((id, _)) => (
            StatusCode::SEE_OTHER,
            [
                (LOCATION, "/".to_owned()),
                (SET_COOKIE, app.sessions.set_cookie(&id)),
            ],
        )
            .into_response(),
        Err(Refusal::Wrong) => app
            .pages
            .login(Some(texts::WRONG_LOGIN_PAGE), StatusCode::UNAUTHORIZED),
        Err(Refusal::Limited(wait)) => {
            let mut response = app.pages.login(
                Some(texts::TOO_MANY_LOGINS_PAGE),
                StatusCode::TOO_MANY_REQUESTS,
            );
            retry_after(&mut response, wait);
            response
        }
    }
}

/// `POST /api/v1/login` with JSON: the session cookie and the CSRF token.
pub(crate) async fn json(
    State(app): State<Arc<App>>,
    Extension(peer): Extension<Peer>,
    headers: HeaderMap,
    Json(credentials): Json<Credentials>,
) -> Response {
    match attempt(&app, peer, &headers, credentials).await {
        Ok((id, session)) => (
            [(SET_COOKIE, app.sessions.set_cookie(&id))],
            Json(SessionView {
                user: session.user,
                csrf_token: session.csrf,
            }),
        )
            .into_response(),
        Err(Refusal::Wrong) => api::error(StatusCode::UNAUTHORIZED, texts::WRONG_LOGIN),
        Err(Refusal::Limited(wait)) => {
            let mut response = api::error(StatusCode::TOO_MANY_REQUESTS, texts::TOO_MANY_LOGINS);
            retry_after(&mut response, wait);
            response
        }
    }
}

fn retry_after(response: &mut Response, wait: Duration) {
    if let Ok(value) = (wait.as_secs() + 1).to_string().parse() {
        response.headers_mut().insert(RETRY_AFTER, value);
    }
}

/// `GET /api/v1/session`: who is logged in, and the CSRF token.
pub(crate) async fn session(Extension(session): Extension<Session>) -> Json<SessionView> {
    Json(SessionView {
        user: session.user,
        csrf_token: session.csrf,
    })
}

/// `POST /logout` from a page.
pub(crate) async fn logout_form(
    State(app): State<Arc<App>>,
    Extension(SessionId(id)): Extension<SessionId>,
) -> Response {
    app.sessions.end(&id);
    (
        StatusCode::SEE_OTHER,
        [
            (LOCATION, "/login".to_owned()),
            (SET_COOKIE, app.sessions.clear_cookie()),
        ],
    )
        .into_response()
}

/// `POST /api/v1/logout`.
pub(crate) async fn logout_json(
    State(app): State<Arc<App>>,
    Extension(SessionId(id)): Extension<SessionId>,
) -> Response {
    app.sessions.end(&id);
    (
        StatusCode::NO_CONTENT,
        [(SET_COOKIE, app.sessions.clear_cookie())],
    )
        .into_response()
}
