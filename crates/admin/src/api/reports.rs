//! TLS reports: those others sent about our domains (summarised per
//! reporter, policy and result type, days with failures flagged, as
//! `sealane report tls received`), and ours about a destination and day
//! (as `sealane report tls sent`); DMARC aggregate reports others sent us,
//! summed per policy domain and source (as `sealane report dmarc
//! received`).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use queue::utc_day;
use report::dmarc::{self, ReceivedDmarcSummary};
use report::tlsrpt::{self, ReceivedSummary};
use serde::Deserialize;
use server::dmarc_report_view::{DmarcSentView, dmarc_sent_view};
use server::tls_report_view::{SentView, sent_view};

use super::{ApiError, domain_arg};
use crate::App;

/// `?domain=&since=YYYY-MM-DD`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ReceivedQuery {
    pub domain: Option<String>,
    pub since: Option<String>,
}

fn day(name: &str, text: &str) -> Result<queue::UtcDay, ApiError> {
    tlsrpt::parse_day(text.trim()).ok_or_else(|| {
        ApiError::input(format!(
            "{name}: {} is not a date (YYYY-MM-DD)",
            smtp::untrusted(text)
        ))
    })
}

impl ReceivedQuery {
    /// The domain and the start of the period asked for.
    fn bounds(&self) -> Result<(Option<String>, Option<std::time::SystemTime>), ApiError> {
        let domain = self
            .domain
            .as_deref()
            .filter(|d| !d.trim().is_empty())
            .map(domain_arg);
        let since = match self.since.as_deref().filter(|d| !d.trim().is_empty()) {
            Some(text) => Some(queue::day_start(day("since", text)?)),
            None => None,
        };
        Ok((domain, since))
    }
}

/// The summary of the TLS reports received.
pub(crate) async fn received_summary(
    app: &App,
    query: &ReceivedQuery,
) -> Result<ReceivedSummary, ApiError> {
    let (domain, since) = query.bounds()?;
    let reports = app
        .shared
        .store
        .received_tls_reports(domain.as_deref(), since)
        .await?;
    Ok(tlsrpt::summarise(&reports))
}

/// `GET /api/v1/reports/tls/received`.
pub(crate) async fn received(
    State(app): State<Arc<App>>,
    Query(query): Query<ReceivedQuery>,
) -> Result<Json<ReceivedSummary>, ApiError> {
    Ok(Json(received_summary(&app, &query).await?))
}

/// The summary of the DMARC aggregate reports received.
pub(crate) async fn dmarc_summary(
    app: &App,
    query: &ReceivedQuery,
) -> Result<ReceivedDmarcSummary, ApiError> {
    let (domain, since) = query.bounds()?;
    let (reports, unreadable) =
        dmarc::received(app.shared.store.as_ref(), domain.as_deref(), since).await?;
    Ok(dmarc::combine(&reports, unreadable))
}

/// `GET /api/v1/reports/dmarc/received`.
pub(crate) async fn dmarc_received(
    State(app): State<Arc<App>>,
    Query(query): Query<ReceivedQuery>,
) -> Result<Json<ReceivedDmarcSummary>, ApiError> {
    Ok(Json(dmarc_summary(&app, &query).await?))
}

/// `GET /api/v1/reports/dmarc/sent`: our DMARC report on a Domain Owner
/// for a day (today by default), and where it stands.
pub(crate) async fn dmarc_sent(
    State(app): State<Arc<App>>,
    Query(query): Query<SentQuery>,
) -> Result<Json<DmarcSentView>, ApiError> {
    let today = utc_day(app.shared.now());
    let day = match query.date.as_deref().filter(|d| !d.trim().is_empty()) {
        Some(text) => day("date", text)?,
        None => today,
    };
    let domain = domain_arg(&query.domain);
    let view = dmarc_sent_view(app.shared.store.as_ref(), &domain, day, today).await?;
    Ok(Json(view))
}

/// `?domain=D&date=YYYY-MM-DD` (today when no date).
#[derive(Debug, Deserialize)]
pub(crate) struct SentQuery {
    domain: String,
    date: Option<String>,
}

/// `GET /api/v1/reports/tls/sent`.
pub(crate) async fn sent(
    State(app): State<Arc<App>>,
    Query(query): Query<SentQuery>,
) -> Result<Json<SentView>, ApiError> {
    let today = utc_day(app.shared.now());
    let day = match query.date.as_deref().filter(|d| !d.trim().is_empty()) {
        Some(text) => day("date", text)?,
        None => today,
    };
    let domain = domain_arg(&query.domain);
    let view = sent_view(
        app.shared.store.as_ref(),
        &app.shared.config.tls_report,
        &domain,
        day,
        today,
    )
    .await?;
    Ok(Json(view))
}
