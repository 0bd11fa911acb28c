//! The resolver: asks upstream through the validator, follows aliases,
//! classifies the answer and caches it.

use std::net::IpAddr;
use std::sync::Arc;

use futures_util::StreamExt;
use hickory_net::dnssec::DnssecDnsHandle;
use hickory_net::xfer::{DnsHandle, FirstAnswer};
use hickory_net::{DnsError as HickoryDnsError, NetError};
use hickory_proto::dnssec::TrustAnchors;
use hickory_proto::dnssec::rdata::{DNSKEY, DNSSECRData};
use hickory_proto::op::{DnsRequestOptions, DnsResponse, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use tokio::sync::OnceCell;

use crate::anchor::TrustAnchor;
use crate::cache::Cache;
use crate::clock::{Clock, SystemClock};
use crate::config::ResolverConfig;
use crate::error::DnsError;
use crate::lookup::{Absence, Alias, Lookup};
use crate::records::{RecordKind, Tlsa, Txt};
use crate::status::DnssecStatus;
use crate::transport::{CheckingDisabled, Pool, pool};

/// The longest alias chain followed (RFC 1034 §3.6.2 asks resolvers to stop loops).
const MAX_ALIASES: usize = 8;
/// The longest an unvalidated (bogus or indeterminate) answer is kept, so
/// that a repaired zone is seen again soon.
const UNTRUSTED_TTL_CAP: u32 = 60;
/// The TTL of a negative answer that carries no SOA.
const DEFAULT_NEGATIVE_TTL: u32 = 300;

type Validator = DnssecDnsHandle<CheckingDisabled<Pool>>;

/// A DNSSEC-validating stub resolver with a shared cache. Cloning is cheap
/// and clones share the cache.
#[derive(Clone)]
pub struct Resolver {
    inner: Arc<Inner>,
}

struct Inner {
    anchors: Option<Vec<TrustAnchor>>,
    wire: CheckingDisabled<Pool>,
    validator: OnceCell<Validator>,
    cache: Cache<Step>,
    clock: Arc<dyn Clock>,
}

/// One question's answer, before aliases are followed: what is cached.
#[derive(Clone, Debug)]
struct Step {
    records: Vec<Record>,
    cname: Option<Name>,
    absence: Option<Absence>,
    status: DnssecStatus,
    ttl: u32,
}

impl Resolver {
    /// A resolver on the system clock.
    pub fn new(config: ResolverConfig) -> Self {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    /// A resolver whose cache ages by `clock`.
    pub fn with_clock(config: ResolverConfig, clock: Arc<dyn Clock>) -> Self {
        Self {
            inner: Arc::new(Inner {
                anchors: config.trust_anchors.clone(),
                wire: CheckingDisabled(pool(&config)),
                validator: OnceCell::new(),
                cache: Cache::new(config.cache_capacity),
                clock,
            }),
        }
    }

    /// Parses a domain name as given by a user or a message; the result is
    /// absolute.
    pub fn parse_name(text: &str) -> Result<Name, DnsError> {
        let bad = |reason: String| DnsError::BadName {
            input: text.to_owned(),
            reason,
        };
        if text.is_empty() || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("empty or contains spaces or control characters".into()));
        }
        let mut name = Name::from_utf8(text).map_err(|e| bad(e.to_string()))?;
        name.set_fqdn(true);
        Ok(name)
    }

    /// Records of `rtype` at `name`, following CNAMEs.
    pub async fn lookup(&self, name: &Name, rtype: RecordType) -> Result<Lookup<Record>, DnsError> {
        let mut current = name.clone();
        let mut aliases: Vec<Alias> = Vec::new();
        let mut status = DnssecStatus::Secure;
        let mut ttl = u32::MAX;
        let mut cached = true;
        loop {
            let (step, from_cache) = self.step(&current, rtype).await?;
            cached &= from_cache;
            status = status.weakest(step.status);
            ttl = ttl.min(step.ttl);
            match step.cname {
                Some(target) if step.records.is_empty() => {
                    if aliases.len() >= MAX_ALIASES || aliases.iter().any(|a| a.target == target) {
                        return Err(DnsError::CnameChain {
                            name: name.to_string(),
                            limit: MAX_ALIASES,
                        });
                    }
                    aliases.push(Alias {
                        owner: current,
                        target: target.clone(),
                        status: step.status,
                    });
                    current = target;
                }
                _ => {
                    return Ok(Lookup {
                        name: name.clone(),
                        rtype,
                        canonical_name: current,
                        aliases,
                        records: step.records,
                        absence: step.absence,
                        status,
                        ttl,
                        cached,
                    });
                }
            }
        }
    }

    /// Records of any type in presentation form, for tools that print them.
    pub async fn lookup_presentation(
        &self,
        name: &Name,
        rtype: RecordType,
    ) -> Result<Lookup<RecordKind>, DnsError> {
        Ok(self.lookup(name, rtype).await?.map(|r| RecordKind {
            owner: r.name.clone(),
            rtype: r.record_type().to_string(),
            ttl: r.ttl,
            data: r.data.to_string(),
        }))
    }

    /// IPv4 and IPv6 addresses of `host`. The status is the weaker of the two
    /// answers'; the answer is absent only when both are.
    pub async fn addresses(&self, host: &Name) -> Result<Lookup<IpAddr>, DnsError> {
        let (v4, v6) = tokio::join!(
            self.lookup(host, RecordType::A),
            self.lookup(host, RecordType::AAAA)
        );
        let (v4, v6) = (v4?, v6?);
        let mut merged = v4.filter_map(|r| r.data.ip_addr());
        merged.status = merged.status.weakest(v6.status);
        merged.ttl = merged.ttl.min(v6.ttl);
        merged.cached &= v6.cached;
        merged
            .records
            .extend(v6.records.iter().filter_map(|r| r.data.ip_addr()));
        merged.absence = match (merged.absence, v6.absence) {
            _ if !merged.records.is_empty() => None,
            (Some(Absence::NxDomain), _) | (_, Some(Absence::NxDomain)) => Some(Absence::NxDomain),
            _ => Some(Absence::NoData),
        };
        Ok(merged)
    }

    /// TLSA records for SMTP on `port` at `host` (`_25._tcp.<host>`, RFC 7672 §2.2).
    pub async fn tlsa(&self, host: &Name, port: u16) -> Result<Lookup<Tlsa>, DnsError> {
        let owner = host
            .prepend_label("_tcp")
            .and_then(|n| n.prepend_label(format!("_{port}")))
            .map_err(|e| DnsError::BadName {
                input: host.to_string(),
                reason: e.to_string(),
            })?;
        Ok(self
            .lookup(&owner, RecordType::TLSA)
            .await?
            .filter_map(|r| match &r.data {
                RData::TLSA(tlsa) => Some(Tlsa::from(tlsa)),
                _ => None,
            }))
    }

    /// TXT records at `name`.
    pub async fn txt(&self, name: &Name) -> Result<Lookup<Txt>, DnsError> {
        Ok(self
            .lookup(name, RecordType::TXT)
            .await?
            .filter_map(|r| match &r.data {
                RData::TXT(txt) => Some(Txt::from(txt)),
                _ => None,
            }))
    }

    /// One question, from the cache or from upstream.
    async fn step(&self, name: &Name, rtype: RecordType) -> Result<(Step, bool), DnsError> {
        let now = self.inner.clock.now();
        if let Some((mut step, left)) = self.inner.cache.get(name, rtype, now) {
            step.ttl = left;
            return Ok((step, true));
        }
        let step = self.ask(name, rtype).await?;
        self.inner
            .cache
            .insert(name, rtype, step.clone(), step.ttl, now);
        Ok((step, false))
    }

    async fn ask(&self, name: &Name, rtype: RecordType) -> Result<Step, DnsError> {
        let validator = self.validator().await?;
        let result = validator
            .lookup(Query::query(name.clone(), rtype), request_options())
            .first_answer()
            .await;
        let failure = |kind: fn(String, RecordType) -> DnsError| Err(kind(name.to_string(), rtype));
        match result {
            Ok(response) => Ok(classify(name, rtype, &response, None)),
            Err(NetError::Dns(HickoryDnsError::Nsec {
                response, proof, ..
            })) => Ok(classify(name, rtype, &response, Some(proof.into()))),
            Err(NetError::Dns(HickoryDnsError::ResponseCode(ResponseCode::ServFail))) => {
                failure(|name, rtype| DnsError::ServFail { name, rtype })
            }
            Err(NetError::Dns(HickoryDnsError::ResponseCode(ResponseCode::Refused))) => {
                failure(|name, rtype| DnsError::Refused { name, rtype })
            }
            Err(NetError::Timeout) => failure(|name, rtype| DnsError::Timeout { name, rtype }),
            Err(NetError::Dns(HickoryDnsError::DnssecBogus)) => Ok(Step {
                records: Vec::new(),
                cname: None,
                absence: Some(Absence::NoData),
                status: DnssecStatus::Bogus,
                ttl: UNTRUSTED_TTL_CAP,
            }),
            Err(other) => Err(DnsError::Transport {
                name: name.to_string(),
                rtype,
                reason: other.to_string(),
            }),
        }
    }

    /// The upstream handle without validation (DO and CD set).
    pub(crate) fn wire(&self) -> &CheckingDisabled<Pool> {
        &self.inner.wire
    }

    /// The validating handle, built on first use: DS anchors become trusted
    /// keys once the owner's DNSKEY RRset has been fetched.
    async fn validator(&self) -> Result<&Validator, DnsError> {
        self.inner
            .validator
            .get_or_try_init(|| async {
                let anchors = match &self.inner.anchors {
                    None => TrustAnchors::default(),
                    Some(anchors) => self.trusted_keys(anchors).await?,
                };
                Ok(DnssecDnsHandle::with_trust_anchor(
                    self.inner.wire.clone(),
                    Arc::new(anchors),
                ))
            })
            .await
    }

    async fn trusted_keys(&self, anchors: &[TrustAnchor]) -> Result<TrustAnchors, DnsError> {
        let mut trusted = TrustAnchors::empty();
        for anchor in anchors {
            match anchor {
                TrustAnchor::Dnskey { owner, key } => {
                    trusted.insert_with_name(key.public_key(), owner.into());
                }
                TrustAnchor::Ds { owner, ds } => {
                    let keys = self.fetch_dnskeys(owner).await?;
                    let matching: Vec<&DNSKEY> = keys
                        .iter()
                        .filter(|key| ds.covers(owner, key).unwrap_or(false))
                        .collect();
                    if matching.is_empty() {
                        return Err(DnsError::TrustAnchor {
                            owner: owner.to_string(),
                            reason: format!(
                                "the DS (key tag {}) matches none of the {} DNSKEY records served",
                                ds.key_tag(),
                                keys.len()
                            ),
                        });
                    }
                    for key in matching {
                        trusted.insert_with_name(key.public_key(), owner.into());
                    }
                }
            }
        }
        Ok(trusted)
    }

    /// The DNSKEY RRset at `owner`, unvalidated: only used to find the key a
    /// DS anchor names, whose signature over the set the validator then checks.
    async fn fetch_dnskeys(&self, owner: &Name) -> Result<Vec<DNSKEY>, DnsError> {
        let trust_error = |reason: String| DnsError::TrustAnchor {
            owner: owner.to_string(),
            reason,
        };
        let mut responses = self.inner.wire.lookup(
            Query::query(owner.clone(), RecordType::DNSKEY),
            request_options(),
        );
        let response = responses
            .next()
            .await
            .ok_or_else(|| trust_error("no answer to the DNSKEY query".into()))?
            .map_err(|e| trust_error(format!("DNSKEY query failed: {e}")))?;
        Ok(response
            .answers
            .iter()
            .filter_map(|r| match &r.data {
                RData::DNSSEC(DNSSECRData::DNSKEY(key)) if r.name == *owner => Some(key.clone()),
                _ => None,
            })
            .collect())
    }
}

pub(crate) fn request_options() -> DnsRequestOptions {
    let mut options = DnsRequestOptions::default();
    options.recursion_desired = true;
    options.use_edns = true;
    options.edns_set_dnssec_ok = true;
    options
}

/// Reads a validated response: the records of `rtype` at `name`, or its
/// CNAME, or the denial. `denial_status` is set when the validator reported
/// a negative answer it could not prove secure.
fn classify(
    name: &Name,
    rtype: RecordType,
    response: &DnsResponse,
    denial_status: Option<DnssecStatus>,
) -> Step {
    let at_name = |t: RecordType| -> Vec<Record> {
        response
            .answers
            .iter()
            .filter(|r| r.name == *name && r.record_type() == t)
            .cloned()
            .collect()
    };
    let records = at_name(rtype);
    let cname_records = if rtype == RecordType::CNAME {
        Vec::new()
    } else {
        at_name(RecordType::CNAME)
    };
    let found = if records.is_empty() {
        &cname_records
    } else {
        &records
    };
    if !found.is_empty() {
        let records_status = found
            .iter()
            .map(|r| DnssecStatus::from(r.proof))
            .reduce(DnssecStatus::weakest)
            .unwrap_or_default();
        // Records whose own signatures verify can still be bogus as an
        // answer: a wildcard expansion without its proof that no closer
        // name exists (RFC 4035 §5.3.4) is reported by the validator as a
        // failed denial, and that verdict must not be lost.
        let status = denial_status.map_or(records_status, |d| records_status.weakest(d));
        let ttl = found.iter().map(|r| r.ttl).min().unwrap_or(0);
        let cname = if records.is_empty() {
            cname_records.iter().find_map(|r| match &r.data {
                RData::CNAME(target) => Some(target.0.clone()),
                _ => None,
            })
        } else {
            None
        };
        return Step {
            records,
            cname,
            absence: None,
            status,
            ttl: cap_untrusted(status, ttl),
        };
    }
    let absence = if response.response_code == ResponseCode::NXDomain {
        Absence::NxDomain
    } else {
        Absence::NoData
    };
    let status = denial_status.unwrap_or_else(|| {
        // The validator accepted this negative answer: either an NSEC/NSEC3
        // proof validated, or the name lies in provably unsigned space.
        let proven = response.authorities.iter().any(|r| {
            matches!(r.record_type(), RecordType::NSEC | RecordType::NSEC3)
                && DnssecStatus::from(r.proof).is_secure()
        });
        if proven {
            DnssecStatus::Secure
        } else {
            DnssecStatus::Insecure
        }
    });
    let ttl = response
        .authorities
        .iter()
        .find_map(|r| match &r.data {
            RData::SOA(soa) => Some(r.ttl.min(soa.minimum)),
            _ => None,
        })
        .unwrap_or(DEFAULT_NEGATIVE_TTL);
    Step {
        records: Vec::new(),
        cname: None,
        absence: Some(absence),
        status,
        ttl: cap_untrusted(status, ttl),
    }
}

fn cap_untrusted(status: DnssecStatus, ttl: u32) -> u32 {
    match status {
        DnssecStatus::Bogus | DnssecStatus::Indeterminate => ttl.min(UNTRUSTED_TTL_CAP),
        _ => ttl,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::dnssec::Proof;
    use hickory_proto::op::{Message, MessageType, OpCode};
    use hickory_proto::rr::rdata::A;

    fn response_with_secure_a(name: &Name) -> DnsResponse {
        let mut message = Message::new(1, MessageType::Response, OpCode::Query);
        let mut record = Record::from_rdata(name.clone(), 300, RData::A(A::new(192, 0, 2, 1)));
        record.proof = Proof::Secure;
        message.add_answer(record);
        DnsResponse::from_message(message).expect("a response message")
    }

    #[test]
    fn signed_records_with_a_failed_denial_proof_are_bogus() {
        let name = Name::from_ascii("host.example.").unwrap();
        let response = response_with_secure_a(&name);
        let step = classify(&name, RecordType::A, &response, Some(DnssecStatus::Bogus));
        assert_eq!(step.records.len(), 1);
        assert_eq!(step.status, DnssecStatus::Bogus);
        assert!(step.ttl <= UNTRUSTED_TTL_CAP);
    }

    #[test]
    fn signed_records_without_a_denial_verdict_are_secure() {
        let name = Name::from_ascii("host.example.").unwrap();
        let response = response_with_secure_a(&name);
        let step = classify(&name, RecordType::A, &response, None);
        assert_eq!(step.status, DnssecStatus::Secure);
    }
}
