//! A test certification authority made with rcgen: roots with distinct
//! names, intermediates, and server certificates with chosen names and
//! validity.
//!
//! ```
//! use testworld::ca::{TestCa, Validity};
//! let ca = TestCa::new("Test World Root");
//! let good = ca.issue(&["mx1.example.test"]);
//! let expired = ca.issue_with(&["mx1.example.test"], Validity::expired());
//! let intermediate = ca.intermediate("Test World Intermediate");
//! let via_intermediate = intermediate.issue(&["mx2.example.test"]);
//! assert_eq!(via_intermediate.chain.len(), 2, "leaf, then intermediate; no root");
//! # let _ = (good, expired);
//! ```

use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};

use crate::identity::{Identity, certificate_pem, provider};

/// When a certificate is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    /// Start of validity.
    pub not_before: SystemTime,
    /// End of validity.
    pub not_after: SystemTime,
}

fn days_from_now(days: i64) -> SystemTime {
    let at = OffsetDateTime::now_utc() + Duration::days(days);
    at.replace_nanosecond(0)
        .expect("zero nanoseconds is always valid")
        .into()
}

impl Validity {
    /// Valid now: from yesterday to a year from now.
    pub fn current() -> Validity {
        Validity::between(days_from_now(-1), days_from_now(365))
    }

    /// Expired yesterday (valid from 30 days ago until yesterday).
    pub fn expired() -> Validity {
        Validity::between(days_from_now(-30), days_from_now(-1))
    }

    /// Not valid yet: from tomorrow to a year from now.
    pub fn not_yet_valid() -> Validity {
        Validity::between(days_from_now(1), days_from_now(365))
    }

    /// Valid between two instants (for tests that fix the verifier's clock).
    pub fn between(not_before: SystemTime, not_after: SystemTime) -> Validity {
        Validity {
            not_before,
            not_after,
        }
    }
}

/// A certification authority: a self-signed root, or an intermediate
/// issued by another `TestCa`.
///
/// Each CA has its own subject name, so a certificate from a CA the client
/// does not trust is reported as an unknown issuer, not a bad signature.
pub struct TestCa {
    name: String,
    cert: CertificateDer<'static>,
    /// What a server sends after its leaf: this CA and the intermediates
    /// above it, never the root.
    sent: Vec<CertificateDer<'static>>,
    root: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa")
            .field("name", &self.name)
            .field("intermediates", &self.sent.len())
            .finish_non_exhaustive()
    }
}

fn ca_params(name: &str, validity: Validity) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, name);
    params
        .distinguished_name
        .push(DnType::OrganizationName, "Sealane test world");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = validity.not_before.into();
    params.not_after = validity.not_after.into();
    params
}

fn new_key() -> KeyPair {
    KeyPair::generate().expect("rcgen generates an ECDSA P-256 key")
}

impl TestCa {
    /// A self-signed root CA named `name` (the subject's common name), valid
    /// from ten years ago to ten years from now.
    pub fn new(name: &str) -> TestCa {
        let key = new_key();
        let validity = Validity::between(days_from_now(-3650), days_from_now(3650));
        let params = ca_params(name, validity);
        let cert = params
            .self_signed(&key)
            .unwrap_or_else(|e| panic!("cannot self-sign test CA {name:?}: {e}"))
            .der()
            .clone();
        TestCa {
            name: name.to_owned(),
            root: cert.clone(),
            cert,
            sent: Vec::new(),
            issuer: Issuer::new(params, key),
        }
    }

    /// An intermediate CA named `name`, issued by this CA, valid for as
    /// long as a root. Certificates it issues come with the chain
    /// leaf → this intermediate (→ intermediates above it), without the root.
    pub fn intermediate(&self, name: &str) -> TestCa {
        self.intermediate_with(
            name,
            Validity::between(days_from_now(-3650), days_from_now(3650)),
        )
    }

    /// An intermediate CA with a chosen validity (e.g. an expired trust
    /// anchor for DANE usage 2).
    pub fn intermediate_with(&self, name: &str, validity: Validity) -> TestCa {
        let key = new_key();
        let params = ca_params(name, validity);
        let cert = params
            .signed_by(&key, &self.issuer)
            .unwrap_or_else(|e| panic!("cannot issue intermediate {name:?}: {e}"))
            .der()
            .clone();
        let mut sent = vec![cert.clone()];
        sent.extend(self.sent.iter().cloned());
        TestCa {
            name: name.to_owned(),
            cert,
            sent,
            root: self.root.clone(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A server certificate for `names` (DNS names or IP addresses), valid
    /// now.
    pub fn issue(&self, names: &[&str]) -> Identity {
        self.issue_with(names, Validity::current())
    }

    /// A server certificate for `names` that expired yesterday.
    pub fn issue_expired(&self, names: &[&str]) -> Identity {
        self.issue_with(names, Validity::expired())
    }

    /// A server certificate for `names` that becomes valid tomorrow.
    pub fn issue_not_yet_valid(&self, names: &[&str]) -> Identity {
        self.issue_with(names, Validity::not_yet_valid())
    }

    /// A server certificate for `names` with a chosen validity. Its chain is
    /// leaf first, then this CA's intermediates; the root is not included.
    pub fn issue_with(&self, names: &[&str], validity: Validity) -> Identity {
        let key = new_key();
        let sans: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(sans)
            .unwrap_or_else(|e| panic!("bad test certificate names {names:?}: {e}"));
        let common_name = names.first().copied().unwrap_or("test world server");
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.not_before = validity.not_before.into();
        params.not_after = validity.not_after.into();
        let leaf = params
            .signed_by(&key, &self.issuer)
            .unwrap_or_else(|e| panic!("cannot issue certificate for {names:?}: {e}"))
            .der()
            .clone();
        let mut chain = vec![leaf];
        chain.extend(self.sent.iter().cloned());
        Identity {
            chain,
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            root: self.root.clone(),
        }
    }

    /// The subject common name this CA was created with.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// This CA's own certificate (for a root, the root itself); for DANE
    /// usage 2 records that name an intermediate as trust anchor.
    pub fn cert_der(&self) -> &CertificateDer<'static> {
        &self.cert
    }

    /// This CA's own certificate in PEM.
    pub fn cert_pem(&self) -> String {
        certificate_pem(&self.cert)
    }

    /// The root at the top of this CA's chain: what a client trusts.
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

    /// A rustls client configuration (ring, TLS 1.2 and 1.3) that trusts
    /// only this CA's root, for tests that talk to test-world servers
    /// directly.
    pub fn rustls_client_config(&self) -> Arc<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(self.root.clone())
            .expect("rcgen produces a root that rustls can parse");
        let config = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("the ring provider supports the default versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        Arc::new(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<'a>(der: &'a CertificateDer<'_>) -> x509_parser::certificate::X509Certificate<'a> {
        x509_parser::parse_x509_certificate(der.as_ref()).unwrap().1
    }

    #[test]
    fn expired_certificate_ended_before_now() {
        let ca = TestCa::new("Expiry CA");
        let identity = ca.issue_expired(&["mx.example.test"]);
        let cert = parse(&identity.chain[0]);
        let now = OffsetDateTime::now_utc().unix_timestamp();
        assert!(cert.validity().not_after.timestamp() < now);
        assert!(cert.validity().not_before.timestamp() < now);
    }

    #[test]
    fn not_yet_valid_certificate_starts_after_now() {
        let ca = TestCa::new("Future CA");
        let identity = ca.issue_not_yet_valid(&["mx.example.test"]);
        let cert = parse(&identity.chain[0]);
        let now = OffsetDateTime::now_utc().unix_timestamp();
        assert!(cert.validity().not_before.timestamp() > now);
    }

    #[test]
    fn current_certificate_is_valid_now_for_its_names() {
        let ca = TestCa::new("Current CA");
        let identity = ca.issue(&["mx.example.test", "127.0.0.2"]);
        let cert = parse(&identity.chain[0]);
        assert!(cert.validity().is_valid());
        let sans = cert.subject_alternative_name().unwrap().unwrap();
        assert_eq!(sans.value.general_names.len(), 2);
    }

    #[test]
    fn intermediate_chain_is_leaf_first_without_root() {
        let root = TestCa::new("Chain Root");
        let intermediate = root.intermediate("Chain Intermediate");
        let identity = intermediate.issue(&["mx.example.test"]);
        assert_eq!(identity.chain.len(), 2);
        let leaf = parse(&identity.chain[0]);
        let middle = parse(&identity.chain[1]);
        assert_eq!(leaf.issuer(), middle.subject());
        assert_eq!(middle.issuer(), parse(root.root_der()).subject());
        assert_eq!(identity.chain[1], *intermediate.cert_der());
        assert!(middle.is_ca() && !leaf.is_ca());
        assert!(!identity.chain.contains(root.root_der()));
        assert_eq!(intermediate.root_der(), root.root_der());
    }

    #[test]
    fn intermediate_with_chosen_validity_can_be_expired() {
        let root = TestCa::new("Expired Intermediate Root");
        let intermediate = root.intermediate_with("Expired Intermediate", Validity::expired());
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let cert = parse(intermediate.cert_der());
        assert!(cert.validity().not_after.timestamp() < now);
        let leaf = intermediate.issue(&["mx.example.test"]);
        assert!(parse(&leaf.chain[0]).validity().is_valid());
    }

    #[test]
    fn roots_have_distinct_subjects() {
        let first = TestCa::new("First CA");
        let second = TestCa::new("Second CA");
        let a = parse(first.root_der());
        let b = parse(second.root_der());
        assert_ne!(a.subject(), b.subject());
        assert_eq!(a.subject(), a.issuer(), "a root is self-issued");
        let leaf = first.issue(&["mx.example.test"]);
        assert_eq!(parse(&leaf.chain[0]).issuer(), a.subject());
    }

    #[test]
    fn root_pem_is_written_and_reads_back() {
        let ca = TestCa::new("File CA");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("root.pem");
        ca.write_root_pem(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("-----BEGIN CERTIFICATE-----\n"));
        let read: Vec<_> = rustls_pki_types::pem::PemObject::pem_slice_iter(text.as_bytes())
            .collect::<Result<Vec<CertificateDer<'static>>, _>>()
            .unwrap();
        assert_eq!(read, vec![ca.root_der().clone()]);
    }
}
