//! DMARC findings against the DNS test world: one record or not, tags,
//! policy, pct, reporting and its authorization, alignment.

mod common;

use check::{Severity, check_dmarc};
use common::{at_most, ids, name, none, only, serve};
use testworld::dns::{Denial, DnsWorld, Fault};

/// A world with `_dmarc.example.test.` holding `record`.
fn world_with(record: &str) -> DnsWorld {
    let mut world = DnsWorld::new();
    world
        .signed_zone("example.test.", Denial::Nsec)
        .mx(10, "mx.example.test.")
        .txt("_dmarc.example.test.", record);
    world
}

async fn check(world: DnsWorld) -> Vec<check::Finding> {
    let env = serve(world).await;
    check_dmarc(&env.resolver, &name("example.test")).await
}

#[tokio::test]
async fn dmarc_reject_with_local_reports_passes() {
    let findings = check(world_with(
        "v=DMARC1; p=reject; rua=mailto:dmarc@example.test; adkim=s",
    ))
    .await;
    assert_eq!(
        ids(&findings),
        ["dmarc-record", "dmarc-policy", "dmarc-alignment"]
    );
    assert_eq!(
        findings[0].evidence,
        "_dmarc.example.test TXT (DNSSEC: secure): \
         \"v=DMARC1; p=reject; rua=mailto:dmarc@example.test; adkim=s\""
    );
    assert_eq!(findings[1].severity, Severity::Pass);
    let alignment = &findings[2];
    assert_eq!(alignment.severity, Severity::Info);
    assert_eq!(
        alignment.evidence,
        "adkim=s (strict: the domain must match exactly); aspf=r (relaxed, the default)"
    );
}

#[tokio::test]
async fn dmarc_missing_is_a_warning_with_the_record_to_publish() {
    let mut world = DnsWorld::new();
    world
        .signed_zone("example.test.", Denial::Nsec)
        .mx(10, "mx.example.test.");
    let findings = check(world).await;
    assert_eq!(ids(&findings), ["dmarc-missing"]);
    let finding = &findings[0];
    assert_eq!(finding.severity, Severity::Warning);
    assert_eq!(
        finding.evidence,
        "_dmarc.example.test TXT (DNSSEC: secure): no such name (NXDOMAIN)"
    );
    assert!(finding.remedy.contains(
        "at _dmarc.example.test: \"v=DMARC1; p=none; rua=mailto:dmarc-reports@example.test\""
    ));
}

#[tokio::test]
async fn dmarc_p_none_is_monitoring_only() {
    let findings = check(world_with("v=DMARC1; p=none; rua=mailto:d@example.test")).await;
    let finding = only(&findings, "dmarc-policy-none");
    assert_eq!(finding.severity, Severity::Warning);
    none(&findings, "dmarc-policy");
}

#[tokio::test]
async fn dmarc_pct_below_100_is_a_warning() {
    let findings = check(world_with(
        "v=DMARC1; p=quarantine; pct=25; rua=mailto:d@example.test",
    ))
    .await;
    let finding = only(&findings, "dmarc-pct");
    assert_eq!(finding.severity, Severity::Warning);
    assert!(
        finding
            .evidence
            .starts_with("pct=25: p=quarantine applies to 25% of failing mail")
    );
}

#[tokio::test]
async fn dmarc_bad_tag_values_are_errors_named_with_their_defaults() {
    let findings = check(world_with(
        "v=DMARC1; p=reject; pct=150; adkim=x; rua=mailto:d@example.test; foo=bar",
    ))
    .await;
    let bad: Vec<&str> = findings
        .iter()
        .filter(|f| f.id == "dmarc-bad-tag")
        .map(|f| f.evidence.as_str())
        .collect();
    assert_eq!(
        bad,
        [
            "pct=\"150\" is invalid: expected a whole number from 0 to 100",
            "adkim=\"x\" is invalid: expected r or s"
        ]
    );
    assert!(
        findings
            .iter()
            .filter(|f| f.id == "dmarc-bad-tag")
            .all(|f| f.severity == Severity::Error)
    );
    assert_eq!(only(&findings, "dmarc-unknown-tag").evidence, "foo");
    none(&findings, "dmarc-pct");
}

#[tokio::test]
async fn dmarc_without_p_or_valid_rua_is_a_syntax_error() {
    let findings = check(world_with("v=DMARC1; adkim=s")).await;
    assert_eq!(ids(&findings), ["dmarc-syntax"]);
    assert_eq!(findings[0].severity, Severity::Error);
    assert!(
        findings[0]
            .evidence
            .ends_with(": the required p= tag is missing, and there is no valid rua= tag")
    );
}

#[tokio::test]
async fn dmarc_without_p_but_with_valid_rua_is_p_none_and_a_warning() {
    let findings = check(world_with("v=DMARC1; rua=mailto:d@example.test")).await;
    let finding = only(&findings, "dmarc-policy-missing");
    assert_eq!(finding.severity, Severity::Warning);
    assert!(finding.evidence.contains("as if p=none"), "{finding:?}");
    only(&findings, "dmarc-policy-none");
    none(&findings, "dmarc-syntax");
    at_most(&findings, Severity::Warning);
}

#[tokio::test]
async fn dmarc_p_not_right_after_v_is_a_warning_and_applies() {
    let findings = check(world_with("v=DMARC1; rua=mailto:d@example.test; p=reject")).await;
    let finding = only(&findings, "dmarc-policy-not-second");
    assert_eq!(finding.severity, Severity::Warning);
    only(&findings, "dmarc-policy");
    none(&findings, "dmarc-syntax");
}

#[tokio::test]
async fn dmarc_leading_whitespace_is_an_error() {
    let findings = check(world_with(" v=DMARC1; p=reject")).await;
    assert_eq!(ids(&findings), ["dmarc-syntax"]);
    assert_eq!(findings[0].severity, Severity::Error);
    assert!(
        findings[0].evidence.contains("begins with white space"),
        "{:?}",
        findings[0]
    );
}

#[tokio::test]
async fn dmarc_spf_record_at_dmarc_is_an_error() {
    let findings = check(world_with("v=spf1 -all")).await;
    assert_eq!(ids(&findings), ["dmarc-unrelated-txt"]);
    assert_eq!(findings[0].severity, Severity::Error);
    assert!(findings[0].evidence.ends_with("\"v=spf1 -all\""));
}

#[tokio::test]
async fn dmarc_unrelated_txt_beside_the_record_is_a_warning() {
    let mut world = world_with("v=DMARC1; p=reject; rua=mailto:d@example.test");
    world
        .zone("example.test.")
        .unwrap()
        .txt("_dmarc.example.test.", "v=spf1 -all");
    let findings = check(world).await;
    let finding = only(&findings, "dmarc-extra-txt");
    assert_eq!(finding.severity, Severity::Warning);
    only(&findings, "dmarc-policy");
}

#[tokio::test]
async fn dmarc_invalid_report_uri_is_an_error() {
    let findings = check(world_with("v=DMARC1; p=reject; rua=dmarc@example.test")).await;
    let finding = only(&findings, "dmarc-bad-tag");
    assert_eq!(finding.severity, Severity::Error);
    assert!(finding.evidence.starts_with("rua: "), "{finding:?}");
}

#[tokio::test]
async fn dmarc_more_than_two_rua_destinations_is_a_warning() {
    let findings = check(world_with(
        "v=DMARC1; p=reject; rua=mailto:a@example.test,mailto:b@example.test,\
         mailto:c@example.test",
    ))
    .await;
    let finding = only(&findings, "dmarc-too-many-destinations");
    assert_eq!(finding.severity, Severity::Warning);
    assert!(finding.evidence.contains("3 destinations"), "{finding:?}");
    let findings = check(world_with(
        "v=DMARC1; p=reject; rua=mailto:a@example.test,mailto:b@example.test",
    ))
    .await;
    none(&findings, "dmarc-too-many-destinations");
}

#[tokio::test]
async fn dmarc_size_limit_is_an_obsolete_warning() {
    let findings = check(world_with(
        "v=DMARC1; p=reject; rua=mailto:a@example.test!10m",
    ))
    .await;
    let finding = only(&findings, "dmarc-size-limit");
    assert_eq!(finding.severity, Severity::Warning);
    assert!(
        finding
            .evidence
            .starts_with("rua=mailto:a@example.test!10m"),
        "{finding:?}"
    );
}

#[tokio::test]
async fn dmarc_lower_case_version_is_a_syntax_error_not_missing() {
    let findings = check(world_with("v=dmarc1; p=reject")).await;
    assert_eq!(ids(&findings), ["dmarc-syntax"]);
    assert!(findings[0].evidence.contains("must begin with v=DMARC1"));
}

#[tokio::test]
async fn dmarc_two_records_is_an_error() {
    let mut world = world_with("v=DMARC1; p=none");
    world
        .zone("example.test.")
        .unwrap()
        .txt("_dmarc.example.test.", "v=DMARC1; p=reject");
    let findings = check(world).await;
    assert_eq!(ids(&findings), ["dmarc-multiple-records"]);
    assert_eq!(findings[0].severity, Severity::Error);
}

#[tokio::test]
async fn dmarc_without_rua_gets_no_reports() {
    let findings = check(world_with("v=DMARC1; p=reject")).await;
    assert_eq!(only(&findings, "dmarc-no-rua").severity, Severity::Warning);
}

#[tokio::test]
async fn dmarc_subdomain_policy_weaker_than_p() {
    let findings = check(world_with(
        "v=DMARC1; p=reject; sp=none; rua=mailto:d@example.test",
    ))
    .await;
    assert_eq!(
        only(&findings, "dmarc-subdomain-policy-weaker").evidence,
        "p=reject but sp=none"
    );
}

#[tokio::test]
async fn dmarc_external_destination_that_authorizes_is_info() {
    let mut world = world_with("v=DMARC1; p=reject; rua=mailto:agg@reports.test");
    world
        .signed_zone("reports.test.", Denial::Nsec)
        .txt("example.test._report._dmarc.reports.test.", "v=DMARC1");
    let findings = check(world).await;
    let finding = only(&findings, "dmarc-external-destination");
    assert_eq!(finding.severity, Severity::Info);
    assert_eq!(
        finding.evidence,
        "rua=mailto:agg@reports.test: reports.test is outside example.test; it accepts them: \
         example.test._report._dmarc.reports.test TXT (DNSSEC: secure): \"v=DMARC1\""
    );
    none(&findings, "dmarc-external-destination-unauthorized");
}

#[tokio::test]
async fn dmarc_external_destination_without_authorization_is_a_warning() {
    let mut world = world_with(
        "v=DMARC1; p=reject; rua=mailto:agg@reports.test,mailto:d@example.test; \
         ruf=mailto:f@reports.test",
    );
    world
        .signed_zone("reports.test.", Denial::Nsec)
        .mx(10, "mx.reports.test.");
    let findings = check(world).await;
    let finding = only(&findings, "dmarc-external-destination-unauthorized");
    assert_eq!(finding.severity, Severity::Warning);
    assert!(finding.evidence.ends_with(
        "example.test._report._dmarc.reports.test TXT (DNSSEC: secure): no such name (NXDOMAIN)"
    ));
    // The same destination is checked once; ruf is noted.
    only(&findings, "dmarc-ruf");
}

#[tokio::test]
async fn dmarc_non_mailto_destination_is_a_warning() {
    let findings = check(world_with(
        "v=DMARC1; p=reject; rua=https://example.test/dmarc",
    ))
    .await;
    assert_eq!(
        only(&findings, "dmarc-uri-unsupported").evidence,
        "rua=https://example.test/dmarc"
    );
}

#[tokio::test]
async fn dmarc_lookup_failure_is_an_error() {
    let mut world = world_with("v=DMARC1; p=reject");
    world.zone("example.test.").unwrap().fault(Fault::ServFail);
    let findings = check(world).await;
    assert_eq!(ids(&findings), ["dmarc-lookup-failed"]);
}
