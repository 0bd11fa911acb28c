//! DANE usability for one MX host (RFC 7672 §2.2): which addresses, whether
//! a TLSA lookup is made and where, and what its answer requires.

use dns::{DnssecStatus, Lookup, Name, Resolver};

use crate::plan::{HostPlan, Reason, Requirement, TlsaAnswer};
use crate::trouble::{Cause, DnsStep, Trouble};

/// SMTP's port for TLSA owner names: `_25._tcp.<base domain>` (RFC 7672
/// §2.2), whatever port a test connects to.
const SMTP_PORT: u16 = 25;

/// The plan for one MX host.
///
/// - RFC 7672 §2.2.2: the address records are looked up first; only when
///   they (and any CNAME leading to them) are secure is TLSA looked up.
///   Insecure addresses make the host non-DANE; bogus ones, or a failed
///   lookup, make it unusable now.
/// - RFC 7672 §2.2.3: when the host name is an alias and the whole chain
///   is secure, TLSA is looked up at the expanded name first, then at the
///   original name; otherwise at the original name only.
pub(crate) async fn host_plan(resolver: &Resolver, name: &Name, preference: u16) -> HostPlan {
    let mut host = HostPlan {
        name: name.clone(),
        preference,
        addresses: Vec::new(),
        address_status: DnssecStatus::Indeterminate,
        tlsa: None,
        requirement: Requirement::Opportunistic,
        reason: Reason::AddressLookupFailed,
        raised_by: None,
        sts_testing: None,
    };
    let addresses = match resolver.addresses(name).await {
        Ok(addresses) => addresses,
        Err(error) => {
            host.requirement = unusable(Trouble::dns(DnsStep::Address, &error));
            return host;
        }
    };
    host.addresses.clone_from(&addresses.records);
    host.address_status = addresses.status;
    match addresses.status {
        DnssecStatus::Bogus | DnssecStatus::Indeterminate => {
            host.reason = Reason::AddressesNotValidated;
            host.requirement = unusable(Trouble::with_detail(
                Cause::DnssecInvalid {
                    step: DnsStep::Address,
                },
                format!("{name} A/AAAA: DNSSEC status {}", addresses.status),
            ));
            return host;
        }
        _ if addresses.records.is_empty() => {
            host.reason = Reason::NoAddresses;
            host.requirement = unusable(Trouble::with_detail(
                Cause::NoAddresses,
                format!("{name}: no A or AAAA records"),
            ));
            return host;
        }
        DnssecStatus::Insecure => {
            host.reason = Reason::AddressesInsecure;
            return host;
        }
        DnssecStatus::Secure => {}
    }

    let mut tried = Vec::new();
    for base in base_domains(name, &addresses) {
        tried.push(base.clone());
        let answer = match resolver.tlsa(&base, SMTP_PORT).await {
            Ok(answer) => answer,
            Err(error) => {
                host.tlsa = Some(TlsaAnswer {
                    base_domain: base,
                    tried,
                    records: Vec::new(),
                    status: DnssecStatus::Indeterminate,
                });
                host.reason = Reason::TlsaLookupFailed;
                host.requirement = unusable(Trouble::dns(DnsStep::Tlsa, &error));
                return host;
            }
        };
        let records: Vec<tls::Tlsa> = answer.records.iter().map(to_tls).collect();
        let status = answer.status;
        host.tlsa = Some(TlsaAnswer {
            base_domain: base.clone(),
            tried: tried.clone(),
            records: records.clone(),
            status,
        });
        match status {
            // A TLSA RRset that fails validation is no licence to downgrade
            // (RFC 7672 §2.2: the host is not usable).
            DnssecStatus::Bogus | DnssecStatus::Indeterminate => {
                host.reason = Reason::TlsaNotValidated;
                host.requirement = unusable(Trouble::with_detail(
                    Cause::DnssecInvalid {
                        step: DnsStep::Tlsa,
                    },
                    format!("{} TLSA: DNSSEC status {status}", answer.name),
                ));
                return host;
            }
            // Nothing trustworthy at this base domain: try the next one.
            DnssecStatus::Insecure => host.reason = Reason::TlsaInsecure,
            DnssecStatus::Secure if records.is_empty() => {
                host.reason = Reason::TlsaSecurelyAbsent;
            }
            DnssecStatus::Secure => {
                (host.requirement, host.reason) = from_records(&records, &base, name);
                return host;
            }
        }
    }
    // No secure TLSA RRset at any base domain: no DANE for this host.
    host.requirement = Requirement::Opportunistic;
    host
}

/// Where to look for TLSA records, in order (RFC 7672 §2.2.3).
///
/// An insecure alias chain never reaches here (the address answer would be
/// insecure and no TLSA lookup made), but the rule is kept whole: only a
/// chain whose every link is secure earns the expanded name.
fn base_domains(name: &Name, addresses: &Lookup<std::net::IpAddr>) -> Vec<Name> {
    let chain_secure = addresses.is_secure()
        && addresses
            .aliases
            .iter()
            .all(|alias| alias.status.is_secure());
    let expanded = &addresses.canonical_name;
    if chain_secure && !addresses.aliases.is_empty() && expanded != name {
        vec![expanded.clone(), name.clone()]
    } else {
        vec![name.clone()]
    }
}

/// The requirement a secure, non-empty TLSA RRset makes (RFC 7672 §2.2):
/// DANE when a record is usable, else TLS without authentication.
fn from_records(records: &[tls::Tlsa], base: &Name, mx_name: &Name) -> (Requirement, Reason) {
    let usable: Vec<tls::Tlsa> = tls::usable_records(records).into_iter().cloned().collect();
    if usable.is_empty() {
        return (
            Requirement::TlsMandatoryUnauthenticated,
            Reason::TlsaAllUnusable,
        );
    }
    // RFC 7672 §3.2.2: the TLSA base domain, and the MX host name it may
    // have been expanded from, are both acceptable reference identifiers.
    let mut names = vec![host_text(base)];
    let original = host_text(mx_name);
    if !names.contains(&original) {
        names.push(original);
    }
    (
        Requirement::Dane {
            records: usable,
            names,
            base_domain: base.clone(),
        },
        Reason::TlsaUsable,
    )
}

fn unusable(trouble: Trouble) -> Requirement {
    Requirement::UnusableNow(trouble)
}

/// A host name as a reference identifier: lower case, no trailing dot.
fn host_text(name: &Name) -> String {
    let text = name.to_lowercase().to_ascii();
    text.strip_suffix('.').unwrap_or(&text).to_owned()
}

fn to_tls(record: &dns::Tlsa) -> tls::Tlsa {
    tls::Tlsa::new(
        record.usage.into(),
        record.selector.into(),
        record.matching.into(),
        record.data.clone(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> Name {
        Name::from_ascii(text).unwrap()
    }

    fn record(text: &str) -> tls::Tlsa {
        text.parse().unwrap()
    }

    const HASH: &str = "8c7d6b2a0f1e3d4c5b6a79880716253443526170819f0e1d2c3b4a5968778695";

    #[test]
    fn usable_records_make_dane_with_both_names() {
        let records = vec![record(&format!("3 1 1 {HASH}")), record("1 1 1 00")];
        let (requirement, reason) =
            from_records(&records, &name("mx.b.test."), &name("MX.a.test."));
        assert_eq!(reason, Reason::TlsaUsable);
        let Requirement::Dane {
            records,
            names,
            base_domain,
        } = requirement
        else {
            panic!("expected DANE, got {requirement:?}");
        };
        assert_eq!(records, vec![record(&format!("3 1 1 {HASH}"))]);
        assert_eq!(names, vec!["mx.b.test", "mx.a.test"]);
        assert_eq!(base_domain, name("mx.b.test."));
    }

    #[test]
    fn same_base_and_host_name_is_named_once() {
        let records = vec![record(&format!("2 0 1 {HASH}"))];
        let (requirement, _) = from_records(&records, &name("mx.a.test."), &name("mx.a.test."));
        let Requirement::Dane { names, .. } = requirement else {
            panic!("expected DANE");
        };
        assert_eq!(names, vec!["mx.a.test"]);
    }

    #[test]
    fn only_unusable_records_make_tls_mandatory() {
        let records = vec![record(&format!("0 0 1 {HASH}")), record("3 1 1 00")];
        assert_eq!(
            from_records(&records, &name("mx.a.test."), &name("mx.a.test.")),
            (
                Requirement::TlsMandatoryUnauthenticated,
                Reason::TlsaAllUnusable
            )
        );
    }
}
