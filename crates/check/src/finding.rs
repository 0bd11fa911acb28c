//! The shared finding type: one observation about a domain's posture, with
//! how bad it is, the evidence and what to do about it.
//!
//! # Stable JSON form
//!
//! Each finding serializes as one object; field names, `area` and
//! `severity` values and `id`s are stable (a new finding gets a new `id`, an
//! `id` is never reused for another meaning):
//!
//! ```json
//! {
//!   "area": "spf",
//!   "severity": "error",
//!   "id": "spf-too-many-lookups",
//!   "title": "SPF needs more than 10 DNS lookups",
//!   "evidence": "example.com TXT (DNSSEC: secure) ...",
//!   "remedy": "Flatten or remove includes ...",
//!   "detail": { "kind": "spf-tree", "...": "..." }
//! }
//! ```
//!
//! - `area`: `mx`, `dnssec`, `dane`, `mta-sts`, `tls-rpt`, `spf`, `dkim`, `dmarc`,
//!   `delivery`.
//! - `severity`: `error`, `warning`, `info`, `pass`.
//! - `id`: kebab-case, prefixed by its area (`spf-`, `dkim-`, `dmarc-`, `tlsrpt-`, …).
//! - `evidence`: what was seen, for people; not meant to be parsed.
//! - `remedy`: what to do; empty for a pass.
//! - `detail`: present only for findings that carry structure, tagged by
//!   `kind` (see [`Detail`]).

use serde::Serialize;

use crate::spf::SpfTree;

/// What part of a domain's posture a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Area {
    /// Mail exchangers (RFC 5321 §5.1, RFC 7505).
    Mx,
    /// DNSSEC status of the answers delivery depends on.
    Dnssec,
    /// DANE for SMTP (RFC 7672).
    Dane,
    /// MTA-STS (RFC 8461).
    MtaSts,
    /// SMTP TLS reporting (RFC 8460).
    TlsRpt,
    /// Sender Policy Framework (RFC 7208).
    Spf,
    /// A DKIM selector's key record (RFC 6376 §3.6.1).
    Dkim,
    /// DMARC (RFC 7489).
    Dmarc,
    /// What delivery would do now (the verdict `sealane route` gives).
    Delivery,
}

impl Area {
    /// The name used in JSON and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mx => "mx",
            Self::Dnssec => "dnssec",
            Self::Dane => "dane",
            Self::MtaSts => "mta-sts",
            Self::TlsRpt => "tls-rpt",
            Self::Spf => "spf",
            Self::Dkim => "dkim",
            Self::Dmarc => "dmarc",
            Self::Delivery => "delivery",
        }
    }
}

impl std::fmt::Display for Area {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How bad a finding is. Ordered from best to worst, so the maximum of a
/// report's severities decides its exit status:
/// `Pass < Info < Warning < Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Severity {
    /// A check that succeeded.
    Pass,
    /// Worth knowing; nothing to fix.
    Info,
    /// Works today, but fragile, obsolete or against a best practice.
    Warning,
    /// Receivers or senders will ignore the record (or fail on it), mail
    /// cannot be delivered, or the domain is left open to spoofing.
    Error,
}

impl Severity {
    /// The name used in JSON and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One observation about a domain.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// What part of the posture it is about.
    pub area: Area,
    /// How bad it is.
    pub severity: Severity,
    /// Stable kebab-case identifier, e.g. `spf-too-many-lookups`.
    pub id: &'static str,
    /// A short title.
    pub title: &'static str,
    /// What was seen: records, DNSSEC statuses, counts.
    pub evidence: String,
    /// What to do about it; empty for a pass.
    pub remedy: String,
    /// Structure behind the evidence, for findings that have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<Detail>,
}

impl Finding {
    /// Attaches structured detail.
    pub fn with_detail(mut self, detail: Detail) -> Self {
        self.detail = Some(detail);
        self
    }
}

/// Structure behind a finding's evidence, tagged by `kind` in JSON.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Detail {
    /// The tree of SPF terms that cost DNS lookups (RFC 7208 §4.6.4).
    SpfTree(SpfTree),
}

/// The worst severity among `findings`, or `None` when there are none.
pub fn worst(findings: &[Finding]) -> Option<Severity> {
    findings.iter().map(|f| f.severity).max()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(severity: Severity) -> Finding {
        Finding {
            area: Area::Spf,
            severity,
            id: "spf-test",
            title: "a test",
            evidence: String::new(),
            remedy: String::new(),
            detail: None,
        }
    }

    #[test]
    fn severities_order_from_pass_to_error() {
        assert!(Severity::Pass < Severity::Info);
        assert!(Severity::Info < Severity::Warning);
        assert!(Severity::Warning < Severity::Error);
    }

    #[test]
    fn worst_picks_the_most_severe() {
        let findings = [
            finding(Severity::Pass),
            finding(Severity::Warning),
            finding(Severity::Info),
        ];
        assert_eq!(worst(&findings), Some(Severity::Warning));
        assert_eq!(worst(&[]), None);
    }

    #[test]
    fn json_form_is_stable() {
        let json = serde_json::to_value(finding(Severity::Warning)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "area": "spf",
                "severity": "warning",
                "id": "spf-test",
                "title": "a test",
                "evidence": "",
                "remedy": ""
            })
        );
        let areas: Vec<_> = [Area::MtaSts, Area::TlsRpt, Area::Dnssec]
            .iter()
            .map(|a| serde_json::to_value(a).unwrap())
            .collect();
        assert_eq!(areas, ["mta-sts", "tls-rpt", "dnssec"]);
        for area in [Area::Mx, Area::Dane, Area::Spf, Area::Dmarc, Area::MtaSts] {
            assert_eq!(serde_json::to_value(area).unwrap(), area.as_str());
        }
    }
}
