//! Real TLS handshakes on loopback between a rustls server with a chosen
//! certificate (and key) and a client built by `client_config`.

mod support;

use std::sync::Arc;
use std::time::Duration;

use rcgen::KeyPair;
use support::{Ca, World, next_year, now, record};
use tls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use tls::rustls::server::{ClientHello, ResolvesServerCert};
use tls::rustls::sign::CertifiedKey;
use tls::rustls::{self, ServerConfig, SupportedProtocolVersion};
use tls::{
    FixedTime, Method, ResultType, SignatureCheck, Status, TlsRequirement, TrustRoots,
    VerificationOutcome,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{TlsAcceptor, TlsConnector};

const MX: &str = "mx.example.com";
const VERSIONS: [&SupportedProtocolVersion; 2] = [&rustls::version::TLS12, &rustls::version::TLS13];

/// Presents a fixed chain and key, whether or not they belong together.
#[derive(Debug)]
struct Presents(Arc<CertifiedKey>);

impl ResolvesServerCert for Presents {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

struct Server {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    version: &'static SupportedProtocolVersion,
}

struct Client {
    requirement: TlsRequirement,
    roots: TrustRoots,
    at: UnixTime,
}

impl Client {
    fn new(requirement: TlsRequirement) -> Self {
        Self {
            requirement,
            roots: TrustRoots::only(&[]).unwrap(),
            at: now(),
        }
    }
}

fn key_der(key: &KeyPair) -> PrivateKeyDer<'static> {
    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()))
}

/// One handshake on loopback; the client's result and recorded outcome.
async fn handshake(
    server: Server,
    client: Client,
) -> (Result<(), std::io::Error>, Option<VerificationOutcome>) {
    let signing = rustls::crypto::ring::sign::any_supported_type(&server.key).unwrap();
    let certified = Arc::new(CertifiedKey::new(server.chain, signing));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[server.version])
        .unwrap()
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(Presents(certified)));
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let serve = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await?;
        let mut stream = acceptor.accept(tcp).await?;
        stream.write_all(b"220 ok\r\n").await?;
        stream.shutdown().await
    });

    let time = Arc::new(FixedTime(client.at));
    let (config, outcome) = tls::client_config(&client.requirement, &client.roots, time).unwrap();
    let connect = async {
        let tcp = TcpStream::connect(address).await?;
        let name = ServerName::try_from(MX).unwrap();
        let mut stream = TlsConnector::from(config).connect(name, tcp).await?;
        let mut greeting = [0u8; 8];
        stream.read_exact(&mut greeting).await?;
        assert_eq!(&greeting, b"220 ok\r\n");
        Ok(())
    };
    let result = tokio::time::timeout(Duration::from_secs(10), connect)
        .await
        .expect("handshake finishes in time");
    // The server fails whenever the client rejects it; only the client's view matters.
    let _ = tokio::time::timeout(Duration::from_secs(10), serve).await;
    (result, outcome.outcome())
}

fn dane(records: Vec<tls::Tlsa>) -> TlsRequirement {
    TlsRequirement::Dane {
        records,
        names: vec![MX.into()],
    }
}

#[tokio::test]
async fn dane_handshake_authenticates_and_records_match() {
    let world = World::new();
    for version in VERSIONS {
        for record in [
            record(3, 1, 1, &world.leaf.cert),
            record(2, 0, 1, &world.intermediate.cert),
        ] {
            let server = Server {
                chain: world.chain(),
                key: world.leaf.private_key(),
                version,
            };
            let (result, outcome) =
                handshake(server, Client::new(dane(vec![record.clone()]))).await;
            result.unwrap();
            let outcome = outcome.unwrap();
            assert_eq!(outcome.method, Method::Dane);
            assert_eq!(outcome.status, Status::Authenticated);
            assert_eq!(outcome.signature, SignatureCheck::Valid);
            assert_eq!(outcome.dane.unwrap().record, record);
            assert_eq!(outcome.chain_length, 2);
            assert_eq!(outcome.certificate.unwrap().dns_names, vec![MX.to_string()]);
        }
    }
}

#[tokio::test]
async fn replayed_chain_without_key_fails() {
    let world = World::new();
    let attacker = KeyPair::generate().unwrap();
    for version in VERSIONS {
        for record in [
            record(3, 1, 1, &world.leaf.cert),
            record(2, 0, 1, &world.intermediate.cert),
        ] {
            let server = Server {
                chain: world.chain(),
                key: key_der(&attacker),
                version,
            };
            let (result, outcome) = handshake(server, Client::new(dane(vec![record]))).await;
            assert!(result.is_err(), "{version:?}: replayed chain was accepted");
            let outcome = outcome.unwrap();
            assert!(outcome.dane.is_some(), "the chain itself matched");
            assert_eq!(outcome.signature, SignatureCheck::Invalid);
            assert_eq!(outcome.status, Status::Failed);
        }
    }
}

#[tokio::test]
async fn opportunistic_replayed_chain_fails() {
    let world = World::new();
    let attacker = KeyPair::generate().unwrap();
    for version in VERSIONS {
        let server = Server {
            chain: world.chain(),
            key: key_der(&attacker),
            version,
        };
        let (result, outcome) = handshake(server, Client::new(TlsRequirement::Opportunistic)).await;
        assert!(result.is_err());
        assert_eq!(outcome.unwrap().signature, SignatureCheck::Invalid);
    }
}

#[tokio::test]
async fn dane_mismatch_fails_handshake_and_records_tlsa_invalid() {
    let world = World::new();
    let other = world.intermediate.leaf(&[MX]);
    let server = Server {
        chain: world.chain(),
        key: world.leaf.private_key(),
        version: &rustls::version::TLS13,
    };
    let (result, outcome) = handshake(
        server,
        Client::new(dane(vec![record(3, 1, 1, &other.cert)])),
    )
    .await;
    assert!(result.is_err());
    let outcome = outcome.unwrap();
    assert_eq!(outcome.status, Status::Failed);
    assert_eq!(outcome.signature, SignatureCheck::NotChecked);
    assert_eq!(
        outcome.failure.unwrap().result_type,
        ResultType::TlsaInvalid
    );
}

#[tokio::test]
async fn dane_usage3_handshake_ignores_expiry_and_usage2_does_not() {
    let world = World::new();
    let serve = || Server {
        chain: world.chain(),
        key: world.leaf.private_key(),
        version: &rustls::version::TLS13,
    };
    let mut client = Client::new(dane(vec![record(3, 1, 1, &world.leaf.cert)]));
    client.at = next_year();
    let (result, outcome) = handshake(serve(), client).await;
    result.unwrap();
    assert_eq!(outcome.unwrap().status, Status::Authenticated);

    let mut client = Client::new(dane(vec![record(2, 0, 1, &world.intermediate.cert)]));
    client.at = next_year();
    let (result, outcome) = handshake(serve(), client).await;
    assert!(result.is_err());
    let failure = outcome.unwrap().failure.unwrap();
    assert_eq!(failure.result_type, ResultType::CertificateExpired);
}

#[tokio::test]
async fn webpki_trusts_extra_root_for_the_expected_name() {
    let world = World::new();
    for version in VERSIONS {
        let server = Server {
            chain: world.chain(),
            key: world.leaf.private_key(),
            version,
        };
        let mut client = Client::new(TlsRequirement::WebPki { name: MX.into() });
        client.roots = TrustRoots::public_and(std::slice::from_ref(&world.root.cert)).unwrap();
        let (result, outcome) = handshake(server, client).await;
        result.unwrap();
        let outcome = outcome.unwrap();
        assert_eq!(outcome.method, Method::WebPki);
        assert_eq!(outcome.status, Status::Authenticated);
        assert_eq!(outcome.names, vec![MX.to_string()]);
    }
}

#[tokio::test]
async fn webpki_outcome_tells_expired_wrong_name_and_untrusted_apart() {
    let world = World::new();
    let stranger = Ca::root("Stranger");
    let cases = [
        (next_year(), MX, &world.root, ResultType::CertificateExpired),
        (
            now(),
            "mx.other.example",
            &world.root,
            ResultType::CertificateHostMismatch,
        ),
        (now(), MX, &stranger, ResultType::CertificateNotTrusted),
    ];
    for (at, name, root, expected) in cases {
        let server = Server {
            chain: world.chain(),
            key: world.leaf.private_key(),
            version: &rustls::version::TLS13,
        };
        let client = Client {
            requirement: TlsRequirement::WebPki { name: name.into() },
            roots: TrustRoots::only(std::slice::from_ref(&root.cert)).unwrap(),
            at,
        };
        let (result, outcome) = handshake(server, client).await;
        assert!(result.is_err(), "{expected:?}");
        let outcome = outcome.unwrap();
        assert_eq!(outcome.status, Status::Failed);
        assert_eq!(outcome.failure.unwrap().result_type, expected);
    }
}

#[tokio::test]
async fn opportunistic_accepts_any_certificate_and_records_it() {
    let stranger = Ca::root("Stranger");
    let leaf = stranger.leaf_valid(&["elsewhere.example"], (2000, 1, 1), (2001, 1, 1));
    for (requirement, method) in [
        (TlsRequirement::Opportunistic, Method::Opportunistic),
        (
            TlsRequirement::MandatoryUnauthenticated,
            Method::MandatoryUnauthenticated,
        ),
    ] {
        let server = Server {
            chain: vec![leaf.cert.clone()],
            key: leaf.private_key(),
            version: &rustls::version::TLS12,
        };
        let (result, outcome) = handshake(server, Client::new(requirement)).await;
        result.unwrap();
        let outcome = outcome.unwrap();
        assert_eq!(outcome.method, method);
        assert_eq!(outcome.status, Status::Unauthenticated);
        assert_eq!(outcome.signature, SignatureCheck::Valid);
        let certificate = outcome.certificate.unwrap();
        assert_eq!(certificate.dns_names, vec!["elsewhere.example".to_string()]);
        assert!(
            certificate.issuer.contains("Stranger"),
            "{}",
            certificate.issuer
        );
    }
}

/// RFC 7671 §5.2.2: a `2 0 0` record carrying the root certificate, or a
/// `2 1 0` record carrying its key, anchors a chain the server sends
/// without that root; the handshake signature, the dates and the MX name
/// (RFC 7672 §3.1.2, §3.2.2) are still checked.
#[tokio::test]
async fn dane_ta_anchor_only_in_dns_authenticates_and_still_checks_signature_name_and_dates() {
    let world = World::new();
    let from_dns = [
        record(2, 0, 0, &world.root.cert),
        record(2, 1, 0, &world.root.cert),
    ];
    let server = |chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>| Server {
        chain,
        key,
        version: &rustls::version::TLS13,
    };
    for anchor in &from_dns {
        let (result, outcome) = handshake(
            server(world.chain(), world.leaf.private_key()),
            Client::new(dane(vec![anchor.clone()])),
        )
        .await;
        result.unwrap();
        let outcome = outcome.unwrap();
        assert_eq!(outcome.status, Status::Authenticated);
        assert_eq!(outcome.signature, SignatureCheck::Valid);
        let matched = outcome.dane.unwrap();
        assert_eq!(&matched.record, anchor);
        assert_eq!(matched.depth, 2, "leaf, intermediate, then the anchor");
        assert_eq!(matched.name.as_deref(), Some(MX));

        let attacker = KeyPair::generate().unwrap();
        let (result, outcome) = handshake(
            server(world.chain(), key_der(&attacker)),
            Client::new(dane(vec![anchor.clone()])),
        )
        .await;
        assert!(result.is_err(), "replayed chain was accepted");
        assert_eq!(outcome.unwrap().signature, SignatureCheck::Invalid);

        let other = world.intermediate.leaf(&["other.example.com"]);
        let (result, outcome) = handshake(
            server(
                vec![other.cert.clone(), world.intermediate.cert.clone()],
                other.private_key(),
            ),
            Client::new(dane(vec![anchor.clone()])),
        )
        .await;
        assert!(result.is_err(), "wrong name was accepted");
        let failure = outcome.unwrap().failure.unwrap();
        assert_eq!(failure.result_type, ResultType::CertificateHostMismatch);

        let mut client = Client::new(dane(vec![anchor.clone()]));
        client.at = next_year();
        let (result, outcome) =
            handshake(server(world.chain(), world.leaf.private_key()), client).await;
        assert!(result.is_err(), "expired leaf was accepted");
        let failure = outcome.unwrap().failure.unwrap();
        assert_eq!(failure.result_type, ResultType::CertificateExpired);
    }
}
