//! Building the rustls client configuration for a [`TlsRequirement`].

use std::sync::Arc;

use rustls::ClientConfig;
use rustls::client::Resumption;
use rustls::client::danger::ServerCertVerifier;
use rustls::time_provider::TimeProvider;
use rustls_pki_types::UnixTime;

use crate::dane_verifier::DaneVerifier;
use crate::opportunistic::OpportunisticVerifier;
use crate::outcome::OutcomeHandle;
use crate::requirement::{TlsRequirement, TrustRoots};
use crate::webpki_verifier::{WebPkiSetupError, WebPkiVerifier};

/// Why no configuration could be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The WebPKI verifier could not be set up.
    #[error(transparent)]
    WebPki(#[from] WebPkiSetupError),
    /// rustls refused the protocol versions or provider.
    #[error("rustls configuration: {0}")]
    Rustls(String),
}

/// A rustls client configuration for one connection under `requirement`,
/// and the handle its verifier records the outcome into.
///
/// - TLS 1.2 and 1.3 only; the *ring* provider.
/// - `time` is the clock certificate validity is checked against, so tests
///   and `--at` can move it.
/// - `roots` are used by [`TlsRequirement::WebPki`] only.
/// - Session resumption is off: a resumed session skips certificate
///   verification, and every connection must leave an outcome.
///
/// Build one configuration per connection: the handle holds the outcome of
/// the latest handshake made with it.
pub fn client_config(
    requirement: &TlsRequirement,
    roots: &TrustRoots,
    time: Arc<dyn TimeProvider>,
) -> Result<(Arc<ClientConfig>, OutcomeHandle), ConfigError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let handle = OutcomeHandle::new();
    let verifier: Arc<dyn ServerCertVerifier> = match requirement {
        TlsRequirement::Opportunistic => Arc::new(OpportunisticVerifier::new(
            false,
            provider.clone(),
            handle.clone(),
        )),
        TlsRequirement::MandatoryUnauthenticated => Arc::new(OpportunisticVerifier::new(
            true,
            provider.clone(),
            handle.clone(),
        )),
        TlsRequirement::Dane { records, names } => Arc::new(DaneVerifier::new(
            records.clone(),
            names.clone(),
            provider.clone(),
            handle.clone(),
        )),
        TlsRequirement::WebPki { name } => Arc::new(WebPkiVerifier::new(
            name,
            roots.store().clone(),
            provider.clone(),
            handle.clone(),
        )?),
    };
    let mut config = ClientConfig::builder_with_details(provider, time)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| ConfigError::Rustls(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.resumption = Resumption::disabled();
    Ok((Arc::new(config), handle))
}

/// A clock that always says the same time (for `--at` and tests).
#[derive(Debug, Clone, Copy)]
pub struct FixedTime(pub UnixTime);

impl TimeProvider for FixedTime {
    fn current_time(&self) -> Option<UnixTime> {
        Some(self.0)
    }
}

/// The system clock.
#[must_use]
pub fn system_time() -> Arc<dyn TimeProvider> {
    Arc::new(rustls::time_provider::DefaultTimeProvider)
}
