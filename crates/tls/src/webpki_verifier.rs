//! The rustls verifier for WebPKI authentication (MTA-STS, RFC 8461 §4.2):
//! a chain to a trusted root, valid now, for the expected host name.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::{CertificateDer, DnsName, ServerName, UnixTime};

use crate::outcome::{Method, OutcomeHandle, VerificationOutcome};
use crate::result_type::ResultType;
use crate::signature::SignatureChecker;

/// Why a WebPKI verifier could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebPkiSetupError {
    /// The expected name is not a DNS host name.
    #[error("{} is not a DNS host name", crate::quoted(.0))]
    BadName(String),
    /// rustls refused the roots (for instance, none at all).
    #[error("cannot build a WebPKI verifier: {0}")]
    Roots(String),
}

/// Accepts a server whose chain leads to one of the roots and is valid now
/// for the expected name, and that signs the handshake with the leaf's key.
/// Records expired, wrong-name and untrusted apart.
#[derive(Debug)]
pub struct WebPkiVerifier {
    inner: Arc<WebPkiServerVerifier>,
    name: DnsName<'static>,
    signatures: SignatureChecker,
}

impl WebPkiVerifier {
    /// A verifier for `name` against `roots`, recording into `handle`. The
    /// name is checked whatever `ServerName` rustls is given for SNI.
    pub fn new(
        name: &str,
        roots: Arc<RootCertStore>,
        provider: Arc<CryptoProvider>,
        handle: OutcomeHandle,
    ) -> Result<Self, WebPkiSetupError> {
        let trimmed = name.strip_suffix('.').unwrap_or(name);
        let name = DnsName::try_from(trimmed.to_owned())
            .map_err(|_| WebPkiSetupError::BadName(name.to_owned()))?;
        let inner = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
            .build()
            .map_err(|e| WebPkiSetupError::Roots(e.to_string()))?;
        Ok(Self {
            inner,
            name,
            signatures: SignatureChecker::new(provider, handle),
        })
    }
}

impl ServerCertVerifier for WebPkiVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let chain: Vec<CertificateDer<'_>> = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|cert| CertificateDer::from(cert.as_ref()))
            .collect();
        let expected = ServerName::DnsName(self.name.borrow());
        let mut outcome = VerificationOutcome::seen(
            Method::WebPki,
            server_name,
            &chain,
            vec![self.name.as_ref().to_owned()],
        );
        let result =
            self.inner
                .verify_server_cert(end_entity, intermediates, &expected, ocsp_response, now);
        if let Err(error) = &result {
            outcome.fail(result_type(error), error.to_string());
        }
        self.signatures.handle().record(outcome);
        result
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.signatures.tls12(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.signatures.tls13(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.signatures.schemes()
    }
}

/// RFC 8460 §4.3.2.1 result type for a WebPKI failure.
fn result_type(error: &rustls::Error) -> ResultType {
    let rustls::Error::InvalidCertificate(error) = error else {
        return ResultType::ValidationFailure;
    };
    match error {
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            ResultType::CertificateExpired
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            ResultType::CertificateHostMismatch
        }
        CertificateError::BadEncoding
        | CertificateError::NotValidYet
        | CertificateError::NotValidYetContext { .. } => ResultType::ValidationFailure,
        _ => ResultType::CertificateNotTrusted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rustls_errors_map_to_rpt_types() {
        let of = |e| result_type(&rustls::Error::InvalidCertificate(e));
        assert_eq!(
            of(CertificateError::Expired),
            ResultType::CertificateExpired
        );
        assert_eq!(
            of(CertificateError::NotValidForName),
            ResultType::CertificateHostMismatch
        );
        assert_eq!(
            of(CertificateError::UnknownIssuer),
            ResultType::CertificateNotTrusted
        );
        assert_eq!(
            of(CertificateError::BadSignature),
            ResultType::CertificateNotTrusted
        );
    }

    #[test]
    fn bad_name_is_rejected_at_setup() {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let roots = Arc::new(crate::TrustRoots::public().store().as_ref().clone());
        let error = WebPkiVerifier::new("not a name", roots, provider, OutcomeHandle::new());
        assert!(matches!(error, Err(WebPkiSetupError::BadName(_))));
    }
}
