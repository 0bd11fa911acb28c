//! What an aggregate report says, per source address: how many messages,
//! what the receiver did with them, and whether DKIM and SPF passed
//! aligned with the header From domain (RFC 7489 §3.1).

use mail_auth::report::{ActionDisposition, Disposition, DmarcResult, Report};
use serde::Serialize;
use time::OffsetDateTime;

/// One report, summarised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DmarcSummary {
    /// Who sent it (`org_name`).
    pub organization: String,
    /// Their contact address (`email`).
    pub contact: String,
    /// `report_id`.
    pub report_id: String,
    /// Start of the period covered (RFC 3339).
    pub begin: String,
    /// End of the period covered (RFC 3339).
    pub end: String,
    /// The policy domain (`policy_published/domain`).
    pub domain: String,
    /// Its published policy (`p`): none, quarantine or reject.
    pub policy: &'static str,
    /// Messages counted in the report.
    pub messages: u64,
    /// Of them, those that passed DMARC (DKIM or SPF aligned and passing).
    pub passed: u64,
    /// One row per source address and outcome, as the report lists them.
    pub sources: Vec<SourceRow>,
}

/// One `record` of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceRow {
    /// The sending address; empty when the reporter left it out.
    pub source_ip: String,
    /// Messages from it with this outcome.
    pub count: u64,
    /// What the receiver did: none, quarantine, reject (or pass).
    pub disposition: &'static str,
    /// DKIM aligned with the header From: pass or fail.
    pub dkim: &'static str,
    /// SPF aligned with the header From: pass or fail.
    pub spf: &'static str,
    /// The header From domain.
    pub header_from: String,
}

impl SourceRow {
    /// Whether these messages passed DMARC.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.dkim == "pass" || self.spf == "pass"
    }
}

/// Summarises `report`.
#[must_use]
pub fn summarise(report: &Report) -> DmarcSummary {
    let sources: Vec<SourceRow> = report
        .records()
        .iter()
        .map(|r| SourceRow {
            source_ip: r.source_ip().map(|ip| ip.to_string()).unwrap_or_default(),
            count: u64::from(r.count()),
            disposition: disposition(r.action_disposition()),
            dkim: result(r.dmarc_dkim_result()),
            spf: result(r.dmarc_spf_result()),
            header_from: r.header_from().to_owned(),
        })
        .collect();
    let messages = sources.iter().map(|s| s.count).sum();
    let passed = sources.iter().filter(|s| s.passed()).map(|s| s.count).sum();
    DmarcSummary {
        organization: report.org_name().to_owned(),
        contact: report.email().to_owned(),
        report_id: report.report_id().to_owned(),
        begin: rfc3339(report.date_range_begin()),
        end: rfc3339(report.date_range_end()),
        domain: report.domain().to_owned(),
        policy: match report.p() {
            Disposition::None => "none",
            Disposition::Quarantine => "quarantine",
            Disposition::Reject => "reject",
            Disposition::Unspecified => "unspecified",
        },
        messages,
        passed,
        sources,
    }
}

fn disposition(d: ActionDisposition) -> &'static str {
    match d {
        ActionDisposition::None => "none",
        ActionDisposition::Pass => "pass",
        ActionDisposition::Quarantine => "quarantine",
        ActionDisposition::Reject => "reject",
        ActionDisposition::Unspecified => "unspecified",
    }
}

fn result(r: DmarcResult) -> &'static str {
    match r {
        DmarcResult::Pass => "pass",
        DmarcResult::Fail => "fail",
        DmarcResult::Unspecified => "unspecified",
    }
}

/// Seconds since the epoch as RFC 3339 (UTC); the number itself when out
/// of range.
fn rfc3339(seconds: u64) -> String {
    i64::try_from(seconds)
        .ok()
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| seconds.to_string())
}
