//! Authoritative answers from built zones: positive answers, CNAMEs, NODATA
//! and NXDOMAIN with their NSEC (RFC 4035 §3.1.3) or NSEC3 (RFC 5155 §7.2)
//! proofs, and the chosen faults.

use std::collections::BTreeMap;

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, Record, RecordType};

use super::zone::{BuiltZone, Fault, RrsetKey, nsec3_hash, parent_zone};

/// What the server does with a query.
pub(crate) enum Reply {
    /// Send this message.
    Message(Box<Message>),
    /// Send nothing: the query times out at the client.
    Silence,
}

/// Answers `request` from `zones`.
pub(crate) fn answer(zones: &BTreeMap<Name, BuiltZone>, request: &Message) -> Reply {
    let mut response = Message::new(request.metadata.id, MessageType::Response, OpCode::Query);
    response.metadata.recursion_desired = request.metadata.recursion_desired;
    response.metadata.checking_disabled = request.metadata.checking_disabled;
    let Some(query) = request.queries.first().cloned() else {
        response.metadata.response_code = ResponseCode::FormErr;
        return Reply::Message(Box::new(response));
    };
    response.add_query(query.clone());
    let dnssec_ok = request
        .edns
        .as_ref()
        .is_some_and(|edns| edns.flags().dnssec_ok);
    if let Some(edns) = &request.edns {
        let mut ours = hickory_proto::op::Edns::new();
        ours.set_max_payload(edns.max_payload().max(512));
        ours.enable_dnssec();
        response.set_edns(ours);
    }

    let Some(zone) = zone_for(zones, &query) else {
        response.metadata.response_code = ResponseCode::Refused;
        return Reply::Message(Box::new(response));
    };
    match zone.fault_of(&(query.name().clone(), query.query_type())) {
        Fault::ServFail => {
            response.metadata.response_code = ResponseCode::ServFail;
            return Reply::Message(Box::new(response));
        }
        Fault::Timeout => return Reply::Silence,
        Fault::ServedElsewhere => {
            let parent = parent_zone(zones.keys(), &zone.origin).and_then(|p| zones.get(p));
            let Some(parent) = parent else {
                response.metadata.response_code = ResponseCode::Refused;
                return Reply::Message(Box::new(response));
            };
            let mut out = Sections::new(parent, dnssec_ok);
            out.referral(&zone.origin);
            response.add_authorities(out.authorities);
            return Reply::Message(Box::new(response));
        }
        _ => {}
    }
    response.metadata.authoritative = true;
    let mut out = Sections::new(zone, dnssec_ok);
    let mut qname = query.name().clone();
    // RFC 1034 §4.3.2 step 3a: a CNAME is followed, into any zone this
    // server is authoritative for, and the answer is the whole chain; the
    // response code and authority section are those of the last link
    // (RFC 6604 §2).
    for _ in 0..MAX_CHASE {
        out.authorities.clear();
        let (code, target) = out.fill(&qname, query.query_type());
        response.metadata.response_code = code;
        let Some(target) = target else { break };
        let next = Query::query(target.clone(), query.query_type());
        match zone_for(zones, &next) {
            Some(next_zone)
                if next_zone.fault_of(&(target.clone(), query.query_type())) == Fault::Healthy =>
            {
                out.zone = next_zone;
                qname = target;
            }
            _ => {
                response.metadata.response_code = ResponseCode::NoError;
                break;
            }
        }
    }
    response.add_answers(out.answers);
    response.add_authorities(out.authorities);
    Reply::Message(Box::new(response))
}

/// The longest CNAME chain the server follows.
const MAX_CHASE: usize = 8;

/// The zone that answers: the closest enclosing zone, except that a DS query
/// for a zone's apex belongs to its parent (RFC 4035 §3.1.4.1).
fn zone_for<'a>(zones: &'a BTreeMap<Name, BuiltZone>, query: &Query) -> Option<&'a BuiltZone> {
    let qname = query.name();
    let closest = zones
        .values()
        .filter(|z| z.origin.zone_of(qname))
        .max_by_key(|z| z.origin.num_labels())?;
    if query.query_type() == RecordType::DS && closest.origin == *qname && !qname.is_root() {
        let parent = parent_zone(zones.keys(), qname)?;
        return zones.get(parent);
    }
    Some(closest)
}

struct Sections<'a> {
    zone: &'a BuiltZone,
    dnssec_ok: bool,
    answers: Vec<Record>,
    authorities: Vec<Record>,
}

impl<'a> Sections<'a> {
    fn new(zone: &'a BuiltZone, dnssec_ok: bool) -> Self {
        Self {
            zone,
            dnssec_ok,
            answers: Vec::new(),
            authorities: Vec::new(),
        }
    }

    /// Answers `qtype` at `qname` from the current zone; when the name is an
    /// alias, also returns the CNAME's target.
    fn fill(&mut self, qname: &Name, qtype: RecordType) -> (ResponseCode, Option<Name>) {
        let zone = self.zone;
        if zone.rrsets.contains_key(&(qname.clone(), qtype)) {
            self.push_answer(&(qname.clone(), qtype));
            return (ResponseCode::NoError, None);
        }
        let cname_key = (qname.clone(), RecordType::CNAME);
        if qtype != RecordType::CNAME && zone.rrsets.contains_key(&cname_key) {
            self.push_answer(&cname_key);
            let target = zone.rrsets[&cname_key].iter().find_map(|r| match &r.data {
                RData::CNAME(target) => Some(target.0.clone()),
                _ => None,
            });
            return (ResponseCode::NoError, target);
        }
        if !zone.names.contains(qname)
            && let Some(wildcard) = self.wildcard_for(qname)
        {
            return self.expand(qname, &wildcard, qtype);
        }
        self.push_authority(&zone.soa_key());
        if zone.names.contains(qname) {
            self.deny_type(qname);
            (ResponseCode::NoError, None)
        } else {
            self.deny_name(qname);
            (ResponseCode::NXDomain, None)
        }
    }

    /// The wildcard at the closest encloser of a name that does not exist,
    /// when the zone has one (RFC 4592 §3.3.1).
    fn wildcard_for(&self, qname: &Name) -> Option<Name> {
        let wildcard = self
            .closest_encloser(qname)
            .prepend_label("*")
            .expect("a name in a test zone has room for one more label");
        self.zone.names.contains(&wildcard).then_some(wildcard)
    }

    /// Wildcard expansion (RFC 4035 §3.1.3.3): the wildcard's RRset (or
    /// CNAME) and its RRSIGs, owned by `qname`, with the NSEC/NSEC3 proving
    /// that the next closer name does not exist; or, when the wildcard has
    /// no such type, NODATA with that proof and the wildcard's own denial
    /// (RFC 4035 §3.1.3.4). Under NSEC, the NSEC covering the next closer
    /// name is the wildcard's own NSEC whenever no name sorts between them.
    fn expand(
        &mut self,
        qname: &Name,
        wildcard: &Name,
        qtype: RecordType,
    ) -> (ResponseCode, Option<Name>) {
        let zone = self.zone;
        let next_closer = qname.trim_to(usize::from(wildcard.num_labels()) + 1);
        let mut target = None;
        let key = [qtype, RecordType::CNAME]
            .into_iter()
            .map(|t| (wildcard.clone(), t))
            .find(|key| zone.rrsets.contains_key(key));
        match &key {
            Some(key) => {
                for mut record in self.rrset_with_sigs(key) {
                    record.name = qname.clone();
                    if let RData::CNAME(cname) = &record.data {
                        target = Some(cname.0.clone());
                    }
                    self.answers.push(record);
                }
            }
            None => {
                self.push_authority(&zone.soa_key());
                self.deny_type(wildcard);
            }
        }
        if zone.signed && self.dnssec_ok {
            if self.has_nsec3() {
                let encloser = wildcard.base_name();
                if key.is_none() {
                    self.push_nsec3_matching(&encloser);
                }
                self.push_nsec3_covering(&next_closer);
            } else {
                self.push_nsec_covering(&next_closer);
            }
        }
        (ResponseCode::NoError, target)
    }

    /// A referral to `child` (RFC 4035 §3.1.4): its NS RRset, and its DS
    /// RRset or the proof that there is none.
    fn referral(&mut self, child: &Name) {
        self.authorities.extend(
            self.zone
                .rrsets
                .get(&(child.clone(), RecordType::NS))
                .cloned()
                .unwrap_or_default(),
        );
        let ds = (child.clone(), RecordType::DS);
        if self.zone.rrsets.contains_key(&ds) {
            self.push_authority(&ds);
        } else {
            self.deny_type(child);
        }
    }

    fn push_answer(&mut self, key: &RrsetKey) {
        let records = self.rrset_with_sigs(key);
        self.answers.extend(records);
    }

    fn push_authority(&mut self, key: &RrsetKey) {
        let records = self.rrset_with_sigs(key);
        for record in records {
            if !self.authorities.contains(&record) {
                self.authorities.push(record);
            }
        }
    }

    fn rrset_with_sigs(&self, key: &RrsetKey) -> Vec<Record> {
        let mut records = self.zone.rrsets.get(key).cloned().unwrap_or_default();
        if self.dnssec_ok {
            records.extend(self.zone.rrsigs.get(key).cloned().unwrap_or_default());
        }
        records
    }

    /// NODATA proof: the NSEC at the name, or the NSEC3 matching its hash; for
    /// an empty non-terminal under NSEC, the NSEC that covers it.
    fn deny_type(&mut self, qname: &Name) {
        if !self.zone.signed || !self.dnssec_ok {
            return;
        }
        if self.has_nsec3() {
            self.push_nsec3_matching(qname);
        } else if self
            .zone
            .rrsets
            .contains_key(&(qname.clone(), RecordType::NSEC))
        {
            self.push_authority(&(qname.clone(), RecordType::NSEC));
        } else {
            self.push_nsec_covering(qname);
        }
    }

    /// NXDOMAIN proof: that the name does not exist and that no wildcard at
    /// the closest encloser could have produced it (RFC 4035 §3.1.3.2, RFC 5155 §7.2.2).
    fn deny_name(&mut self, qname: &Name) {
        if !self.zone.signed || !self.dnssec_ok {
            return;
        }
        let encloser = self.closest_encloser(qname);
        let wildcard = encloser
            .prepend_label("*")
            .expect("a name in a test zone has room for one more label");
        if self.has_nsec3() {
            let next_closer = qname.trim_to(usize::from(encloser.num_labels()) + 1);
            self.push_nsec3_matching(&encloser);
            self.push_nsec3_covering(&next_closer);
            self.push_nsec3_covering(&wildcard);
        } else {
            self.push_nsec_covering(qname);
            self.push_nsec_covering(&wildcard);
        }
    }

    fn closest_encloser(&self, qname: &Name) -> Name {
        let mut candidate = qname.base_name();
        while !self.zone.names.contains(&candidate) && candidate != self.zone.origin {
            candidate = candidate.base_name();
        }
        candidate
    }

    fn has_nsec3(&self) -> bool {
        !self.zone.nsec3_by_hash.is_empty()
    }

    fn push_nsec_covering(&mut self, target: &Name) {
        let owners: Vec<&Name> = self
            .zone
            .rrsets
            .keys()
            .filter(|(_, t)| *t == RecordType::NSEC)
            .map(|(n, _)| n)
            .collect();
        let covering = owners
            .iter()
            .rev()
            .find(|owner| **owner < target)
            .or(owners.last())
            .map(|owner| (*owner).clone());
        if let Some(owner) = covering {
            self.push_authority(&(owner, RecordType::NSEC));
        }
    }

    fn push_nsec3_matching(&mut self, target: &Name) {
        if let Some(owner) = self.zone.nsec3_by_hash.get(&nsec3_hash(target)).cloned() {
            self.push_authority(&(owner, RecordType::NSEC3));
        }
    }

    fn push_nsec3_covering(&mut self, target: &Name) {
        let hash = nsec3_hash(target);
        let covering = self
            .zone
            .nsec3_by_hash
            .range(..hash)
            .next_back()
            .or_else(|| self.zone.nsec3_by_hash.iter().next_back())
            .map(|(_, owner)| owner.clone());
        if let Some(owner) = covering {
            self.push_authority(&(owner, RecordType::NSEC3));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::{Denial, DnsWorld};
    use hickory_proto::dnssec::rdata::DNSSECRData;
    use hickory_proto::op::Edns;
    use hickory_proto::rr::RData;

    fn ask(world: &BTreeMap<Name, BuiltZone>, qname: &str, qtype: RecordType) -> Message {
        let mut request = Message::query();
        request.add_query(Query::query(crate::dns::name(qname), qtype));
        let mut edns = Edns::new();
        edns.enable_dnssec();
        request.set_edns(edns);
        match answer(world, &request) {
            Reply::Message(m) => *m,
            Reply::Silence => panic!("silence"),
        }
    }

    fn nsec3_world() -> BTreeMap<Name, BuiltZone> {
        let mut world = DnsWorld::new();
        world
            .signed_zone("n3.test.", Denial::Nsec3)
            .a("mx.n3.test.", "127.0.0.1");
        world.add_missing_parents();
        super::super::zone::build_all(&world.zones)
    }

    fn covers(record: &Record, target: &Name) -> bool {
        let RData::DNSSEC(DNSSECRData::NSEC3(nsec3)) = &record.data else {
            return false;
        };
        let owner_label = record
            .name
            .iter()
            .next()
            .expect("NSEC3 owner has a hash label");
        let owner = data_encoding_base32hex_decode(owner_label);
        let next = nsec3.next_hashed_owner_name().to_vec();
        let hash = nsec3_hash(target);
        if owner < next {
            owner < hash && hash < next
        } else {
            hash > owner || hash < next
        }
    }

    fn data_encoding_base32hex_decode(label: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let (mut buffer, mut bits) = (0u32, 0);
        for &c in label {
            let v = match c.to_ascii_lowercase() {
                c @ b'0'..=b'9' => c - b'0',
                c => c - b'a' + 10,
            };
            buffer = (buffer << 5) | u32::from(v);
            bits += 5;
            if bits >= 8 {
                bits -= 8;
                out.push((buffer >> bits) as u8);
            }
        }
        out
    }

    #[test]
    fn nsec3_nxdomain_carries_the_closest_encloser_proof() {
        let zones = nsec3_world();
        let response = ask(&zones, "_25._tcp.mx.n3.test.", RecordType::TLSA);
        assert_eq!(response.metadata.response_code, ResponseCode::NXDomain);
        let nsec3: Vec<&Record> = response
            .authorities
            .iter()
            .filter(|r| r.record_type() == RecordType::NSEC3)
            .collect();
        let encloser = nsec3_hash(&crate::dns::name("mx.n3.test."));
        assert!(
            nsec3
                .iter()
                .any(|r| data_encoding_base32hex_decode(r.name.iter().next().unwrap()) == encloser),
            "no NSEC3 matches the closest encloser"
        );
        for target in ["_tcp.mx.n3.test.", "*.mx.n3.test."] {
            let target = crate::dns::name(target);
            assert!(
                nsec3.iter().any(|r| covers(r, &target)),
                "no NSEC3 covers {target}"
            );
        }
    }
}
