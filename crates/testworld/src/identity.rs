//! A server's certificate chain and private key, as issued by a
//! [`TestCa`](crate::ca::TestCa), and the rustls configuration that serves
//! them — including the replayed-chain attack, where the chain and the key
//! do not belong together.

use std::path::Path;
use std::sync::Arc;

use rustls::SupportedProtocolVersion;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// The crypto provider every test-world TLS configuration uses.
pub(crate) fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn pem_text(tag: &str, der: &[u8]) -> String {
    let config = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);
    pem::encode_config(&pem::Pem::new(tag, der), config)
}

/// One certificate in PEM.
pub(crate) fn certificate_pem(cert: &CertificateDer<'_>) -> String {
    pem_text("CERTIFICATE", cert.as_ref())
}

/// A certificate chain (leaf first, root not included) and a private key,
/// with the root the chain leads to.
///
/// Normally the key belongs to the leaf; [`Identity::replayed`] builds one
/// where it does not.
#[derive(Debug)]
pub struct Identity {
    /// The chain a server sends: leaf first, then intermediates.
    pub chain: Vec<CertificateDer<'static>>,
    /// The private key the server signs the handshake with (PKCS#8).
    pub key: PrivateKeyDer<'static>,
    /// The root that issued the chain (not sent by servers).
    pub root: CertificateDer<'static>,
}

impl Clone for Identity {
    fn clone(&self) -> Identity {
        Identity {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
            root: self.root.clone(),
        }
    }
}

impl Identity {
    /// The chain of `real` with the private key of `impostor`: what an
    /// attacker who copied a server's public certificate chain can present.
    /// The handshake signature does not verify against the leaf, so a client
    /// that checks it (as every client must, also under DANE) rejects it.
    pub fn replayed(real: &Identity, impostor: &Identity) -> Identity {
        Identity {
            chain: real.chain.clone(),
            key: impostor.key.clone_key(),
            root: real.root.clone(),
        }
    }

    /// The end-entity certificate.
    pub fn leaf(&self) -> &CertificateDer<'static> {
        self.chain
            .first()
            .expect("an identity's chain always holds its leaf")
    }

    /// A rustls server configuration (ring, TLS 1.2 and 1.3) that presents
    /// this chain and signs with this key, whether or not they match.
    pub fn rustls_server_config(&self) -> Arc<rustls::ServerConfig> {
        self.rustls_server_config_for(rustls::DEFAULT_VERSIONS)
    }

    /// As [`Identity::rustls_server_config`], offering only `versions`
    /// (e.g. `&[&rustls::version::TLS12]` for a TLS 1.2 server).
    pub fn rustls_server_config_for(
        &self,
        versions: &[&'static SupportedProtocolVersion],
    ) -> Arc<rustls::ServerConfig> {
        let provider = provider();
        let signing_key = provider
            .key_provider
            .load_private_key(self.key.clone_key())
            .expect("rcgen keys are ECDSA P-256, which ring loads");
        // CertifiedKey::new does not check that the key matches the leaf,
        // which is what lets a replayed identity be served at all.
        let certified = Arc::new(CertifiedKey::new(self.chain.clone(), signing_key));
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .expect("the ring provider supports TLS 1.2 and 1.3")
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(FixedCert(certified)));
        Arc::new(config)
    }

    /// The chain in PEM, leaf first.
    pub fn chain_pem(&self) -> String {
        self.chain.iter().map(certificate_pem).collect()
    }

    /// The private key in PEM (`PRIVATE KEY`, PKCS#8).
    pub fn key_pem(&self) -> String {
        pem_text("PRIVATE KEY", self.key.secret_der())
    }

    /// The root in DER.
    pub fn root_der(&self) -> &CertificateDer<'static> {
        &self.root
    }

    /// The root in PEM.
    pub fn root_pem(&self) -> String {
        certificate_pem(&self.root)
    }

    /// Writes the root in PEM to `path`, e.g. for a `--ca FILE` option.
    pub fn write_root_pem(&self, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, self.root_pem())
    }
}

/// A server configuration that has no certificate: every handshake ends
/// with a `handshake_failure` alert.
pub(crate) fn no_certificate_config() -> Arc<rustls::ServerConfig> {
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("the ring provider supports the default versions")
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(NoCert));
    Arc::new(config)
}

/// Has no certificate for anyone.
#[derive(Debug)]
struct NoCert;

impl ResolvesServerCert for NoCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        None
    }
}

/// Serves one certified key to every client, without checking that its
/// key and its leaf belong together.
#[derive(Debug)]
struct FixedCert(Arc<CertifiedKey>);

impl ResolvesServerCert for FixedCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ca::TestCa;
    use rustls_pki_types::pem::PemObject;

    #[test]
    fn pem_export_round_trips() {
        let ca = TestCa::new("Pem CA").intermediate("Pem Intermediate");
        let identity = ca.issue(&["mx.example.test"]);
        let chain: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(identity.chain_pem().as_bytes())
                .collect::<Result<_, _>>()
                .unwrap();
        assert_eq!(chain, identity.chain);
        let key = PrivateKeyDer::from_pem_slice(identity.key_pem().as_bytes()).unwrap();
        assert_eq!(key.secret_der(), identity.key.secret_der());
    }

    #[test]
    fn replayed_identity_has_real_chain_and_foreign_key() {
        let ca = TestCa::new("Replay CA");
        let real = ca.issue(&["mx.example.test"]);
        let impostor = ca.issue(&["mx.example.test"]);
        let replayed = Identity::replayed(&real, &impostor);
        assert_eq!(replayed.chain, real.chain);
        assert_eq!(replayed.key.secret_der(), impostor.key.secret_der());
        assert_ne!(replayed.key.secret_der(), real.key.secret_der());
        let signing = provider()
            .key_provider
            .load_private_key(replayed.key.clone_key())
            .unwrap();
        let certified = CertifiedKey::new(replayed.chain.clone(), signing);
        assert!(certified.keys_match().is_err(), "the key is not the leaf's");
    }
}
