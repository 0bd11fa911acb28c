//! What TLS a connection requires, as policy decides it (DESIGN §2), and
//! the trust roots WebPKI checks use.

use std::sync::Arc;

use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;

use crate::tlsa::Tlsa;

/// The TLS requirement for one connection to one MX host. Policy builds it;
/// [`crate::client_config`] turns it into a rustls configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsRequirement {
    /// Any certificate; whether plaintext is allowed is the caller's matter
    /// (RFC 7435).
    Opportunistic,
    /// TLS required, any certificate (RFC 7672 §2.2: TLSA present but all
    /// unusable).
    MandatoryUnauthenticated,
    /// DANE (RFC 7672 §3): the chain must match one of the records.
    Dane {
        /// The TLSA RRset of the host (secure, per policy).
        records: Vec<Tlsa>,
        /// Reference identifiers for usage 2 name checks: the MX host name,
        /// and the TLSA base domain when a CNAME was followed.
        names: Vec<String>,
    },
    /// WebPKI (MTA-STS `enforce`, RFC 8461 §4.2): a chain to a trusted
    /// root, valid for `name`.
    WebPki {
        /// The MX host name.
        name: String,
    },
}

/// Why roots could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RootsError {
    /// An extra root certificate cannot be used as a trust anchor.
    #[error("extra root certificate {index} is not usable: {reason}")]
    BadRoot {
        /// Its position in the list given.
        index: usize,
        /// What rustls said.
        reason: String,
    },
}

/// Roots for WebPKI verification: the public web roots (Mozilla's, as
/// shipped by `webpki-roots`), or only the caller's, or both.
#[derive(Debug, Clone)]
pub struct TrustRoots(Arc<RootCertStore>);

impl TrustRoots {
    /// The public web roots.
    pub fn public() -> Self {
        Self(Arc::new(RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        }))
    }

    /// The public web roots plus `extra` (say, a private or test CA).
    pub fn public_and(extra: &[CertificateDer<'_>]) -> Result<Self, RootsError> {
        let mut store = Self::public().store().as_ref().clone();
        add(&mut store, extra)?;
        Ok(Self(Arc::new(store)))
    }

    /// Only `extra`; nothing public is trusted.
    pub fn only(extra: &[CertificateDer<'_>]) -> Result<Self, RootsError> {
        let mut store = RootCertStore::empty();
        add(&mut store, extra)?;
        Ok(Self(Arc::new(store)))
    }

    /// The rustls root store.
    #[must_use]
    pub fn store(&self) -> &Arc<RootCertStore> {
        &self.0
    }
}

fn add(store: &mut RootCertStore, extra: &[CertificateDer<'_>]) -> Result<(), RootsError> {
    for (index, cert) in extra.iter().enumerate() {
        store
            .add(CertificateDer::from(cert.as_ref()).into_owned())
            .map_err(|e| RootsError::BadRoot {
                index,
                reason: e.to_string(),
            })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_roots_are_present_and_only_is_only() {
        assert!(!TrustRoots::public().store().is_empty());
        assert!(TrustRoots::only(&[]).unwrap().store().is_empty());
    }

    #[test]
    fn garbage_root_is_rejected_with_its_index() {
        let junk = CertificateDer::from(vec![0x30, 0x00]);
        assert!(matches!(
            TrustRoots::only(&[junk]),
            Err(RootsError::BadRoot { index: 0, .. })
        ));
    }
}
