//! `sealane dns` against the test world: statuses, JSON, and clear errors.

use std::process::Output;

use testworld::dns::{DnsServer, standard};

struct World {
    server: DnsServer,
    anchor: tempfile::TempPath,
}

async fn world() -> World {
    let server = standard().serve().await.expect("test world starts");
    let anchor = tempfile::NamedTempFile::new()
        .expect("temp file")
        .into_temp_path();
    server.write_trust_anchor(&anchor).expect("anchor written");
    World { server, anchor }
}

async fn sealane(args: Vec<String>) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_sealane"))
        .args(args)
        .output()
        .await
        .expect("sealane runs")
}

impl World {
    async fn dns(&self, extra: &[&str]) -> Output {
        let mut args: Vec<String> = vec!["dns".into()];
        args.extend(extra.iter().map(|s| s.to_string()));
        args.extend([
            "--dns-server".into(),
            self.server.addr().to_string(),
            "--trust-anchor".into(),
            self.anchor.to_string_lossy().into_owned(),
        ]);
        sealane(args).await
    }
}

fn json(output: &Output) -> serde_json::Value {
    json_with_exit(output, 0)
}

fn json_with_exit(output: &Output, code: i32) -> serde_json::Value {
    assert_eq!(
        output.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("valid JSON")
}

#[tokio::test]
async fn secure_answer_prints_records_and_status() {
    let w = world().await;
    let out = json(&w.dns(&["mx.secure.test", "A", "--json"]).await);
    assert_eq!(out["status"], "secure");
    assert_eq!(out["records"][0]["data"], "127.0.0.10");
    assert_eq!(out["type"], "A");
}

#[tokio::test]
async fn bogus_answer_is_reported_bogus_with_exit_3() {
    let w = world().await;
    let out = json_with_exit(&w.dns(&["mx.expired.test", "A", "--json"]).await, 3);
    assert_eq!(out["status"], "bogus");
}

#[tokio::test]
async fn server_given_without_a_port_is_asked_on_port_53() {
    // Nothing answers on 127.0.0.1:53 here; the lookup is tried there
    // (exit 1, a runtime failure), not refused as input (exit 2).
    let output = sealane(vec![
        "dns".into(),
        "secure.test".into(),
        "A".into(),
        "--dns-server".into(),
        "127.0.0.254".into(),
    ])
    .await;
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("127.0.0.254:53"), "{err}");
}

#[tokio::test]
async fn insecure_answer_is_reported_insecure() {
    let w = world().await;
    let out = json(&w.dns(&["insecure.nsec3.test", "MX", "--json"]).await);
    assert_eq!(out["status"], "insecure");
}

#[tokio::test]
async fn human_output_names_status_and_absence() {
    let w = world().await;
    let output = w.dns(&["_25._tcp.implicit.secure.test", "tlsa"]).await;
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("dnssec: secure"), "{text}");
    assert!(text.contains("NXDOMAIN"), "{text}");
}

#[tokio::test]
async fn unknown_type_is_a_one_line_error_with_exit_2() {
    let w = world().await;
    let output = w.dns(&["secure.test", "BOGUSTYPE"]).await;
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("unknown record type"), "{err}");
}

#[tokio::test]
async fn bad_name_is_a_one_line_error_with_exit_2() {
    let w = world().await;
    let output = w.dns(&["bad..name", "A"]).await;
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("not a valid domain name"), "{err}");
}

#[tokio::test]
async fn unreachable_server_is_a_one_line_error_with_exit_1() {
    let w = world().await;
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let output = sealane(vec![
        "dns".into(),
        "mx.secure.test".into(),
        "A".into(),
        "--dns-server".into(),
        silent.local_addr().unwrap().to_string(),
        "--trust-anchor".into(),
        w.anchor.to_string_lossy().into_owned(),
    ])
    .await;
    assert_eq!(output.status.code(), Some(1));
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[tokio::test]
async fn malformed_server_address_is_exit_2() {
    let output = sealane(vec![
        "dns".into(),
        "secure.test".into(),
        "A".into(),
        "--dns-server".into(),
        "localhost".into(),
    ])
    .await;
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not an address"));
}

#[tokio::test]
async fn missing_trust_anchor_file_is_exit_2() {
    let output = sealane(vec![
        "dns".into(),
        "secure.test".into(),
        "A".into(),
        "--dns-server".into(),
        "127.0.0.1:53".into(),
        "--trust-anchor".into(),
        "/nonexistent/anchor".into(),
    ])
    .await;
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/anchor"));
}
