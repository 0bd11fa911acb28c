//! The server-rendered pages: templates in `templates/` (minijinja, HTML
//! escaped automatically), filled with the API's own types, plain forms
//! (each with the session's CSRF token) and one stylesheet. No script.

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{Html, IntoResponse, Response};
use minijinja::Environment;
use serde::Serialize;

use crate::App;

/// The templates, compiled once.
pub(crate) struct Pages {
    env: Environment<'static>,
}

mod charts;
mod views;

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("login.html", include_str!("../../templates/login.html")),
    ("error.html", include_str!("../../templates/error.html")),
    (
        "dashboard.html",
        include_str!("../../templates/dashboard.html"),
    ),
    ("queue.html", include_str!("../../templates/queue.html")),
    ("message.html", include_str!("../../templates/message.html")),
    ("trace.html", include_str!("../../templates/trace.html")),
    ("route.html", include_str!("../../templates/route.html")),
    ("check.html", include_str!("../../templates/check.html")),
    ("reports.html", include_str!("../../templates/reports.html")),
    (
        "dmarc_reports.html",
        include_str!("../../templates/dmarc_reports.html"),
    ),
    ("config.html", include_str!("../../templates/config.html")),
];

const STYLE: &str = include_str!("../../templates/style.css");

impl Pages {
    pub(crate) fn new() -> Self {
        let mut env = Environment::new();
        env.add_filter("when", when);

        for (name, source) in TEMPLATES {
            // The templates are part of the program: one that does not
            // parse is a bug the tests catch.
            env.add_template(name, source)
                .expect("the console's templates parse");
        }
        Self { env }
    }

    /// `name` filled with `context`, with `status`.
    pub(crate) fn render<C: Serialize>(
        &self,
        name: &str,
        context: C,
        status: StatusCode,
    ) -> Response {
        let rendered = self.env.get_template(name).and_then(|t| t.render(context));
        match rendered {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => {
                tracing::warn!(template = name, error = %e, "admin page could not be rendered");
                (StatusCode::INTERNAL_SERVER_ERROR, crate::texts::PAGE_FAILED).into_response()
            }
        }
    }

    /// The login page, with an error when a login failed.
    pub(crate) fn login(&self, error: Option<&str>, status: StatusCode) -> Response {
        self.render("login.html", minijinja::context! { error }, status)
    }
}

/// `GET /static/style.css`.
pub(crate) async fn style() -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/css; charset=utf-8")], STYLE)
}

/// A time in milliseconds since 1970 as RFC 3339 UTC.
fn when(millis: i64) -> String {
    let at = std::time::UNIX_EPOCH
        + std::time::Duration::from_millis(u64::try_from(millis).unwrap_or(0));
    report::tlsrpt::datetime::format(at.into())
}

/// The pages' routes (behind the login).
pub(crate) fn routes() -> Router<Arc<App>> {
    use axum::routing::{get, post};
    Router::new()
        .route("/", get(views::dashboard))
        .route("/queue", get(views::queue))
        .route("/queue/{operation}", post(views::queue_action))
        .route("/message/{id}", get(views::message))
        .route("/trace", get(views::trace))
        .route("/route", get(views::route))
        .route("/check", get(views::check))
        .route("/reports", get(views::reports))
        .route("/reports/dmarc", get(views::dmarc_reports))
        .route("/config", get(views::config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dashboard_renders_an_empty_queue() {
        let pages = Pages::new();
        let row = minijinja::context! { name => "a b&c", count => 1, percent => 100 };
        let chart = minijinja::context! { rows => vec![row], total => 1 };
        let hours: Vec<queue::HourlyCount> = Vec::new();
        let deliveries = charts::HourlyChart::of(
            &hours,
            queue::SECURITY_LEVELS.iter().map(|s| (*s).to_owned()),
            |h| &h.delivered,
        );
        let failures = charts::HourlyChart::of(&hours, [], |h| &h.failed);
        let rendered =
            pages
                .env
                .get_template("dashboard.html")
                .unwrap()
                .render(minijinja::context! {
                    user => "ann", csrf => "t",
                    summary => queue::QueueSummary::default(),
                    states => &chart, causes => &chart,
                    deliveries => deliveries, failures => failures, hours => 24,
                });
        let html = rendered.unwrap_or_else(|e| panic!("{e:#}"));
        assert!(html.contains("Queue by state"));
        assert!(html.contains("/queue?state=a%20b%26c"), "{html}");
        assert!(
            html.contains("DANE 0, MTA-STS 0, opportunistic TLS 0, plaintext 0"),
            "{html}"
        );
    }

    #[test]
    fn an_hourly_chart_stacks_its_series_and_says_its_numbers() {
        let hour = |at: u64, delivered: &[(&str, u64)], failed: &[(&str, u64)]| {
            let map =
                |pairs: &[(&str, u64)]| pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect();
            queue::HourlyCount {
                hour: std::time::UNIX_EPOCH + std::time::Duration::from_secs(at * 3600),
                delivered: map(delivered),
                failed: map(failed),
            }
        };
        let hours = vec![
            hour(0, &[("dane", 3), ("tls", 1)], &[("tlsa-invalid", 2)]),
            hour(1, &[("dane", 0), ("plaintext", 2)], &[]),
        ];
        let chart = charts::HourlyChart::of(
            &hours,
            queue::SECURITY_LEVELS.iter().map(|s| (*s).to_owned()),
            |h| &h.delivered,
        );
        assert_eq!(chart.total, 6);
        assert_eq!(
            chart.summary,
            "DANE 3, MTA-STS 0, opportunistic TLS 1, plaintext 2"
        );
        assert_eq!(chart.hours[0].label, "1970-01-01 00:00");
        assert_eq!(chart.hours[0].counts, [3, 0, 1, 0]);
        assert_eq!(chart.hours[0].tick.as_deref(), Some("00:00"));
        assert_eq!(chart.hours[1].tick, None);
        let pieces: Vec<_> = chart.hours[0]
            .pieces
            .iter()
            .map(|p| (p.y, p.height))
            .collect();
        assert_eq!(
            pieces,
            [(30, 90), (0, 30)],
            "the tallest hour fills the height"
        );
        let failures = charts::HourlyChart::of(&hours, [], |h| &h.failed);
        assert_eq!(failures.summary, "tlsa-invalid 2");
        assert!(failures.hours[1].pieces.is_empty());
    }
}
