//! Fetching policies over loopback HTTPS (RFC 8461 §3.3): a signed DNS test
//! world points `mta-sts.<domain>` at `127.0.0.1`, where a tiny HTTPS server
//! with a certificate from a test CA answers with a chosen response. The full
//! HTTPS-host test world comes with the test CA of `testworld`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use dns::DnssecStatus;
use dns::clock::ManualClock;
use dns::{Name, Resolver, ResolverConfig, TrustAnchor};
use policy::sts::{
    Discovery, FetchAttempt, FetchError, FetchOptions, Mode, NetworkSource, Origin, PolicyCache,
    RecordError, StsConfig, StsPolicies, discover, fetch,
};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, date_time_ymd};
use testworld::dns::{Denial, DnsServer, DnsWorld, Fault};
use tls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tls::{FixedTime, ResultType, TrustRoots};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

const POLICY: &str = "version: STSv1\r\nmode: enforce\r\nmx: mx.example.test\r\nmax_age: 86400\r\n";

struct Ca {
    cert: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    fn new() -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).unwrap().der().clone();
        Self {
            cert,
            issuer: Issuer::new(params, key),
        }
    }

    /// A leaf for `name`, valid during 2020 or from 1975 to 4096.
    fn leaf(&self, name: &str, expired: bool) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec![name.to_owned()]).unwrap();
        if expired {
            params.not_before = date_time_ymd(2020, 1, 1);
            params.not_after = date_time_ymd(2020, 12, 31);
        }
        let cert = params.signed_by(&key, &self.issuer).unwrap().der().clone();
        (
            cert,
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
    }
}

/// What the policy host does.
#[derive(Clone)]
enum Behaviour {
    /// Writes these bytes after the request.
    Respond(Vec<u8>),
    /// Reads the request and says nothing.
    Silent,
}

fn response(status: &str, headers: &[&str], body: &str) -> Behaviour {
    let mut text = format!("HTTP/1.1 {status}\r\n");
    for header in headers {
        text.push_str(header);
        text.push_str("\r\n");
    }
    text.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    Behaviour::Respond(text.into_bytes())
}

/// The SNI and request head of each connection.
type Seen = Arc<Mutex<Vec<(Option<String>, String)>>>;

struct Host {
    port: u16,
    seen: Seen,
}

async fn policy_host(ca: &Ca, name: &str, expired: bool, behaviour: Behaviour) -> Host {
    let (cert, key) = ca.leaf(name, expired);
    let provider = Arc::new(tls::rustls::crypto::ring::default_provider());
    let config = tls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Seen::default();
    let log = seen.clone();
    tokio::spawn(async move {
        // Bounded: each test makes at most a few connections.
        for _ in 0..8 {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let behaviour = behaviour.clone();
            let log = log.clone();
            tokio::spawn(async move {
                let Ok(mut stream) = acceptor.accept(tcp).await else {
                    return;
                };
                let sni = stream.get_ref().1.server_name().map(str::to_owned);
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
                    if stream.read_exact(&mut byte).await.is_err() {
                        return;
                    }
                    head.push(byte[0]);
                }
                log.lock()
                    .unwrap()
                    .push((sni, String::from_utf8_lossy(&head).into_owned()));
                match behaviour {
                    Behaviour::Respond(bytes) => {
                        let _ = stream.write_all(&bytes).await;
                        let _ = stream.shutdown().await;
                    }
                    Behaviour::Silent => tokio::time::sleep(Duration::from_secs(30)).await,
                }
            });
        }
    });
    Host { port, seen }
}

struct Net {
    _server: DnsServer,
    resolver: Resolver,
}

/// `example.test` publishes an MTA-STS record and its policy host on
/// loopback; `nohost.test` has no policy host; `bogus.test` is signed with
/// expired signatures; `two.test` publishes two records.
async fn net() -> Net {
    let mut world = DnsWorld::new();
    world
        .signed_zone("example.test.", Denial::Nsec)
        .txt("_mta-sts.example.test.", "v=STSv1; id=20260101")
        .a("mta-sts.example.test.", "127.0.0.1");
    world
        .signed_zone("nohost.test.", Denial::Nsec)
        .txt("_mta-sts.nohost.test.", "v=STSv1; id=1");
    world
        .signed_zone("bogus.test.", Denial::Nsec)
        .txt("_mta-sts.bogus.test.", "v=STSv1; id=1")
        .a("mta-sts.bogus.test.", "127.0.0.1")
        .fault(Fault::ExpiredSignatures);
    world
        .signed_zone("two.test.", Denial::Nsec)
        .txt("_mta-sts.two.test.", "v=STSv1; id=1")
        .txt("_mta-sts.two.test.", "v=STSv1; id=2");
    let server = world.serve().await.unwrap();
    let anchors = TrustAnchor::parse(&server.trust_anchor_ds()).unwrap();
    let config = ResolverConfig::new(vec![server.addr()])
        .with_trust_anchors(anchors)
        .with_timeout(Duration::from_millis(500), 1);
    Net {
        _server: server,
        resolver: Resolver::new(config),
    }
}

fn options(ca: &Ca, port: u16) -> FetchOptions {
    FetchOptions::new(TrustRoots::only(std::slice::from_ref(&ca.cert)).unwrap())
        .with_port(port)
        .with_timeout(Duration::from_secs(5))
}

fn name(text: &str) -> Name {
    Resolver::parse_name(text).unwrap()
}

async fn fetch_with(behaviour: Behaviour) -> Result<policy::sts::Fetched, FetchError> {
    let net = net().await;
    let ca = Ca::new();
    let host = policy_host(&ca, "mta-sts.example.test", false, behaviour).await;
    fetch(
        &net.resolver,
        &name("example.test"),
        &options(&ca, host.port),
    )
    .await
}

#[tokio::test]
async fn valid_policy_is_fetched_with_sni_and_webpki() {
    let net = net().await;
    let ca = Ca::new();
    let ok = response(
        "200 OK",
        &["Content-Type: text/plain; charset=utf-8"],
        POLICY,
    );
    let host = policy_host(&ca, "mta-sts.example.test", false, ok).await;
    let fetched = fetch(
        &net.resolver,
        &name("example.test"),
        &options(&ca, host.port),
    )
    .await
    .unwrap();
    assert_eq!(fetched.policy.mode, Mode::Enforce);
    assert!(fetched.policy.allows_mx("mx.example.test."));
    assert_eq!(fetched.certificate.status, tls::Status::Authenticated);
    assert_eq!(fetched.address.port(), host.port);
    let seen = host.seen.lock().unwrap();
    let (sni, head) = &seen[0];
    assert_eq!(sni.as_deref(), Some("mta-sts.example.test"));
    assert!(
        head.starts_with("GET /.well-known/mta-sts.txt HTTP/1.1\r\n"),
        "{head}"
    );
    assert!(
        head.to_ascii_lowercase()
            .contains("host: mta-sts.example.test\r\n"),
        "{head}"
    );
}

#[tokio::test]
async fn redirect_is_not_followed() {
    let redirect = response(
        "301 Moved Permanently",
        &["Location: https://elsewhere.test/p"],
        "",
    );
    assert!(matches!(
        fetch_with(redirect).await,
        Err(FetchError::Redirect { status: 301, location: Some(l) }) if l == "https://elsewhere.test/p"
    ));
}

#[tokio::test]
async fn not_found_is_a_fetch_error() {
    let missing = response("404 Not Found", &["Content-Type: text/plain"], "no");
    let error = fetch_with(missing).await.unwrap_err();
    assert!(matches!(error, FetchError::Status { status: 404 }));
    assert_eq!(error.result_type().as_str(), "sts-policy-fetch-error");
}

#[tokio::test]
async fn text_html_is_refused() {
    let html = response("200 OK", &["Content-Type: text/html"], POLICY);
    assert!(matches!(
        fetch_with(html).await,
        Err(FetchError::ContentType { found: Some(t) }) if t == "text/html"
    ));
}

#[tokio::test]
async fn content_length_over_64k_is_refused_before_reading() {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 70000\r\n\r\n";
    let lying = Behaviour::Respond(format!("{head}{POLICY}").into_bytes());
    assert!(matches!(
        fetch_with(lying).await,
        Err(FetchError::TooLarge {
            announced: Some(70000),
            ..
        })
    ));
}

#[tokio::test]
async fn chunked_body_over_64k_is_refused_while_reading() {
    let mut bytes =
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
            .to_vec();
    let chunk = format!("x-pad: {}\n", "a".repeat(4000));
    for _ in 0..20 {
        bytes.extend_from_slice(format!("{:x}\r\n{chunk}\r\n", chunk.len()).as_bytes());
    }
    bytes.extend_from_slice(b"0\r\n\r\n");
    assert!(matches!(
        fetch_with(Behaviour::Respond(bytes)).await,
        Err(FetchError::TooLarge {
            announced: None,
            ..
        })
    ));
}

#[tokio::test]
async fn invalid_policy_is_sts_policy_invalid() {
    let bad = response(
        "200 OK",
        &["Content-Type: text/plain"],
        "version: STSv1\nmode: enforce\nmax_age: 1\n",
    );
    let error = fetch_with(bad).await.unwrap_err();
    assert!(matches!(error, FetchError::Invalid(_)), "{error:?}");
    assert_eq!(error.result_type().as_str(), "sts-policy-invalid");
}

#[tokio::test]
async fn untrusted_ca_is_certificate_not_trusted() {
    let net = net().await;
    let (trusted, other) = (Ca::new(), Ca::new());
    let ok = response("200 OK", &["Content-Type: text/plain"], POLICY);
    let host = policy_host(&other, "mta-sts.example.test", false, ok).await;
    let error = fetch(
        &net.resolver,
        &name("example.test"),
        &options(&trusted, host.port),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            error,
            FetchError::Certificate {
                result_type: ResultType::CertificateNotTrusted,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.result_type().as_str(), "certificate-not-trusted");
    assert!(
        host.seen.lock().unwrap().is_empty(),
        "no request after a failed handshake"
    );
}

#[tokio::test]
async fn wrong_name_certificate_is_host_mismatch() {
    let net = net().await;
    let ca = Ca::new();
    let ok = response("200 OK", &["Content-Type: text/plain"], POLICY);
    let host = policy_host(&ca, "www.example.test", false, ok).await;
    let error = fetch(
        &net.resolver,
        &name("example.test"),
        &options(&ca, host.port),
    )
    .await
    .unwrap_err();
    assert_eq!(
        error.result_type().as_str(),
        "certificate-host-mismatch",
        "{error:?}"
    );
}

#[tokio::test]
async fn expired_certificate_is_certificate_expired() {
    let net = net().await;
    let ca = Ca::new();
    let ok = response("200 OK", &["Content-Type: text/plain"], POLICY);
    let host = policy_host(&ca, "mta-sts.example.test", true, ok).await;
    let error = fetch(
        &net.resolver,
        &name("example.test"),
        &options(&ca, host.port),
    )
    .await
    .unwrap_err();
    assert_eq!(
        error.result_type().as_str(),
        "certificate-expired",
        "{error:?}"
    );
    // The same certificate passes at a time inside its validity.
    let at_2020 = tls::pki_types::UnixTime::since_unix_epoch(Duration::from_secs(1_593_561_600));
    let options = options(&ca, host.port).with_time(Arc::new(FixedTime(at_2020)));
    assert!(
        fetch(&net.resolver, &name("example.test"), &options)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn slow_host_times_out() {
    let net = net().await;
    let ca = Ca::new();
    let host = policy_host(&ca, "mta-sts.example.test", false, Behaviour::Silent).await;
    let options = options(&ca, host.port).with_timeout(Duration::from_millis(300));
    let error = fetch(&net.resolver, &name("example.test"), &options)
        .await
        .unwrap_err();
    assert!(matches!(error, FetchError::Timeout(_)), "{error:?}");
    assert!(error.is_transient());
}

#[tokio::test]
async fn policy_host_without_address_is_a_fetch_error() {
    let net = net().await;
    let ca = Ca::new();
    let error = fetch(&net.resolver, &name("nohost.test"), &options(&ca, 1))
        .await
        .unwrap_err();
    assert!(
        matches!(error, FetchError::NoAddress { ref host } if host == "mta-sts.nohost.test"),
        "{error:?}"
    );
}

#[tokio::test]
async fn network_source_discovers_fetches_and_caches() {
    let net = net().await;
    let ca = Ca::new();
    let ok = response("200 OK", &["Content-Type: text/plain"], POLICY);
    let host = policy_host(&ca, "mta-sts.example.test", false, ok).await;
    let source = NetworkSource {
        resolver: net.resolver.clone(),
        options: options(&ca, host.port),
    };
    let clock = Arc::new(ManualClock::new(SystemTime::now()));
    let policies = StsPolicies::new(
        source,
        PolicyCache::in_memory().unwrap(),
        clock,
        StsConfig::default(),
    );
    let first = policies.policy_for(&name("example.test")).await.unwrap();
    assert_eq!(first.discovery.id(), Some("20260101"));
    assert!(matches!(first.fetch, FetchAttempt::Fetched { .. }));
    assert_eq!(first.active().unwrap().origin, Origin::Fetch);
    let second = policies.policy_for(&name("example.test")).await.unwrap();
    assert_eq!(second.active().unwrap().origin, Origin::Cache);
    assert_eq!(host.seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn policy_host_with_bogus_addresses_is_not_contacted() {
    let net = net().await;
    let ca = Ca::new();
    let error = fetch(&net.resolver, &name("bogus.test"), &options(&ca, 1))
        .await
        .unwrap_err();
    assert!(matches!(error, FetchError::DnssecBogus { .. }), "{error:?}");
}

#[tokio::test]
async fn discovery_reads_the_record_with_its_dnssec_status() {
    let net = net().await;
    match discover(&net.resolver, &name("example.test")).await {
        Discovery::Found { record, status } => {
            assert_eq!(record.id, "20260101");
            assert_eq!(status, DnssecStatus::Secure);
        }
        other => panic!("expected a record, got {other:?}"),
    }
    assert!(matches!(
        discover(&net.resolver, &name("two.test")).await,
        Discovery::Invalid {
            reason: RecordError::MultipleRecords { count: 2 },
            ..
        }
    ));
    // A bogus record still only hints that a policy exists: the policy is
    // authenticated by WebPKI, never by DNS. Its status is reported.
    let bogus = discover(&net.resolver, &name("bogus.test")).await;
    assert!(
        matches!(
            bogus,
            Discovery::Found {
                status: DnssecStatus::Bogus,
                ..
            }
        ),
        "{bogus:?}"
    );
    assert!(matches!(
        discover(&net.resolver, &name("absent.example.test")).await,
        Discovery::NoRecord {
            ignored: 0,
            status: DnssecStatus::Secure
        }
    ));
}
