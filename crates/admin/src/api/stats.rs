//! `GET /api/v1/stats/hourly`: deliveries per hour by security level and
//! failed connections by RFC 8460 result type, from the store (every
//! node's, across restarts), for the dashboard's charts.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use queue::HourlyCount;
use serde::{Deserialize, Serialize};

use super::ApiError;
use crate::App;

/// Hours shown when none are asked for: a day.
pub(crate) const DEFAULT_HOURS: u32 = 24;

/// Most hours one request may ask for: a week.
const MOST_HOURS: u32 = 168;

/// `?hours=`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct HourlyQuery {
    pub hours: Option<String>,
}

/// The answer: every hour of the window, oldest first, the current hour
/// last (so far).
#[derive(Debug, Serialize)]
pub(crate) struct Hourly {
    pub hours: Vec<HourlyCount>,
}

/// The last `hours` hours (the current one included) by the daemon's clock.
pub(crate) async fn hourly(app: &App, hours: u32) -> Result<Hourly, ApiError> {
    let (since, until) = queue::last_hours(app.shared.now(), hours);
    Ok(Hourly {
        hours: app.shared.store.hourly_counts(since, until).await?,
    })
}

/// `GET /api/v1/stats/hourly?hours=N` (1 to 168, 24 when not given).
pub(crate) async fn handler(
    State(app): State<Arc<App>>,
    Query(query): Query<HourlyQuery>,
) -> Result<Json<Hourly>, ApiError> {
    let hours = match query.hours.as_deref().map(str::trim) {
        None | Some("") => DEFAULT_HOURS,
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|h| (1..=MOST_HOURS).contains(h))
            .ok_or_else(|| {
                ApiError::input(format!(
                    "hours: {} is not a number of hours from 1 to {MOST_HOURS}",
                    smtp::untrusted(text)
                ))
            })?,
    };
    Ok(Json(hourly(&app, hours).await?))
}
