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
        reason: e.to_string(),
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
