//! Fetching the policy over HTTPS (RFC 8461 §3.3): resolve
//! `mta-sts.<domain>` with Sealane's resolver, connect, authenticate the host
//! under WebPKI with the `tls` crate's verifier, and GET
//! `/.well-known/mta-sts.txt` with hyper, following no redirect.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use dns::{DnsError, DnssecStatus, Name, Resolver};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST, HeaderValue, LOCATION, USER_AGENT};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use tls::pki_types::ServerName;
use tls::rustls::time_provider::TimeProvider;
use tls::{Status, TlsRequirement, TrustRoots, VerificationOutcome};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_rustls::TlsConnector;
use tracing::{Instrument, debug_span};

use super::error::FetchError;
use super::policy::Policy;
use super::response::{
    BodyLimit, MAX_POLICY_SIZE, check_content_length, check_content_type, check_status,
};
use crate::peers::PeerLimits;

/// The path of the policy on the policy host (RFC 8461 §3.2).
pub const WELL_KNOWN_PATH: &str = "/.well-known/mta-sts.txt";
/// The default bound on a whole fetch, from name resolution to the last byte.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How policies are fetched.
#[derive(Clone, Debug)]
pub struct FetchOptions {
    /// The HTTPS port: 443, or a test server's.
    pub port: u16,
    /// The bound on a whole fetch.
    pub timeout: Duration,
    /// The roots the policy host's certificate must chain to.
    pub roots: TrustRoots,
    /// The clock certificate validity is judged by.
    pub time: Arc<dyn TimeProvider>,
    /// Connections at once per policy host address; `None`: no limit. The
    /// wait for a place does not count against `timeout`.
    pub peers: Option<PeerLimits>,
}

impl FetchOptions {
    /// Port 443, [`DEFAULT_TIMEOUT`], the system clock, and `roots`.
    pub fn new(roots: TrustRoots) -> Self {
        Self {
            port: 443,
            timeout: DEFAULT_TIMEOUT,
            roots,
            time: tls::system_time(),
            peers: None,
        }
    }

    /// Limits the connections at once to one policy host address.
    pub fn with_peers(mut self, peers: PeerLimits) -> Self {
        self.peers = Some(peers);
        self
    }

    /// Replaces the port.
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Replaces the timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Replaces the certificate clock.
    pub fn with_time(mut self, time: Arc<dyn TimeProvider>) -> Self {
        self.time = time;
        self
    }
}

/// A policy fetched, with what the troubleshooter shows about its source.
#[must_use]
#[derive(Clone, Debug)]
pub struct Fetched {
    /// The policy.
    pub policy: Policy,
    /// The address it came from.
    pub address: SocketAddr,
    /// How the policy host's certificate was verified.
    pub certificate: VerificationOutcome,
}

/// The policy host: `mta-sts.<domain>`.
pub fn policy_host(domain: &Name) -> Result<Name, DnsError> {
    domain
        .prepend_label("mta-sts")
        .map_err(|_| DnsError::BadName {
            input: domain.to_string(),
            reason: dns::NameFault::TooLong,
        })
}

/// Fetches and parses the policy of `domain` (RFC 8461 §3.3), within
/// `options.timeout` (not counting a wait for a place with a busy policy
/// host, see [`FetchOptions::peers`]).
pub async fn fetch(
    resolver: &Resolver,
    domain: &Name,
    options: &FetchOptions,
) -> Result<Fetched, FetchError> {
    let span = debug_span!("sts-fetch", %domain);
    async {
        let host = policy_host(domain).map_err(FetchError::BadHost)?;
        let mut started = tokio::time::Instant::now();
        let addresses = within(options, started, addresses(resolver, &host)).await?;
        // The place is held until the body is read; the wait for it is not
        // the host's slowness.
        let waiting = tokio::time::Instant::now();
        let _place = match &options.peers {
            Some(peers) => Some(
                peers
                    .acquire(addresses[0])
                    .instrument(debug_span!("peer-wait"))
                    .await,
            ),
            None => None,
        };
        started += waiting.elapsed();
        within(options, started, fetch_from(&host, &addresses, options)).await
    }
    .instrument(span)
    .await
}

/// `work`, bounded by what is left of `options.timeout` since `started`.
async fn within<T>(
    options: &FetchOptions,
    started: tokio::time::Instant,
    work: impl Future<Output = Result<T, FetchError>>,
) -> Result<T, FetchError> {
    tokio::time::timeout_at(started + options.timeout, work)
        .await
        .unwrap_or(Err(FetchError::Timeout(options.timeout)))
}

async fn fetch_from(
    host: &Name,
    addresses: &[IpAddr],
    options: &FetchOptions,
) -> Result<Fetched, FetchError> {
    let (stream, address, certificate) = connect_to(host, addresses, options).await?;
    let host_text = host.to_ascii();
    let body = get(stream, host_text.strip_suffix('.').unwrap_or(&host_text))
        .instrument(debug_span!("https-get"))
        .await?;
    let policy = Policy::parse(&body).map_err(FetchError::Invalid)?;
    Ok(Fetched {
        policy,
        address,
        certificate,
    })
}

/// A TLS connection to an HTTPS host, authenticated under WebPKI.
pub type WebPkiStream = tokio_rustls::client::TlsStream<TcpStream>;

/// Resolves `host` with our resolver (a bogus answer is refused), connects
/// to the first address that accepts on `options.port`, and completes TLS
/// with SNI `host`, the certificate authenticated under WebPKI for `host`
/// with the `tls` crate's verifier. The MTA-STS fetch uses it, and so does
/// anything else that must reach an HTTPS host as safely (the TLS-RPT
/// report upload, RFC 8460 §5.4).
pub async fn connect_webpki(
    resolver: &Resolver,
    host: &Name,
    options: &FetchOptions,
) -> Result<(WebPkiStream, SocketAddr, VerificationOutcome), FetchError> {
    let addresses = addresses(resolver, host).await?;
    connect_to(host, &addresses, options).await
}

/// The addresses of `host` through our resolver; a bogus answer, or none,
/// is an error.
async fn addresses(resolver: &Resolver, host: &Name) -> Result<Vec<IpAddr>, FetchError> {
    let host_text = host.to_ascii();
    let host_text = host_text.strip_suffix('.').unwrap_or(&host_text).to_owned();
    let addresses = resolver
        .addresses(host)
        .instrument(debug_span!("dns-addresses"))
        .await
        .map_err(FetchError::Dns)?;
    if addresses.status == DnssecStatus::Bogus {
        return Err(FetchError::DnssecBogus { host: host_text });
    }
    if addresses.records.is_empty() {
        return Err(FetchError::NoAddress { host: host_text });
    }
    Ok(addresses.records)
}

/// Connects to the first of `addresses` that accepts and completes TLS as
/// [`connect_webpki`] does.
async fn connect_to(
    host: &Name,
    addresses: &[IpAddr],
    options: &FetchOptions,
) -> Result<(WebPkiStream, SocketAddr, VerificationOutcome), FetchError> {
    let host_text = host.to_ascii();
    let host_text = host_text.strip_suffix('.').unwrap_or(&host_text).to_owned();
    let (tcp, address) = connect(addresses, options.port)
        .instrument(debug_span!("tcp-connect"))
        .await?;
    let (stream, certificate) = handshake(tcp, &host_text, options)
        .instrument(debug_span!("tls-handshake"))
        .await?;
    Ok((stream, address, certificate))
}

/// Connects to the first address that accepts.
async fn connect(addresses: &[IpAddr], port: u16) -> Result<(TcpStream, SocketAddr), FetchError> {
    let mut last = None;
    for ip in addresses {
        let address = SocketAddr::new(*ip, port);
        match TcpStream::connect(address).await {
            Ok(stream) => return Ok((stream, address)),
            Err(error) => last = Some((address, smtp::io_text(&error))),
        }
    }
    // `addresses` is not empty (checked by the caller), so `last` is set.
    let (address, reason) = last.unwrap_or((
        SocketAddr::new(IpAddr::from([0, 0, 0, 0]), port),
        "no address".into(),
    ));
    Err(FetchError::Connect { address, reason })
}

/// TLS with SNI `host`, authenticated under WebPKI for `host`.
async fn handshake(
    tcp: TcpStream,
    host: &str,
    options: &FetchOptions,
) -> Result<
    (
        tokio_rustls::client::TlsStream<TcpStream>,
        VerificationOutcome,
    ),
    FetchError,
> {
    let requirement = TlsRequirement::WebPki {
        name: host.to_owned(),
    };
    let (config, handle) = tls::client_config(&requirement, &options.roots, options.time.clone())
        .map_err(|e| FetchError::Tls {
        reason: e.to_string(),
    })?;
    let server_name = ServerName::try_from(host.to_owned()).map_err(|e| FetchError::Tls {
        reason: e.to_string(),
    })?;
    let result = TlsConnector::from(config).connect(server_name, tcp).await;
    let outcome = handle.take();
    let certificate_failure = outcome
        .as_ref()
        .and_then(|o| o.failure.clone())
        .map(|failure| FetchError::Certificate {
            result_type: failure.result_type,
            reason: failure.reason,
        });
    let stream = match result {
        Ok(stream) => stream,
        Err(error) => {
            return Err(certificate_failure.unwrap_or(FetchError::Tls {
                reason: smtp::io_text(&error),
            }));
        }
    };
    match outcome {
        Some(outcome) if outcome.status == Status::Authenticated => Ok((stream, outcome)),
        // A completed handshake always leaves an outcome; without one, or
        // with any other verdict, the host is not authenticated.
        _ => Err(certificate_failure.unwrap_or(FetchError::Tls {
            reason: "handshake completed without an authenticated certificate".into(),
        })),
    }
}

/// Aborts the HTTP connection task when the fetch ends, however it ends.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// GET the policy and return its body, after every check on the response.
async fn get(
    stream: tokio_rustls::client::TlsStream<TcpStream>,
    host: &str,
) -> Result<Vec<u8>, FetchError> {
    let http = |e: hyper::Error| FetchError::Http {
        reason: e.to_string(),
    };
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(http)?;
    let _driver = AbortOnDrop(tokio::spawn(async move {
        // Errors surface through `send_request` and the body.
        let _ = connection.await;
    }));
    let host_header = HeaderValue::from_str(host).map_err(|e| FetchError::Http {
        reason: e.to_string(),
    })?;
    let request = Request::builder()
        .method(Method::GET)
        .uri(WELL_KNOWN_PATH)
        .header(HOST, host_header)
        .header(USER_AGENT, HeaderValue::from_static("Sealane MTA-STS"))
        .body(Empty::<Bytes>::new())
        .map_err(|e| FetchError::Http {
            reason: e.to_string(),
        })?;
    let response = sender.send_request(request).await.map_err(http)?;
    let headers = response.headers();
    check_status(response.status(), headers.get(LOCATION))?;
    check_content_type(headers.get(CONTENT_TYPE))?;
    check_content_length(headers.get(CONTENT_LENGTH))?;
    let mut body = response.into_body();
    let mut collected = BodyLimit::new(MAX_POLICY_SIZE);
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.map_err(http)?.into_data() {
            collected.push(&data)?;
        }
    }
    Ok(collected.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_host_prefixes_the_label() {
        let domain = Resolver::parse_name("Example.COM").unwrap();
        assert_eq!(
            policy_host(&domain).unwrap().to_ascii(),
            "mta-sts.example.com."
        );
    }

    #[test]
    fn options_default_to_port_443_and_a_bounded_timeout() {
        let options = FetchOptions::new(TrustRoots::public());
        assert_eq!(options.port, 443);
        assert_eq!(options.timeout, DEFAULT_TIMEOUT);
        let options = options
            .with_port(8443)
            .with_timeout(Duration::from_millis(5));
        assert_eq!(
            (options.port, options.timeout),
            (8443, Duration::from_millis(5))
        );
    }
}
