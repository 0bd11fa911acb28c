//! The NSEC proof behind a wildcard expansion, checked where hickory's own
//! check refuses a valid one.
//!
//! hickory 0.26 (`verify_nsec`) asks, for a positive wildcard answer, for an
//! NSEC *covering* the wildcard at the query's parent. When the query is one
//! label below the wildcard's parent (`a.wild.example` from `*.wild.example`)
//! that wildcard exists: it is the source of the answer, and in a complete
//! NSEC chain (every offline signer: ldns-signzone, dnssec-signzone) the NSEC
//! that covers the query name is owned by the wildcard itself. hickory then
//! calls a correct answer bogus. Unbound and BIND call it secure.
//!
//! RFC 4035 §5.3.4: "If the number of labels in an RRset's owner name is
//! greater than the Labels field of the covering RRSIG RR, then the RRset
//! and its covering RRSIG RR were created as a result of wildcard expansion.
//! The resolver MUST verify that wildcard expansion was applied properly
//! before considering the RRset to be authentic. [...] the resolver MUST
//! verify that the query name does not exist in the zone and that no closer
//! match exists" — and §3.1.3.3: "the NSEC RR proves that there is no exact
//! match for QNAME and no closer match".
//!
//! The RRSIG's Labels field names the closest encloser (RFC 4035 §5.3.2); the
//! next closer name is the encloser plus the query's next label. An NSEC that
//! covers the next closer name proves both: nothing exists at or below it, so
//! neither the query name nor a closer wildcard does.

use hickory_proto::dnssec::Proof;
use hickory_proto::dnssec::rdata::{DNSSECRData, NSEC, RRSIG};
use hickory_proto::op::{DnsResponse, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};

/// Whether `response` answers `rtype` (or a CNAME) at `name` by a validated
/// wildcard expansion whose NSEC proof of no closer match holds.
pub(crate) fn expansion_proven(name: &Name, rtype: RecordType, response: &DnsResponse) -> bool {
    if response.response_code != ResponseCode::NoError {
        return false;
    }
    let expansions: Vec<&RRSIG> = response
        .answers
        .iter()
        .filter(|r| r.name == *name && r.proof == Proof::Secure)
        .filter_map(|r| match &r.data {
            RData::DNSSEC(DNSSECRData::RRSIG(rrsig)) => Some(rrsig),
            _ => None,
        })
        .filter(|rrsig| {
            let covered = rrsig.input().type_covered;
            covered == rtype || covered == RecordType::CNAME
        })
        .collect();
    let answered = response.answers.iter().any(|r| {
        r.name == *name
            && r.proof == Proof::Secure
            && matches!(r.record_type(), t if t == rtype || t == RecordType::CNAME)
    });
    if !answered || expansions.is_empty() {
        return false;
    }
    expansions.iter().all(|rrsig| {
        let labels = rrsig.input().num_labels;
        if labels >= name.num_labels() {
            // Not an expansion: hickory's verdict stands.
            return false;
        }
        let next_closer = name.trim_to(usize::from(labels) + 1);
        covered(&next_closer, &rrsig.input().signer_name, response)
    })
}

/// Whether a validated NSEC of `zone` covers `target`: its owner sorts
/// before `target` and its next name after it, or it is the last NSEC of
/// the zone (RFC 4034 §4.1.1, canonical order of §6.1).
fn covered(target: &Name, zone: &Name, response: &DnsResponse) -> bool {
    response
        .authorities
        .iter()
        .filter(|r| r.proof == Proof::Secure && zone.zone_of(&r.name))
        .filter_map(|r| match &r.data {
            RData::DNSSEC(DNSSECRData::NSEC(nsec)) => Some((&r.name, nsec)),
            _ => None,
        })
        .filter(|(owner, nsec)| !above_cut(owner, nsec, target))
        .any(|(owner, nsec)| {
            let next = nsec.next_domain_name();
            owner < target && (target < next || (next <= owner && next.zone_of(target)))
        })
}

/// RFC 6840 §4.1: an NSEC at a delegation (NS without SOA) or at a DNAME
/// says nothing about the names below it.
fn above_cut(owner: &Name, nsec: &NSEC, target: &Name) -> bool {
    let types = nsec.type_set();
    let cut = (types.contains(RecordType::NS) && !types.contains(RecordType::SOA))
        || types.contains(RecordType::DNAME);
    cut && owner.zone_of(target)
}
