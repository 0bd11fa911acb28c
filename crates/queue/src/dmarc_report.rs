//! What DMARC aggregate reporting (RFC 7489 §7.2) keeps: the messages
//! evaluated against each Domain Owner's policy, counted per UTC day and
//! per alike row (source address, what we did, the results), so a
//! restart loses nothing and several nodes report as one; and the
//! aggregate reports other organisations sent about our domains.
//! The `report` crate writes and reads the XML; the store only keeps.

use std::net::IpAddr;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::tls_session::UtcDay;

/// One row of an aggregate report (RFC 7489 Appendix C `record`), without
/// its count: alike messages share one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DmarcRow {
    /// The address the message came from (`source_ip`): the client's, or
    /// the first hop from outside the trusted gateways.
    pub source_ip: IpAddr,
    /// What we did (`disposition`): `none`, `quarantine` or `reject`.
    pub disposition: String,
    /// DKIM passed for an aligned domain (`policy_evaluated/dkim`).
    pub dkim_aligned: bool,
    /// SPF passed for an aligned domain (`policy_evaluated/spf`).
    pub spf_aligned: bool,
    /// Why what we did differs from what the policy asked, if it does
    /// (`reason`).
    pub overrides: Vec<DmarcOverride>,
    /// The RFC5322.From domain.
    pub header_from: String,
    /// The RFC5321.MailFrom domain; the HELO name for a null sender.
    pub envelope_from: String,
    /// Each DKIM signature's domain, selector and result.
    pub dkim: Vec<DmarcDkim>,
    /// SPF: the domain checked, its scope (`mfrom` or `helo`) and result.
    pub spf: Vec<DmarcSpf>,
}

/// A policy override (RFC 7489 Appendix C `PolicyOverrideReason`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DmarcOverride {
    /// `forwarded`, `sampled_out`, `trusted_forwarder`, `mailing_list`,
    /// `local_policy` or `other`.
    pub kind: String,
    /// Words for the Domain Owner.
    pub comment: Option<String>,
}

/// A DKIM result as reported (`DKIMAuthResultType`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DmarcDkim {
    /// `d=`.
    pub domain: String,
    /// `s=`.
    pub selector: String,
    /// `pass`, `fail`, `policy`, `neutral`, `temperror` or `permerror`.
    pub result: String,
}

/// An SPF result as reported (`SPFAuthResultType`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DmarcSpf {
    /// The domain checked.
    pub domain: String,
    /// `mfrom` or `helo`.
    pub scope: String,
    /// `none`, `neutral`, `pass`, `fail`, `softfail`, `temperror` or
    /// `permerror`.
    pub result: String,
}

/// Messages to count under a Domain Owner's policy and a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmarcObservation {
    /// The domain whose `_dmarc` record applied (the author domain or its
    /// organizational domain), lowercased: the report goes to its `rua`.
    pub policy_domain: String,
    /// The UTC day of arrival.
    pub day: UtcDay,
    /// The row.
    pub row: DmarcRow,
    /// How many messages.
    pub count: u64,
}

/// A row of a domain and day, with its count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmarcRowCount {
    /// The row.
    pub row: DmarcRow,
    /// How many messages.
    pub count: u64,
}

/// An aggregate report another organisation sent about one of our
/// domains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedDmarcReport {
    /// The report's `policy_published/domain`, lowercased.
    pub policy_domain: String,
    /// The reporter's `org_name`.
    pub organization_name: String,
    /// The reporter's `report_id`; with the organisation and the domain it
    /// names the report, so the same report arriving twice is kept once.
    pub report_id: String,
    /// The start of the period the report covers.
    pub begin: SystemTime,
    /// Its end.
    pub end: SystemTime,
    /// When it reached us (our clock).
    pub received_at: SystemTime,
    /// The report's XML, decompressed.
    pub xml: String,
}

/// The key a row is stored under: the SHA-256 of its JSON, in hex, so
/// alike rows meet and no row is too long to be a key.
pub(crate) fn row_key(json: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(json.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
