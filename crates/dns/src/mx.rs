//! Where mail for a domain goes: RFC 5321 §5.1 with RFC 7505 null MX.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

use hickory_proto::rr::{Name, RData, RecordType};
use serde::Serialize;

use crate::error::DnsError;
use crate::lookup::Absence;
use crate::records::serialize_name;
use crate::resolver::Resolver;
use crate::status::DnssecStatus;

/// How the mail exchangers of a domain were found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MxKind {
    /// The domain publishes MX records.
    Explicit,
    /// No MX records: the domain itself is the mail exchanger, preference 0
    /// (RFC 5321 §5.1).
    Implicit,
    /// The domain declares it accepts no mail: a single MX `0 .` (RFC 7505 §3).
    NullMx,
    /// The domain does not exist (NXDOMAIN).
    NoSuchDomain,
}

/// One mail exchanger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MxHost {
    /// Lower is tried first.
    pub preference: u16,
    /// The host name.
    #[serde(serialize_with = "serialize_name")]
    pub name: Name,
}

/// The mail exchangers of a domain, in the order to try them.
#[must_use]
#[derive(Clone, Debug, Serialize)]
pub struct MxSet {
    /// The domain asked about.
    #[serde(serialize_with = "serialize_name")]
    pub domain: Name,
    /// How the hosts were found.
    pub kind: MxKind,
    /// The hosts by ascending preference; equal preferences in random order
    /// (RFC 5321 §5.1). Empty for a null MX or a domain that does not exist.
    pub hosts: Vec<MxHost>,
    /// The DNSSEC status of the MX answer (or of its denial).
    pub status: DnssecStatus,
    /// Whether the answer came from the cache.
    pub cached: bool,
}

impl Resolver {
    /// The mail exchangers of `domain`.
    pub async fn mx(&self, domain: &Name) -> Result<MxSet, DnsError> {
        let answer = self.lookup(domain, RecordType::MX).await?;
        let mut hosts: Vec<MxHost> = answer
            .records
            .iter()
            .filter_map(|r| match &r.data {
                RData::MX(mx) => Some(MxHost {
                    preference: mx.preference,
                    name: mx.exchange.clone(),
                }),
                _ => None,
            })
            .collect();
        let kind = match answer.absence {
            Some(Absence::NxDomain) => MxKind::NoSuchDomain,
            Some(Absence::NoData) => {
                hosts.push(MxHost {
                    preference: 0,
                    name: answer.canonical_name.clone(),
                });
                MxKind::Implicit
            }
            None if hosts.len() == 1 && hosts[0].name.is_root() => {
                hosts.clear();
                MxKind::NullMx
            }
            None => {
                // A null MX among real ones is a publishing error; the real
                // ones are still usable.
                hosts.retain(|h| !h.name.is_root());
                MxKind::Explicit
            }
        };
        order(&mut hosts);
        Ok(MxSet {
            domain: domain.clone(),
            kind,
            hosts,
            status: answer.status,
            cached: answer.cached,
        })
    }
}

/// Ascending preference; ties shuffled so that load spreads as RFC 5321 §5.1 asks.
fn order(hosts: &mut [MxHost]) {
    let seed = RandomState::new();
    hosts.sort_by_cached_key(|h| {
        (
            h.preference,
            seed.hash_one(h.name.to_lowercase().to_string()),
        )
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(preference: u16, name: &str) -> MxHost {
        MxHost {
            preference,
            name: Name::from_ascii(name).unwrap(),
        }
    }

    #[test]
    fn hosts_are_ordered_by_preference() {
        let mut hosts = vec![host(20, "b.test."), host(5, "c.test."), host(10, "a.test.")];
        order(&mut hosts);
        let prefs: Vec<u16> = hosts.iter().map(|h| h.preference).collect();
        assert_eq!(prefs, vec![5, 10, 20]);
    }

    #[test]
    fn equal_preferences_are_not_always_in_the_same_order() {
        let names: Vec<String> = (0..8).map(|i| format!("mx{i}.test.")).collect();
        let orders: std::collections::HashSet<Vec<String>> = (0..20)
            .map(|_| {
                let mut hosts: Vec<MxHost> = names.iter().map(|n| host(10, n)).collect();
                order(&mut hosts);
                hosts.iter().map(|h| h.name.to_string()).collect()
            })
            .collect();
        assert!(orders.len() > 1, "20 shuffles of 8 hosts gave one order");
    }
}
