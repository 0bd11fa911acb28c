//! The plan for an accepted domain whose mail goes on to an internal host
//! the administrator configured: that host only, with the TLS the
//! configuration asks for. What the recipient domain publishes in DNS does
//! not apply; the configuration is the policy.

use std::net::IpAddr;

use dns::{DnssecStatus, MxKind, Name, Resolver};

use crate::options::PlanOptions;
use crate::plan::{DeliveryPlan, HostPlan, Reason, Requirement};
use crate::trouble::{Cause, DnsStep, Trouble};

/// A plan for `domain` through `host` (a name or an IP literal): STARTTLS
/// mandatory without authentication when `require_tls`, else opportunistic.
pub async fn relay_plan(
    resolver: &Resolver,
    domain: &Name,
    host: &str,
    require_tls: bool,
) -> DeliveryPlan {
    let requirement = if require_tls {
        Requirement::TlsMandatoryUnauthenticated
    } else {
        Requirement::Opportunistic
    };
    let (name, addresses, status) = match host.trim_matches(['[', ']']).parse::<IpAddr>() {
        // An address literal has no name of its own; the domain stands in
        // for it (EHLO peer name in the trace, SNI).
        Ok(ip) => (domain.clone(), Ok(vec![ip]), DnssecStatus::Insecure),
        Err(_) => match Resolver::parse_name(host) {
            Ok(name) => match resolver.addresses(&name).await {
                Ok(found) if found.records.is_empty() => (
                    name.clone(),
                    Err(Trouble::with_detail(
                        Cause::NoAddresses,
                        format!("relay host {host}: no A or AAAA records"),
                    )),
                    found.status,
                ),
                Ok(found) => (name, Ok(found.records), found.status),
                Err(error) => (
                    name,
                    Err(Trouble::dns(DnsStep::Address, &error)),
                    DnssecStatus::Indeterminate,
                ),
            },
            Err(e) => (
                Name::root(),
                Err(Trouble::with_detail(
                    Cause::LocalSoftware,
                    format!("relay host {}: {e}", smtp::quoted(host)),
                )),
                DnssecStatus::Indeterminate,
            ),
        },
    };
    let (addresses, requirement) = match addresses {
        Ok(addresses) => (addresses, requirement),
        Err(trouble) => (Vec::new(), Requirement::UnusableNow(trouble)),
    };
    DeliveryPlan {
        domain: domain.clone(),
        mx_kind: Some(MxKind::Explicit),
        mx_status: DnssecStatus::Insecure,
        hosts: vec![HostPlan {
            name,
            preference: 0,
            addresses,
            address_status: status,
            tlsa: None,
            requirement,
            reason: Reason::ConfiguredRelay,
            raised_by: None,
            sts_testing: None,
        }],
        domain_trouble: None,
        options: PlanOptions::new(),
        sts: None,
    }
}
