//! The aggregate report (RFC 8460 §4): what it holds and its JSON form.
//!
//! ```text
//! {
//!   "organization-name": ..., "date-range": {"start-datetime", "end-datetime"},
//!   "contact-info": ..., "report-id": ...,
//!   "policies": [{
//!     "policy": {"policy-type", "policy-string", "policy-domain", "mx-host"},
//!     "summary": {"total-successful-session-count", "total-failure-session-count"},
//!     "failure-details": [{"result-type", "sending-mta-ip",
//!       "receiving-mx-hostname", "receiving-mx-helo", "receiving-ip",
//!       "failed-session-count", "additional-information",
//!       "failure-reason-code"}]
//!   }]
//! }
//! ```
//!
//! Writing follows the RFC to the letter; reading is lenient the way real
//! reporters need: unknown fields are ignored, a missing `policy-string`,
//! `mx-host`, `failure-details` or count reads as empty or zero, `mx-host`
//! may be one string instead of an array (the §4.8 example before erratum
//! 6241), a `policy-string` element may hold a JSON array of strings
//! (Microsoft writes a `tlsa` policy's records so: read as those records),
//! and date-times may lack their time zone (read as UTC).

use serde::{Deserialize, Deserializer, Serialize};
use time::OffsetDateTime;

use super::datetime;

/// One aggregate report (RFC 8460 §4.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Report {
    /// `organization-name`: who sends the report.
    pub organization_name: String,
    /// `date-range`: the period the report covers.
    pub date_range: DateRange,
    /// `contact-info`: an address or URI to ask about the report. Some
    /// reporters write `null`: read as empty.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub contact_info: String,
    /// `report-id`: unique per report.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub report_id: String,
    /// `policies`: one entry per policy applied.
    #[serde(default)]
    pub policies: Vec<PolicyResult>,
}

/// `date-range` (RFC 8460 §4.4): RFC 3339 date-times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct DateRange {
    /// `start-datetime`.
    #[serde(with = "datetime")]
    pub start_datetime: OffsetDateTime,
    /// `end-datetime`.
    #[serde(with = "datetime")]
    pub end_datetime: OffsetDateTime,
}

/// One element of `policies`: a policy, its summary and its failures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct PolicyResult {
    /// `policy`.
    pub policy: Policy,
    /// `summary`.
    #[serde(default)]
    pub summary: Summary,
    /// `failure-details`; omitted when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failure_details: Vec<FailureDetails>,
}

/// `policy-type` (RFC 8460 §4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum PolicyType {
    /// `tlsa`: DANE (RFC 6698, RFC 7672).
    Tlsa,
    /// `sts`: MTA-STS (RFC 8461).
    Sts,
    /// `no-policy-found`: neither.
    NoPolicyFound,
    /// Anything else a reporter wrote (read only).
    #[serde(other)]
    Unknown,
}

impl PolicyType {
    /// The RFC 8460 spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tlsa => "tlsa",
            Self::Sts => "sts",
            Self::NoPolicyFound => "no-policy-found",
            Self::Unknown => "unknown",
        }
    }
}

/// `policy` (RFC 8460 §4.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Policy {
    /// `policy-type`.
    pub policy_type: PolicyType,
    /// `policy-string`: the policy's lines (MTA-STS) or the TLSA records
    /// (DANE), one string each; omitted for `no-policy-found`.
    #[serde(
        default,
        deserialize_with = "policy_strings",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub policy_string: Vec<String>,
    /// `policy-domain`: the domain the policy is for.
    #[serde(default)]
    pub policy_domain: String,
    /// `mx-host`: the policy's `mx` patterns (MTA-STS) or the MX host the
    /// TLSA records are for (DANE); omitted when empty.
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub mx_host: Vec<String>,
}

/// `summary` (RFC 8460 §4.4).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Summary {
    /// `total-successful-session-count`.
    #[serde(default)]
    pub total_successful_session_count: u64,
    /// `total-failure-session-count`.
    #[serde(default)]
    pub total_failure_session_count: u64,
}

/// One element of `failure-details` (RFC 8460 §4.4); optional fields are
/// omitted when unknown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct FailureDetails {
    /// `result-type` (RFC 8460 §4.3), e.g. `tlsa-invalid`.
    pub result_type: String,
    /// `sending-mta-ip`: our address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sending_mta_ip: Option<String>,
    /// `receiving-mx-hostname`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiving_mx_hostname: Option<String>,
    /// `receiving-mx-helo`: the name the MX gave in its EHLO reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiving_mx_helo: Option<String>,
    /// `receiving-ip`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiving_ip: Option<String>,
    /// `failed-session-count`.
    #[serde(default)]
    pub failed_session_count: u64,
    /// `additional-information`: a URI with more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_information: Option<String>,
    /// `failure-reason-code`: the sender's own code for the failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason_code: Option<String>,
}

/// `policy-string`, each element that is itself a JSON array of strings
/// (`["[\"3 1 1 …\",\"3 1 1 …\"]"]`, as Microsoft writes TLSA records)
/// read as the strings it holds.
/// A string member written as `null` is read as empty.
fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

fn policy_strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let written = Option::<Vec<String>>::deserialize(d)?.unwrap_or_default();
    let mut strings = Vec::with_capacity(written.len());
    for string in written {
        let inner = string
            .trim_start()
            .starts_with('[')
            .then(|| serde_json::from_str::<Vec<String>>(&string).ok())
            .flatten();
        match inner {
            Some(inner) => strings.extend(inner),
            None => strings.push(string),
        }
    }
    Ok(strings)
}

/// `mx-host` as an array, or as one string as some reporters write it.
fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
        Nothing(()),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
        OneOrMany::Nothing(()) => Vec::new(),
    })
}

impl Report {
    /// The report as JSON text.
    pub fn to_json(&self) -> String {
        // Serialising these plain structs to a string cannot fail.
        serde_json::to_string(self).expect("a report serialises to JSON")
    }
}
