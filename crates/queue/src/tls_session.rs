//! What TLS reporting (RFC 8460) keeps of each delivery session: the
//! policy domain and UTC day, the policy applied, and success or the
//! failure's details, counted in the store so that a restart loses
//! nothing; and where the day's report stands.

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Seconds in a day: UTC days are what reports cover (RFC 8460 §4.1).
const DAY_SECONDS: u64 = 86_400;

/// A UTC day, counted from 1970-01-01 (day 0).
pub type UtcDay = i64;

/// The UTC day `at` falls in.
pub fn utc_day(at: SystemTime) -> UtcDay {
    let seconds = at
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    (seconds / DAY_SECONDS) as i64
}

/// The first instant of `day`.
pub fn day_start(day: UtcDay) -> SystemTime {
    UNIX_EPOCH + std::time::Duration::from_secs(day.max(0) as u64 * DAY_SECONDS)
}

/// The policy a session was made under (RFC 8460 §4.4 `policy`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct TlsPolicy {
    /// `sts`, `tlsa` or `no-policy-found`.
    pub policy_type: String,
    /// The MTA-STS policy's lines, or the TLSA records in presentation
    /// form; empty for `no-policy-found`.
    pub policy_string: Vec<String>,
    /// The MTA-STS `mx` patterns, or the MX host of the TLSA records.
    pub mx_host: Vec<String>,
}

/// A failed session (RFC 8460 §4.4 `failure-details`, without its count).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct TlsFailure {
    /// The RFC 8460 §4.3 result type, e.g. `tlsa-invalid`.
    pub result_type: String,
    /// Our address, when connected.
    pub sending_mta_ip: Option<IpAddr>,
    /// The MX host name.
    pub receiving_mx_hostname: Option<String>,
    /// The name the MX gave in its EHLO reply.
    pub receiving_mx_helo: Option<String>,
    /// The MX host's address, when one was tried.
    pub receiving_ip: Option<IpAddr>,
    /// Our name for the cause (the trouble table's), e.g.
    /// `sts-mx-not-in-policy`.
    pub failure_reason_code: Option<String>,
}

/// One delivery session, for the report on its policy domain and day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsSession {
    /// The recipient domain, lowercased, without the trailing dot.
    pub policy_domain: String,
    /// The UTC day of the session.
    pub day: UtcDay,
    /// The policy applied.
    pub policy: TlsPolicy,
    /// `None` for a successful session.
    pub failure: Option<TlsFailure>,
}

/// Sessions of one policy domain and day that were alike, counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSessionCount {
    /// The policy applied.
    pub policy: TlsPolicy,
    /// `None` for successful sessions.
    pub failure: Option<TlsFailure>,
    /// How many sessions.
    pub count: u64,
}
