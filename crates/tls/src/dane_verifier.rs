//! The rustls verifier for DANE (RFC 7672 §3): the chain must match the
//! TLSA records ([`verify_chain`]) and the handshake signature must verify.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::{CertificateError, DigitallySignedStruct, OtherError, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use crate::dane::{DaneError, verify_chain};
use crate::outcome::{Method, OutcomeHandle, VerificationOutcome};
use crate::signature::SignatureChecker;
use crate::tlsa::Tlsa;

/// Accepts a server whose chain matches the TLSA records, checked against
/// the reference identifiers (the MX host name, RFC 7672 §3.2.2), and that
/// signs the handshake with the leaf's key.
#[derive(Debug)]
pub struct DaneVerifier {
    records: Vec<Tlsa>,
    names: Vec<String>,
    signatures: SignatureChecker,
}

impl DaneVerifier {
    /// A verifier for these records and names, recording into `handle`.
    /// The names are not taken from the rustls `ServerName`: policy decides
    /// them (the MX host, and the TLSA base domain when it differs).
    pub fn new(
        records: Vec<Tlsa>,
        names: Vec<String>,
        provider: Arc<CryptoProvider>,
        handle: OutcomeHandle,
    ) -> Self {
        Self {
            records,
            names,
            signatures: SignatureChecker::new(provider, handle),
        }
    }
}

impl ServerCertVerifier for DaneVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let chain: Vec<CertificateDer<'_>> = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|cert| CertificateDer::from(cert.as_ref()))
            .collect();
        let names: Vec<&str> = self.names.iter().map(String::as_str).collect();
        let mut outcome =
            VerificationOutcome::seen(Method::Dane, server_name, &chain, self.names.clone());
        let result = verify_chain(&chain, &self.records, &names, now);
        let verdict = match result {
            Ok(matched) => {
                outcome.dane = Some(matched);
                Ok(ServerCertVerified::assertion())
            }
            Err(error) => {
                outcome.fail(error.result_type(), error.to_string());
                Err(rustls::Error::InvalidCertificate(certificate_error(error)))
            }
        };
        self.signatures.handle().record(outcome);
        verdict
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

/// The rustls error (and so the TLS alert) for a DANE failure.
fn certificate_error(error: DaneError) -> CertificateError {
    match error {
        DaneError::Expired { .. } => CertificateError::Expired,
        DaneError::NotYetValid { .. } => CertificateError::NotValidYet,
        DaneError::NameMismatch { .. } => CertificateError::NotValidForName,
        DaneError::BadCertificate { .. } => CertificateError::BadEncoding,
        other => CertificateError::Other(OtherError(Arc::new(other))),
    }
}
