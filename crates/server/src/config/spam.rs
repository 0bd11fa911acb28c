//! `[spam]`: the spam filter every arriving message is shown to before
//! the reply to DATA — rspamd, over its HTTP protocol (`/checkv2`).
//!
//! ```toml
//! [spam]
//! url = "http://127.0.0.1:11333"  # rspamd's normal worker
//! timeout = "10s"
//! when_down = "tempfail"          # or "accept"
//! ```

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::error::{ConfigError, line_of};
use super::period::Period;

/// `[spam]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSpam {
    pub url: Spanned<String>,
    pub timeout: Option<Period>,
    pub when_down: Option<WhenDown>,
}

/// What to do with a message when the filter cannot judge it (down,
/// too slow, an answer we cannot read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WhenDown {
    /// Refuse it for now (451 4.7.1): the client tries again later. The
    /// default: no message goes out unfiltered.
    Tempfail,
    /// Take it as if the filter had no objection.
    Accept,
}

/// The spam filter as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpamSettings {
    /// Where rspamd's normal worker listens (plain HTTP: a local or
    /// internal address).
    pub address: SocketAddr,
    /// The `Host` header: the URL's authority.
    pub host: String,
    /// The longest wait for a verdict.
    pub timeout: Duration,
    /// What to do when there is none.
    pub when_down: WhenDown,
}

/// Validates `[spam]`: the URL is `http://ADDRESS:PORT` (rspamd listens on
/// an address, without TLS).
pub(super) fn parse(
    raw: Option<RawSpam>,
    text: &str,
    path: &Path,
) -> Result<Option<SpamSettings>, ConfigError> {
    let Some(raw) = raw else { return Ok(None) };
    let url = raw.url.get_ref();
    let authority = url
        .strip_prefix("http://")
        .map(|rest| rest.trim_end_matches('/'));
    let address = authority.and_then(|a| a.parse::<SocketAddr>().ok());
    let (Some(authority), Some(address)) = (authority, address) else {
        return Err(ConfigError::Invalid {
            path: path.to_owned(),
            key: "spam.url".into(),
            line: Some(line_of(text, raw.url.span().start)),
            reason: format!(
                "{url:?} is not http://ADDRESS:PORT (rspamd's normal worker, e.g. http://127.0.0.1:11333)"
            ),
        });
    };
    Ok(Some(SpamSettings {
        address,
        host: authority.to_owned(),
        timeout: raw.timeout.map_or(Duration::from_secs(10), |p| p.0),
        when_down: raw.when_down.unwrap_or(WhenDown::Tempfail),
    }))
}
