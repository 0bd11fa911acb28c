//! Where a daily report we owe stands (TLS reports, RFC 8460 §4.1, and
//! DMARC aggregate reports, RFC 7489 §7.2): owed, sent, waiting for a
//! retry, or given up; both stores keep it in the same columns.

use std::time::SystemTime;

use crate::tls_session::UtcDay;

/// A report that is owed: a policy domain and day with counted data, not yet
/// sent nor given up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportDue {
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
pub enum ReportState {
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
    /// record), or the report's day plus one has passed.
    Abandoned {
        /// Why.
        reason: String,
    },
}

/// A day's report state as stored, with the attempts made so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportStatus {
    /// Where the report stands.
    pub state: ReportState,
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

impl ReportState {
    /// The state from the columns both stores read: its name, next attempt
    /// (milliseconds), report id and reason.
    pub(crate) fn from_columns(
        name: &str,
        next_at: Option<i64>,
        report_id: Option<String>,
        reason: Option<String>,
    ) -> Result<Self, crate::error::StoreError> {
        match name {
            "sent" => Ok(ReportState::Sent {
                report_id: report_id.unwrap_or_default(),
            }),
            "retry" => Ok(ReportState::Retry {
                next_attempt: crate::time::from_millis(next_at.unwrap_or(0)),
                reason: reason.unwrap_or_default(),
            }),
            "abandoned" => Ok(ReportState::Abandoned {
                reason: reason.unwrap_or_default(),
            }),
            other => Err(crate::columns::corrupt(
                "report state",
                format!("{} is not a report state", smtp::quoted(other)),
            )),
        }
    }

    /// The columns both stores write.
    pub(crate) fn columns(&self) -> ReportColumns<'_> {
        match self {
            ReportState::Sent { report_id } => ReportColumns {
                name: "sent",
                next_at: None,
                report_id: Some(report_id),
                reason: None,
                attempts: 1,
            },
            ReportState::Retry {
                next_attempt,
                reason,
            } => ReportColumns {
                name: "retry",
                next_at: Some(crate::time::to_millis(*next_attempt)),
                report_id: None,
                reason: Some(reason),
                attempts: 1,
            },
            ReportState::Abandoned { reason } => ReportColumns {
                name: "abandoned",
                next_at: None,
                report_id: None,
                reason: Some(reason),
                attempts: 0,
            },
        }
    }
}

/// Which daily reports: each kind keeps its counts and its states in
/// tables of its own, with the same key columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReportKind {
    /// TLS reports (RFC 8460): `tls_sessions`, `tls_reports`.
    Tls,
    /// DMARC aggregate reports (RFC 7489 §7.2): `dmarc_rows`,
    /// `dmarc_reports`.
    Dmarc,
}

impl ReportKind {
    /// The table of counts, keyed by `policy_domain` and `day`.
    pub(crate) fn counts_table(self) -> &'static str {
        match self {
            Self::Tls => "tls_sessions",
            Self::Dmarc => "dmarc_rows",
        }
    }

    /// The table of report states, keyed by `policy_domain` and `day`.
    pub(crate) fn states_table(self) -> &'static str {
        match self {
            Self::Tls => "tls_reports",
            Self::Dmarc => "dmarc_reports",
        }
    }
}
