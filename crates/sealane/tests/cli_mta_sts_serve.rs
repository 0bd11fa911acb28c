//! `sealane mta-sts serve` on loopback with a test-CA certificate: the
//! policy is fetched as delivery fetches it, other paths are 404, changed
//! files are reloaded, and an invalid policy stops it from starting.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dns::{Resolver, ResolverConfig, TrustAnchor};
use policy::sts::{FetchError, FetchOptions, Fetched, Mode, fetch};
use testworld::ca::TestCa;
use testworld::dns::{DnsServer, DnsWorld};
use testworld::https::sts_domain;
use testworld::net::loopback;
use tls::TrustRoots;
use tls::pki_types::ServerName;
use tls::rustls::{ClientConfig, RootCertStore};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

const POLICY: &str = "version: STSv1\nmode: testing\nmx: mx.example.test\nmax_age: 86400\n";
const NEW_POLICY: &str =
    "version: STSv1\nmode: enforce\nmx: mx.example.test\nmx: mx2.example.test\nmax_age: 604800\n";
const HOST: &str = "mta-sts.example.test";

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).expect("temp file written");
}

/// A running `sealane mta-sts serve`, killed when dropped.
struct Served {
    child: Child,
    addr: SocketAddr,
    stderr: PathBuf,
    dir: tempfile::TempDir,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

/// Writes the policy and `ca`'s certificate for [`HOST`], and starts the
/// server on a free loopback port.
fn start(ca: &TestCa) -> Served {
    let dir = tempfile::tempdir().unwrap();
    let identity = ca.issue(&[HOST]);
    write(&dir.path().join("policy.txt"), POLICY);
    write(&dir.path().join("cert.pem"), &identity.chain_pem());
    write(&dir.path().join("key.pem"), &identity.key_pem());
    let stderr = dir.path().join("stderr.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sealane"))
        .args([
            "mta-sts",
            "serve",
            "--domain",
            "example.test",
            "--listen",
            "127.0.0.1:0",
        ])
        .arg("--policy")
        .arg(dir.path().join("policy.txt"))
        .arg("--cert")
        .arg(dir.path().join("cert.pem"))
        .arg("--key")
        .arg(dir.path().join("key.pem"))
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .expect("sealane starts");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout is piped");
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .rsplit(' ')
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| {
            let _ = child.kill();
            panic!(
                "no address in {line:?}: {}",
                std::fs::read_to_string(&stderr).unwrap_or_default()
            )
        });
    assert!(
        line.starts_with("serving https://mta-sts.example.test/.well-known/mta-sts.txt"),
        "{line}"
    );
    Served {
        child,
        addr,
        stderr,
        dir,
    }
}

/// A signed DNS world where `mta-sts.example.test` is 127.0.0.1.
async fn world() -> (DnsServer, Resolver) {
    let mut world = DnsWorld::new();
    sts_domain(&mut world, "example.test", "1", loopback(1));
    let server = world.serve().await.expect("test world starts");
    let anchors = TrustAnchor::parse(&server.trust_anchor_ds()).expect("the world's DS parses");
    let config = ResolverConfig::new(vec![server.addr()])
        .with_trust_anchors(anchors)
        .with_timeout(Duration::from_millis(400), 1);
    (server, Resolver::new(config))
}

async fn fetch_policy(resolver: &Resolver, ca: &TestCa, port: u16) -> Result<Fetched, FetchError> {
    let options = FetchOptions::new(TrustRoots::only(std::slice::from_ref(ca.root_der())).unwrap())
        .with_port(port)
        .with_timeout(Duration::from_secs(5));
    let domain = Resolver::parse_name("example.test").unwrap();
    fetch(resolver, &domain, &options).await
}

/// One raw HTTP/1.1 exchange over TLS, trusting `ca`: the whole response.
async fn exchange(addr: SocketAddr, ca: &TestCa, method: &str, path: &str) -> String {
    let mut roots = RootCertStore::empty();
    roots.add(ca.root_der().clone()).unwrap();
    let provider = Arc::new(tls::rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut stream = TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from(HOST).unwrap(), tcp)
        .await
        .expect("TLS with the test CA's certificate");
    let request = format!("{method} {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    // The server closes after the response (Connection: close); a TLS
    // close without close_notify is not an error for this reading.
    let _ = stream.read_to_end(&mut response).await;
    String::from_utf8_lossy(&response).into_owned()
}

/// Polls until `done` holds of the fetched policy, for at most 10 s.
async fn until(
    resolver: &Resolver,
    ca: &TestCa,
    port: u16,
    done: impl Fn(&Fetched) -> bool,
) -> Fetched {
    let start = Instant::now();
    loop {
        let fetched = fetch_policy(resolver, ca, port)
            .await
            .expect("the policy is served");
        if done(&fetched) {
            return fetched;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "not reloaded: {:?}",
            fetched.policy
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_the_policy_as_text_plain_and_404_elsewhere() {
    let (_dns, resolver) = world().await;
    let ca = TestCa::new("mta-sts serve ca");
    let served = start(&ca);
    let fetched = fetch_policy(&resolver, &ca, served.addr.port())
        .await
        .expect("the policy is fetched");
    assert_eq!(fetched.policy.mode, Mode::Testing);
    assert!(fetched.policy.allows_mx("mx.example.test"));
    let ok = exchange(served.addr, &ca, "GET", "/.well-known/mta-sts.txt").await;
    assert!(ok.starts_with("HTTP/1.1 200 OK\r\n"), "{ok}");
    assert!(
        ok.to_ascii_lowercase()
            .contains("content-type: text/plain; charset=utf-8\r\n"),
        "{ok}"
    );
    assert!(ok.ends_with(&format!("\r\n\r\n{POLICY}")), "{ok}");
    let head = exchange(served.addr, &ca, "HEAD", "/.well-known/mta-sts.txt").await;
    assert!(
        head.starts_with("HTTP/1.1 200 OK\r\n") && head.ends_with("\r\n\r\n"),
        "{head}"
    );
    let missing = exchange(served.addr, &ca, "GET", "/").await;
    assert!(missing.starts_with("HTTP/1.1 404 "), "{missing}");
    let post = exchange(served.addr, &ca, "POST", "/.well-known/mta-sts.txt").await;
    assert!(post.starts_with("HTTP/1.1 405 "), "{post}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rewritten_policy_is_served_and_an_invalid_one_is_not() {
    let (_dns, resolver) = world().await;
    let ca = TestCa::new("mta-sts serve ca");
    let served = start(&ca);
    let port = served.addr.port();
    let first = fetch_policy(&resolver, &ca, port)
        .await
        .expect("the first policy is served");
    assert_eq!(first.policy.mode, Mode::Testing);
    write(&served.path("policy.txt"), NEW_POLICY);
    let fetched = until(&resolver, &ca, port, |f| f.policy.mode == Mode::Enforce).await;
    assert!(fetched.policy.allows_mx("mx2.example.test"));
    write(
        &served.path("policy.txt"),
        "version: STSv1\nmode: sometimes\n",
    );
    let start = Instant::now();
    while !served.log().contains("policy not reloaded") {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no log: {}",
            served.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let kept = fetch_policy(&resolver, &ca, port)
        .await
        .expect("the last good policy is served");
    assert_eq!(kept.policy.mode, Mode::Enforce);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replaced_certificate_is_served() {
    let (_dns, resolver) = world().await;
    let old_ca = TestCa::new("mta-sts serve old ca");
    let served = start(&old_ca);
    let port = served.addr.port();
    let new_ca = TestCa::new("mta-sts serve new ca");
    assert!(
        fetch_policy(&resolver, &new_ca, port).await.is_err(),
        "not yet trusted"
    );
    let identity = new_ca.issue(&[HOST]);
    write(&served.path("key.pem"), &identity.key_pem());
    write(&served.path("cert.pem"), &identity.chain_pem());
    let start = Instant::now();
    while fetch_policy(&resolver, &new_ca, port).await.is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "not reloaded: {}",
            served.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        !served.log().contains("PRIVATE KEY"),
        "the key is never logged"
    );
}

fn refused(policy: &str, cert_names: &[&str]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("mta-sts serve ca");
    let identity = ca.issue(cert_names);
    let path = |name: &str| dir.path().join(name);
    write(&path("policy.txt"), policy);
    write(&path("cert.pem"), &identity.chain_pem());
    write(&path("key.pem"), &identity.key_pem());
    let mut child = Command::new(env!("CARGO_BIN_EXE_sealane"))
        .args([
            "mta-sts",
            "serve",
            "--domain",
            "example.test",
            "--listen",
            "127.0.0.1:0",
        ])
        .arg("--policy")
        .arg(path("policy.txt"))
        .arg("--cert")
        .arg(path("cert.pem"))
        .arg("--key")
        .arg(path("key.pem"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sealane starts");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("sealane kept running");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    (status.code(), stderr)
}

#[test]
fn invalid_policy_at_start_exits_2_with_one_line() {
    let (code, stderr) = refused("version: STSv1\nmode: enforce\nmax_age: 86400\n", &[HOST]);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("invalid MTA-STS policy"), "{stderr}");
}

#[test]
fn certificate_for_another_host_exits_2() {
    let (code, stderr) = refused(POLICY, &["www.example.test"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("not valid for mta-sts.example.test"),
        "{stderr}"
    );
}
