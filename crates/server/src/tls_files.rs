//! The server certificate: read from the configured PEM files, and read
//! again when they change (checked at most every few seconds, at a
//! handshake), keeping the last good pair when a new one is unusable.

use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use tls::pki_types::PrivateKeyDer;
use tls::pki_types::pem::PemObject;
use tls::rustls;
use tls::rustls::server::{ClientHello, ResolvesServerCert};
use tls::rustls::sign::CertifiedKey;
use tracing::{info, warn};

use crate::config::TlsFiles;

/// How often the files are looked at, at most.
const CHECK_EVERY: Duration = Duration::from_secs(5);

/// A rustls server configuration whose certificate follows the files
/// (the SMTP listeners' and the admin console's).
pub fn server_config(files: &TlsFiles) -> Result<Arc<rustls::ServerConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = load(files, &provider)?;
    let resolver = Reloading {
        files: files.clone(),
        provider: provider.clone(),
        state: Mutex::new(State {
            key,
            stamp: stamp(files),
            checked: Instant::now(),
        }),
    };
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| format!("TLS configuration: {e}"))?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(resolver));
    Ok(Arc::new(config))
}

struct State {
    key: Arc<CertifiedKey>,
    stamp: (Option<SystemTime>, Option<SystemTime>),
    checked: Instant,
}

struct Reloading {
    files: TlsFiles,
    provider: Arc<rustls::crypto::CryptoProvider>,
    state: Mutex<State>,
}

impl fmt::Debug for Reloading {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reloading")
            .field("certificate", &self.files.certificate)
            .finish_non_exhaustive()
    }
}

impl ResolvesServerCert for Reloading {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.checked.elapsed() >= CHECK_EVERY {
            state.checked = Instant::now();
            let now = stamp(&self.files);
            if now != state.stamp {
                state.stamp = now;
                match load(&self.files, &self.provider) {
                    Ok(key) => {
                        info!(certificate = %self.files.certificate.display(), "server certificate reloaded");
                        state.key = key;
                    }
                    Err(e) => {
                        warn!(error = %e, "new server certificate unusable; keeping the previous one")
                    }
                }
            }
        }
        Some(state.key.clone())
    }
}

fn stamp(files: &TlsFiles) -> (Option<SystemTime>, Option<SystemTime>) {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    (modified(&files.certificate), modified(&files.key))
}

fn load(
    files: &TlsFiles,
    provider: &rustls::crypto::CryptoProvider,
) -> Result<Arc<CertifiedKey>, String> {
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()));
    let chain = tls::certificates_from_pem(&read(&files.certificate)?)
        .map_err(|e| format!("{}: {e}", files.certificate.display()))?;
    if chain.is_empty() {
        return Err(format!(
            "{}: no CERTIFICATE block",
            files.certificate.display()
        ));
    }
    // The key's bytes are never put in a message.
    let key = PrivateKeyDer::from_pem_slice(&read(&files.key)?)
        .map_err(|_| format!("{}: no usable PRIVATE KEY block", files.key.display()))?;
    CertifiedKey::from_der(chain, key, provider)
        .map(Arc::new)
        .map_err(|_| {
            format!(
                "{}: the key does not belong to the certificate or cannot be used",
                files.key.display()
            )
        })
}
