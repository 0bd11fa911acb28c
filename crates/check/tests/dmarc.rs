//! DMARC findings against the DNS test world: one record or not, tags,
//! policy, pct, reporting and its authorization, alignment.

mod common;

use check::{Severity, check_dmarc};
use common::{ids, name, none, only, serve};
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
async fn dmarc_bad_tag_values_are_named_and_defaults_apply() {
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
    assert_eq!(only(&findings, "dmarc-unknown-tag").evidence, "foo");
    none(&findings, "dmarc-pct");
}

#[tokio::test]
async fn dmarc_without_p_is_a_syntax_error() {
    let findings = check(world_with("v=DMARC1; rua=mailto:d@example.test")).await;
    assert_eq!(ids(&findings), ["dmarc-syntax"]);
    assert_eq!(findings[0].severity, Severity::Error);
    assert!(
        findings[0]
            .evidence
            .ends_with(": the required p= tag is missing")
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
