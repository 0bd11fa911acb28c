//! One question upstream: through the validator of the closest enclosing
//! trust anchor (or, outside every anchor, unvalidated), read into a
//! [`Step`]: records, an alias, or an absence, with a DNSSEC status.

use hickory_net::xfer::{DnsHandle, FirstAnswer};
use hickory_net::{DnsError as HickoryDnsError, NetError};
use hickory_proto::dnssec::Proof;
use hickory_proto::op::{DnsResponse, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, Record, RecordType};

use crate::error::DnsError;
use crate::lookup::Absence;
use crate::resolver::{Resolver, request_options};
use crate::status::DnssecStatus;
use crate::texts::exchange_failure;
use crate::wildcard::expansion_proven;

/// The longest an unvalidated (bogus or indeterminate) answer is kept, so
/// that a repaired zone is seen again soon.
pub(crate) const UNTRUSTED_TTL_CAP: u32 = 60;
/// The TTL of a negative answer that carries no SOA.
const DEFAULT_NEGATIVE_TTL: u32 = 300;

/// One question's answer, before aliases are followed: what is cached.
#[derive(Clone, Debug)]
pub(crate) struct Step {
    pub(crate) records: Vec<Record>,
    pub(crate) cname: Option<Name>,
    pub(crate) absence: Option<Absence>,
    pub(crate) status: DnssecStatus,
    pub(crate) ttl: u32,
}

impl Step {
    fn is_alias(&self) -> bool {
        self.records.is_empty() && self.cname.is_some()
    }
}

impl Resolver {
    /// Asks `rtype` at `name` upstream.
    ///
    /// Validation starts at the closest enclosing trust anchor. A name no
    /// anchor covers is answered unvalidated and called Insecure: RFC 4033
    /// §5 names this case "no trust anchor" (its Indeterminate), and
    /// validating resolvers (Unbound, BIND) treat it as insecure — the data
    /// is used, nothing that needs DNSSEC (DANE) is. Our Indeterminate means
    /// "could not conclude, do not use", which would make every name
    /// outside an island of security undeliverable.
    pub(crate) async fn ask(&self, name: &Name, rtype: RecordType) -> Result<Step, DnsError> {
        let wire = self.wire();
        let Some(slot) = self.validators().closest(name, rtype) else {
            let result = wire
                .lookup(Query::query(name.clone(), rtype), request_options())
                .first_answer()
                .await;
            let mut step = read(name, rtype, result)?;
            step.status = DnssecStatus::Insecure;
            return Ok(step);
        };
        let now = self.now();
        let validator = slot.validator(wire, now).await?;
        let ask = |rtype: RecordType| {
            validator
                .lookup(Query::query(name.clone(), rtype), request_options())
                .first_answer()
        };
        let mut step = read(name, rtype, ask(rtype).await);
        if let Ok(alias) = &mut step
            && alias.is_alias()
            && !alias.status.is_secure()
            && rtype != RecordType::CNAME
        {
            // The validator judged the whole response against the question:
            // the denial that follows a CNAME is the target's (RFC 6604 §3,
            // RFC 4035 §3.1.3), and a proof about another name fails. The
            // alias link is judged alone, as the CNAME question; the target
            // is asked for next, and its denial judged there. A wildcard
            // CNAME keeps its proof requirement: the CNAME question carries
            // the proof that no closer name exists.
            let link = read(name, RecordType::CNAME, ask(RecordType::CNAME).await)?;
            alias.status = link.status;
            alias.ttl = cap_untrusted(link.status, alias.ttl.min(link.ttl));
        }
        let suspicious = match &step {
            Ok(step) => step.status == DnssecStatus::Bogus,
            Err(error) => error.is_upstream_failure(),
        };
        slot.check_after(suspicious, wire, now).await?;
        step
    }
}

/// Reads what the validator (or the wire) returned.
fn read(
    name: &Name,
    rtype: RecordType,
    result: Result<DnsResponse, NetError>,
) -> Result<Step, DnsError> {
    let failure = |kind: fn(String, RecordType) -> DnsError| Err(kind(name.to_string(), rtype));
    match result {
        Ok(response) => {
            referral(name, rtype, &response)?;
            Ok(classify(name, rtype, &response, None))
        }
        Err(NetError::Dns(HickoryDnsError::Nsec {
            response, proof, ..
        })) => {
            referral(name, rtype, &response)?;
            let denial = if proof == Proof::Bogus && expansion_proven(name, rtype, &response) {
                // hickory's NSEC check refuses a valid wildcard expansion:
                // see `wildcard`.
                None
            } else {
                Some(proof.into())
            };
            Ok(classify(name, rtype, &response, denial))
        }
        Err(NetError::Dns(HickoryDnsError::NoRecordsFound(none))) => {
            if none.soa.is_none() && none.ns.as_ref().is_some_and(|ns| !ns.is_empty()) {
                return Err(DnsError::Referral {
                    name: name.to_string(),
                    rtype,
                    zone: none
                        .ns
                        .as_ref()
                        .and_then(|ns| ns.first())
                        .map(|ns| ns.ns.name.to_string())
                        .unwrap_or_default(),
                });
            }
            let absence = if none.response_code == ResponseCode::NXDomain {
                Absence::NxDomain
            } else {
                Absence::NoData
            };
            Ok(Step {
                records: Vec::new(),
                cname: None,
                absence: Some(absence),
                status: DnssecStatus::Indeterminate,
                ttl: none.negative_ttl.unwrap_or(DEFAULT_NEGATIVE_TTL),
            })
        }
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
            reason: exchange_failure(&other),
        }),
    }
}

/// A referral (RFC 1034 §4.3.2 step 3b; RFC 4035 §3.1.4): no answer, and
/// instead of a negative answer's SOA, the NS RRset of a zone below that
/// the server does not serve. It answers nothing, so it cannot be judged
/// secure or bogus: the server is the wrong one to ask.
fn referral(name: &Name, rtype: RecordType, response: &DnsResponse) -> Result<(), DnsError> {
    if !response.answers.is_empty() || response.response_code != ResponseCode::NoError {
        return Ok(());
    }
    let has = |t: RecordType| response.authorities.iter().any(|r| r.record_type() == t);
    if has(RecordType::SOA) {
        return Ok(());
    }
    match response
        .authorities
        .iter()
        .find(|r| r.record_type() == RecordType::NS && r.name.zone_of(name))
    {
        Some(ns) => Err(DnsError::Referral {
            name: name.to_string(),
            rtype,
            zone: ns.name.to_string(),
        }),
        None => Ok(()),
    }
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

pub(crate) fn cap_untrusted(status: DnssecStatus, ttl: u32) -> u32 {
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
