//! DANE verification of a presented certificate chain against TLSA records
//! (RFC 7672 §3, RFC 7671), as a pure function of its inputs.

use rustls_pki_types::{CertificateDer, DnsName, UnixTime};
use serde::Serialize;

use crate::chain::{self, AnchorFailure};
use crate::matching::usable_records;
use crate::result_type::ResultType;
use crate::tlsa::{Tlsa, Usage};

/// Which TLSA record authenticated the server, and where in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[must_use]
pub struct DaneMatch {
    /// The record that matched.
    pub record: Tlsa,
    /// Position in the presented chain of the certificate the record
    /// matched: 0 is the leaf. When the trust anchor is carried in the
    /// record itself and not presented (a `2 0 0` certificate or a `2 1 0`
    /// key, RFC 7671 §5.2.2), the depth it takes in the validated path:
    /// one more than the presented certificates that path uses.
    pub depth: usize,
    /// The reference identifier the leaf was found valid for (usage 2
    /// with names given); `None` when names were not checked.
    pub name: Option<String>,
}

/// Why DANE verification failed. Each variant names its TLS-RPT result
/// type ([`DaneError::result_type`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum DaneError {
    /// Not one record is usable (usages 0/1, unknown parameters, bad
    /// lengths). Policy should not ask for DANE then (RFC 7672 §2.2).
    #[error("no usable TLSA records")]
    NoUsableRecords,
    /// The server presented no certificate.
    #[error("the server presented no certificate")]
    EmptyChain,
    /// No usable record matches any certificate of the chain.
    #[error("no TLSA record matches the presented certificate chain")]
    NoMatch,
    /// A record matched, but a certificate it vouches for has expired
    /// (usage 2 only; usage 3 ignores dates, RFC 7672 §3.1.1).
    #[error("certificate at depth {depth} has expired (TLSA {record} matched)")]
    Expired {
        /// The record that matched.
        record: Tlsa,
        /// Position of the expired certificate.
        depth: usize,
    },
    /// A record matched, but a certificate it vouches for is not valid yet.
    #[error("certificate at depth {depth} is not valid yet (TLSA {record} matched)")]
    NotYetValid {
        /// The record that matched.
        record: Tlsa,
        /// Position of the certificate.
        depth: usize,
    },
    /// A usage 2 record matched, but the leaf is valid for none of the
    /// reference identifiers (RFC 7672 §3.2.2).
    #[error(
        "certificate is not valid for any of {} (TLSA {record} matched)",
        .names.iter().map(|n| crate::quoted(n)).collect::<Vec<_>>().join(", ")
    )]
    NameMismatch {
        /// The record that matched.
        record: Tlsa,
        /// The reference identifiers tried.
        names: Vec<String>,
    },
    /// A usage 2 record matched a chain certificate, but the leaf does not
    /// validate up to it (signatures, constraints, key usage).
    #[error("chain does not validate to the trust anchor of TLSA {record}: {reason}")]
    BadChain {
        /// The record that matched.
        record: Tlsa,
        /// What the chain validator said.
        reason: String,
    },
    /// A certificate needed for the check cannot be parsed.
    #[error("certificate at depth {depth} is malformed: {reason}")]
    BadCertificate {
        /// Position of the certificate.
        depth: usize,
        /// What the parser said.
        reason: String,
    },
    /// A reference identifier given by the caller is not a DNS name.
    #[error("reference identifier {} is not a DNS host name", crate::quoted(.0))]
    BadName(String),
}

impl DaneError {
    /// The TLS-RPT result type (RFC 8460 §4.3) this failure is reported as.
    ///
    /// A chain that does not validate to the anchor a record names counts
    /// as `tlsa-invalid`: no record was found valid for this server.
    #[must_use]
    pub fn result_type(&self) -> ResultType {
        match self {
            Self::NoUsableRecords | Self::NoMatch | Self::BadChain { .. } => {
                ResultType::TlsaInvalid
            }
            Self::Expired { .. } => ResultType::CertificateExpired,
            Self::NameMismatch { .. } => ResultType::CertificateHostMismatch,
            Self::EmptyChain
            | Self::NotYetValid { .. }
            | Self::BadCertificate { .. }
            | Self::BadName(_) => ResultType::ValidationFailure,
        }
    }
}

/// Verifies a presented chain (leaf first) against a TLSA RRset, as RFC
/// 7672 §3 asks of an SMTP client. Used by the DANE rustls verifier and by
/// the offline `sealane tlsa verify`.
///
/// - Only usable records count, after digest agility ([`usable_records`]).
/// - DANE-EE(3), RFC 7672 §3.1.1: the leaf must match; names and validity
///   dates are ignored.
/// - DANE-TA(2), RFC 7672 §3.1.2: a presented certificate (selector 0) or
///   its key (selector 1) must match; the leaf must validate up to it as a
///   trust anchor, with validity dates checked, and the leaf must be valid
///   for one of `names` (RFC 7672 §3.2.2; a wildcard `*.` covers exactly
///   one leftmost label). A `2 0 0` record's certificate and a `2 1 0`
///   record's key anchor the chain even if the server does not present
///   them (RFC 7671 §5.2.2, where the full anchor is published in DNS);
///   a cross-signed copy of that anchor in the chain is then not needed.
/// - A usage 2 record that matches the leaf itself makes the leaf its own
///   trust anchor: its validity dates and names are checked, and no chain
///   is needed (the record vouches for the certificate directly, as with
///   usage 3; RFC 7671 §5.2.2 lets the anchor be any presented certificate).
///
/// `names` empty means no name checks. Usage 3 records are tried first.
/// When none matches, the error is the first failure of a record that did
/// match a certificate, otherwise [`DaneError::NoMatch`].
pub fn verify_chain(
    chain: &[CertificateDer<'_>],
    records: &[Tlsa],
    names: &[&str],
    now: UnixTime,
) -> Result<DaneMatch, DaneError> {
    let records = usable_records(records);
    if records.is_empty() {
        return Err(DaneError::NoUsableRecords);
    }
    let Some(leaf) = chain.first() else {
        return Err(DaneError::EmptyChain);
    };
    let names = reference_names(names)?;

    for record in records.iter().filter(|r| r.usage == Usage::DaneEe) {
        if record.matches(leaf).map_err(|e| bad_cert(0, e.reason))? {
            return Ok(DaneMatch {
                record: (*record).clone(),
                depth: 0,
                name: None,
            });
        }
    }

    let mut first_failure = None;
    for record in records.iter().filter(|r| r.usage == Usage::DaneTa) {
        let mut attempts = Vec::new();
        for (depth, cert) in chain.iter().enumerate() {
            // A certificate above the leaf that cannot be parsed can match
            // nothing by key; it is skipped, not fatal.
            match record.matches(cert) {
                Ok(true) => attempts.push(depth),
                Ok(false) => {}
                Err(e) if depth == 0 => return Err(bad_cert(0, e.reason)),
                Err(_) => {}
            }
        }
        // A `2 0 0` certificate or `2 1 0` key that no presented
        // certificate carries may still anchor the chain.
        let from_record = match attempts.is_empty() {
            true => chain::anchor_in_record(record, chain, &names, now),
            false => None,
        };
        let outcomes = attempts
            .into_iter()
            .map(|depth| {
                chain::validate_to_cert(chain, depth, &names, now).map(|name| (depth, name))
            })
            .chain(from_record);
        for outcome in outcomes {
            match outcome {
                Ok((depth, name)) => {
                    return Ok(DaneMatch {
                        record: (*record).clone(),
                        depth,
                        name,
                    });
                }
                Err(failure) => {
                    first_failure.get_or_insert_with(|| failure.into_error(record, &names));
                }
            }
        }
    }
    Err(first_failure.unwrap_or(DaneError::NoMatch))
}

fn bad_cert(depth: usize, reason: String) -> DaneError {
    DaneError::BadCertificate { depth, reason }
}

/// Reference identifiers as DNS names; a trailing root dot is dropped.
fn reference_names(names: &[&str]) -> Result<Vec<DnsName<'static>>, DaneError> {
    names
        .iter()
        .map(|name| {
            let trimmed = name.strip_suffix('.').unwrap_or(name);
            DnsName::try_from(trimmed.to_owned()).map_err(|_| DaneError::BadName((*name).into()))
        })
        .collect()
}

impl AnchorFailure {
    fn into_error(self, record: &Tlsa, names: &[DnsName<'_>]) -> DaneError {
        let record = record.clone();
        match self {
            AnchorFailure::Expired { depth } => DaneError::Expired { record, depth },
            AnchorFailure::NotYetValid { depth } => DaneError::NotYetValid { record, depth },
            AnchorFailure::NameMismatch => DaneError::NameMismatch {
                record,
                names: names.iter().map(|n| n.as_ref().to_owned()).collect(),
            },
            AnchorFailure::BadChain(reason) => DaneError::BadChain { record, reason },
            AnchorFailure::BadCertificate { depth, reason } => {
                DaneError::BadCertificate { depth, reason }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> UnixTime {
        UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_800_000_000))
    }

    #[test]
    fn unusable_set_is_reported_before_looking_at_the_chain() {
        let records: Vec<Tlsa> = vec!["1 1 1 00".parse().unwrap()];
        assert_eq!(
            verify_chain(&[], &records, &[], now()),
            Err(DaneError::NoUsableRecords)
        );
    }

    #[test]
    fn empty_chain_and_bad_names_are_errors() {
        let records: Vec<Tlsa> = vec!["3 0 0 30".parse().unwrap()];
        assert_eq!(
            verify_chain(&[], &records, &[], now()),
            Err(DaneError::EmptyChain)
        );
        let leaf = CertificateDer::from(vec![0x30, 0x00]);
        assert_eq!(
            verify_chain(&[leaf], &records, &["not a name"], now()),
            Err(DaneError::BadName("not a name".into()))
        );
    }

    #[test]
    fn result_types_follow_rfc8460() {
        let record: Tlsa = "2 1 1 00".parse().unwrap();
        assert_eq!(DaneError::NoMatch.result_type().as_str(), "tlsa-invalid");
        let expired = DaneError::Expired {
            record: record.clone(),
            depth: 0,
        };
        assert_eq!(expired.result_type().as_str(), "certificate-expired");
        let mismatch = DaneError::NameMismatch {
            record,
            names: vec![],
        };
        assert_eq!(mismatch.result_type().as_str(), "certificate-host-mismatch");
    }
}
