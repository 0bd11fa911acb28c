//! `sealane tlsa verify` agrees with RFC 7672 on OpenSSL's DANE test
//! vectors (the tls crate's `tests/data/openssl`, Apache-2.0): a sample
//! covering every mapping rule, run through the command line as an
//! operator would, with the reference identifier OpenSSL uses.

#[path = "../../tls/tests/support/openssl_cases.rs"]
mod openssl_cases;

use std::process::Command;

use openssl_cases::{Case, Expect, NOW_RFC3339};

/// Cases picked to cover each rule of the mapping and each kind of anchor:
/// DANE-EE on a never-valid leaf, DANE-TA digests of a presented
/// intermediate and root, PKIX-only sets, DANE-EE without name checks, the
/// anchor certificate and bare key from DNS, name mismatches, and the
/// cross-signed chain.
const SAMPLE: &[&str] = &[
    "danetest.in #1",
    "danetest.in #7",
    "danetest.in #15",
    "danetest.in #22",
    "danetest.in #23",
    "danetest.in #39",
    "danetest.in #45",
    "danetest.in #47",
    "danetest.in #48",
    "danetest.in #49",
    "danetest.in #50",
    "danetest.in #52",
    "danetest.in #54",
    "dane-cross.in #1",
];

fn run(case: &Case, dir: &std::path::Path) -> (bool, Option<usize>) {
    let chain = dir.join(format!("{}.pem", case.label.replace([' ', '#'], "_")));
    std::fs::write(&chain, case.chain_pem.concat()).expect("chain written");
    let mut args = vec![
        "tlsa".to_owned(),
        "verify".into(),
        "--json".into(),
        "--chain".into(),
        chain.display().to_string(),
        "--name".into(),
        case.name.into(),
        "--at".into(),
        NOW_RFC3339.into(),
    ];
    for record in &case.records {
        args.extend(["--tlsa".to_owned(), record.clone()]);
    }
    let output = Command::new(env!("CARGO_BIN_EXE_sealane"))
        .args(&args)
        .output()
        .expect("sealane runs");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{}: {e}: {:?}", case.label, output));
    let matched = json["matched"].as_bool().expect("matched field");
    assert_eq!(
        output.status.code(),
        Some(if matched { 0 } else { 1 }),
        "{}: exit code follows the verdict",
        case.label
    );
    let depth = json["match"]["depth"].as_u64().map(|d| d as usize);
    (matched, depth)
}

#[test]
fn tlsa_verify_agrees_with_rfc7672_on_openssl_cases() {
    let cases = openssl_cases::all_cases(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("temp dir");
    let mut agree = 0;
    let mut disagreements = Vec::new();
    for label in SAMPLE {
        let case = cases
            .iter()
            .find(|c| c.label == *label)
            .unwrap_or_else(|| panic!("{label} exists"));
        let (expect, rule) = case.smtp_expectation();
        let got = match run(case, dir.path()) {
            (true, Some(depth)) => Expect::Authenticated { depth },
            (true, None) => panic!("{label}: a match without a depth"),
            (false, _) => Expect::Refused,
        };
        if got == expect {
            agree += 1;
        } else {
            disagreements.push(format!(
                "{label}: expected {expect:?} (rule {rule}), got {got:?}"
            ));
        }
    }
    println!("{agree}/{} agree", SAMPLE.len());
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}
