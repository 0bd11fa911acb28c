//! The policy hosts' behaviours, seen through a plain tokio-rustls client
//! trusting the test CA and reading raw HTTP/1.1: each behaviour shows up
//! on the wire exactly as chosen, and the hosts record what they were
//! asked.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rustls::CertificateError;
use rustls_pki_types::ServerName;
use testworld::Identity;
use testworld::ca::TestCa;
use testworld::https::{
    OVERSIZED_BODY, OVERSIZED_LENGTH, POLICY_LIMIT, PolicyBehaviour, PolicyHost, WELL_KNOWN_PATH,
};
use testworld::net::loopback;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

const HOST: &str = "mta-sts.example.test";
const POLICY: &str = "version: STSv1\r\nmode: enforce\r\nmx: mx.example.test\r\nmax_age: 86400\r\n";
const PATIENCE: Duration = Duration::from_secs(5);

/// A response as read off the wire, the body de-chunked when chunked.
#[derive(Debug)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(field, _)| field.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

fn start(behaviour: PolicyBehaviour) -> PolicyHost {
    PolicyHost::start(SocketAddr::new(loopback(1), 0), behaviour).unwrap()
}

fn serving(ca: &TestCa) -> PolicyBehaviour {
    PolicyBehaviour::serving(&ca.issue(&[HOST]), POLICY)
}

/// Connects to `host` with SNI [`HOST`], trusting `ca`, sends a GET for
/// `path` and reads until the server closes.
async fn get_raw(host: &PolicyHost, ca: &TestCa, path: &str) -> io::Result<Vec<u8>> {
    let tcp = TcpStream::connect(host.addr()).await?;
    let connector = TlsConnector::from(ca.rustls_client_config());
    let name = ServerName::try_from(HOST).unwrap();
    let mut tls = connector.connect(name, tcp).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {HOST}\r\nUser-Agent: test\r\n\r\n");
    tls.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    tls.read_to_end(&mut raw).await?;
    Ok(raw)
}

async fn get(host: &PolicyHost, ca: &TestCa) -> Response {
    parse(&get_raw(host, ca, WELL_KNOWN_PATH).await.unwrap())
}

fn parse(raw: &[u8]) -> Response {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8(raw[..end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|line| line.split_once(": ").unwrap())
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    let mut response = Response {
        status: status.parse().unwrap(),
        headers,
        body: raw[end + 4..].to_vec(),
    };
    if response.header("Transfer-Encoding") == Some("chunked") {
        response.body = dechunk(&response.body);
    }
    response
}

/// Chunked transfer coding, decoded strictly: every chunk size matches its
/// data and the body ends with the last chunk.
fn dechunk(mut coded: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let line_end = coded.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&coded[..line_end]).unwrap(), 16).unwrap();
        coded = &coded[line_end + 2..];
        if size == 0 {
            assert_eq!(coded, b"\r\n", "nothing after the last chunk");
            return body;
        }
        body.extend_from_slice(&coded[..size]);
        assert_eq!(&coded[size..size + 2], b"\r\n");
        coded = &coded[size + 2..];
    }
}

/// The certificate problem that failed a handshake.
fn certificate_error(error: &io::Error) -> CertificateError {
    match error
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
    {
        Some(rustls::Error::InvalidCertificate(problem)) => problem.clone(),
        other => panic!("expected a certificate error, got {other:?} from {error}"),
    }
}

#[tokio::test]
async fn valid_host_serves_the_policy_and_records_the_request() {
    let ca = TestCa::new("Valid Policy CA");
    let host = start(serving(&ca));
    let response = get(&host, &ca).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("Content-Type"), Some("text/plain"));
    assert_eq!(
        response.header("Content-Length"),
        Some(POLICY.len().to_string().as_str())
    );
    assert_eq!(response.body, POLICY.as_bytes());

    let requests = host.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.sni.as_deref(), Some(HOST));
    assert_eq!(request.host(), Some(HOST));
    assert_eq!(request.header("user-agent"), Some("test"));
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("GET", WELL_KNOWN_PATH)
    );
    assert_eq!(request.version, "HTTP/1.1");
    assert!(request.peer.ip().is_loopback());
    assert_eq!((host.fetches(), host.connections()), (1, 1));
}

#[tokio::test]
async fn redirect_answers_with_location_and_the_chosen_status() {
    let ca = TestCa::new("Redirect CA");
    let host = start(serving(&ca).redirect("https://elsewhere.test/p"));
    let response = get(&host, &ca).await;
    assert_eq!(response.status, 301);
    assert_eq!(
        response.header("Location"),
        Some("https://elsewhere.test/p")
    );

    host.set_behaviour(
        serving(&ca)
            .redirect("https://elsewhere.test/q")
            .status(302),
    );
    let response = get(&host, &ca).await;
    assert_eq!(response.status, 302);
    assert_eq!(
        response.header("Location"),
        Some("https://elsewhere.test/q")
    );
}

#[tokio::test]
async fn status_404_changes_only_the_status() {
    let ca = TestCa::new("Status CA");
    let host = start(serving(&ca).status(404));
    let response = get(&host, &ca).await;
    assert_eq!(response.status, 404);
    assert_eq!(response.header("Content-Type"), Some("text/plain"));
    assert_eq!(response.body, POLICY.as_bytes());
}

#[tokio::test]
async fn content_type_is_sent_as_chosen_or_not_at_all() {
    let ca = TestCa::new("Content Type CA");
    let host = start(serving(&ca).content_type("text/html"));
    let response = get(&host, &ca).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("Content-Type"), Some("text/html"));
    assert_eq!(response.body, POLICY.as_bytes());

    host.set_behaviour(serving(&ca).no_content_type());
    let response = get(&host, &ca).await;
    assert_eq!(response.header("Content-Type"), None, "{response:?}");
    assert_eq!(response.body, POLICY.as_bytes());
}

#[tokio::test]
async fn chunked_policy_has_no_content_length() {
    let ca = TestCa::new("Chunked CA");
    let host = start(serving(&ca).chunked());
    let response = get(&host, &ca).await;
    assert_eq!(response.header("Transfer-Encoding"), Some("chunked"));
    assert_eq!(response.header("Content-Length"), None);
    assert_eq!(response.body, POLICY.as_bytes());
}

#[tokio::test]
async fn oversized_body_is_chunked_past_the_limit_without_content_length() {
    let ca = TestCa::new("Oversized Body CA");
    let host = start(serving(&ca).oversized_body());
    let response = get(&host, &ca).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("Content-Length"), None);
    assert_eq!(response.header("Transfer-Encoding"), Some("chunked"));
    assert!(response.body.len() >= OVERSIZED_BODY);
    assert!(response.body.len() > POLICY_LIMIT);
    assert!(response.body.starts_with(POLICY.as_bytes()));
}

#[tokio::test]
async fn oversized_content_length_announces_more_than_it_sends() {
    let ca = TestCa::new("Oversized Length CA");
    let host = start(serving(&ca).oversized_content_length());
    let response = get(&host, &ca).await;
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("Content-Length"),
        Some(OVERSIZED_LENGTH.to_string().as_str())
    );
    let announced: usize = response.header("Content-Length").unwrap().parse().unwrap();
    assert!(announced > POLICY_LIMIT);
    assert_eq!(response.body, POLICY.as_bytes(), "only the policy follows");
}

async fn handshake_failure(
    identity: &Identity,
    trusted: &TestCa,
) -> (PolicyHost, CertificateError) {
    let host = start(PolicyBehaviour::serving(identity, POLICY));
    let error = get_raw(&host, trusted, WELL_KNOWN_PATH).await.unwrap_err();
    let problem = certificate_error(&error);
    (host, problem)
}

#[tokio::test]
async fn untrusted_ca_certificate_is_an_unknown_issuer_and_gets_no_request() {
    let (trusted, other) = (TestCa::new("Trusted CA"), TestCa::new("Other CA"));
    let (host, problem) = handshake_failure(&other.issue(&[HOST]), &trusted).await;
    assert_eq!(problem, CertificateError::UnknownIssuer);
    assert_eq!(host.connections(), 1, "the client did connect");
    assert!(host.requests().is_empty());
    assert_eq!(host.fetches(), 0);
}

#[tokio::test]
async fn wrong_name_certificate_is_not_valid_for_the_policy_host() {
    let ca = TestCa::new("Wrong Name CA");
    let (host, problem) = handshake_failure(&ca.issue(&["www.example.test"]), &ca).await;
    assert!(
        matches!(
            problem,
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
        ),
        "{problem:?}"
    );
    assert!(host.requests().is_empty());
}

#[tokio::test]
async fn expired_certificate_is_expired() {
    let ca = TestCa::new("Expired CA");
    let (host, problem) = handshake_failure(&ca.issue_expired(&[HOST]), &ca).await;
    assert!(
        matches!(
            problem,
            CertificateError::Expired | CertificateError::ExpiredContext { .. }
        ),
        "{problem:?}"
    );
    assert!(host.requests().is_empty());
}

#[tokio::test]
async fn certificate_can_be_changed_by_the_builder() {
    let (trusted, other) = (
        TestCa::new("Builder Trusted CA"),
        TestCa::new("Builder Other CA"),
    );
    let host = start(serving(&trusted).certificate(&other.issue(&[HOST])));
    let error = get_raw(&host, &trusted, WELL_KNOWN_PATH).await.unwrap_err();
    assert_eq!(certificate_error(&error), CertificateError::UnknownIssuer);
}

#[tokio::test]
async fn slow_host_waits_before_answering() {
    let ca = TestCa::new("Slow CA");
    let delay = Duration::from_millis(300);
    let host = start(serving(&ca).slow(delay));
    let impatient = tokio::time::timeout(Duration::from_millis(100), get(&host, &ca)).await;
    assert!(impatient.is_err(), "answered within 100 ms: {impatient:?}");

    let started = Instant::now();
    let response = get(&host, &ca).await;
    assert!(started.elapsed() >= delay, "{:?}", started.elapsed());
    assert_eq!(response.body, POLICY.as_bytes());
    assert_eq!(
        host.fetches(),
        2,
        "the request is recorded before the delay"
    );
}

#[tokio::test]
async fn dropped_connection_reads_the_request_and_answers_nothing() {
    let ca = TestCa::new("Drop CA");
    let host = start(serving(&ca).drop_connection());
    match get_raw(&host, &ca, WELL_KNOWN_PATH).await {
        // Closed without close_notify: rustls reports an unexpected end.
        Err(error) => assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof, "{error}"),
        Ok(raw) => panic!(
            "expected no answer, got {:?}",
            String::from_utf8_lossy(&raw)
        ),
    }
    assert_eq!(host.fetches(), 1);
}

#[tokio::test]
async fn other_paths_get_404_and_are_not_fetches() {
    let ca = TestCa::new("Path CA");
    let host = start(serving(&ca));
    let response = parse(&get_raw(&host, &ca, "/").await.unwrap());
    assert_eq!(response.status, 404);
    assert_eq!(host.requests().len(), 1);
    assert_eq!(host.requests()[0].path, "/");
    assert!(!host.requests()[0].is_policy_fetch());
    assert_eq!(host.fetches(), 0);
}

#[tokio::test]
async fn set_policy_and_set_behaviour_apply_to_later_fetches() {
    let ca = TestCa::new("Change CA");
    let host = start(serving(&ca).content_type("text/plain; charset=utf-8"));
    assert_eq!(get(&host, &ca).await.body, POLICY.as_bytes());

    let next = "version: STSv1\nmode: none\nmax_age: 60\n";
    host.set_policy(next);
    let response = get(&host, &ca).await;
    assert_eq!(response.body, next.as_bytes());
    assert_eq!(
        response.header("Content-Type"),
        Some("text/plain; charset=utf-8"),
        "the rest of the behaviour is kept"
    );

    host.set_behaviour(serving(&ca).status(404));
    assert_eq!(get(&host, &ca).await.status, 404);
    let requests = host.wait_for_fetches(3, PATIENCE).await.unwrap();
    assert_eq!(requests.len(), 3);
    assert_eq!(host.fetches(), 3);
    let short = host.wait_for_fetches(4, Duration::from_millis(50)).await;
    assert_eq!(short.unwrap_err().got, 3);
}

#[test]
fn fetches_can_be_awaited_without_a_runtime() {
    let ca = TestCa::new("Blocking CA");
    let host = start(serving(&ca));
    let client = std::thread::spawn({
        let addr = host.addr();
        move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let tcp = TcpStream::connect(addr).await.unwrap();
                let connector = TlsConnector::from(ca.rustls_client_config());
                let mut tls = connector
                    .connect(ServerName::try_from(HOST).unwrap(), tcp)
                    .await
                    .unwrap();
                let request = format!("GET {WELL_KNOWN_PATH} HTTP/1.1\r\nHost: {HOST}\r\n\r\n");
                tls.write_all(request.as_bytes()).await.unwrap();
                let mut raw = Vec::new();
                tls.read_to_end(&mut raw).await.unwrap();
            });
        }
    });
    let requests = host.wait_for_fetches_blocking(1, PATIENCE).unwrap();
    assert_eq!(requests[0].host(), Some(HOST));
    client.join().unwrap();
}
