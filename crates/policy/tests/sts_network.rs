//! Fetching policies over loopback HTTPS (RFC 8461 §3.3): a signed DNS test
//! world publishes `_mta-sts.<domain>` and points `mta-sts.<domain>` at
//! `127.0.0.7`, where a test-world policy host with a certificate from a
//! test CA answers with a chosen behaviour.

mod common;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dns::DnssecStatus;
use dns::clock::ManualClock;
use dns::{Name, Resolver};
use policy::sts::{
    Discovery, FetchAttempt, FetchError, FetchOptions, Mode, NetworkSource, Origin, PolicyCache,
    RecordError, StsConfig, StsPolicies, discover, fetch,
};
use testworld::Identity;
use testworld::ca::TestCa;
use testworld::dns::{Denial, DnsWorld, Fault};
use testworld::https::{OVERSIZED_LENGTH, PolicyBehaviour, PolicyHost, sts_domain};
use testworld::net::loopback;
use tls::{FixedTime, ResultType, TrustRoots};

const POLICY: &str = "version: STSv1\r\nmode: enforce\r\nmx: mx.example.test\r\nmax_age: 86400\r\n";
const POLICY_HOST: &str = "mta-sts.example.test";

/// Where every policy host of these tests listens.
fn policy_ip() -> IpAddr {
    loopback(7)
}

/// `example.test` publishes an MTA-STS record and its policy host on
/// loopback; `nohost.test` has no policy host; `bogus.test` is signed with
/// expired signatures; `two.test` publishes two records.
async fn net() -> common::Env {
    let mut world = DnsWorld::new();
    sts_domain(&mut world, "example.test", "20260101", policy_ip());
    world
        .signed_zone("nohost.test.", Denial::Nsec)
        .txt("_mta-sts.nohost.test.", "v=STSv1; id=1");
    sts_domain(&mut world, "bogus.test", "1", policy_ip()).fault(Fault::ExpiredSignatures);
    world
        .signed_zone("two.test.", Denial::Nsec)
        .txt("_mta-sts.two.test.", "v=STSv1; id=1")
        .txt("_mta-sts.two.test.", "v=STSv1; id=2");
    common::serve(world).await
}

fn start(behaviour: PolicyBehaviour) -> PolicyHost {
    PolicyHost::start(SocketAddr::new(policy_ip(), 0), behaviour).unwrap()
}

/// A host presenting a good certificate for `mta-sts.example.test` from
/// `ca` and serving [`POLICY`].
fn serving(ca: &TestCa) -> PolicyBehaviour {
    PolicyBehaviour::serving(&ca.issue(&[POLICY_HOST]), POLICY)
}

fn options(ca: &TestCa, port: u16) -> FetchOptions {
    FetchOptions::new(TrustRoots::only(std::slice::from_ref(ca.root_der())).unwrap())
        .with_port(port)
        .with_timeout(Duration::from_secs(5))
}

fn name(text: &str) -> Name {
    Resolver::parse_name(text).unwrap()
}

async fn fetch_from(
    net: &common::Env,
    ca: &TestCa,
    host: &PolicyHost,
) -> Result<policy::sts::Fetched, FetchError> {
    fetch(
        &net.resolver,
        &name("example.test"),
        &options(ca, host.port()),
    )
    .await
}

/// Fetches `example.test`'s policy from a host that does what `refine`
/// makes of a good one.
async fn fetch_with(
    refine: impl FnOnce(PolicyBehaviour) -> PolicyBehaviour,
) -> Result<policy::sts::Fetched, FetchError> {
    let net = net().await;
    let ca = TestCa::new("Fetch CA");
    let host = start(refine(serving(&ca)));
    let result = fetch_from(&net, &ca, &host).await;
    assert_eq!(host.fetches(), 1, "one request, whatever the answer");
    result
}

/// Fetches from a host presenting `identity`, trusting only `trusted`.
async fn fetch_presenting(
    identity: &Identity,
    trusted: &TestCa,
) -> (PolicyHost, Result<policy::sts::Fetched, FetchError>) {
    let net = net().await;
    let host = start(PolicyBehaviour::serving(identity, POLICY));
    let result = fetch_from(&net, trusted, &host).await;
    (host, result)
}

#[tokio::test]
async fn valid_policy_is_fetched_with_sni_and_webpki() {
    let net = net().await;
    let ca = TestCa::new("Valid CA");
    let host = start(serving(&ca).content_type("text/plain; charset=utf-8"));
    let fetched = fetch_from(&net, &ca, &host).await.unwrap();
    assert_eq!(fetched.policy.mode, Mode::Enforce);
    assert!(fetched.policy.allows_mx("mx.example.test."));
    assert_eq!(fetched.certificate.status, tls::Status::Authenticated);
    assert_eq!(fetched.address, host.addr());
    let requests = host.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.sni.as_deref(), Some(POLICY_HOST));
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("GET", "/.well-known/mta-sts.txt")
    );
    assert_eq!(request.version, "HTTP/1.1");
    assert_eq!(request.host(), Some(POLICY_HOST));
}

#[tokio::test]
async fn chunked_policy_is_read() {
    let fetched = fetch_with(|host| host.chunked()).await.unwrap();
    assert_eq!(fetched.policy.mode, Mode::Enforce);
}

#[tokio::test]
async fn redirect_is_not_followed() {
    let result = fetch_with(|host| host.redirect("https://elsewhere.test/p")).await;
    assert!(matches!(
        result,
        Err(FetchError::Redirect { status: 301, location: Some(l) }) if l == "https://elsewhere.test/p"
    ));
}

#[tokio::test]
async fn not_found_is_a_fetch_error() {
    let error = fetch_with(|host| host.status(404)).await.unwrap_err();
    assert!(matches!(error, FetchError::Status { status: 404 }));
    assert_eq!(error.result_type().as_str(), "sts-policy-fetch-error");
}

#[tokio::test]
async fn text_html_is_refused() {
    let result = fetch_with(|host| host.content_type("text/html")).await;
    assert!(matches!(
        result,
        Err(FetchError::ContentType { found: Some(t) }) if t == "text/html"
    ));
}

#[tokio::test]
async fn missing_content_type_is_refused() {
    let result = fetch_with(PolicyBehaviour::no_content_type).await;
    assert!(
        matches!(result, Err(FetchError::ContentType { found: None })),
        "{result:?}"
    );
}

#[tokio::test]
async fn content_length_over_64k_is_refused_before_reading() {
    let result = fetch_with(PolicyBehaviour::oversized_content_length).await;
    assert!(
        matches!(
            result,
            Err(FetchError::TooLarge { announced: Some(length), .. }) if length == OVERSIZED_LENGTH
        ),
        "{result:?}"
    );
}

#[tokio::test]
async fn chunked_body_over_64k_is_refused_while_reading() {
    let result = fetch_with(PolicyBehaviour::oversized_body).await;
    assert!(
        matches!(
            result,
            Err(FetchError::TooLarge {
                announced: None,
                ..
            })
        ),
        "{result:?}"
    );
}

#[tokio::test]
async fn invalid_policy_is_sts_policy_invalid() {
    let error = fetch_with(|host| host.policy("version: STSv1\nmode: enforce\nmax_age: 1\n"))
        .await
        .unwrap_err();
    assert!(matches!(error, FetchError::Invalid(_)), "{error:?}");
    assert_eq!(error.result_type().as_str(), "sts-policy-invalid");
}

#[tokio::test]
async fn untrusted_ca_is_certificate_not_trusted() {
    let (trusted, other) = (TestCa::new("Trusted CA"), TestCa::new("Other CA"));
    let (host, result) = fetch_presenting(&other.issue(&[POLICY_HOST]), &trusted).await;
    let error = result.unwrap_err();
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
    assert_eq!(host.connections(), 1, "the fetcher did connect");
    assert!(
        host.requests().is_empty(),
        "no request after a failed handshake"
    );
}

#[tokio::test]
async fn wrong_name_certificate_is_host_mismatch() {
    let ca = TestCa::new("Wrong Name CA");
    let (host, result) = fetch_presenting(&ca.issue(&["www.example.test"]), &ca).await;
    let error = result.unwrap_err();
    assert_eq!(
        error.result_type().as_str(),
        "certificate-host-mismatch",
        "{error:?}"
    );
    assert!(host.requests().is_empty());
}

#[tokio::test]
async fn expired_certificate_is_certificate_expired() {
    let ca = TestCa::new("Expired CA");
    // Valid from 30 days ago until yesterday.
    let (host, result) = fetch_presenting(&ca.issue_expired(&[POLICY_HOST]), &ca).await;
    let error = result.unwrap_err();
    assert_eq!(
        error.result_type().as_str(),
        "certificate-expired",
        "{error:?}"
    );
    // The same certificate passes at a time inside its validity.
    let net = net().await;
    let fortnight_ago = SystemTime::now() - Duration::from_secs(15 * 86400);
    let since_epoch = fortnight_ago.duration_since(UNIX_EPOCH).unwrap();
    let then = tls::pki_types::UnixTime::since_unix_epoch(since_epoch);
    let options = options(&ca, host.port()).with_time(Arc::new(FixedTime(then)));
    let fetched = fetch(&net.resolver, &name("example.test"), &options).await;
    assert!(fetched.is_ok(), "{fetched:?}");
}

#[tokio::test]
async fn slow_host_times_out() {
    let net = net().await;
    let ca = TestCa::new("Slow CA");
    let host = start(serving(&ca).slow(Duration::from_secs(30)));
    let options = options(&ca, host.port()).with_timeout(Duration::from_millis(300));
    let error = fetch(&net.resolver, &name("example.test"), &options)
        .await
        .unwrap_err();
    assert!(matches!(error, FetchError::Timeout(_)), "{error:?}");
    assert!(error.is_transient());
    assert_eq!(host.fetches(), 1, "the request reached the host");
}

#[tokio::test]
async fn dropped_connection_is_an_http_error() {
    let error = fetch_with(PolicyBehaviour::drop_connection)
        .await
        .unwrap_err();
    assert!(matches!(error, FetchError::Http { .. }), "{error:?}");
    assert_eq!(error.result_type().as_str(), "sts-policy-fetch-error");
}

#[tokio::test]
async fn policy_host_without_address_is_a_fetch_error() {
    let net = net().await;
    let ca = TestCa::new("No Host CA");
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
    let ca = TestCa::new("Source CA");
    let host = start(serving(&ca));
    let source = NetworkSource {
        resolver: net.resolver.clone(),
        options: options(&ca, host.port()),
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
    assert_eq!(host.fetches(), 1);
}

#[tokio::test]
async fn policy_host_with_bogus_addresses_is_not_contacted() {
    let net = net().await;
    let ca = TestCa::new("Bogus CA");
    let host = start(serving(&ca));
    let error = fetch(
        &net.resolver,
        &name("bogus.test"),
        &options(&ca, host.port()),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, FetchError::DnssecBogus { .. }), "{error:?}");
    assert_eq!(host.connections(), 0);
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
