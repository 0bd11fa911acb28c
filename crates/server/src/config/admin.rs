//! `[admin]`: the administrator's web console, its JSON API, the TLS
//! report upload route and the metrics, validated. The listener runs only
//! when the file has an `[admin]` table (and `enabled` is not `false`): an
//! MTA that opens a web port nobody asked for is one more thing to defend.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use serde::Deserialize;

use super::period::Period;

/// Where the console listens when `listen` is not given.
pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8080);

/// `[admin]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAdmin {
    pub enabled: Option<bool>,
    pub listen: Option<SocketAddr>,
    pub tls: Option<bool>,
    pub metrics: Option<bool>,
    pub tls_reports: Option<bool>,
    pub session_lifetime: Option<Period>,
    pub session_idle: Option<Period>,
    pub login_failures: Option<u32>,
    pub login_lockout: Option<Period>,
}

/// The validated `[admin]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminSettings {
    /// Where the console listens. Default `127.0.0.1:8080`.
    pub listen: SocketAddr,
    /// Serve HTTPS with the server's `[tls]` certificate. Default: on when
    /// `[tls]` is configured. Required for an address other than loopback:
    /// passwords and session cookies never cross a network in clear.
    pub tls: bool,
    /// Serve `/metrics` (Prometheus text) without login. Default: off.
    pub metrics: bool,
    /// Take TLS reports by HTTPS POST at `/tlsrpt` (RFC 8460 §6.4), without
    /// login: that is how reporters reach us. Default: on.
    pub tls_reports: bool,
    /// A session ends this long after login, however busy. Default `8h`.
    pub session_lifetime: Duration,
    /// A session ends after this long unused. Default `30m`.
    pub session_idle: Duration,
    /// Failed logins from one address before it is refused for a while.
    /// Default 5.
    pub login_failures: u32,
    /// How long an address that failed too often is refused, and the
    /// window its failures are counted in. Default `15m`.
    pub login_lockout: Duration,
}

impl AdminSettings {
    /// The settings from `[admin]`; `None` when the console is off.
    /// `has_tls` says whether `[tls]` names a certificate.
    pub(super) fn from_raw(raw: Option<RawAdmin>, has_tls: bool) -> Result<Option<Self>, String> {
        let Some(raw) = raw else {
            return Ok(None);
        };
        if raw.enabled == Some(false) {
            return Ok(None);
        }
        let listen = raw.listen.unwrap_or(DEFAULT_LISTEN);
        let tls = match raw.tls {
            Some(true) if !has_tls => {
                return Err("tls = true needs a [tls] certificate and key".into());
            }
            Some(tls) => tls,
            None => has_tls,
        };
        if !tls && !listen.ip().is_loopback() {
            return Err(format!(
                "{listen} is not a loopback address: the console needs TLS there \
                 (configure [tls]; passwords and session cookies never cross a network in clear)"
            ));
        }
        let positive = |period: Option<Period>, key: &str, default: Duration| match period {
            Some(Period(d)) if d.is_zero() => Err(format!("{key} must be longer than zero")),
            Some(Period(d)) => Ok(d),
            None => Ok(default),
        };
        let login_failures = raw.login_failures.unwrap_or(5);
        if login_failures == 0 {
            return Err("login_failures must be at least 1".into());
        }
        Ok(Some(Self {
            listen,
            tls,
            metrics: raw.metrics.unwrap_or(false),
            tls_reports: raw.tls_reports.unwrap_or(true),
            session_lifetime: positive(
                raw.session_lifetime,
                "session_lifetime",
                Duration::from_secs(8 * 3600),
            )?,
            session_idle: positive(
                raw.session_idle,
                "session_idle",
                Duration::from_secs(30 * 60),
            )?,
            login_failures,
            login_lockout: positive(
                raw.login_lockout,
                "login_lockout",
                Duration::from_secs(15 * 60),
            )?,
        }))
    }
}
