//! DKIM key record findings for a selector, against the DNS test world.

mod common;

use check::{Area, Severity, check_dkim};
use common::{ids, name, serve};
use testworld::dns::{Denial, DnsWorld};

/// An RSA-2048 key (SubjectPublicKeyInfo), as `sealane dkim keygen` makes.
const RSA2048: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA04Q6NljsBLpHZRrxUAB36hXP1dEOv2H1EvgGhtr5Q+txrnULNSNqZKQDfyQ7ZEoteMPGHKWlvoYXrtith6lh1QD73uF6ZL7434P5PWhVH0OmJfNWBhKAiWtKoDqgmqTahqMpzIEODrOerl2sIK3ALra37vkOops0FD7+MTMyablGEKl7LJGVQ0q3uyPkoVuYKN/kWjTX+zZBag7pqutT9XsSe2E7Wfn+5UcdtYOoSMuyLY3ufQOr2io04mjJywe9Uh2dYZJ6UX4w1N3Wud/9a6IIO8dPCOgyy6bAIrEKenm+Bso0Tktpvdp3jZiFZhxHXSz4/mqfawYUIdHcAh71IQIDAQAB";
/// RSA-1024 and RSA-512 keys made by `openssl genpkey`.
const RSA1024: &str = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDPEzu7kW/NL9rohsO0qwvAJoInP+u03qcRitPs/d+Gd3BJqvjcAf7++qSNiUUAU36yEYknmIhljfNhpsgbW8eo0Z4UOhTvFgdNgQQpoxw8Vn4Qboh/Jh44F48ChHwyCz5noprlHHah5QhAhua0iaVyRgfJy93qEkIawxr2NgOHZQIDAQAB";
const RSA512: &str = "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBANgASHB1rNV2FbDDW/m75nlLX/xjFVtwWVeyYpzsQ0Era+/6UsCbSj07E6V/LiRHNUSSGmeI18zEqFvkVkbG5LkCAwEAAQ==";
/// RFC 8463 Appendix A.2's Ed25519 key.
const ED25519: &str = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

/// `example.test` with the given TXT records at `s1._domainkey`.
async fn check(records: &[&str]) -> Vec<check::Finding> {
    let mut world = DnsWorld::new();
    let zone = world.signed_zone("example.test.", Denial::Nsec);
    zone.mx(10, "mx.example.test.");
    for record in records {
        zone.txt("s1._domainkey.example.test.", record);
    }
    let env = serve(world).await;
    check_dkim(&env.resolver, &name("example.test"), "s1").await
}

#[tokio::test]
async fn dkim_rsa2048_and_ed25519_keys_pass_with_their_size() {
    let findings = check(&[&format!("v=DKIM1; k=rsa; p={RSA2048}")]).await;
    assert_eq!(ids(&findings), ["dkim-key-valid"]);
    let finding = &findings[0];
    assert_eq!(
        (finding.area, finding.severity),
        (Area::Dkim, Severity::Pass)
    );
    assert_eq!(
        finding.evidence,
        "s1._domainkey.example.test TXT (DNSSEC: secure): selector s1, rsa key of 2048 bits"
    );
    let findings = check(&[&format!("v=DKIM1; k=ed25519; p={ED25519}")]).await;
    assert_eq!(ids(&findings), ["dkim-key-valid"]);
    assert!(findings[0].evidence.ends_with("ed25519 key of 256 bits"));
}

#[tokio::test]
async fn dkim_missing_key_is_an_error_naming_the_selector() {
    let findings = check(&[]).await;
    assert_eq!(ids(&findings), ["dkim-missing"]);
    assert_eq!(findings[0].severity, Severity::Error);
    assert!(
        findings[0]
            .evidence
            .contains("s1._domainkey.example.test TXT")
    );
    assert!(
        findings[0].remedy.contains("at s1._domainkey.example.test"),
        "{}",
        findings[0].remedy
    );
}

#[tokio::test]
async fn dkim_malformed_records_say_why() {
    for (record, why) in [
        ("v=DKIM1; k=rsa", "the required p= tag is missing"),
        ("k=rsa; v=DKIM1; p=AAAA", "v= must be the first tag"),
        ("v=DKIM1; p=not*base64", "p= is not base64"),
        (
            "v=DKIM1; k=ed25519; p=AAAA",
            "does not hold an Ed25519 public key",
        ),
        ("v=DKIM1; k=dsa; p=AAAA", "unknown key type k=dsa"),
    ] {
        let findings = check(&[record]).await;
        assert_eq!(ids(&findings), ["dkim-malformed"], "{record}");
        assert!(
            findings[0].evidence.contains(why),
            "{record}: {findings:#?}"
        );
    }
}

#[tokio::test]
async fn dkim_revoked_key_is_an_error() {
    let findings = check(&["v=DKIM1; k=rsa; p="]).await;
    assert_eq!(ids(&findings), ["dkim-revoked"]);
    assert_eq!(findings[0].severity, Severity::Error);
}

#[tokio::test]
async fn dkim_key_length_follows_rfc8301() {
    let findings = check(&[&format!("v=DKIM1; p={RSA512}")]).await;
    assert_eq!(ids(&findings), ["dkim-key-too-short"]);
    assert!(findings[0].evidence.ends_with("rsa key of 512 bits"));
    let findings = check(&[&format!("v=DKIM1; p={RSA1024}")]).await;
    assert_eq!(ids(&findings), ["dkim-key-valid", "dkim-key-weak"]);
    assert_eq!(findings[1].severity, Severity::Warning);
    assert!(findings[1].evidence.ends_with("rsa key of 1024 bits"));
}

#[tokio::test]
async fn dkim_testing_flag_sha1_and_services_are_named() {
    let findings = check(&[&format!("v=DKIM1; t=y; p={RSA2048}")]).await;
    assert_eq!(ids(&findings), ["dkim-key-valid", "dkim-testing"]);
    let findings = check(&[&format!("v=DKIM1; h=sha1; s=tlsrpt; p={RSA2048}")]).await;
    assert_eq!(ids(&findings), ["dkim-sha1-only", "dkim-not-for-email"]);
}

#[tokio::test]
async fn dkim_two_records_at_one_selector_are_a_warning() {
    let findings = check(&[
        &format!("v=DKIM1; p={RSA2048}"),
        &format!("v=DKIM1; k=ed25519; p={ED25519}"),
    ])
    .await;
    assert_eq!(ids(&findings), ["dkim-multiple-records"]);
    assert_eq!(findings[0].severity, Severity::Warning);
}

#[tokio::test]
async fn dkim_lookup_failure_is_not_a_missing_key() {
    let mut world = DnsWorld::new();
    world
        .signed_zone("example.test.", Denial::Nsec)
        .txt(
            "s1._domainkey.example.test.",
            &format!("v=DKIM1; p={RSA2048}"),
        )
        .rrset_fault(
            "s1._domainkey.example.test.",
            "TXT",
            testworld::dns::Fault::ExpiredSignatures,
        );
    let env = serve(world).await;
    let findings = check_dkim(&env.resolver, &name("example.test"), "s1").await;
    assert_eq!(ids(&findings), ["dkim-lookup-failed"]);
    assert!(findings[0].evidence.contains("bogus"), "{findings:#?}");
}
