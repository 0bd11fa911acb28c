//! Where validation starts: each trust anchor's zone and its DNSKEY RRset,
//! authenticated by the anchor.
//!
//! RFC 4035 §5: a resolver starts from a trust anchor, uses it to
//! authenticate the DNSKEY RRset of the anchor's zone, and from there
//! follows the chain down. An anchor may be any zone (RFC 4033 §5): the root,
//! or a TLD or an internal zone, an "island of security" whose parent is
//! not asked. We authenticate the anchor zone's DNSKEY RRset here — a
//! signature over it by an anchored key (a key a DS anchor's digest names,
//! or a DNSKEY anchor itself) must verify now — and hand the whole
//! authenticated set to hickory's validator as its starting keys. hickory
//! would otherwise, for any zone but the root, ask the anchor zone's parent
//! for a DS as soon as one key of the set (a ZSK) is not itself an anchor.
//!
//! The same query is the probe of the local resolver: when it fails, the
//! upstream cannot serve DNSSEC at all, and that is our fault, not the
//! recipient's ([`LocalFault`]).

use std::time::Duration;

use futures_util::StreamExt;
use hickory_net::xfer::DnsHandle;
use hickory_proto::dnssec::rdata::{DNSKEY, DNSSECRData, RRSIG};
use hickory_proto::dnssec::{PublicKey, TrustAnchors, Verifier};
use hickory_proto::op::{Query, ResponseCode};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};

use crate::anchor::TrustAnchor;
use crate::error::LocalFault;
use crate::resolver::request_options;
use crate::texts::{exchange_failure, rcode};
use crate::transport::{CheckingDisabled, Pool};

/// The longest an authenticated key set is used before it is fetched again,
/// whatever its TTL says.
const MAX_KEY_LIFETIME: u32 = 86_400;

/// A zone holding trust anchors, with its anchors.
#[derive(Clone, Debug)]
pub(crate) struct AnchorZone {
    /// The zone.
    pub(crate) owner: Name,
    /// Its anchors; `None` for the IANA root keys compiled into hickory.
    anchors: Option<Vec<TrustAnchor>>,
}

/// The anchor zone's DNSKEY RRset, authenticated.
pub(crate) struct TrustedKeys {
    /// Every zone key of the RRset.
    pub(crate) keys: Vec<DNSKEY>,
    /// How long they may be used: the RRset's TTL, bounded by the expiry of
    /// the signature that authenticated it.
    pub(crate) lifetime: Duration,
}

impl AnchorZone {
    /// The zones of the configured anchors, one per owner name; `None`
    /// gives the root zone with the IANA keys.
    pub(crate) fn group(anchors: Option<&[TrustAnchor]>) -> Vec<Self> {
        let Some(anchors) = anchors else {
            return vec![Self {
                owner: Name::root(),
                anchors: None,
            }];
        };
        let mut zones: Vec<Self> = Vec::new();
        for anchor in anchors {
            match zones.iter_mut().find(|z| z.owner == *anchor.owner()) {
                Some(zone) => zone
                    .anchors
                    .get_or_insert_with(Vec::new)
                    .push(anchor.clone()),
                None => zones.push(Self {
                    owner: anchor.owner().clone(),
                    anchors: Some(vec![anchor.clone()]),
                }),
            }
        }
        zones
    }

    /// Whether `key`, served at this zone's apex, is one of its anchors.
    fn anchors_key(&self, key: &DNSKEY) -> bool {
        match &self.anchors {
            None => TrustAnchors::default().contains(key.public_key()),
            Some(anchors) => anchors.iter().any(|anchor| match anchor {
                TrustAnchor::Dnskey { key: trusted, .. } => {
                    trusted.public_key().public_bytes() == key.public_key().public_bytes()
                        && trusted.algorithm() == key.algorithm()
                }
                TrustAnchor::Ds { owner, ds } => ds.covers(owner, key).unwrap_or(false),
            }),
        }
    }

    /// Fetches the zone's DNSKEY RRset with its signatures and authenticates
    /// it from the anchors, at `now` (Unix seconds).
    pub(crate) async fn authenticate(
        &self,
        wire: &CheckingDisabled<Pool>,
        now: u32,
    ) -> Result<TrustedKeys, LocalFault> {
        let query = Query::query(self.owner.clone(), RecordType::DNSKEY);
        let response = match wire.lookup(query, request_options()).next().await {
            None => {
                return Err(LocalFault::NoAnswer {
                    reason: "the exchange ended without a response".into(),
                });
            }
            Some(Ok(response)) => response,
            Some(Err(error)) if error.is_nx_domain() => {
                return Err(LocalFault::ResponseCode {
                    code: "NXDOMAIN".into(),
                });
            }
            Some(Err(error)) if error.is_no_records_found() => return Err(LocalFault::NoKeys),
            Some(Err(error)) => {
                return Err(LocalFault::NoAnswer {
                    reason: exchange_failure(&error),
                });
            }
        };
        if response.response_code != ResponseCode::NoError {
            return Err(LocalFault::ResponseCode {
                code: rcode(response.response_code),
            });
        }
        let at_apex = |t: RecordType| {
            response
                .answers
                .iter()
                .filter(move |r| r.name == self.owner && r.record_type() == t)
        };
        let key_records: Vec<&Record> = at_apex(RecordType::DNSKEY).collect();
        if key_records.is_empty() {
            return Err(LocalFault::NoKeys);
        }
        let signatures: Vec<(&Record, &RRSIG)> = at_apex(RecordType::RRSIG)
            .filter_map(|r| match &r.data {
                RData::DNSSEC(DNSSECRData::RRSIG(sig))
                    if sig.input().type_covered == RecordType::DNSKEY =>
                {
                    Some((r, sig))
                }
                _ => None,
            })
            .collect();
        if signatures.is_empty() {
            return Err(LocalFault::SignaturesStripped);
        }
        let keys: Vec<DNSKEY> = key_records
            .iter()
            .filter_map(|r| match &r.data {
                RData::DNSSEC(DNSSECRData::DNSKEY(key)) => Some(key.clone()),
                _ => None,
            })
            .collect();
        let anchored: Vec<&DNSKEY> = keys.iter().filter(|k| self.anchors_key(k)).collect();
        if anchored.is_empty() {
            return Err(LocalFault::NoMatchingKey { served: keys.len() });
        }
        let mut reason = String::from("no signature was made by an anchored key");
        for (record, sig) in &signatures {
            let input = sig.input();
            for key in &anchored {
                if key.calculate_key_tag().ok() != Some(input.key_tag)
                    || key.algorithm() != input.algorithm
                    || key.revoke()
                {
                    continue;
                }
                let (inception, expiration) =
                    (input.sig_inception.get(), input.sig_expiration.get());
                if now < inception || now > expiration {
                    reason = format!(
                        "the signature by key {} is valid from {inception} to {expiration}, not now ({now})",
                        input.key_tag
                    );
                    continue;
                }
                match key.verify_rrsig(&self.owner, DNSClass::IN, sig, key_records.iter().copied())
                {
                    Ok(()) => {
                        let ttl = key_records
                            .iter()
                            .map(|r| r.ttl)
                            .chain([record.ttl, input.original_ttl, MAX_KEY_LIFETIME])
                            .min()
                            .unwrap_or(0);
                        let lifetime = ttl.min(expiration - now);
                        return Ok(TrustedKeys {
                            keys: keys.into_iter().filter(|k| k.zone_key()).collect(),
                            lifetime: Duration::from_secs(u64::from(lifetime)),
                        });
                    }
                    Err(e) => {
                        reason = format!(
                            "the signature by key {} does not verify: {e}",
                            input.key_tag
                        )
                    }
                }
            }
        }
        Err(LocalFault::SignatureInvalid { reason })
    }
}
