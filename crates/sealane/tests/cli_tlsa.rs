//! `sealane tlsa generate` and `sealane tlsa verify` on test-world certificates.

use std::path::{Path, PathBuf};
use std::process::Output;

use testworld::ca::TestCa;

mod support;
use support::sealane;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("temp file written");
    path
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn generate(cert: &Path, extra: &[&str]) -> String {
    let mut args = vec!["tlsa", "generate", "--cert", cert.to_str().unwrap()];
    args.extend(extra);
    let output = sealane(&args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout(&output)
}

fn verify(chain: &Path, records: &[&str], extra: &[&str]) -> Output {
    let mut args = vec![
        "tlsa",
        "verify",
        "--chain",
        chain.to_str().unwrap(),
        "--json",
    ];
    for record in records {
        args.extend(["--tlsa", record]);
    }
    args.extend(extra);
    sealane(&args)
}

#[test]
fn generated_default_record_is_3_1_1_and_verifies_its_chain() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("cli tlsa ca");
    let identity = ca.issue(&["mx.example.test"]);
    let chain = write(dir.path(), "chain.pem", &identity.chain_pem());
    let record = generate(&chain, &[]);
    assert!(record.starts_with("3 1 1 "), "{record}");
    assert_eq!(record.len(), "3 1 1 ".len() + 64);
    let output = verify(&chain, &[&record], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["matched"], true);
    assert_eq!(json["match"]["depth"], 0);
}

#[test]
fn record_for_another_certificate_does_not_match() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("cli tlsa ca");
    let served = write(
        dir.path(),
        "served.pem",
        &ca.issue(&["mx.example.test"]).chain_pem(),
    );
    let other = write(
        dir.path(),
        "other.pem",
        &ca.issue(&["mx.example.test"]).chain_pem(),
    );
    let record = generate(&other, &["--matching", "2"]);
    let output = verify(&served, &[&record], &[]);
    assert_eq!(output.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["matched"], false);
    assert_eq!(json["result_type"], "tlsa-invalid");
}

#[test]
fn usage3_ignores_expiry_but_usage2_reports_certificate_expired() {
    let dir = tempfile::tempdir().unwrap();
    let root = TestCa::new("cli tlsa root");
    let issuer = root.intermediate("cli tlsa issuing ca");
    let identity = issuer.issue_expired(&["mx.example.test"]);
    let chain = write(dir.path(), "chain.pem", &identity.chain_pem());
    let ee = generate(&chain, &[]);
    assert_eq!(verify(&chain, &[&ee], &[]).status.code(), Some(0));

    let issuer_pem = write(dir.path(), "issuer.pem", &issuer.cert_pem());
    let ta = generate(&issuer_pem, &["--usage", "2"]);
    let output = verify(&chain, &[&ta], &["--name", "mx.example.test"]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["result_type"], "certificate-expired");
}

#[test]
fn usage2_checks_the_name_and_the_time_given() {
    let dir = tempfile::tempdir().unwrap();
    let root = TestCa::new("cli tlsa root");
    let issuer = root.intermediate("cli tlsa issuing ca");
    let chain = write(
        dir.path(),
        "chain.pem",
        &issuer.issue(&["mx.example.test"]).chain_pem(),
    );
    let issuer_pem = write(dir.path(), "issuer.pem", &issuer.cert_pem());
    let ta = generate(&issuer_pem, &["--usage", "2"]);
    assert_eq!(
        verify(&chain, &[&ta], &["--name", "mx.example.test"])
            .status
            .code(),
        Some(0)
    );
    let wrong = verify(&chain, &[&ta], &["--name", "other.example.test"]);
    assert_eq!(wrong.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&wrong.stdout).unwrap();
    assert_eq!(json["result_type"], "certificate-host-mismatch");
    // Twenty years on, the leaf has expired.
    let later = verify(
        &chain,
        &[&ta],
        &["--name", "mx.example.test", "--at", "2046-01-01T00:00:00Z"],
    );
    assert_eq!(later.status.code(), Some(1));
}

#[test]
fn bad_input_exits_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("cli tlsa ca");
    let chain = write(
        dir.path(),
        "chain.pem",
        &ca.issue(&["mx.example.test"]).chain_pem(),
    );
    for args in [
        vec![
            "tlsa",
            "verify",
            "--chain",
            chain.to_str().unwrap(),
            "--tlsa",
            "3 1 1 zz",
        ],
        vec![
            "tlsa",
            "verify",
            "--chain",
            "/nonexistent.pem",
            "--tlsa",
            "3 1 1 00",
        ],
        vec![
            "tlsa",
            "verify",
            "--chain",
            chain.to_str().unwrap(),
            "--tlsa",
            "3 1 1 00",
            "--at",
            "yesterday",
        ],
        vec![
            "tlsa",
            "generate",
            "--cert",
            chain.to_str().unwrap(),
            "--usage",
            "0",
        ],
        vec!["tlsa", "generate", "--cert", "/nonexistent.pem"],
    ] {
        let output = sealane(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&output.stderr);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
}
