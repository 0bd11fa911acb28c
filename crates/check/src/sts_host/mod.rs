//! The MTA-STS policy host behind `sealane mta-sts serve`: serves one
//! domain's policy at `https://mta-sts.<domain>/.well-known/mta-sts.txt`
//! (RFC 8461 §3.3) with hyper over tokio-rustls, and reloads the policy,
//! certificate and key when their files change. A policy or certificate
//! that does not load at start is an error; one that does not load later
//! is logged and the last good one stays in service.

mod files;
mod http;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use policy::sts::PolicyError;
use tls::rustls::crypto::CryptoProvider;
use tls::rustls::server::{ClientHello, ResolvesServerCert};
use tls::rustls::sign::CertifiedKey;
use tls::rustls::{self, ServerConfig};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

pub use http::CONTENT_TYPE_POLICY;

/// How long a client may take over its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the files are checked for changes, unless configured.
pub const DEFAULT_POLL: Duration = Duration::from_secs(1);

/// What to serve.
#[derive(Clone, Debug)]
pub struct HostConfig {
    /// The mail domain; the host is `mta-sts.<domain>`.
    pub domain: String,
    /// The policy file.
    pub policy: PathBuf,
    /// The PEM certificate chain, leaf first.
    pub cert: PathBuf,
    /// The PEM private key.
    pub key: PathBuf,
    /// How often to look for changed files.
    pub poll: Duration,
}

/// Why the host cannot start (or a reload was refused).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// The domain is not a domain name.
    #[error("{} is not a domain name", smtp::quoted(.0))]
    BadDomain(String),
    /// A file cannot be read.
    #[error("cannot read {}: {reason}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The policy file is not a valid MTA-STS policy.
    #[error("{}: invalid MTA-STS policy: {error}", path.display())]
    Policy {
        /// The file.
        path: PathBuf,
        /// What the parser found.
        error: PolicyError,
    },
    /// The certificate file holds no usable certificate.
    #[error("{}: {reason}", path.display())]
    Certificate {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The certificate is not valid for `mta-sts.<domain>`.
    #[error("{}: the certificate is not valid for {host} (names: {})", path.display(), names.join(", "))]
    WrongName {
        /// The file.
        path: PathBuf,
        /// The policy host.
        host: String,
        /// The names it holds.
        names: Vec<String>,
    },
    /// The key file holds no usable key, or not the certificate's.
    #[error("{}: {reason}", path.display())]
    Key {
        /// The file.
        path: PathBuf,
        /// Why (never the key itself).
        reason: String,
    },
    /// The TLS configuration cannot be built.
    #[error("TLS setup: {0}")]
    Tls(String),
    /// The listening address cannot be bound.
    #[error("cannot listen on {addr}: {reason}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        reason: String,
    },
}

impl HostError {
    /// Whether the error is in what the operator gave (files, names) rather
    /// than in the environment (a port already taken).
    pub fn is_input(&self) -> bool {
        !matches!(self, Self::Bind { .. } | Self::Tls(_))
    }
}

/// The certificate in service, swapped on reload.
#[derive(Debug)]
struct CurrentIdentity(RwLock<Arc<CertifiedKey>>);

impl ResolvesServerCert for CurrentIdentity {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.0
                .read()
                .expect("no thread panics holding the identity")
                .clone(),
        )
    }
}

/// A loaded policy host, ready to serve.
pub struct PolicyHost {
    config: HostConfig,
    host: String,
    provider: Arc<CryptoProvider>,
    policy: Arc<RwLock<Arc<Vec<u8>>>>,
    identity: Arc<CurrentIdentity>,
    tls: Arc<ServerConfig>,
}

impl std::fmt::Debug for PolicyHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyHost")
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

impl PolicyHost {
    /// Loads and validates the policy, certificate and key.
    pub fn load(config: HostConfig) -> Result<Self, HostError> {
        let domain = config.domain.trim_end_matches('.').to_ascii_lowercase();
        if policy::sts::MxPattern::parse(&domain).map_or(true, |p| p.is_wildcard())
            || !domain.contains('.')
        {
            return Err(HostError::BadDomain(config.domain.clone()));
        }
        let host = format!("mta-sts.{domain}");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let policy = files::load_policy(&config.policy)?;
        let identity = files::load_identity(&config.cert, &config.key, &host, &provider)?;
        let identity = Arc::new(CurrentIdentity(RwLock::new(identity)));
        let mut tls = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| HostError::Tls(e.to_string()))?
            .with_no_client_auth()
            .with_cert_resolver(identity.clone());
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            config,
            host,
            provider,
            policy: Arc::new(RwLock::new(policy)),
            identity,
            tls: Arc::new(tls),
        })
    }

    /// The host name served: `mta-sts.<domain>`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Binds `addr` (port 0 picks a free one).
    pub async fn bind(addr: SocketAddr) -> Result<TcpListener, HostError> {
        TcpListener::bind(addr).await.map_err(|e| HostError::Bind {
            addr,
            reason: e.to_string(),
        })
    }

    /// Serves connections from `listener` until the task is dropped,
    /// watching the files for changes.
    pub async fn serve(self, listener: TcpListener) {
        let reload = tokio::spawn(self.watch());
        let _stop_reload = AbortOnDrop(reload);
        let acceptor = TlsAcceptor::from(self.tls.clone());
        loop {
            let (tcp, peer) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let acceptor = acceptor.clone();
            let policy = self.policy.clone();
            tokio::spawn(async move {
                let stream =
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                        Ok(Ok(stream)) => stream,
                        Ok(Err(error)) => {
                            tracing::info!(%peer, %error, "TLS handshake failed");
                            return;
                        }
                        Err(_) => return,
                    };
                let service = service_fn(move |request| {
                    let current = policy
                        .read()
                        .expect("no thread panics holding the policy")
                        .clone();
                    let response = http::respond(&request, current);
                    tracing::info!(%peer, method = %request.method(), path = request.uri().path(), status = response.status().as_u16(), "request");
                    async move { Ok::<_, std::convert::Infallible>(response) }
                });
                if let Err(error) = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await
                {
                    tracing::debug!(%peer, %error, "connection ended with an error");
                }
            });
        }
    }

    /// A task that polls the files and swaps in what loads.
    fn watch(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let config = self.config.clone();
        let host = self.host.clone();
        let provider = self.provider.clone();
        let policy = self.policy.clone();
        let identity = self.identity.clone();
        async move {
            let mut watched = files::Watched::new(&config.policy, &config.cert, &config.key);
            let mut tick = tokio::time::interval(config.poll);
            loop {
                tick.tick().await;
                if watched.policy_changed() {
                    match files::load_policy(&config.policy) {
                        Ok(new) => {
                            *policy.write().expect("no thread panics holding the policy") = new;
                            tracing::info!(path = %config.policy.display(), "policy reloaded");
                        }
                        Err(error) => {
                            tracing::error!(%error, "policy not reloaded; still serving the last good one");
                        }
                    }
                }
                if watched.identity_changed() {
                    match files::load_identity(&config.cert, &config.key, &host, &provider) {
                        Ok(new) => {
                            *identity
                                .0
                                .write()
                                .expect("no thread panics holding the identity") = new;
                            tracing::info!(path = %config.cert.display(), "certificate reloaded");
                        }
                        Err(error) => {
                            tracing::error!(%error, "certificate not reloaded; still serving the last good one");
                        }
                    }
                }
            }
        }
    }
}

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
