//! Certificate helpers: reading PEM, extracting the public key, and a
//! summary of a certificate for the delivery trace.

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use serde::Serialize;
use x509_parser::extensions::GeneralName;

use crate::hex;

/// A certificate could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed certificate: {reason}")]
pub struct CertParseError {
    /// What the parser said.
    pub reason: String,
}

impl CertParseError {
    pub(crate) fn new(reason: impl ToString) -> Self {
        Self {
            reason: reason.to_string(),
        }
    }
}

/// PEM input could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PemError {
    /// The PEM text itself is broken (markers, base64).
    #[error("bad PEM: {0}")]
    Syntax(String),
    /// No block of the kind wanted was found.
    #[error("no {0} block found in PEM input")]
    NotFound(&'static str),
}

/// Reads every `CERTIFICATE` block from PEM text, in order (for a chain:
/// leaf first). Other blocks are skipped.
pub fn certificates_from_pem(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, PemError> {
    let chain = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| PemError::Syntax(e.to_string()))?;
    if chain.is_empty() {
        return Err(PemError::NotFound("CERTIFICATE"));
    }
    Ok(chain)
}

/// The DER SubjectPublicKeyInfo of a certificate (the content TLSA selector
/// 1 selects, RFC 6698 §2.1.2), including its outer SEQUENCE.
pub fn spki(cert: &CertificateDer<'_>) -> Result<Vec<u8>, CertParseError> {
    let parsed = webpki::EndEntityCert::try_from(cert).map_err(CertParseError::new)?;
    Ok(parsed.subject_public_key_info().as_ref().to_vec())
}

/// The validity period (RFC 5280 §4.1.2.5) as Unix seconds: `(notBefore, notAfter)`.
pub fn validity(cert: &CertificateDer<'_>) -> Result<(i64, i64), CertParseError> {
    let (_, parsed) =
        x509_parser::parse_x509_certificate(cert.as_ref()).map_err(CertParseError::new)?;
    let validity = parsed.validity();
    Ok((
        validity.not_before.timestamp(),
        validity.not_after.timestamp(),
    ))
}

/// What the delivery trace shows about a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertSummary {
    /// Subject distinguished name, RFC 4514 style.
    pub subject: String,
    /// Issuer distinguished name, RFC 4514 style.
    pub issuer: String,
    /// Start of validity, Unix seconds.
    pub not_before: i64,
    /// End of validity, Unix seconds.
    pub not_after: i64,
    /// DNS names in the subjectAltName extension.
    pub dns_names: Vec<String>,
    /// SHA-256 of the DER certificate, lower-case hex.
    pub sha256: String,
}

impl CertSummary {
    /// Summarises a DER certificate.
    pub fn of(cert: &CertificateDer<'_>) -> Result<Self, CertParseError> {
        let (_, parsed) =
            x509_parser::parse_x509_certificate(cert.as_ref()).map_err(CertParseError::new)?;
        // Taken from the parse above. Parsed again by webpki, with each
        // name validated, a certificate naming 250 MX hosts cost 3.5 % of
        // `check`'s instructions in the checker world (issue 19).
        let dns_names = parsed
            .subject_alternative_name()
            .ok()
            .flatten()
            .map(|san| {
                san.value
                    .general_names
                    .iter()
                    .filter_map(|name| match name {
                        GeneralName::DNSName(dns) if is_dns_id(dns) => Some((*dns).to_owned()),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let validity = parsed.validity();
        Ok(Self {
            subject: parsed.subject().to_string(),
            issuer: parsed.issuer().to_string(),
            not_before: validity.not_before.timestamp(),
            not_after: validity.not_after.timestamp(),
            dns_names,
            sha256: hex::encode(
                ring::digest::digest(&ring::digest::SHA256, cert.as_ref()).as_ref(),
            ),
        })
    }
}

/// Whether a SAN DNS name is a host name, or one under a `*.` wildcard:
/// what webpki calls a valid DNS id. Anything else (spaces, control
/// characters: a remote server's text) is left out of summaries.
fn is_dns_id(name: &str) -> bool {
    let host = name.strip_prefix("*.").unwrap_or(name);
    rustls_pki_types::DnsName::try_from(host).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_a_parse_error_not_a_panic() {
        let junk = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x00]);
        assert!(spki(&junk).is_err());
        assert!(validity(&junk).is_err());
        assert!(CertSummary::of(&junk).is_err());
    }

    #[test]
    fn pem_without_certificates_is_not_found() {
        assert_eq!(
            certificates_from_pem(b"nothing here"),
            Err(PemError::NotFound("CERTIFICATE"))
        );
    }
}
