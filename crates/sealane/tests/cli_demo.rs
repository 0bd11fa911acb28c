//! `sealane demo` runs end to end (the binary, its test world, a real
//! daemon, the whole retry schedule) and shows, per destination, the
//! outcome DESIGN §2 calls for, with its code, security line and notices.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

fn demo(args: &[&str]) -> (String, Duration) {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_sealane"))
        .arg("demo")
        .args(args)
        .output()
        .expect("the binary runs");
    let took = started.elapsed();
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (String::from_utf8(output.stdout).unwrap(), took)
}

fn destination<'a>(report: &'a Value, domain: &str) -> &'a Value {
    report["destinations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["domain"] == domain)
        .unwrap_or_else(|| panic!("{domain} is in the report"))
}

/// The outcome and code of `domain`, and its notices' statuses.
fn outcome(report: &Value, domain: &str) -> (String, String, Vec<String>) {
    let d = destination(report, domain);
    let notices = d["notices"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["status"].as_str().map(str::to_owned))
        .collect();
    (
        d["outcome"].as_str().unwrap().to_owned(),
        d["code"].as_str().unwrap_or_default().to_owned(),
        notices,
    )
}

fn assert_delivered(report: &Value, domain: &str) {
    let (state, code, notices) = outcome(report, domain);
    assert_eq!(state, "delivered", "{domain}: {report:#}");
    assert!(code.starts_with("250"), "{domain}: {code}");
    assert!(notices.is_empty(), "{domain}: no notice for a delivery");
    assert_eq!(
        destination(report, domain)["received_by_mx"],
        1,
        "{domain}: its MX host got the message"
    );
}

/// Expired with `code`, after several attempts, one failure notice with
/// that status reached the sender.
fn assert_expired(report: &Value, domain: &str, code_prefix: &str) {
    let (state, code, notices) = outcome(report, domain);
    let d = destination(report, domain);
    assert_eq!(state, "expired", "{domain}: {d:#}");
    assert_eq!(d["received_by_mx"], 0, "{domain}: nothing sent: {d:#}");
    assert!(code.starts_with(code_prefix), "{domain}: {d:#}");
    assert!(
        d["attempts"].as_u64().unwrap() > 20,
        "{domain}: tried through the schedule: {d:#}"
    );
    assert!(
        notices.iter().any(|s| s.starts_with(code_prefix)),
        "{domain}: a failure notice with {code_prefix}: {d:#}"
    );
}

#[test]
fn demo_shows_each_destination_s_outcome_within_a_minute() {
    let (json, took) = demo(&["--json"]);
    assert!(took < Duration::from_secs(60), "the demo took {took:?}");
    let report: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["destinations"].as_array().unwrap().len(), 9);
    assert!(
        report["simulated_seconds"].as_u64().unwrap() >= 23 * 3600,
        "the clock went through the day of retries"
    );

    assert_delivered(&report, "dane.demo");
    let dane = &destination(&report, "dane.demo")["security"];
    assert_eq!(dane["requirement"], "dane", "{dane:#}");
    assert!(
        dane["tlsa"].as_str().unwrap().starts_with("3 0 1 "),
        "{dane:#}"
    );
    assert!(
        dane["tls"].as_str().unwrap().starts_with("TLSv1."),
        "{dane:#}"
    );

    assert_expired(&report, "dane-mismatch.demo", "5.7.323");

    assert_delivered(&report, "sts.demo");
    let sts = &destination(&report, "sts.demo")["security"];
    assert_eq!(sts["sts_policy_id"], "20260101", "{sts:#}");

    assert_expired(&report, "sts-badcert.demo", "5.7.5");

    assert_delivered(&report, "sts-testing.demo");
    let testing = &destination(&report, "sts-testing.demo")["security"];
    assert_eq!(
        testing["result_type"], "certificate-host-mismatch",
        "the testing-mode failure is recorded: {testing:#}"
    );

    assert_delivered(&report, "plain.demo");
    assert_expired(&report, "bogus.demo", "5.7.324");
    assert_expired(&report, "stripped.demo", "5.7.321");

    let (state, code, notices) = outcome(&report, "null-mx.demo");
    let null = destination(&report, "null-mx.demo");
    assert_eq!(state, "bounced", "{null:#}");
    assert_eq!(code, "5.1.10", "{null:#}");
    assert_eq!(null["attempts"], 1, "bounced at once: {null:#}");
    assert_eq!(notices, ["5.1.10"], "{null:#}");
}

#[test]
fn demo_human_report_names_every_domain_and_its_outcome() {
    let (text, _) = demo(&[]);
    for (domain, outcome) in [
        ("dane.demo", "delivered after 1 attempt"),
        ("dane-mismatch.demo", "expired after"),
        ("null-mx.demo", "bounced after 1 attempt — 5.1.10"),
    ] {
        let block = text
            .split("\n\n")
            .find(|b| b.starts_with(&format!("{domain}  (")))
            .unwrap_or_else(|| panic!("a block for {domain}:\n{text}"));
        assert!(block.contains(outcome), "{domain}: {block}");
    }
    assert!(text.contains("Status: 5.7.323"), "{text}");
    assert!(text.contains("What happened: "), "{text}");
}
