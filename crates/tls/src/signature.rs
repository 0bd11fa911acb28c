//! The handshake signature check every verifier does, whatever it thinks
//! of the certificate: without it, a server could replay someone else's
//! certificate chain without holding its private key (DESIGN §2).

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::CertificateDer;

use crate::outcome::OutcomeHandle;

/// Verifies TLS 1.2 and 1.3 handshake signatures with the crypto
/// provider's algorithms and records the result in the outcome.
#[derive(Debug, Clone)]
pub(crate) struct SignatureChecker {
    provider: Arc<CryptoProvider>,
    handle: OutcomeHandle,
}

impl SignatureChecker {
    pub(crate) fn new(provider: Arc<CryptoProvider>, handle: OutcomeHandle) -> Self {
        Self { provider, handle }
    }

    pub(crate) fn handle(&self) -> &OutcomeHandle {
        &self.handle
    }

    /// TLS 1.2 ServerKeyExchange signature (RFC 5246 §7.4.3).
    pub(crate) fn tls12(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        self.record(rustls::crypto::verify_tls12_signature(
            message, cert, dss, algorithms,
        ))
    }

    /// TLS 1.3 CertificateVerify signature (RFC 8446 §4.4.3).
    pub(crate) fn tls13(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        self.record(rustls::crypto::verify_tls13_signature(
            message, cert, dss, algorithms,
        ))
    }

    /// The schemes the provider can verify.
    pub(crate) fn schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }

    fn record(
        &self,
        result: Result<HandshakeSignatureValid, rustls::Error>,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.handle.signature_checked(result.as_ref().map(|_| ()));
        result
    }
}
