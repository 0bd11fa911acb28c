//! Making TLSA record data for a certificate or public key (RFC 6698 §2.1),
//! for `sealane tlsa generate` and the record publisher.

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, SubjectPublicKeyInfoDer};

use crate::cert::{CertParseError, PemError};
use crate::matching::{associate, selected};
use crate::tlsa::{Matching, Selector, Tlsa, Usage};

/// Why no record could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GenerateError {
    /// The PEM input holds neither a certificate nor a public key.
    #[error(transparent)]
    Pem(#[from] PemError),
    /// The certificate cannot be parsed.
    #[error(transparent)]
    Certificate(#[from] CertParseError),
    /// A bare public key only supports selector 1 (SPKI).
    #[error("a public key only supports selector 1 (SPKI), not {0}")]
    KeyNeedsSpkiSelector(u8),
    /// The selector is not 0 or 1.
    #[error("unknown TLSA selector {0}")]
    UnknownSelector(u8),
    /// The matching type is not 0, 1 or 2.
    #[error("unknown TLSA matching type {0}")]
    UnknownMatching(u8),
}

/// The TLSA record for a DER certificate. Usage is copied as given
/// (typically DANE-EE(3) for the server's own certificate, DANE-TA(2) for
/// its issuer).
pub fn tlsa_for_certificate(
    cert: &CertificateDer<'_>,
    usage: Usage,
    selector: Selector,
    matching: Matching,
) -> Result<Tlsa, GenerateError> {
    let content =
        selected(cert, selector)?.ok_or(GenerateError::UnknownSelector(selector.into()))?;
    let data =
        associate(&content, matching).ok_or(GenerateError::UnknownMatching(matching.into()))?;
    Ok(Tlsa::new(usage, selector, matching, data))
}

/// The TLSA record for a DER SubjectPublicKeyInfo; selector must be SPKI(1).
pub fn tlsa_for_public_key(
    key: &SubjectPublicKeyInfoDer<'_>,
    usage: Usage,
    selector: Selector,
    matching: Matching,
) -> Result<Tlsa, GenerateError> {
    if selector != Selector::Spki {
        return Err(GenerateError::KeyNeedsSpkiSelector(selector.into()));
    }
    let data =
        associate(key.as_ref(), matching).ok_or(GenerateError::UnknownMatching(matching.into()))?;
    Ok(Tlsa::new(usage, selector, matching, data))
}

/// The TLSA record for PEM input: the first `CERTIFICATE` block if there is
/// one, otherwise the first `PUBLIC KEY` block.
pub fn tlsa_from_pem(
    pem: &[u8],
    usage: Usage,
    selector: Selector,
    matching: Matching,
) -> Result<Tlsa, GenerateError> {
    if let Some(first) = CertificateDer::pem_slice_iter(pem).next() {
        let cert = first.map_err(|e| PemError::Syntax(e.to_string()))?;
        return tlsa_for_certificate(&cert, usage, selector, matching);
    }
    match SubjectPublicKeyInfoDer::pem_slice_iter(pem).next() {
        Some(Ok(key)) => tlsa_for_public_key(&key, usage, selector, matching),
        Some(Err(e)) => Err(PemError::Syntax(e.to_string()).into()),
        None => Err(PemError::NotFound("CERTIFICATE or PUBLIC KEY").into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_key_rejects_certificate_selector() {
        let key = SubjectPublicKeyInfoDer::from(vec![0x30, 0x00]);
        assert_eq!(
            tlsa_for_public_key(&key, Usage::DaneEe, Selector::Cert, Matching::Sha256),
            Err(GenerateError::KeyNeedsSpkiSelector(0))
        );
    }

    #[test]
    fn public_key_full_match_is_the_key_itself() {
        let key = SubjectPublicKeyInfoDer::from(vec![0x30, 0x01, 0x05]);
        let record = tlsa_for_public_key(&key, Usage::DaneTa, Selector::Spki, Matching::Full);
        assert_eq!(record.unwrap().to_string(), "2 1 0 300105");
    }

    #[test]
    fn unknown_parameters_and_empty_pem_are_errors() {
        let cert = CertificateDer::from(vec![0x30, 0x00]);
        assert_eq!(
            tlsa_for_certificate(&cert, Usage::DaneEe, Selector::Cert, Matching::Other(9)),
            Err(GenerateError::UnknownMatching(9))
        );
        assert_eq!(
            tlsa_for_certificate(&cert, Usage::DaneEe, Selector::Other(4), Matching::Sha256),
            Err(GenerateError::UnknownSelector(4))
        );
        assert!(matches!(
            tlsa_from_pem(b"", Usage::DaneEe, Selector::Spki, Matching::Sha256),
            Err(GenerateError::Pem(PemError::NotFound(_)))
        ));
    }
}
