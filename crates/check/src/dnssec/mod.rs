//! DNSSEC status of the answers delivery rests on — the MX RRset, each
//! host's address records and TLSA records — as the delivery plan saw
//! them, and for each bogus answer the cause ([`diagnose`]).

mod diagnose;
mod texts;

use std::collections::BTreeSet;

use dns::{DnssecStatus, Name, RecordType, Resolver};
use policy::DeliveryPlan;

use crate::finding::Finding;
use crate::names::bare;

/// The one finding when the checking machine's own resolver cannot serve
/// DNSSEC: the fault is local, and nothing about the domain is reported.
pub(crate) fn local_resolver_finding(domain: &str, error: &dns::DnsError) -> Finding {
    texts::LOCAL_RESOLVER.finding(domain, error.to_string())
}

/// Checks the DNSSEC status of every answer in `plan`, and names the
/// cause of each bogus one.
pub async fn check_dnssec(resolver: &Resolver, plan: &DeliveryPlan) -> Vec<Finding> {
    let shown = bare(&plan.domain);
    let mut answers: Vec<(String, DnssecStatus, Name, RecordType)> = vec![(
        format!("{shown} MX"),
        plan.mx_status,
        plan.domain.clone(),
        RecordType::MX,
    )];
    for host in &plan.hosts {
        answers.push((
            format!("{} A/AAAA", bare(&host.name)),
            host.address_status,
            host.name.clone(),
            RecordType::A,
        ));
        if let Some(tlsa) = &host.tlsa {
            answers.push((
                format!("_25._tcp.{} TLSA", bare(&tlsa.base_domain)),
                tlsa.status,
                tlsa_owner(&tlsa.base_domain),
                RecordType::TLSA,
            ));
        }
    }
    let mut findings = Vec::new();
    let mut secure = Vec::new();
    let mut insecure = Vec::new();
    let mut causes = BTreeSet::new();
    for (label, status, name, rtype) in answers {
        match status {
            DnssecStatus::Secure => secure.push(label),
            DnssecStatus::Insecure => insecure.push(label),
            DnssecStatus::Bogus => {
                findings.push(texts::BOGUS.finding(&shown, format!("{label}: bogus")));
                for cause in diagnose::why(resolver, &shown, &name, rtype).await {
                    // Several answers from one broken zone share a cause.
                    if causes.insert((cause.id, cause.evidence.clone())) {
                        findings.push(cause);
                    }
                }
            }
            DnssecStatus::Indeterminate => findings
                .push(texts::INDETERMINATE.finding(&shown, format!("{label}: indeterminate"))),
        }
    }
    if !insecure.is_empty() {
        findings
            .push(texts::INSECURE.finding(&shown, format!("insecure: {}", insecure.join(", "))));
    }
    if !secure.is_empty() {
        findings.push(texts::SECURE.finding(&shown, format!("secure: {}", secure.join(", "))));
    }
    findings
}

/// `_25._tcp.<base>`, the owner of a host's TLSA records.
fn tlsa_owner(base: &Name) -> Name {
    base.prepend_label("_tcp")
        .and_then(|n| n.prepend_label("_25"))
        .unwrap_or_else(|_| base.clone())
}
