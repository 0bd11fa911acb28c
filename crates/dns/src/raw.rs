//! Unvalidated RRsets with their signatures, for diagnosis only: when an
//! answer is bogus, tools such as the posture checker need to see the
//! RRSIGs, DNSKEYs and DS records as served to say *why* (an expired
//! signature, a DS that matches no key). Nothing here is validated; never
//! base a security decision on it.

use futures_util::StreamExt;
use hickory_net::xfer::DnsHandle;
use hickory_proto::dnssec::rdata::DNSSECRData;
use hickory_proto::op::Query;
use hickory_proto::rr::{Name, RData, Record, RecordType};
use serde::Serialize;

use crate::error::DnsError;
use crate::records::serialize_name;
use crate::resolver::{Resolver, request_options};
use crate::texts::exchange_failure;

/// One record as served, unvalidated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RawRecord {
    /// The owner name.
    #[serde(serialize_with = "serialize_name")]
    pub owner: Name,
    /// The record type.
    #[serde(rename = "type")]
    pub rtype: String,
    /// The record data in presentation form.
    pub data: String,
    /// The key tag (RFC 4034 Appendix B): computed for a DNSKEY, as
    /// published for a DS; `None` for other types.
    pub key_tag: Option<u16>,
}

/// One RRSIG as served (RFC 4034 §3), unvalidated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RawSignature {
    /// The owner name of the RRset signed.
    #[serde(serialize_with = "serialize_name")]
    pub owner: Name,
    /// The type covered.
    pub type_covered: String,
    /// The zone that signed (the signer's name).
    #[serde(serialize_with = "serialize_name")]
    pub signer: Name,
    /// The key tag of the signing DNSKEY.
    pub key_tag: u16,
    /// Signature inception, Unix seconds (serial-number arithmetic ignored:
    /// read as a plain 32-bit time).
    pub inception: u32,
    /// Signature expiration, Unix seconds.
    pub expiration: u32,
}

/// An unvalidated answer: the records of the answer and authority sections
/// and every RRSIG among them.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RawRrset {
    /// Records of the type asked for (or a CNAME) at the name asked.
    pub records: Vec<RawRecord>,
    /// Records of the authority section (SOA, NSEC, NSEC3), for a negative answer.
    pub authority: Vec<RawRecord>,
    /// Every RRSIG in the answer and authority sections.
    pub signatures: Vec<RawSignature>,
}

impl Resolver {
    /// Asks upstream for `rtype` at `name` with the DO and CD bits and returns
    /// what was served, signatures included, **without validation and
    /// without the cache**. For diagnosing a bogus answer only.
    pub async fn raw_rrset(&self, name: &Name, rtype: RecordType) -> Result<RawRrset, DnsError> {
        let failed = |reason: String| DnsError::Transport {
            name: name.to_string(),
            rtype,
            reason,
        };
        let mut responses = self
            .wire()
            .lookup(Query::query(name.clone(), rtype), request_options());
        let response = responses
            .next()
            .await
            .ok_or_else(|| failed("no answer".into()))?
            .map_err(|e| failed(exchange_failure(&e)))?;
        let mut raw = RawRrset::default();
        for record in response.answers.iter() {
            match signature(record) {
                Some(sig) => raw.signatures.push(sig),
                None => raw.records.push(raw_record(record)),
            }
        }
        for record in response.authorities.iter() {
            match signature(record) {
                Some(sig) => raw.signatures.push(sig),
                None => raw.authority.push(raw_record(record)),
            }
        }
        Ok(raw)
    }
}

fn signature(record: &Record) -> Option<RawSignature> {
    match &record.data {
        RData::DNSSEC(DNSSECRData::RRSIG(rrsig)) => {
            let input = rrsig.input();
            Some(RawSignature {
                owner: record.name.clone(),
                type_covered: input.type_covered.to_string(),
                signer: input.signer_name.clone(),
                key_tag: input.key_tag,
                inception: input.sig_inception.get(),
                expiration: input.sig_expiration.get(),
            })
        }
        _ => None,
    }
}

fn raw_record(record: &Record) -> RawRecord {
    let key_tag = match &record.data {
        RData::DNSSEC(DNSSECRData::DNSKEY(key)) => key.calculate_key_tag().ok(),
        RData::DNSSEC(DNSSECRData::DS(ds)) => Some(ds.key_tag()),
        _ => None,
    };
    RawRecord {
        owner: record.name.clone(),
        rtype: record.record_type().to_string(),
        data: record.data.to_string(),
        key_tag,
    }
}
