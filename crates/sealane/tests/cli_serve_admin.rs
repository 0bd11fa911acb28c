//! `sealane serve` with an `[admin]` table runs the admin listener: a
//! TLS report POSTed to it (RFC 8460 §5.4, gzip, no login) is what
//! `sealane report tls received` then shows; `user add --admin` writes an
//! administrator's block.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_sealane");
const RFC_EXAMPLE: &[u8] =
    include_bytes!("../../report/tests/fixtures/tlsrpt/rfc8460-example.json");

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// One HTTP/1.1 POST; the status code.
fn post(address: SocketAddr, path: &str, content_type: &str, body: &[u8]) -> u16 {
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(body).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer}"))
}

#[test]
fn a_report_posted_to_the_admin_listener_is_shown_by_report_tls_received() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("sealane.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nhostname = \"mx.example.test\"\ndata_dir = {:?}\n\n\
             [[listener]]\nrole = \"submission\"\naddress = \"127.0.0.1:0\"\n\n\
             [dns]\nservers = [\"127.0.0.1:9\"]\n\n\
             [admin]\nlisten = \"127.0.0.1:0\"\n",
            dir.path().join("data").display().to_string()
        ),
    )
    .unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "--log-format", "json", "--config"])
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let _served = Killed(child);
    let mut lines = BufReader::new(stderr).lines();
    let admin: SocketAddr = loop {
        let line = lines.next().expect("the admin console's log line").unwrap();
        let event: serde_json::Value = serde_json::from_str(&line).unwrap();
        if event["message"] == "admin console listening" {
            break event["address"].as_str().unwrap().parse().unwrap();
        }
    };
    std::thread::spawn(move || for _ in lines.by_ref() {});

    assert_eq!(
        post(
            admin,
            "/tlsrpt",
            "application/tlsrpt+gzip",
            &gzip(RFC_EXAMPLE)
        ),
        200
    );
    assert_eq!(post(admin, "/tlsrpt", "text/html", RFC_EXAMPLE), 415);

    let out = Command::new(BIN)
        .args(["report", "tls", "received", "--json", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["reports"], 1, "{summary}");
    assert_eq!(summary["policies"][0]["policy-domain"], "company-y.example");
}

#[test]
fn user_add_admin_writes_an_administrator() {
    let mut child = Command::new(BIN)
        .args(["user", "add", "--admin", "ann"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"secret\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("[[user]]\nname = \"ann\"\n"), "{text}");
    assert!(text.ends_with("admin = true\n"), "{text}");
}
