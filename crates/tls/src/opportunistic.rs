//! The rustls verifier for unauthenticated TLS (RFC 7435 opportunistic,
//! or RFC 7672 §2.2 mandatory-but-unauthenticated): any certificate is
//! accepted, but the server must still sign the handshake with its key.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use crate::outcome::{Method, OutcomeHandle, VerificationOutcome};
use crate::signature::SignatureChecker;

/// Accepts any certificate and records what it saw; verifies the handshake
/// signature against the presented leaf.
#[derive(Debug)]
pub struct OpportunisticVerifier {
    method: Method,
    signatures: SignatureChecker,
}

impl OpportunisticVerifier {
    /// A verifier recording into `handle`; `mandatory` only changes the
    /// recorded method (whether TLS could be skipped is the caller's matter).
    pub fn new(mandatory: bool, provider: Arc<CryptoProvider>, handle: OutcomeHandle) -> Self {
        let method = match mandatory {
            true => Method::MandatoryUnauthenticated,
            false => Method::Opportunistic,
        };
        Self {
            method,
            signatures: SignatureChecker::new(provider, handle),
        }
    }
}

impl ServerCertVerifier for OpportunisticVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let chain: Vec<CertificateDer<'_>> = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|cert| CertificateDer::from(cert.as_ref()))
            .collect();
        let outcome = VerificationOutcome::seen(self.method, server_name, &chain, Vec::new());
        self.signatures.handle().record(outcome);
        Ok(ServerCertVerified::assertion())
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
