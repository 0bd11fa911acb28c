//! The troubleshooter (`route`: what delivery to a destination would do
//! now, every MX host probed as delivery would, QUIT before MAIL) and the
//! posture checker (`check`), run by the daemon with its own resolver,
//! MTA-STS cache, trust roots and local policy.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use delivery::{RouteReport, Verdict};
use dns::Resolver;

use super::ApiError;
use crate::App;

/// The domain of `destination` (an address or a domain).
fn domain_of(destination: &str) -> Result<&str, ApiError> {
    match destination.rsplit_once('@') {
        Some((_, domain)) if !domain.is_empty() => Ok(domain),
        Some(_) => Err(ApiError::input(format!(
            "{} has no domain after the @",
            smtp::untrusted(destination)
        ))),
        None => Ok(destination),
    }
}

/// The dry run for `destination`, as `sealane route --json` prints it.
pub(crate) async fn route_destination(
    app: &App,
    destination: &str,
) -> Result<serde_json::Value, ApiError> {
    let destination = destination.trim();
    let domain = domain_of(destination)?;
    let name = Resolver::parse_name(domain).map_err(|e| ApiError::input(e.to_string()))?;
    let shared = &app.shared;
    let local = shared.config.local_policy_for(domain);
    let plan = policy::plan_with_sts(&shared.resolver, &name, &local, &shared.sts).await;
    let probes = delivery::probe(&plan, &shared.delivery).await;
    let verdict = Verdict::of(&plan, &probes);
    let report = RouteReport::new(destination, &plan, &probes, &verdict);
    serde_json::to_value(&report).map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot write the report: {e}"),
        )
    })
}

/// `GET /api/v1/route/{destination}`.
pub(crate) async fn route(
    State(app): State<Arc<App>>,
    Path(destination): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(route_destination(&app, &destination).await?))
}

/// The posture of `domain`, as one line of `sealane check --json`.
pub(crate) async fn check_domain(app: &App, domain: &str) -> Result<serde_json::Value, ApiError> {
    let name = Resolver::parse_name(domain.trim()).map_err(|e| ApiError::input(e.to_string()))?;
    let report = app.checker.check(&name).await;
    serde_json::to_value(check::JsonReport::new(&report)).map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot write the report: {e}"),
        )
    })
}

/// `GET /api/v1/check/{domain}`.
pub(crate) async fn check(
    State(app): State<Arc<App>>,
    Path(domain): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(check_domain(&app, &domain).await?))
}
