//! Mail exchangers (RFC 5321 §5.1, RFC 7505): null MX, no MX, targets
//! that are aliases or IP addresses, hosts without addresses, and hosts
//! that fail the delivery probe while others work.

mod texts;

use std::net::IpAddr;

use delivery::HostAttempt;
use dns::{MxKind, Resolver};
use policy::{DeliveryPlan, Reason, Requirement};

use crate::finding::Finding;
use crate::names::{bare, describe_host};

/// Checks the MX set of the plan. `probes` are the delivery probes of its
/// hosts; failures of hosts that neither DANE nor MTA-STS govern are
/// reported here (the DANE and MTA-STS areas report theirs).
pub async fn check_mx(
    resolver: &Resolver,
    plan: &DeliveryPlan,
    probes: &[HostAttempt],
) -> Vec<Finding> {
    let shown = bare(&plan.domain);
    let Some(kind) = plan.mx_kind else {
        let reason = plan
            .domain_trouble
            .as_ref()
            .map(|t| t.diagnostic())
            .unwrap_or_default();
        return vec![texts::LOOKUP_FAILED.finding(&shown, format!("{shown} MX: {reason}"))];
    };
    let status = plan.mx_status;
    match kind {
        MxKind::NoSuchDomain => {
            return vec![
                texts::NO_SUCH_DOMAIN
                    .finding(&shown, format!("{shown} MX (DNSSEC: {status}): NXDOMAIN")),
            ];
        }
        MxKind::NullMx => {
            return vec![
                texts::NULL_MX.finding(&shown, format!("{shown} MX (DNSSEC: {status}): 0 .")),
            ];
        }
        MxKind::Implicit => {}
        MxKind::Explicit => {}
    }
    let mut findings = Vec::new();
    if kind == MxKind::Implicit {
        findings.push(texts::IMPLICIT.finding(
            &shown,
            format!("{shown} MX (DNSSEC: {status}): no records; the domain itself is used"),
        ));
    }
    let mut good = Vec::new();
    for host in &plan.hosts {
        let name = bare(&host.name);
        if kind == MxKind::Explicit && name.parse::<IpAddr>().is_ok() {
            findings.push(
                texts::IP_LITERAL.finding(&shown, format!("{shown} MX {} {name}", host.preference)),
            );
            continue;
        }
        if kind == MxKind::Explicit
            && let Ok(answer) = resolver.addresses(&host.name).await
            && let Some(alias) = answer.aliases.first()
        {
            findings.push(texts::CNAME.finding(
                &shown,
                format!(
                    "{shown} MX {} {name}; {name} is a CNAME for {}",
                    host.preference,
                    bare(&alias.target)
                ),
            ));
        }
        if host.reason == Reason::NoAddresses {
            findings.push(texts::NO_ADDRESSES.finding(
                &shown,
                format!(
                    "{name}: no A or AAAA records (DNSSEC: {})",
                    host.address_status
                ),
            ));
            continue;
        }
        good.push(describe_host(host));
    }
    if !good.is_empty() {
        findings.push(texts::HOSTS.finding(&shown, good.join("; ")));
    }
    for probe in probes {
        let governed = matches!(
            probe.requirement,
            Requirement::Dane { .. } | Requirement::StsEnforce { .. }
        );
        if let (false, Some(trouble)) = (governed, &probe.trouble) {
            findings.push(texts::HOST_FAILED.finding(
                &shown,
                format!(
                    "{} ({}): {}",
                    probe.host,
                    probe.address,
                    trouble.diagnostic()
                ),
            ));
        }
    }
    findings
}
