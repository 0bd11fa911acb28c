//! `[auth]`: sender authentication on the MX listener.

use serde::Deserialize;

/// `[auth]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAuth {
    pub authserv_id: Option<String>,
    pub dmarc_reject: Option<DmarcAction>,
}

/// What to do with a message that fails DMARC under `p=reject`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DmarcAction {
    /// Refuse it with 550 5.7.1 naming the domain.
    Reject,
    /// Accept it with the failure in `Authentication-Results`.
    Mark,
}

/// Sender authentication settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSettings {
    /// The authserv-id of our `Authentication-Results` (RFC 8601 §2.5);
    /// the host name unless configured.
    pub authserv_id: String,
    /// What a DMARC `p=reject` failure gets (default: reject).
    pub dmarc_reject: DmarcAction,
}

impl AuthSettings {
    pub(crate) fn from_raw(raw: RawAuth, hostname: &str) -> Self {
        Self {
            authserv_id: raw.authserv_id.unwrap_or_else(|| hostname.to_owned()),
            dmarc_reject: raw.dmarc_reject.unwrap_or(DmarcAction::Reject),
        }
    }
}
