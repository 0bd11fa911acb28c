//! DANE for SMTP (RFC 7672): TLSA records for every MX host, their forms,
//! rollover readiness, and what the delivery probe saw on port 25 —
//! STARTTLS, TLS version, certificate expiry and which TLSA record matched.

mod probe;
mod texts;

use delivery::HostAttempt;
use dns::DnssecStatus;
use policy::{DeliveryPlan, HostPlan};

use crate::finding::Finding;
use crate::names::bare;

/// Checks the TLSA records of every host of `plan` and the probes of them.
pub fn check_dane(plan: &DeliveryPlan, probes: &[HostAttempt]) -> Vec<Finding> {
    let shown = bare(&plan.domain);
    if plan.hosts.is_empty() {
        return Vec::new();
    }
    let mut findings = Vec::new();
    let (with, without): (Vec<&HostPlan>, Vec<&HostPlan>) = plan.hosts.iter().partition(|h| {
        h.tlsa
            .as_ref()
            .is_some_and(|t| t.status == DnssecStatus::Secure && !t.records.is_empty())
    });
    if without.is_empty() {
        let names: Vec<String> = with.iter().map(|h| bare(&h.name)).collect();
        findings.push(texts::TLSA_PRESENT.finding(&shown, names.join(", ")));
    } else {
        let reasons: Vec<String> = without
            .iter()
            .map(|h| format!("{}: {}", bare(&h.name), h.reason.describe()))
            .collect();
        findings.push(texts::TLSA_MISSING.finding(&shown, reasons.join("; ")));
    }
    for host in with {
        findings.extend(records(&shown, host));
    }
    for attempt in probes.iter().filter(|p| !p.plaintext_retry) {
        findings.extend(probe::findings(&shown, attempt));
    }
    findings
}

/// The forms of one host's TLSA records and its rollover readiness.
fn records(shown: &str, host: &HostPlan) -> Vec<Finding> {
    let Some(tlsa) = &host.tlsa else {
        return Vec::new();
    };
    let owner = format!("_25._tcp.{}", bare(&tlsa.base_domain));
    let list = |keep: &dyn Fn(&tls::Tlsa) -> bool| -> Vec<String> {
        tlsa.records
            .iter()
            .filter(|r| keep(r))
            .map(|r| format!("{owner} TLSA {r}"))
            .collect()
    };
    let code = |r: &tls::Tlsa| {
        (
            u8::from(r.usage),
            u8::from(r.selector),
            u8::from(r.matching),
        )
    };
    let mut findings = Vec::new();
    let pkix = list(&|r| matches!(code(r).0, 0 | 1));
    let usable = list(&|r| matches!(code(r).0, 2 | 3));
    if usable.is_empty() {
        findings.push(texts::TLSA_UNUSABLE.finding(
            shown,
            format!(
                "{}: no DANE-TA (2) or DANE-EE (3) record; senders ignore the others and use \
                 TLS without authentication (RFC 7672 §2.2, §3.1.3)",
                list(&|_| true).join("; ")
            ),
        ));
    } else if !pkix.is_empty() {
        findings.push(texts::USAGE_PKIX.finding(shown, pkix.join("; ")));
    }
    let other = list(&|r| code(r) != (3, 1, 1));
    if !other.is_empty() {
        findings.push(texts::RECOMMEND_311.finding(shown, other.join("; ")));
    }
    let ee = tlsa.records.iter().filter(|r| code(r).0 == 3).count();
    let ta = tlsa.records.iter().filter(|r| code(r).0 == 2).count();
    if ee >= 2 || ta >= 1 {
        findings.push(texts::ROLLOVER_READY.finding(
            shown,
            format!(
                "{owner}: {} and {}",
                smtp::count(ee as u64, "DANE-EE record", "DANE-EE records"),
                smtp::count(ta as u64, "DANE-TA record", "DANE-TA records")
            ),
        ));
    } else {
        findings.push(texts::ROLLOVER_SINGLE.finding(shown, list(&|_| true).join("; ")));
    }
    findings
}
