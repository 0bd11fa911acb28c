//! Why an answer is bogus: the RRSIGs, DNSKEYs and DS records as served,
//! fetched unvalidated through [`Resolver::raw_rrset`], read the way a
//! troubleshooting guide would — expired or future signatures, RRsets
//! without signatures, a DS that matches no key — from the RRset up the
//! chain of zones to the root.

use std::collections::BTreeSet;

use dns::{Name, RawRrset, RecordType, Resolver};

use super::texts;
use crate::finding::Finding;
use crate::names::{bare, date, now_unix};

/// The findings naming the cause of a bogus answer for `rtype` at `name`.
/// Always at least one: [`texts::CAUSE_UNKNOWN`] when nothing is found.
pub(crate) async fn why(
    resolver: &Resolver,
    shown: &str,
    name: &Name,
    rtype: RecordType,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let raw = match resolver.raw_rrset(name, rtype).await {
        Ok(raw) => raw,
        Err(error) => {
            return vec![texts::CAUSE_UNKNOWN.finding(shown, format!("{name} {rtype}: {error}"))];
        }
    };
    let now = now_unix();
    findings.extend(signatures(shown, &raw, now));
    let missing = missing_signatures(&raw);
    findings.extend(
        missing.iter().map(|set| {
            texts::RRSIG_MISSING.finding(shown, format!("{set}: served without an RRSIG"))
        }),
    );
    let zone = raw
        .signatures
        .first()
        .map(|s| s.signer.clone())
        .or_else(|| {
            raw.authority
                .iter()
                .find(|r| r.rtype == "SOA")
                .map(|r| r.owner.clone())
        })
        .unwrap_or_else(|| name.clone());
    findings.extend(chain(resolver, shown, &zone, now).await);
    if findings.is_empty() {
        findings.push(texts::CAUSE_UNKNOWN.finding(
            shown,
            format!(
                "{} {rtype}: {}, {}, all in date, and every DS up to the root matches a key",
                bare(name),
                smtp::count(raw.records.len() as u64, "record", "records"),
                smtp::count(raw.signatures.len() as u64, "signature", "signatures")
            ),
        ));
    }
    findings
}

/// Signatures out of their validity period.
fn signatures(shown: &str, raw: &RawRrset, now: i64) -> Vec<Finding> {
    let mut out = Vec::new();
    for sig in &raw.signatures {
        let set = format!("{} {}", bare(&sig.owner), sig.type_covered);
        if i64::from(sig.expiration) < now {
            out.push(texts::RRSIG_EXPIRED.finding(
                shown,
                format!(
                    "RRSIG over {set} by {} (key tag {}) expired on {}",
                    bare(&sig.signer),
                    sig.key_tag,
                    date(sig.expiration.into())
                ),
            ));
        } else if i64::from(sig.inception) > now {
            out.push(texts::RRSIG_NOT_YET_VALID.finding(
                shown,
                format!(
                    "RRSIG over {set} by {} (key tag {}) is valid only from {}",
                    bare(&sig.signer),
                    sig.key_tag,
                    date(sig.inception.into())
                ),
            ));
        }
    }
    out
}

/// RRsets (`owner TYPE`) served without an RRSIG covering them.
fn missing_signatures(raw: &RawRrset) -> BTreeSet<String> {
    let signed: BTreeSet<(String, String)> = raw
        .signatures
        .iter()
        .map(|s| (s.owner.to_lowercase().to_string(), s.type_covered.clone()))
        .collect();
    raw.records
        .iter()
        .chain(raw.authority.iter().filter(|r| r.rtype != "NS"))
        .filter(|r| !signed.contains(&(r.owner.to_lowercase().to_string(), r.rtype.clone())))
        .map(|r| format!("{} {}", bare(&r.owner), r.rtype))
        .collect()
}

/// From `zone` up to the root: DNSKEY signatures in date, and a DS that
/// matches a key. Stops at the first zone without a DS (unsigned
/// delegation: nothing above can make the answer bogus through it).
async fn chain(resolver: &Resolver, shown: &str, zone: &Name, now: i64) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut current = zone.clone();
    loop {
        let Ok(keys) = resolver.raw_rrset(&current, RecordType::DNSKEY).await else {
            break;
        };
        findings.extend(signatures(shown, &keys, now));
        if current.is_root() {
            break;
        }
        let Ok(ds) = resolver.raw_rrset(&current, RecordType::DS).await else {
            break;
        };
        findings.extend(signatures(shown, &ds, now));
        let ds_tags: BTreeSet<u16> = ds
            .records
            .iter()
            .filter(|r| r.rtype == "DS")
            .filter_map(|r| r.key_tag)
            .collect();
        if ds_tags.is_empty() {
            break;
        }
        let key_tags: BTreeSet<u16> = keys
            .records
            .iter()
            .filter(|r| r.rtype == "DNSKEY")
            .filter_map(|r| r.key_tag)
            .collect();
        if ds_tags.is_disjoint(&key_tags) {
            findings.push(texts::DS_MISMATCH.finding(
                shown,
                format!(
                    "{} DS {} {} in the parent; {} DNSKEY {} {}",
                    bare(&current),
                    if ds_tags.len() == 1 {
                        "key tag"
                    } else {
                        "key tags"
                    },
                    tags(&ds_tags),
                    bare(&current),
                    if key_tags.len() == 1 {
                        "key tag"
                    } else {
                        "key tags"
                    },
                    tags(&key_tags)
                ),
            ));
        }
        current = current.base_name();
    }
    findings
}

fn tags(tags: &BTreeSet<u16>) -> String {
    if tags.is_empty() {
        return "none".into();
    }
    tags.iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use dns::{RawRecord, RawSignature};

    use super::*;

    fn name(text: &str) -> Name {
        Name::from_ascii(text).unwrap()
    }

    fn sig(inception: u32, expiration: u32) -> RawSignature {
        RawSignature {
            owner: name("mx.example.test."),
            type_covered: "A".into(),
            signer: name("example.test."),
            key_tag: 4242,
            inception,
            expiration,
        }
    }

    fn record(owner: &str, rtype: &str) -> RawRecord {
        RawRecord {
            owner: name(owner),
            rtype: rtype.into(),
            data: String::new(),
            key_tag: None,
        }
    }

    #[test]
    fn signatures_out_of_date_are_named_with_their_dates() {
        let raw = RawRrset {
            records: vec![record("mx.example.test.", "A")],
            authority: Vec::new(),
            signatures: vec![sig(1_000, 2_000), sig(9_000, 20_000), sig(3_000, 9_000)],
        };
        let found = signatures("example.test", &raw, 5_000);
        let ids: Vec<&str> = found.iter().map(|f| f.id).collect();
        assert_eq!(ids, ["dnssec-rrsig-expired", "dnssec-rrsig-not-yet-valid"]);
        assert!(
            found[0]
                .evidence
                .contains("expired on 1970-01-01T00:33:20Z"),
            "{found:?}"
        );
        assert!(found[0].evidence.contains("key tag 4242"), "{found:?}");
    }

    #[test]
    fn rrsets_without_signatures_are_listed_once() {
        let raw = RawRrset {
            records: vec![
                record("mx.example.test.", "A"),
                record("mx.example.test.", "A"),
            ],
            authority: vec![record("example.test.", "NS")],
            signatures: Vec::new(),
        };
        let missing = missing_signatures(&raw);
        assert_eq!(
            missing.into_iter().collect::<Vec<_>>(),
            ["mx.example.test A"]
        );
        let signed = RawRrset {
            signatures: vec![sig(0, u32::MAX)],
            ..raw
        };
        assert!(missing_signatures(&signed).is_empty());
    }
}
