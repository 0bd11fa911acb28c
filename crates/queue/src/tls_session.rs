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

/// A report that is owed: a policy domain and day with sessions, not yet
/// sent nor given up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsReportDue {
    /// The policy domain.
    pub policy_domain: String,
    /// The day the report covers.
    pub day: UtcDay,
    /// Sending attempts made so far.
    pub attempts: u32,
}

/// Where a day's report for a domain stands.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsReportState {
    /// Sent (queued as mail, or accepted by an HTTPS endpoint).
    Sent {
        /// The report's `report-id`.
        report_id: String,
    },
    /// Some destination failed; try again at `next_attempt`.
    Retry {
        /// When.
        next_attempt: SystemTime,
        /// Why, for the log.
        reason: String,
    },
    /// No report will be sent: the domain asks for none (no or an invalid
    /// TLS-RPT record), or the report's day plus one has passed.
    Abandoned {
        /// Why.
        reason: String,
    },
}

/// A day's report state as stored, with the attempts made so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsReportStatus {
    /// Where the report stands.
    pub state: TlsReportState,
    /// Sending attempts made so far.
    pub attempts: u32,
}

/// A report state as the stores keep it: the state's name, the next
/// attempt (milliseconds since the epoch), the report id, the reason, and
/// the attempts it adds (a retry and a sending count one).
pub(crate) struct ReportColumns<'a> {
    pub name: &'static str,
    pub next_at: Option<i64>,
    pub report_id: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub attempts: i32,
}

impl TlsReportState {
    /// The state from the columns both stores read: its name, next attempt
    /// (milliseconds), report id and reason.
    pub(crate) fn from_columns(
        name: &str,
        next_at: Option<i64>,
        report_id: Option<String>,
        reason: Option<String>,
    ) -> Result<Self, crate::error::StoreError> {
        match name {
            "sent" => Ok(TlsReportState::Sent {
                report_id: report_id.unwrap_or_default(),
            }),
            "retry" => Ok(TlsReportState::Retry {
                next_attempt: crate::time::from_millis(next_at.unwrap_or(0)),
                reason: reason.unwrap_or_default(),
            }),
            "abandoned" => Ok(TlsReportState::Abandoned {
                reason: reason.unwrap_or_default(),
            }),
            other => Err(crate::columns::corrupt(
                "TLS report state",
                format!("{} is not a report state", smtp::quoted(other)),
            )),
        }
    }

    /// The columns both stores write.
    pub(crate) fn columns(&self) -> ReportColumns<'_> {
        match self {
            TlsReportState::Sent { report_id } => ReportColumns {
                name: "sent",
                next_at: None,
                report_id: Some(report_id),
                reason: None,
                attempts: 1,
            },
            TlsReportState::Retry {
                next_attempt,
                reason,
            } => ReportColumns {
                name: "retry",
                next_at: Some(crate::time::to_millis(*next_attempt)),
                report_id: None,
                reason: Some(reason),
                attempts: 1,
            },
            TlsReportState::Abandoned { reason } => ReportColumns {
                name: "abandoned",
                next_at: None,
                report_id: None,
                reason: Some(reason),
                attempts: 0,
            },
        }
    }
}
