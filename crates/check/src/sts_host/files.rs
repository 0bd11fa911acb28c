//! The files the policy host serves from — the policy, the certificate
//! chain and its private key — loaded and validated, and the fingerprint
//! (modification time and size) that tells when one has changed.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use policy::sts::{MxPattern, Policy};
use tls::pki_types::pem::PemObject;
use tls::pki_types::{CertificateDer, PrivateKeyDer};
use tls::rustls::crypto::CryptoProvider;
use tls::rustls::sign::CertifiedKey;

use super::HostError;

/// What identifies a version of a file: its modification time and size.
/// `None` when the file cannot be read (say, it is being replaced).
pub(crate) type Fingerprint = Option<(SystemTime, u64)>;

/// The current fingerprint of `path`.
pub(crate) fn fingerprint(path: &Path) -> Fingerprint {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

fn read(path: &Path) -> Result<Vec<u8>, HostError> {
    std::fs::read(path).map_err(|e| HostError::Read {
        path: path.to_owned(),
        reason: smtp::io_text(&e),
    })
}

/// A policy file that parses (RFC 8461 §3.2): its bytes, served as they are.
pub(crate) fn load_policy(path: &Path) -> Result<Arc<Vec<u8>>, HostError> {
    let body = read(path)?;
    let _valid = Policy::parse(&body).map_err(|error| HostError::Policy {
        path: path.to_owned(),
        error,
    })?;
    Ok(Arc::new(body))
}

/// The certificate chain (leaf first) and its key, checked to belong
/// together and to name `host` (the leaf must be valid for it under WebPKI
/// for senders to accept the policy, RFC 8461 §3.3). Errors never quote
/// the key.
pub(crate) fn load_identity(
    cert: &Path,
    key: &Path,
    host: &str,
    provider: &CryptoProvider,
) -> Result<Arc<CertifiedKey>, HostError> {
    let bad_cert = |reason: String| HostError::Certificate {
        path: cert.to_owned(),
        reason,
    };
    let chain: Vec<CertificateDer<'static>> =
        tls::certificates_from_pem(&read(cert)?).map_err(|e| bad_cert(e.to_string()))?;
    let leaf = chain
        .first()
        .ok_or_else(|| bad_cert("no CERTIFICATE block".into()))?;
    let names = tls::CertSummary::of(leaf)
        .map_err(|e| bad_cert(e.to_string()))?
        .dns_names;
    let covered = names
        .iter()
        .filter_map(|name| MxPattern::parse(name).ok())
        .any(|pattern| pattern.matches(host));
    if !covered {
        return Err(HostError::WrongName {
            path: cert.to_owned(),
            host: host.to_owned(),
            names,
        });
    }
    let bad_key = |reason: &str| HostError::Key {
        path: key.to_owned(),
        reason: reason.to_owned(),
    };
    let der = PrivateKeyDer::from_pem_slice(&read(key)?)
        .map_err(|_| bad_key("no usable PRIVATE KEY block"))?;
    let certified = CertifiedKey::from_der(chain, der, provider).map_err(|e| match e {
        tls::rustls::Error::InconsistentKeys(_) => {
            bad_key(&format!("the key does not belong to {}", cert.display()))
        }
        _ => bad_key("the key cannot be used for TLS"),
    })?;
    Ok(Arc::new(certified))
}

/// The three files and their fingerprints when last loaded.
#[derive(Debug)]
pub(crate) struct Watched {
    /// The policy file.
    pub policy: (PathBuf, Fingerprint),
    /// The certificate chain.
    pub cert: (PathBuf, Fingerprint),
    /// The private key.
    pub key: (PathBuf, Fingerprint),
}

impl Watched {
    /// Watches the three paths from their present state.
    pub fn new(policy: &Path, cert: &Path, key: &Path) -> Self {
        let now = |p: &Path| (p.to_owned(), fingerprint(p));
        Self {
            policy: now(policy),
            cert: now(cert),
            key: now(key),
        }
    }

    /// Whether the policy changed since last asked; notes the new state.
    pub fn policy_changed(&mut self) -> bool {
        changed(&mut self.policy)
    }

    /// Whether the certificate or the key changed since last asked; notes
    /// the new state of both.
    pub fn identity_changed(&mut self) -> bool {
        let cert = changed(&mut self.cert);
        let key = changed(&mut self.key);
        cert || key
    }
}

fn changed((path, last): &mut (PathBuf, Fingerprint)) -> bool {
    let now = fingerprint(path);
    if now.is_some() && now != *last {
        *last = now;
        true
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use testworld::ca::TestCa;

    use super::*;

    const HOST: &str = "mta-sts.example.test";

    fn load(dir: &Path, cert: &str, key: &str) -> Result<Arc<CertifiedKey>, HostError> {
        let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
        std::fs::write(&cert_path, cert).unwrap();
        std::fs::write(&key_path, key).unwrap();
        let provider = tls::rustls::crypto::ring::default_provider();
        load_identity(&cert_path, &key_path, HOST, &provider)
    }

    #[test]
    fn identity_needs_the_host_name_and_its_own_key() {
        let dir = tempfile::tempdir().unwrap();
        let ca = TestCa::new("sts host files ca");
        let good = ca.issue(&[HOST]);
        let other = ca.issue(&[HOST]);
        assert!(load(dir.path(), &good.chain_pem(), &good.key_pem()).is_ok());
        let wildcard = ca.issue(&["*.example.test"]);
        assert!(load(dir.path(), &wildcard.chain_pem(), &wildcard.key_pem()).is_ok());
        let mismatch = load(dir.path(), &good.chain_pem(), &other.key_pem()).unwrap_err();
        assert!(matches!(mismatch, HostError::Key { .. }), "{mismatch}");
        assert!(!mismatch.to_string().contains("PRIVATE"), "{mismatch}");
        let elsewhere = ca.issue(&["www.example.test"]);
        assert!(matches!(
            load(dir.path(), &elsewhere.chain_pem(), &elsewhere.key_pem()),
            Err(HostError::WrongName { .. })
        ));
        assert!(matches!(
            load(dir.path(), "junk", &good.key_pem()),
            Err(HostError::Certificate { .. })
        ));
    }

    #[test]
    fn fingerprint_notices_a_rewrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("policy.txt");
        std::fs::write(&path, "one").unwrap();
        let mut watched = Watched::new(&path, &path, &path);
        assert!(!watched.policy_changed());
        std::fs::write(&path, "two, longer").unwrap();
        assert!(watched.policy_changed());
        assert!(!watched.policy_changed(), "noted once");
    }
}
