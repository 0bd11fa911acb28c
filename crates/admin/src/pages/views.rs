//! The pages' handlers: each reads through the API's own functions and
//! fills a template with the same JSON shapes the API answers with.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use minijinja::context;
use queue::Selector;
use serde::Deserialize;

use crate::api::{self, ApiError, ListQuery, Operation, ReceivedQuery, TraceQuery};
use crate::{App, Session};

fn failed(app: &App, session: &Session, error: &ApiError) -> Response {
    app.pages.render(
        "error.html",
        context! { user => &session.user, csrf => &session.csrf, message => error.message() },
        error.status(),
    )
}

/// One chart: named counts and their total.
#[derive(serde::Serialize)]
struct Chart {
    rows: Vec<Row>,
    total: u64,
}

#[derive(serde::Serialize)]
struct Row {
    name: String,
    count: u64,
    percent: u64,
}

impl Chart {
    fn of<N: Into<String>>(counts: impl IntoIterator<Item = (N, u64)>) -> Self {
        let counts: Vec<(String, u64)> = counts.into_iter().map(|(n, c)| (n.into(), c)).collect();
        let total = counts.iter().map(|(_, c)| c).sum();
        let rows = counts
            .into_iter()
            .map(|(name, count)| Row {
                name,
                count,
                percent: (count * 100).checked_div(total).unwrap_or(0),
            })
            .collect();
        Chart { rows, total }
    }
}

/// `GET /`: the dashboard.
pub(crate) async fn dashboard(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
) -> Response {
    let summary = match app.shared.store.summary().await {
        Ok(summary) => summary,
        Err(e) => return failed(&app, &session, &ApiError::from(e)),
    };
    let hourly = match api::hourly(&app, api::DEFAULT_HOURS).await {
        Ok(hourly) => hourly,
        Err(e) => return failed(&app, &session, &e),
    };
    let states = Chart::of(crate::metrics::by_state(&summary));
    let causes = Chart::of(
        summary
            .by_cause
            .iter()
            .map(|c| (c.cause.clone(), c.recipients)),
    );
    let deliveries = super::charts::HourlyChart::of(
        &hourly.hours,
        queue::SECURITY_LEVELS.iter().map(|s| (*s).to_owned()),
        |h| &h.delivered,
    );
    let failures = super::charts::HourlyChart::of(&hourly.hours, [], |h| &h.failed);
    app.pages.render(
        "dashboard.html",
        context! {
            user => &session.user, csrf => &session.csrf,
            summary => &summary, states => states, causes => causes,
            deliveries => deliveries, failures => failures,
            hours => api::DEFAULT_HOURS,
        },
        StatusCode::OK,
    )
}

/// `GET /queue`: the listing with its filters and actions.
pub(crate) async fn queue(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Query(query): Query<ListQuery>,
) -> Response {
    match api::listing(&app, &query).await {
        Ok(listing) => app.pages.render(
            "queue.html",
            context! {
                user => &session.user, csrf => &session.csrf,
                listing => &listing, query => context! {
                    state => &query.state, destination => &query.destination,
                    cause => &query.cause, older_than => &query.older_than,
                },
            },
            StatusCode::OK,
        ),
        Err(e) => failed(&app, &session, &e),
    }
}

/// The form of a queue action.
#[derive(Deserialize)]
pub(crate) struct ActionForm {
    id: String,
}

/// `POST /queue/{operation}` from a page: applies it, back to the queue.
pub(crate) async fn queue_action(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Path(operation): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    let applied = async {
        let operation = Operation::parse(&operation)?;
        let id = form
            .id
            .parse()
            .map_err(|_| ApiError::input("not a queue id"))?;
        api::operate(&app, operation, Selector::Message(id), &session.user).await
    }
    .await;
    match applied {
        Ok(_) => (StatusCode::SEE_OTHER, [(LOCATION, "/queue")]).into_response(),
        Err(e) => failed(&app, &session, &e),
    }
}

/// `GET /message/{id}`: one message's trace as a timeline.
pub(crate) async fn message(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Path(id): Path<String>,
) -> Response {
    let Ok(queue_id) = id.parse() else {
        return failed(&app, &session, &ApiError::input("not a queue id"));
    };
    match app.shared.store.show(queue_id).await {
        Ok(Some(detail)) => app.pages.render(
            "message.html",
            context! { user => &session.user, csrf => &session.csrf, message => &detail },
            StatusCode::OK,
        ),
        Ok(None) => failed(
            &app,
            &session,
            &ApiError::new(StatusCode::NOT_FOUND, "no such message in the queue"),
        ),
        Err(e) => failed(&app, &session, &ApiError::from(e)),
    }
}

/// `GET /trace`: the search form and what it found.
pub(crate) async fn trace(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Query(query): Query<TraceQuery>,
) -> Response {
    let asked = [&query.q, &query.sender, &query.recipient]
        .iter()
        .any(|v| v.as_deref().is_some_and(|v| !v.trim().is_empty()));
    let found = if asked {
        match api::search(&app, &query).await {
            Ok(found) => Some(found),
            Err(e) => return failed(&app, &session, &e),
        }
    } else {
        None
    };
    app.pages.render(
        "trace.html",
        context! {
            user => &session.user, csrf => &session.csrf, found => found,
            query => context! { q => &query.q, sender => &query.sender,
                recipient => &query.recipient, since => &query.since, until => &query.until },
        },
        StatusCode::OK,
    )
}

/// `?destination=` or `?domain=`.
#[derive(Deserialize)]
pub(crate) struct Asked {
    destination: Option<String>,
    domain: Option<String>,
}

/// `GET /route`: the troubleshooter.
pub(crate) async fn route(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Query(asked): Query<Asked>,
) -> Response {
    let destination = asked.destination.unwrap_or_default();
    let report = if destination.trim().is_empty() {
        None
    } else {
        match api::route_destination(&app, &destination).await {
            Ok(report) => Some(report),
            Err(e) => return failed(&app, &session, &e),
        }
    };
    app.pages.render(
        "route.html",
        context! { user => &session.user, csrf => &session.csrf, destination => destination, report => report },
        StatusCode::OK,
    )
}

/// `GET /check`: the posture checker.
pub(crate) async fn check(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Query(asked): Query<Asked>,
) -> Response {
    let domain = asked.domain.unwrap_or_default();
    let report = if domain.trim().is_empty() {
        None
    } else {
        match api::check_domain(&app, &domain).await {
            Ok(report) => Some(report),
            Err(e) => return failed(&app, &session, &e),
        }
    };
    app.pages.render(
        "check.html",
        context! { user => &session.user, csrf => &session.csrf, domain => domain, report => report },
        StatusCode::OK,
    )
}

/// `GET /reports`: TLS reports received, failures highlighted.
pub(crate) async fn reports(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Query(query): Query<ReceivedQuery>,
) -> Response {
    match api::received_summary(&app, &query).await {
        Ok(summary) => app.pages.render(
            "reports.html",
            context! {
                user => &session.user, csrf => &session.csrf, summary => &summary,
                domain => &query.domain, since => &query.since,
            },
            StatusCode::OK,
        ),
        Err(e) => failed(&app, &session, &e),
    }
}

/// `GET /reports/dmarc`: DMARC aggregate reports others sent us.
pub(crate) async fn dmarc_reports(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Query(query): Query<ReceivedQuery>,
) -> Response {
    match api::dmarc_summary(&app, &query).await {
        Ok(summary) => app.pages.render(
            "dmarc_reports.html",
            context! {
                user => &session.user, csrf => &session.csrf, summary => &summary,
                domain => &query.domain, since => &query.since,
            },
            StatusCode::OK,
        ),
        Err(e) => failed(&app, &session, &e),
    }
}

/// `GET /config`: the running configuration, secrets masked.
pub(crate) async fn config(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
) -> Response {
    let text = serde_json::to_string_pretty(&app.shared.config.shown).unwrap_or_default();
    app.pages.render(
        "config.html",
        context! { user => &session.user, csrf => &session.csrf, text => text },
        StatusCode::OK,
    )
}
