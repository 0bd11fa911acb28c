//! The reports kept at our report address, taken together: per policy
//! domain, who reported, the period, and each source address with what
//! receivers did and whether DKIM and SPF passed aligned, summed over
//! every report (`sealane report dmarc received`).

use std::collections::BTreeMap;

use mail_auth::report::Report;
use serde::Serialize;

use super::summary::summarise;

/// Every kept report, summed per policy domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReceivedDmarcSummary {
    /// Reports read.
    pub reports: usize,
    /// One entry per policy domain, in name order.
    pub domains: Vec<DomainSources>,
    /// Stored reports that no longer parse, named.
    pub unreadable: Vec<String>,
}

/// One policy domain's reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DomainSources {
    /// The policy domain.
    pub domain: String,
    /// Who reported (`org_name`), in name order.
    pub reporters: Vec<String>,
    /// The earliest period start (RFC 3339).
    pub first: String,
    /// The latest period end (RFC 3339).
    pub last: String,
    /// Messages counted.
    pub messages: u64,
    /// Of them, those that passed DMARC.
    pub passed: u64,
    /// Per source address and outcome, most messages first.
    pub sources: Vec<SourceTotal>,
}

/// A source address and outcome, summed over the reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceTotal {
    /// The sending address; empty when reporters left it out.
    pub source_ip: String,
    /// What receivers did.
    pub disposition: &'static str,
    /// DKIM aligned: pass or fail.
    pub dkim: &'static str,
    /// SPF aligned: pass or fail.
    pub spf: &'static str,
    /// Messages.
    pub count: u64,
}

/// Sums `reports` per policy domain and source.
#[must_use]
pub fn combine(reports: &[Report], unreadable: Vec<String>) -> ReceivedDmarcSummary {
    type Key = (String, &'static str, &'static str, &'static str);
    let mut domains: BTreeMap<String, (DomainSources, BTreeMap<Key, u64>)> = BTreeMap::new();
    for report in reports {
        let s = summarise(report);
        let (entry, sources) = domains
            .entry(s.domain.to_ascii_lowercase())
            .or_insert_with(|| {
                (
                    DomainSources {
                        domain: s.domain.to_ascii_lowercase(),
                        reporters: Vec::new(),
                        first: s.begin.clone(),
                        last: s.end.clone(),
                        messages: 0,
                        passed: 0,
                        sources: Vec::new(),
                    },
                    BTreeMap::new(),
                )
            });
        if !entry.reporters.contains(&s.organization) {
            entry.reporters.push(s.organization.clone());
            entry.reporters.sort();
        }
        if s.begin < entry.first {
            entry.first = s.begin.clone();
        }
        if s.end > entry.last {
            entry.last = s.end.clone();
        }
        entry.messages += s.messages;
        entry.passed += s.passed;
        for row in s.sources {
            *sources
                .entry((row.source_ip, row.disposition, row.dkim, row.spf))
                .or_default() += row.count;
        }
    }
    let domains = domains
        .into_values()
        .map(|(mut entry, sources)| {
            entry.sources = sources
                .into_iter()
                .map(|((source_ip, disposition, dkim, spf), count)| SourceTotal {
                    source_ip,
                    disposition,
                    dkim,
                    spf,
                    count,
                })
                .collect();
            entry.sources.sort_by_key(|s| std::cmp::Reverse(s.count));
            entry
        })
        .collect();
    ReceivedDmarcSummary {
        reports: reports.len(),
        domains,
        unreadable,
    }
}
