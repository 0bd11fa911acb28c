//! Usage DANE-TA(2): validating the leaf up to the trust anchor a TLSA
//! record names (RFC 7672 §3.1.2, RFC 7671 §5.2.2), with webpki.

use rustls_pki_types::{CertificateDer, Der, DnsName, ServerName, TrustAnchor, UnixTime};
use webpki::{EndEntityCert, KeyUsage};

use crate::cert;
use crate::tlsa::{Matching, Selector, Tlsa};

/// Why a chain did not validate to a matched anchor; [`crate::DaneError`]
/// adds the record.
#[derive(Debug)]
pub(crate) enum AnchorFailure {
    Expired { depth: usize },
    NotYetValid { depth: usize },
    NameMismatch,
    BadChain(String),
    BadCertificate { depth: usize, reason: String },
}

/// The leaf validated to `chain[depth]` as trust anchor, then checked
/// against `names`. `depth == 0` makes the leaf its own anchor: only its
/// validity dates and names are checked. Returns the name that matched.
pub(crate) fn validate_to_cert(
    chain: &[CertificateDer<'_>],
    depth: usize,
    names: &[DnsName<'_>],
    now: UnixTime,
) -> Result<Option<String>, AnchorFailure> {
    // Callers pass a non-empty chain and `depth < chain.len()`.
    let leaf = parse(chain, 0)?;
    if depth == 0 {
        if let Some(failure) = out_of_date(&chain[..1], now)? {
            return Err(failure);
        }
    } else {
        let anchor = webpki::anchor_from_trusted_cert(&chain[depth])
            .map_err(|e| bad_certificate(depth, e))?;
        let below = &chain[..depth];
        verify(&leaf, &[anchor], &below[1..], now).map_err(|e| classify(e, below, now))?;
    }
    names_match(&leaf, names)
}

/// A usage 2 record that carries the trust anchor itself, so the server
/// need not present it (RFC 7671 §5.2.2): a `2 0 0` record holds the
/// anchor's whole certificate, a `2 1 0` record its bare public key. The
/// leaf is validated up to that anchor through the presented certificates
/// (in any order; a cross-signed copy of the anchor in the chain is simply
/// not used). Returns the anchor's depth in the validated path (one more
/// than the presented certificates the path uses) and the name that
/// matched; `None` when the record is of neither kind, cannot be an
/// anchor, or its key signed nothing in the chain (no match).
pub(crate) fn anchor_in_record(
    record: &Tlsa,
    chain: &[CertificateDer<'_>],
    names: &[DnsName<'_>],
    now: UnixTime,
) -> Option<Result<(usize, Option<String>), AnchorFailure>> {
    if record.matching != Matching::Full {
        return None;
    }
    // Callers pass a non-empty chain.
    let leaf = match parse(chain, 0) {
        Ok(leaf) => leaf,
        Err(failure) => return Some(Err(failure)),
    };
    let parsed: Vec<EndEntityCert<'_>> = chain
        .iter()
        .filter_map(|c| EndEntityCert::try_from(c).ok())
        .collect();
    let certificate = CertificateDer::from(record.data.as_slice());
    let anchors: Vec<TrustAnchor<'_>> = match record.selector {
        // The anchor's subject and name constraints come from its own
        // certificate; one that cannot be read anchors nothing.
        Selector::Cert => vec![webpki::anchor_from_trusted_cert(&certificate).ok()?],
        // A bare key has no subject: whatever issuer name a presented
        // certificate gives will do, the key decides.
        Selector::Spki => {
            let key = sequence_contents(&record.data)?;
            parsed
                .iter()
                .map(|c| TrustAnchor {
                    subject: Der::from(c.issuer()),
                    subject_public_key_info: Der::from(key),
                    name_constraints: None,
                })
                .collect()
        }
        Selector::Other(_) => return None,
    };
    match verify(&leaf, &anchors, &chain[1..], now) {
        // The anchor signed nothing here: the record does not match.
        Err(
            webpki::Error::UnknownIssuer
            | webpki::Error::InvalidSignatureForPublicKey
            | webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_),
        ) => None,
        Err(e) => Some(Err(classify(e, chain, now))),
        Ok(used) => Some(names_match(&leaf, names).map(|name| (used + 1, name))),
    }
}

fn parse<'a>(
    chain: &'a [CertificateDer<'a>],
    depth: usize,
) -> Result<EndEntityCert<'a>, AnchorFailure> {
    EndEntityCert::try_from(&chain[depth]).map_err(|e| bad_certificate(depth, e))
}

fn bad_certificate(depth: usize, reason: impl ToString) -> AnchorFailure {
    AnchorFailure::BadCertificate {
        depth,
        reason: reason.to_string(),
    }
}

/// Validates the leaf to one of `anchors` for server authentication (RFC
/// 5280 §6 as webpki does it: signatures, dates below the anchor, basic
/// and name constraints, extended key usage). Returns how many of
/// `intermediates` the validated path uses.
fn verify(
    leaf: &EndEntityCert<'_>,
    anchors: &[TrustAnchor<'_>],
    intermediates: &[CertificateDer<'_>],
    now: UnixTime,
) -> Result<usize, webpki::Error> {
    leaf.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        anchors,
        intermediates,
        now,
        KeyUsage::server_auth(),
        None,
        None,
    )
    .map(|path| path.intermediate_certificates().count())
}

/// Names webpki's failure; for a date failure, finds which certificate.
fn classify(error: webpki::Error, checked: &[CertificateDer<'_>], now: UnixTime) -> AnchorFailure {
    match error {
        webpki::Error::CertExpired { .. } | webpki::Error::CertNotValidYet { .. } => {
            match out_of_date(checked, now) {
                Ok(Some(failure)) => failure,
                // webpki saw a date problem the scan does not; keep its word.
                Ok(None) | Err(_) => match error {
                    webpki::Error::CertExpired { .. } => AnchorFailure::Expired { depth: 0 },
                    _ => AnchorFailure::NotYetValid { depth: 0 },
                },
            }
        }
        other => AnchorFailure::BadChain(other.to_string()),
    }
}

/// The first certificate of `certs` whose validity period (RFC 5280
/// §4.1.2.5) does not contain `now`.
fn out_of_date(
    certs: &[CertificateDer<'_>],
    now: UnixTime,
) -> Result<Option<AnchorFailure>, AnchorFailure> {
    let now = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    for (depth, cert) in certs.iter().enumerate() {
        let (not_before, not_after) =
            cert::validity(cert).map_err(|e| bad_certificate(depth, e.reason))?;
        if now < not_before {
            return Ok(Some(AnchorFailure::NotYetValid { depth }));
        }
        if now > not_after {
            return Ok(Some(AnchorFailure::Expired { depth }));
        }
    }
    Ok(None)
}

/// RFC 7672 §3.2.2/§3.2.3: the leaf must be valid for one of the reference
/// identifiers; webpki matches subjectAltName dNSNames, a `*.` wildcard
/// covering exactly one leftmost label. No names: no check. webpki never
/// falls back to the subject CN, so a certificate without subjectAltName
/// dNSNames fails the name check.
fn names_match(
    leaf: &EndEntityCert<'_>,
    names: &[DnsName<'_>],
) -> Result<Option<String>, AnchorFailure> {
    if names.is_empty() {
        return Ok(None);
    }
    names
        .iter()
        .find(|name| {
            leaf.verify_is_valid_for_subject_name(&ServerName::DnsName(name.borrow()))
                .is_ok()
        })
        .map(|name| Some(name.as_ref().to_owned()))
        .ok_or(AnchorFailure::NameMismatch)
}

/// The contents of a DER SEQUENCE that spans all of `der` (X.690 §8.1:
/// tag, definite length, contents). webpki wants a trust anchor's key
/// without its outer SEQUENCE.
fn sequence_contents(der: &[u8]) -> Option<&[u8]> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    if tag != 0x30 {
        return None;
    }
    let (length, rest) = match first {
        0..=0x7f => (usize::from(first), rest),
        0x81..=0x84 => {
            let count = usize::from(first & 0x7f);
            if rest.len() < count {
                return None;
            }
            let (bytes, rest) = rest.split_at(count);
            let length = bytes
                .iter()
                .fold(0usize, |acc, b| acc << 8 | usize::from(*b));
            (length, rest)
        }
        _ => return None,
    };
    (rest.len() == length).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_contents_reads_short_and_long_lengths() {
        assert_eq!(
            sequence_contents(&[0x30, 0x02, 0xaa, 0xbb]),
            Some(&[0xaa, 0xbb][..])
        );
        let mut long = vec![0x30, 0x81, 0x80];
        long.extend([0u8; 0x80]);
        assert_eq!(sequence_contents(&long).map(<[u8]>::len), Some(0x80));
        assert_eq!(sequence_contents(&[0x30, 0x03, 0xaa]), None, "short");
        assert_eq!(
            sequence_contents(&[0x31, 0x01, 0xaa]),
            None,
            "not a SEQUENCE"
        );
        assert_eq!(sequence_contents(&[0x30, 0x80]), None, "indefinite length");
    }
}
