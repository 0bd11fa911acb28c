//! Who may send and from where: the users and sender domains blocked for
//! going over a sending limit and their release, through the same `Store`
//! calls as `sealane limits`, and the outbound pools of the running
//! configuration.

use std::net::IpAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use queue::SendingBlock;
use serde::{Deserialize, Serialize};

use super::ApiError;
use crate::App;

/// `GET /api/v1/limits`: every block, oldest first, as `sealane limits
/// list --json`.
pub(crate) async fn list(State(app): State<Arc<App>>) -> Result<Json<Vec<SendingBlock>>, ApiError> {
    Ok(Json(app.shared.store.sending_blocks().await?))
}

/// The body of `POST /api/v1/limits/release`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Release {
    /// The user name as it logs in, or the sender domain.
    name: String,
}

/// How many blocks a release lifted, as `sealane limits release --json`.
#[derive(Debug, Serialize)]
pub(crate) struct Released {
    released: u64,
}

/// `POST /api/v1/limits/release`: lifts the block of a user or sender
/// domain and starts its counts again from zero.
pub(crate) async fn release(
    State(app): State<Arc<App>>,
    axum::extract::Extension(session): axum::extract::Extension<crate::Session>,
    Json(body): Json<Release>,
) -> Result<Json<Released>, ApiError> {
    let name = body.name.trim();
    if name.is_empty() {
        return Err(ApiError::input(crate::texts::RELEASE_NEEDS_NAME));
    }
    let released = app.shared.store.release_sending(name).await?;
    tracing::info!(
        user = %smtp::untrusted(&session.user),
        released_name = %smtp::untrusted(name),
        released,
        "admin sending limit release"
    );
    Ok(Json(Released { released }))
}

/// One outbound pool of the running configuration.
#[derive(Debug, Serialize)]
pub(crate) struct PoolView {
    /// Its name.
    name: String,
    /// The addresses its mail leaves from; empty: the system's choice.
    sources: Vec<IpAddr>,
    /// The name it gives in EHLO.
    ehlo: String,
    /// The sender addresses and domains given this pool (`senders`).
    senders: Vec<String>,
}

/// The pools by name.
pub(crate) fn pools(app: &App) -> Vec<PoolView> {
    let pools = &app.shared.config.pools;
    pools
        .iter()
        .map(|pool| PoolView {
            name: pool.name.clone(),
            sources: pool.sources.clone(),
            ehlo: pool.ehlo.clone(),
            senders: pools.senders(&pool.name).map(str::to_owned).collect(),
        })
        .collect()
}

/// `GET /api/v1/pools`.
pub(crate) async fn list_pools(State(app): State<Arc<App>>) -> Json<Vec<PoolView>> {
    Json(pools(&app))
}
