//! Which TLSA records count, and whether one matches a certificate
//! (RFC 6698 §2.1, RFC 7671 §9, RFC 7672 §3.1).

use std::borrow::Cow;

use rustls_pki_types::CertificateDer;

use crate::cert::{self, CertParseError};
use crate::tlsa::{Matching, Selector, Tlsa, Usage};

/// Whether this single record can be used for SMTP: usage DANE-TA(2) or
/// DANE-EE(3), selector 0 or 1, matching type 0, 1 or 2, and association
/// data of the digest's length (32 or 64 octets) or, for Full(0), non-empty.
///
/// RFC 7672 §3.1.3: "SMTP client treatment of TLSA RRs with certificate
/// usages PKIX-TA(0) or PKIX-EE(1) is undefined", so they are unusable, as
/// are records with unknown parameters or malformed data (RFC 7672 §2.2).
#[must_use]
pub fn is_usable(record: &Tlsa) -> bool {
    let usage = matches!(record.usage, Usage::DaneTa | Usage::DaneEe);
    let selector = matches!(record.selector, Selector::Cert | Selector::Spki);
    let data = match record.matching {
        Matching::Full => !record.data.is_empty(),
        Matching::Sha256 => record.data.len() == 32,
        Matching::Sha512 => record.data.len() == 64,
        Matching::Other(_) => false,
    };
    usage && selector && data
}

/// Whether the TLSA RRset has at least one usable record. `false` for an
/// empty set; policy treats a non-empty set with no usable record as
/// "STARTTLS mandatory, no authentication" (RFC 7672 §2.2).
#[must_use]
pub fn usable(records: &[Tlsa]) -> bool {
    records.iter().any(is_usable)
}

/// Strength of a digest matching type for agility; `None` for Full(0) and
/// anything unusable.
fn digest_strength(matching: Matching) -> Option<u8> {
    match matching {
        Matching::Sha256 => Some(1),
        Matching::Sha512 => Some(2),
        Matching::Full | Matching::Other(_) => None,
    }
}

/// The records verification uses: the usable ones, less those removed by
/// digest algorithm agility.
///
/// RFC 7671 §9: for each combination of usage and selector, a client that
/// supports several digest algorithms uses only the records with the
/// strongest one present, so that a server can retire a weak digest by
/// publishing a stronger one. Sealane ranks SHA2-512(2) above SHA2-256(1).
/// Full(0) records carry no digest and are never dropped. A malformed
/// (unusable) record never hides a usable one.
#[must_use]
pub fn usable_records(records: &[Tlsa]) -> Vec<&Tlsa> {
    let usable: Vec<&Tlsa> = records.iter().filter(|r| is_usable(r)).collect();
    usable
        .iter()
        .copied()
        .filter(|record| {
            let Some(strength) = digest_strength(record.matching) else {
                return true;
            };
            let strongest = usable
                .iter()
                .filter(|other| other.usage == record.usage && other.selector == record.selector)
                .filter_map(|other| digest_strength(other.matching))
                .max()
                .unwrap_or(strength);
            strength == strongest
        })
        .collect()
}

/// The content a selector picks from a certificate (RFC 6698 §2.1.2):
/// the whole DER certificate, or its DER SubjectPublicKeyInfo.
pub(crate) fn selected<'a>(
    cert: &'a CertificateDer<'_>,
    selector: Selector,
) -> Result<Option<Cow<'a, [u8]>>, CertParseError> {
    match selector {
        Selector::Cert => Ok(Some(Cow::Borrowed(cert.as_ref()))),
        Selector::Spki => Ok(Some(Cow::Owned(cert::spki(cert)?))),
        Selector::Other(_) => Ok(None),
    }
}

/// Applies a matching type to selected content (RFC 6698 §2.1.3); `None`
/// for an unknown matching type.
pub(crate) fn associate(content: &[u8], matching: Matching) -> Option<Vec<u8>> {
    let algorithm = match matching {
        Matching::Full => return Some(content.to_vec()),
        Matching::Sha256 => &ring::digest::SHA256,
        Matching::Sha512 => &ring::digest::SHA512,
        Matching::Other(_) => return None,
    };
    Some(ring::digest::digest(algorithm, content).as_ref().to_vec())
}

impl Tlsa {
    /// Whether this record's selector and matching type select `cert`
    /// (usage is not considered here). `Ok(false)` for unknown selectors
    /// or matching types; an error when the certificate cannot be parsed
    /// far enough to find its public key.
    pub fn matches(&self, cert: &CertificateDer<'_>) -> Result<bool, CertParseError> {
        let Some(content) = selected(cert, self.selector)? else {
            return Ok(false);
        };
        Ok(associate(&content, self.matching).is_some_and(|data| data == self.data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(text: &str) -> Tlsa {
        text.parse().unwrap()
    }

    fn sha256(byte: u8) -> String {
        format!("{byte:02x}").repeat(32)
    }

    fn sha512(byte: u8) -> String {
        format!("{byte:02x}").repeat(64)
    }

    #[test]
    fn usability_follows_usage_selector_matching_and_length() {
        assert!(is_usable(&record(&format!("3 1 1 {}", sha256(1)))));
        assert!(is_usable(&record(&format!("2 0 2 {}", sha512(1)))));
        assert!(is_usable(&record("3 1 0 30")));
        assert!(!is_usable(&record(&format!("1 1 1 {}", sha256(1)))));
        assert!(!is_usable(&record(&format!("0 1 1 {}", sha256(1)))));
        assert!(!is_usable(&record(&format!("4 1 1 {}", sha256(1)))));
        assert!(!is_usable(&record(&format!("3 2 1 {}", sha256(1)))));
        assert!(!is_usable(&record(&format!("3 1 3 {}", sha256(1)))));
        assert!(!is_usable(&record("3 1 1 abcd")), "short SHA-256");
        assert!(!usable(&[]));
    }

    #[test]
    fn stronger_digest_hides_weaker_for_same_usage_and_selector_only() {
        let records = [
            record(&format!("3 1 1 {}", sha256(1))),
            record(&format!("3 1 2 {}", sha512(2))),
            record(&format!("3 0 1 {}", sha256(3))),
            record(&format!("2 1 1 {}", sha256(4))),
            record("3 1 0 30"),
        ];
        let used: Vec<String> = usable_records(&records)
            .iter()
            .map(|r| r.to_string())
            .collect();
        assert_eq!(
            used,
            [
                records[1].to_string(),
                records[2].to_string(),
                records[3].to_string(),
                records[4].to_string()
            ]
        );
    }

    #[test]
    fn malformed_stronger_record_does_not_hide_weaker() {
        let records = [
            record(&format!("3 1 1 {}", sha256(1))),
            record("3 1 2 abcd"),
        ];
        assert_eq!(usable_records(&records), vec![&records[0]]);
    }
}
