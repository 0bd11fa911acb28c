//! ValiMail's ARC test suite (`arc-draft-validation-tests.yml`, MIT
//! licence in `data/arc/LICENSE.txt`, from github.com/ValiMail/arc_test_suite
//! at f137dcb), the chain validation cases, through our ARC verification
//! and our resolver: each scenario's key records are served, signed, by
//! the test world's DNS server.
//!
//! Cases whose expected `cv` is empty state no outcome and are skipped.

mod common;

use std::collections::BTreeMap;

use auth::ArcResult;
use serde::Deserialize;
use testworld::dns::{Denial, DnsWorld};

const SUITE: &str = include_str!("data/arc/arc-draft-validation-tests.yml");

/// Cases whose outcome differs from the suite's, each with its reason.
/// The test fails if one of them starts passing, or another one fails.
const EXPECTED_FAILURES: &[(&str, &str)] = &[
    (
        "Arc Message Signature Fields/ams_fields_a_na",
        "mail-auth's ARC parser accepts an AMS without `a=`; the suite wants fail, we get pass",
    ),
    (
        "Arc Seal Fields/as_fields_a_na",
        "mail-auth's ARC parser accepts an ARC-Seal without `a=`; the suite wants fail, we get pass",
    ),
    (
        "Arc Seal Format/as_format_inv_tag_key",
        "mail-auth's ARC parser accepts an ARC-Seal with an invalid tag name; the suite wants fail, we get pass",
    ),
    (
        "Arc Seal Format/as_format_tags_dup",
        "mail-auth's ARC parser accepts an ARC-Seal with a duplicated tag (RFC 6376 §3.2: invalid); the suite wants fail, we get pass",
    ),
    (
        "Arc Seal Format/as_format_tags_key_case",
        "mail-auth's ARC parser accepts an ARC-Seal with an upper-case tag name (tag names are case-sensitive); the suite wants fail, we get pass",
    ),
    (
        "Arc Seal Format/as_format_tags_sc",
        "mail-auth's ARC parser accepts an ARC-Seal with a stray semicolon; the suite wants fail, we get pass",
    ),
    (
        "Arc Message Signature Fields/ams_fields_h_includes_as",
        "mail-auth's ARC parser accepts an AMS whose `h=` lists ARC-Seal (RFC 8617 §4.1.2 forbids it); the suite wants fail, we get pass",
    ),
    (
        "AMS Set Structure/ams_struct_missing",
        "a set without its ARC-Message-Signature: mail-auth's parser drops the whole chain as unparsable and reports no chain; the suite wants fail, we get none",
    ),
    (
        "Chain Validation/cv_fail_i1_ams_na",
        "the same missing AMS at i=1: none instead of fail",
    ),
    (
        "Arc Message Signature Fields/ams_fields_c_na",
        "an AMS without `c=` (simple/simple by default, RFC 6376 §3.5): mail-auth's ARC verifier reports the signature as not verifying; the suite wants pass",
    ),
    (
        "Arc Message Signature Fields/ams_fields_h_empty",
        "an AMS with an empty `h=`: mail-auth's ARC parser reports a broken chain; the suite wants pass",
    ),
    (
        "Public Key/ams_as_diff_s_d",
        "the seal names d=example2.org, for which the suite's txt-records hold no key (its driver answers any name); we get fail",
    ),
];

#[derive(Deserialize)]
struct Scenario {
    description: String,
    tests: BTreeMap<String, Case>,
    #[serde(rename = "txt-records", default)]
    txt_records: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct Case {
    message: String,
    cv: String,
}

fn expected(cv: &str) -> Option<ArcResult> {
    match cv.trim() {
        "None" => Some(ArcResult::None),
        "Pass" => Some(ArcResult::Pass),
        "Fail" => Some(ArcResult::Fail),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn valimail_arc_validation_suite() {
    let mut ran = 0;
    let mut skipped = 0;
    let mut failures = BTreeMap::new();
    for document in serde_yaml_ng::Deserializer::from_str(SUITE) {
        let scenario = Scenario::deserialize(document).expect("the suite parses");
        let mut world = DnsWorld::new();
        let zone = world.signed_zone("example.org.", Denial::Nsec);
        for (owner, text) in &scenario.txt_records {
            common::long_txt(zone, &format!("{owner}."), text);
        }
        let server = common::serve(world).await;
        let resolver = common::resolver(&server);
        for (name, case) in &scenario.tests {
            let Some(want) = expected(&case.cv) else {
                skipped += 1;
                continue;
            };
            ran += 1;
            let message = case.message.replace("\r\n", "\n").replace('\n', "\r\n");
            let verdict = auth::arc::verify(&resolver, message.as_bytes()).await;
            if verdict.result != want {
                failures.insert(
                    format!("{}/{name}", scenario.description.trim()),
                    format!(
                        "want {want:?}, got {:?} ({:?})",
                        verdict.result, verdict.problem
                    ),
                );
            }
        }
    }
    let unexpected: Vec<_> = failures
        .iter()
        .filter(|(name, _)| !EXPECTED_FAILURES.iter().any(|(n, _)| n == name))
        .collect();
    let fixed: Vec<_> = EXPECTED_FAILURES
        .iter()
        .filter(|(name, _)| !failures.contains_key(*name))
        .collect();
    eprintln!(
        "ARC suite: {ran} cases run, {} as the suite says, {} listed differences, {skipped} without an outcome",
        ran - failures.len(),
        failures.len() - unexpected.len()
    );
    assert!(
        unexpected.is_empty() && fixed.is_empty(),
        "unexpected: {unexpected:#?}\nlisted but now as the suite says: {fixed:#?}"
    );
}
