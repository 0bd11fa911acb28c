//! TLS reports (RFC 8460) that other organisations sent about our
//! domains, kept per policy domain: who wrote the report, which period it
//! covers, and the report itself as JSON (only this domain's policies).
//! The `report` crate reads and splits them; the store only keeps them.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

/// One received report, for one policy domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ReceivedTlsReport {
    /// The domain the report's policies are about, lowercased.
    pub policy_domain: String,
    /// The reporter's `organization-name`.
    pub organization_name: String,
    /// The reporter's `report-id`; with the organisation and the domain it
    /// names the report, so the same report arriving twice is kept once.
    pub report_id: String,
    /// The start of the period the report covers.
    #[serde(with = "crate::time::millis")]
    pub start: SystemTime,
    /// The end of that period.
    #[serde(with = "crate::time::millis")]
    pub end: SystemTime,
    /// When it reached us (our clock).
    #[serde(with = "crate::time::millis")]
    pub received_at: SystemTime,
    /// The report as RFC 8460 §4 JSON, holding only this domain's policies.
    pub json: String,
}
