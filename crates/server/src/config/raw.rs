//! Stage one of the configuration (DESIGN §6): the TOML file as written,
//! every key known (`deny_unknown_fields`), every value parsed where it is
//! read so that an error points at its line.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use ipnet::IpNet;
use serde::Deserialize;
use toml::Spanned;

use super::period::Period;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    #[serde(default)]
    pub server: RawServer,
    #[serde(default, rename = "listener")]
    pub listeners: Vec<Spanned<RawListener>>,
    pub tls: Option<RawTls>,
    #[serde(default, rename = "domain")]
    pub domains: BTreeMap<String, Spanned<RawDomain>>,
    #[serde(default, rename = "user")]
    pub users: Vec<RawUser>,
    pub relay_networks: Option<Vec<IpNet>>,
    #[serde(default)]
    pub dns: RawDns,
    #[serde(default)]
    pub webpki: RawWebPki,
    #[serde(default)]
    pub policy: BTreeMap<String, RawLocalPolicy>,
    #[serde(default)]
    pub queue: RawQueue,
    #[serde(default)]
    pub retry: RawRetry,
    #[serde(default)]
    pub limits: RawLimits,
    #[serde(default)]
    pub outbound: RawOutbound,
    #[serde(default)]
    pub auth: super::auth::RawAuth,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawServer {
    pub hostname: Option<String>,
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawListener {
    pub role: RawRole,
    pub address: SocketAddr,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum RawRole {
    Mx,
    Submission,
    Submissions,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTls {
    pub certificate: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDomain {
    pub maildir: Option<PathBuf>,
    pub relay: Option<String>,
    pub relay_tls: Option<RawRelayTls>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum RawRelayTls {
    Opportunistic,
    Require,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUser {
    pub name: String,
    pub password_hash: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDns {
    #[serde(default)]
    pub servers: Vec<SocketAddr>,
    pub trust_anchor: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWebPki {
    pub extra_roots: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawLocalPolicy {
    #[serde(default)]
    pub require_dane: bool,
    #[serde(default)]
    pub require_sts: bool,
    #[serde(default)]
    pub require_tls: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawQueue {
    pub lease: Option<Period>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRetry {
    pub schedule: Option<Vec<Period>>,
    pub expire: Option<Period>,
    pub delay_notice: Option<RawDelayNotice>,
    pub jitter_percent: Option<Spanned<u8>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawDelayNotice {
    Off(bool),
    After(Period),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLimits {
    pub message_size: Option<Spanned<u64>>,
    pub recipients_per_message: Option<Spanned<u32>>,
    pub connections_per_client: Option<Spanned<u32>>,
    pub concurrency: Option<Spanned<u32>>,
    pub per_destination: Option<Spanned<u32>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOutbound {
    pub ehlo: Option<String>,
    pub source: Option<IpAddr>,
    pub smtp_port: Option<u16>,
    pub https_port: Option<u16>,
}
