//! `[auth]`: sender authentication on the MX listener.

use ipnet::IpNet;
use serde::Deserialize;

/// `[auth]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAuth {
    pub authserv_id: Option<String>,
    pub dmarc_reject: Option<DmarcAction>,
    pub dmarc_quarantine: Option<QuarantineAction>,
    pub spf_fail_reject: Option<bool>,
    pub trusted_gateways: Option<Vec<IpNet>>,
    pub trusted_arc_sealers: Option<Vec<String>>,
}

/// What to do with a message that fails DMARC under `p=reject`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DmarcAction {
    /// Refuse it with 550 5.7.1 naming the domain.
    Reject,
    /// Accept it into the queue's quarantine, until an administrator
    /// releases it.
    Quarantine,
    /// Accept it with the failure in `Authentication-Results`.
    Mark,
}

/// What to do with a message that fails DMARC under `p=quarantine`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuarantineAction {
    /// Accept it into the queue's quarantine.
    Quarantine,
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
    /// What a DMARC `p=quarantine` failure gets (default: quarantine).
    pub dmarc_quarantine: QuarantineAction,
    /// Refuse an SPF `fail` of a domain that publishes no DMARC policy
    /// (default: no, only mark it).
    pub spf_fail_reject: bool,
    /// Upstream gateways whose `Received:` we trust: SPF and DMARC
    /// evaluate the first hop from outside these networks.
    pub trusted_gateways: Vec<IpNet>,
    /// ARC sealers whose valid chain with `dmarc=pass` overrides a local
    /// DMARC failure (forwarders, mailing lists).
    pub trusted_arc_sealers: Vec<String>,
}

impl AuthSettings {
    pub(crate) fn from_raw(raw: RawAuth, hostname: &str) -> Self {
        Self {
            authserv_id: raw.authserv_id.unwrap_or_else(|| hostname.to_owned()),
            dmarc_reject: raw.dmarc_reject.unwrap_or(DmarcAction::Reject),
            dmarc_quarantine: raw.dmarc_quarantine.unwrap_or(QuarantineAction::Quarantine),
            spf_fail_reject: raw.spf_fail_reject.unwrap_or(false),
            trusted_gateways: raw.trusted_gateways.unwrap_or_default(),
            trusted_arc_sealers: raw
                .trusted_arc_sealers
                .unwrap_or_default()
                .into_iter()
                .map(|d| d.trim_end_matches('.').to_ascii_lowercase())
                .collect(),
        }
    }
}
