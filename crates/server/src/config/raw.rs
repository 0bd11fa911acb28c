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
    pub store: RawStore,
    #[serde(default)]
    pub queue: RawQueue,
    #[serde(default)]
    pub retry: RawRetry,
    #[serde(default)]
    pub limits: RawLimits,
    #[serde(default)]
    pub outbound: RawOutbound,
    #[serde(default)]
    pub tls_report: RawTlsReport,
    #[serde(default)]
    pub dmarc_report: RawDmarcReport,
    #[serde(default)]
    pub auth: super::auth::RawAuth,
    #[serde(default)]
    pub pools: BTreeMap<String, Spanned<super::pools::RawPool>>,
    pub srs: Option<Spanned<super::forward::RawSrs>>,
    #[serde(default)]
    pub forward: BTreeMap<String, Spanned<Vec<String>>>,
    #[serde(default)]
    pub dkim: super::dkim::RawDkim,
    #[serde(default)]
    pub sending_limits: super::sending::RawSendingLimits,
    pub spam: Option<super::spam::RawSpam>,
    pub admin: Option<super::admin::RawAdmin>,
    pub arc: Option<Spanned<super::arc::RawArc>>,
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
    #[serde(default)]
    pub admin: bool,
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
pub(crate) struct RawStore {
    pub kind: Option<Spanned<RawStoreKind>>,
    pub url: Option<Spanned<String>>,
    pub password_file: Option<Spanned<PathBuf>>,
    pub password_env: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum RawStoreKind {
    Sqlite,
    Postgres,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawQueue {
    pub lease: Option<Period>,
    pub retention: Option<Period>,
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
    pub attempt_deadline: Option<Spanned<Period>>,
    pub connection_deadline: Option<Spanned<Period>>,
    pub min_data_rate: Option<Spanned<u32>>,
    pub max_addresses: Option<Spanned<u32>>,
    pub max_sessions: Option<Spanned<u32>>,
    pub failure_memory: Option<Spanned<Period>>,
    #[serde(default)]
    pub timeouts: RawTimeouts,
}

/// `[outbound.timeouts]`: the SMTP client's limit at each step.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTimeouts {
    pub connect: Option<Spanned<Period>>,
    pub greeting: Option<Spanned<Period>>,
    pub command: Option<Spanned<Period>>,
    pub tls_handshake: Option<Spanned<Period>>,
    pub mail: Option<Spanned<Period>>,
    pub rcpt: Option<Spanned<Period>>,
    pub data_init: Option<Spanned<Period>>,
    pub data_block: Option<Spanned<Period>>,
    pub data_termination: Option<Spanned<Period>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTlsReport {
    pub enabled: Option<bool>,
    pub organization_name: Option<String>,
    pub contact: Option<String>,
    pub submitter: Option<String>,
    pub sender: Option<String>,
    pub max_destinations: Option<usize>,
    pub receive_address: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDmarcReport {
    pub enabled: Option<bool>,
    pub organization_name: Option<String>,
    pub email: Option<String>,
    pub extra_contact_info: Option<String>,
    pub submitter: Option<String>,
    pub sender: Option<String>,
    pub max_destinations: Option<usize>,
    pub receive_address: Option<String>,
}
