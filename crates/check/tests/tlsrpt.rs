//! TLS-RPT findings against the DNS test world.

mod common;

use check::{Area, Severity, check_tlsrpt};
use common::{ids, name, only, serve};
use testworld::dns::{Denial, DnsWorld};

fn world_with(records: &[&str]) -> DnsWorld {
    let mut world = DnsWorld::new();
    let zone = world.signed_zone("example.test.", Denial::Nsec);
    zone.mx(10, "mx.example.test.");
    for record in records {
        zone.txt("_smtp._tls.example.test.", record);
    }
    world
}

async fn check(world: DnsWorld) -> Vec<check::Finding> {
    let env = serve(world).await;
    check_tlsrpt(&env.resolver, &name("example.test")).await
}

#[tokio::test]
async fn tlsrpt_valid_record_passes() {
    let findings = check(world_with(&[
        "v=TLSRPTv1; rua=mailto:tlsrpt@example.test,https://reports.example.test/v1",
    ]))
    .await;
    assert_eq!(ids(&findings), ["tlsrpt-record"]);
    let finding = &findings[0];
    assert_eq!(finding.area, Area::TlsRpt);
    assert_eq!(finding.severity, Severity::Pass);
    assert!(
        finding
            .evidence
            .starts_with("_smtp._tls.example.test TXT (DNSSEC: secure): ")
    );
    assert!(
        finding
            .evidence
            .ends_with("reports go to mailto:tlsrpt@example.test, https://reports.example.test/v1")
    );
}

#[tokio::test]
async fn tlsrpt_missing_is_a_warning_with_the_record_to_publish() {
    let findings = check(world_with(&[])).await;
    assert_eq!(ids(&findings), ["tlsrpt-missing"]);
    assert_eq!(findings[0].severity, Severity::Warning);
    assert!(
        findings[0]
            .remedy
            .contains("at _smtp._tls.example.test: \"v=TLSRPTv1; rua=mailto:tlsrpt@example.test\"")
    );
}

#[tokio::test]
async fn tlsrpt_without_rua_is_malformed() {
    let findings = check(world_with(&["v=TLSRPTv1; ruf=mailto:x@example.test"])).await;
    assert_eq!(ids(&findings), ["tlsrpt-syntax"]);
    assert_eq!(findings[0].severity, Severity::Error);
    assert!(
        findings[0]
            .evidence
            .ends_with("the required rua= field is missing")
    );
}

#[tokio::test]
async fn tlsrpt_wrong_version_is_malformed_not_missing() {
    let findings = check(world_with(&["v=TLSRPTv2; rua=mailto:x@example.test"])).await;
    assert_eq!(ids(&findings), ["tlsrpt-syntax"]);
    assert!(findings[0].evidence.contains("must begin with v=TLSRPTv1"));
}

#[tokio::test]
async fn tlsrpt_bad_uris_are_named() {
    let findings = check(world_with(&[
        "v=TLSRPTv1; rua=tlsrpt@example.test, mailto:ok@example.test",
    ]))
    .await;
    assert_eq!(ids(&findings), ["tlsrpt-record", "tlsrpt-bad-uri"]);
    assert!(
        findings[1]
            .evidence
            .starts_with("rua \"tlsrpt@example.test\": ")
    );
}

#[tokio::test]
async fn tlsrpt_with_no_usable_destination_is_an_error() {
    let findings = check(world_with(&["v=TLSRPTv1; rua=ftp://reports.example.test/"])).await;
    assert_eq!(ids(&findings), ["tlsrpt-bad-uri", "tlsrpt-no-usable-rua"]);
    assert_eq!(
        only(&findings, "tlsrpt-no-usable-rua").severity,
        Severity::Error
    );
}

#[tokio::test]
async fn tlsrpt_two_records_is_an_error() {
    let findings = check(world_with(&[
        "v=TLSRPTv1; rua=mailto:a@example.test",
        "v=TLSRPTv1; rua=mailto:b@example.test",
    ]))
    .await;
    assert_eq!(ids(&findings), ["tlsrpt-multiple-records"]);
}
