//! The administrator's web console and JSON API (`sealane serve`'s admin
//! listener).
//!
//! This crate owns what an administrator reaches over HTTP: the login
//! (administrators of the `[[user]]` table, argon2, rate limited per
//! client address), the sessions (cookie HttpOnly, SameSite=Strict, Secure
//! over TLS; a CSRF token on every state-changing request), the JSON API
//! under `/api/v1` (`docs/api.md`: the queue and its operations, the
//! message trace, the troubleshooter and the posture checker, TLS reports,
//! the sending limits and their release, the outbound pools, the running
//! configuration), the server-rendered pages, the Prometheus text at
//! `/metrics` (with the resolver's and the MTA-STS policies' counts), and
//! the one route that needs no login besides `/healthz`: the HTTPS upload
//! of TLS reports (RFC 8460 §5.4), handed to
//! `report::tlsrpt::receive_post`. It does not own what it shows: the
//! queue (`queue`), the reports (`report`), the route and posture
//! (`policy`, `delivery`, `check`) or the daemon (`server`), whose shared
//! state it reads and whose queue it steers only through the `Store`.

mod api;
mod guard;
mod listener;
mod login;
mod metrics;
mod pages;
mod rate;
mod session;
mod texts;
mod tlsrpt_post;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use server::Shared;
use server::config::AdminSettings;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;
use tracing::info;

pub use session::Session;

/// Why the console could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The listen address could not be bound.
    #[error("cannot listen on {address} (admin console): {source}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The server certificate could not be read.
    #[error("admin console TLS: {0}")]
    Tls(String),
}

/// What every request handler shares.
pub(crate) struct App {
    pub shared: Arc<Shared>,
    pub settings: AdminSettings,
    pub sessions: session::Sessions,
    pub limiter: rate::LoginLimiter,
    /// Argon2 verifications at once: each costs a core for tens of
    /// milliseconds, so a flood of logins must not take every core.
    pub hashing: Semaphore,
    /// A hash checked when the user is unknown, so that a wrong name
    /// costs as long as a wrong password.
    pub decoy_hash: String,
    pub pages: pages::Pages,
    /// The posture checker, on the daemon's resolver, trust roots and
    /// MTA-STS cache.
    pub checker: check::Checker,
}

/// The running console.
pub struct Console {
    address: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Console {
    /// Starts the console the daemon's `[admin]` table describes; `None`
    /// when there is none (or `enabled = false`).
    pub async fn start(shared: Arc<Shared>) -> Result<Option<Console>, StartError> {
        let Some(settings) = shared.config.admin.clone() else {
            return Ok(None);
        };
        let tls = if settings.tls {
            let files = shared
                .config
                .tls
                .as_ref()
                .ok_or_else(|| StartError::Tls("no [tls] certificate".into()))?;
            let config = server::tls_files::server_config(files).map_err(StartError::Tls)?;
            let mut config = (*config).clone();
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            Some(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
        } else {
            None
        };
        let bound = tokio::net::TcpListener::bind(settings.listen)
            .await
            .map_err(|source| StartError::Bind {
                address: settings.listen,
                source,
            })?;
        let address = bound.local_addr().map_err(|source| StartError::Bind {
            address: settings.listen,
            source,
        })?;
        if shared.config.admins().next().is_none() {
            tracing::warn!(
                "the admin console has no administrator: add one with `sealane user add --admin`"
            );
        }
        let decoy_hash = tokio::task::spawn_blocking(|| server::users::hash(&session::token()))
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        let checker = checker(&shared);
        let app = Arc::new(App {
            checker,
            sessions: session::Sessions::new(
                settings.session_lifetime,
                settings.session_idle,
                settings.tls,
            ),
            limiter: rate::LoginLimiter::new(settings.login_failures, settings.login_lockout),
            hashing: Semaphore::new(2),
            decoy_hash,
            pages: pages::Pages::new(),
            settings,
            shared,
        });
        let router = router(app.clone());
        let (shutdown, watch) = watch::channel(false);
        info!(%address, tls = app.settings.tls, "admin console listening");
        let task = tokio::spawn(listener::run(bound, tls, router, watch));
        Ok(Some(Console {
            address,
            shutdown,
            task,
        }))
    }

    /// Where the console listens (the port resolved when 0 was asked).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Stops accepting and closes every connection.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

/// A checker that sees what the daemon sees.
fn checker(shared: &Shared) -> check::Checker {
    use policy::sts::{FetchOptions, NetworkSource, PolicyStore, StsConfig, StsPolicies};
    let fetch = FetchOptions::new(shared.delivery.roots.clone())
        .with_port(shared.config.outbound.https_port)
        .with_time(shared.delivery.time.clone());
    let cache: Arc<dyn PolicyStore> = shared.store.clone();
    let sts = StsPolicies::new(
        NetworkSource {
            resolver: shared.resolver.clone(),
            options: fetch.clone(),
        },
        cache,
        shared.clock.clone(),
        StsConfig::default(),
    );
    check::Checker {
        resolver: shared.resolver.clone(),
        delivery: shared.delivery.clone(),
        sts,
        fetch,
        dkim_selectors: Vec::new(),
    }
}

/// Every route: the open ones, then those behind the login.
fn router(app: Arc<App>) -> Router {
    let mut open = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/login", get(login::page).post(login::form))
        .route("/api/v1/login", post(login::json))
        .route("/static/style.css", get(pages::style));
    if app.settings.metrics {
        open = open.route("/metrics", get(metrics::handler));
    }
    if app.settings.tls_reports {
        open = open.merge(tlsrpt_post::routes());
    }
    let guarded = Router::new()
        .route("/logout", post(login::logout_form))
        .route("/api/v1/logout", post(login::logout_json))
        .route("/api/v1/session", get(login::session))
        .merge(api::routes())
        .merge(pages::routes())
        .route_layer(axum::middleware::from_fn_with_state(
            app.clone(),
            guard::require_session,
        ));
    open.merge(guarded)
        .layer(axum::middleware::from_fn(guard::same_origin))
        .layer(axum::middleware::from_fn(guard::security_headers))
        .with_state(app)
}
