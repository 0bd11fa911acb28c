//! `sealane publish`: its records and policy parse with the parsers that
//! senders and the checker use, its TLSA records match the given keys, and
//! bad input exits 2.

use std::path::{Path, PathBuf};

use check::{SpfRecord, TlsRptRecord};
use policy::sts::{Mode, Policy, StsRecord};
use testworld::ca::TestCa;
use tls::Tlsa;
use tls::pki_types::UnixTime;

mod support;
use support::sealane;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("temp file written");
    path
}

fn json(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["publish"];
    all.extend(args);
    all.push("--json");
    let output = sealane(&all);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("publish --json prints JSON")
}

/// The data of the records of `kind` at `name`.
fn data(publication: &serde_json::Value, name: &str, kind: &str) -> Vec<String> {
    publication["records"]
        .as_array()
        .expect("records is a list")
        .iter()
        .filter(|r| r["name"] == name && r["type"] == kind)
        .map(|r| r["data"].as_str().expect("data is text").to_owned())
        .collect()
}

#[test]
fn published_records_and_policy_parse() {
    let publication = json(&[
        "example.test",
        "--mx",
        "mx1.example.test",
        "--mx",
        "mx2.example.test",
        "--report-to",
        "https://reports.example.test/tlsrpt",
    ]);
    let sts = data(&publication, "_mta-sts.example.test.", "TXT");
    assert_eq!(sts.len(), 1);
    let record = StsRecord::parse(&sts[0]).expect("the MTA-STS record parses");
    assert_eq!(publication["id"], record.id.as_str());
    assert_eq!(record.id.len(), 14, "a UTC timestamp YYYYMMDDHHMMSS");
    let rpt = data(&publication, "_smtp._tls.example.test.", "TXT");
    let rpt = TlsRptRecord::parse(&rpt[0]).expect("the TLS-RPT record parses");
    assert_eq!(rpt.rua[0].uri, "https://reports.example.test/tlsrpt");
    let spf = data(&publication, "example.test.", "TXT");
    assert!(SpfRecord::parse(&spf[0]).errors.is_empty(), "{spf:?}");
    let text = publication["policy"]["text"].as_str().unwrap();
    let policy = Policy::parse(text.as_bytes()).expect("the policy parses");
    assert_eq!((policy.mode, policy.max_age), (Mode::Testing, 86_400));
    assert!(policy.allows_mx("mx1.example.test") && policy.allows_mx("mx2.example.test"));
    assert!(data(&publication, "_25._tcp.mx1.example.test.", "TLSA").is_empty());
}

#[test]
fn tlsa_records_match_the_current_and_next_certificates() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("cli publish ca");
    let current = ca.issue(&["mx.example.test"]);
    let next = ca.issue(&["mx.example.test"]);
    let current_pem = write(dir.path(), "current.pem", &current.chain_pem());
    let next_pem = write(dir.path(), "next.pem", &next.chain_pem());
    let publication = json(&[
        "example.test",
        "--mx",
        "mx.example.test",
        "--cert",
        current_pem.to_str().unwrap(),
        "--next-key",
        next_pem.to_str().unwrap(),
        "--mode",
        "enforce",
    ]);
    let records: Vec<Tlsa> = data(&publication, "_25._tcp.mx.example.test.", "TLSA")
        .iter()
        .map(|t| t.parse().expect("generated TLSA parses"))
        .collect();
    assert_eq!(records.len(), 2, "current and next key");
    let now = UnixTime::now();
    for (identity, record) in [(&current, &records[0]), (&next, &records[1])] {
        let chain = tls::certificates_from_pem(identity.chain_pem().as_bytes()).unwrap();
        let matched = tls::verify_chain(&chain, std::slice::from_ref(record), &[], now)
            .expect("the record matches its certificate");
        assert_eq!(matched.depth, 0);
        assert!(record.to_string().starts_with("3 1 1 "));
    }
    let chain = tls::certificates_from_pem(current.chain_pem().as_bytes()).unwrap();
    assert!(tls::verify_chain(&chain, &records[1..], &[], now).is_err());
    let text = publication["policy"]["text"].as_str().unwrap();
    let policy = Policy::parse(text.as_bytes()).unwrap();
    assert_eq!((policy.mode, policy.max_age), (Mode::Enforce, 604_800));
}

#[test]
fn zone_text_is_ready_to_paste_with_a_checklist() {
    let output = sealane(&["publish", "example.test", "--mx", "mx.example.test"]);
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("_mta-sts.example.test. 3600 IN TXT \"v=STSv1; id="));
    assert!(text.contains(
        "_smtp._tls.example.test. 3600 IN TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@example.test\""
    ));
    assert!(text.contains("example.test. 3600 IN TXT \"v=spf1 mx -all\""));
    assert!(text.contains("version: STSv1\nmode: testing\nmx: mx.example.test\nmax_age: 86400\n"));
    assert!(text.contains("# Checklist\n1. "), "{text}");
}

#[test]
fn bad_input_exits_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let junk = write(dir.path(), "junk.pem", "not a certificate");
    let missing = dir.path().join("missing.pem");
    let (junk, missing) = (junk.to_str().unwrap(), missing.to_str().unwrap());
    for extra in [
        vec!["bad domain", "--mx", "mx.example.test"],
        vec!["example.test", "--mx", "*.example.test"],
        vec![
            "example.test",
            "--mx",
            "mx.example.test",
            "--report-to",
            "ftp://x.example.test",
        ],
        vec!["example.test", "--mx", "mx.example.test", "--cert", junk],
        vec!["example.test", "--mx", "mx.example.test", "--cert", missing],
    ] {
        let mut args = vec!["publish"];
        args.extend(&extra);
        let output = sealane(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("sealane: "), "{stderr}");
    }
    // Refused by the argument parser, also with status 2.
    for extra in [
        vec!["example.test"],
        vec!["example.test", "--mx", "mx.example.test", "--mode", "none"],
    ] {
        let mut args = vec!["publish"];
        args.extend(&extra);
        assert_eq!(sealane(&args).status.code(), Some(2), "{args:?}");
    }
}
