//! `sealane auth spf|verify|sign` against the test world's signed DNS: a
//! message signed by `auth sign` passes DKIM and DMARC in `auth verify`,
//! a changed one fails, and SPF shows its result and its lookups.

use std::path::Path;
use std::process::Output;

use testworld::dns::{Denial, DnsServer, DnsWorld};

const RSA_PEM: &str = include_str!("../../auth/tests/keys/rsa2048.pem");
const RSA_RECORD: &str = include_str!("../../auth/tests/keys/rsa2048.txt");

const MESSAGE: &str = "From: Alice <alice@sender.test>\n\
To: Bob <bob@receiver.test>\n\
Subject: Lunch\n\
Date: Wed, 02 Dec 2026 12:00:00 +0000\n\
Message-ID: <lunch.1@sender.test>\n\
\n\
Shall we meet at noon?\n";

async fn world() -> DnsServer {
    let mut world = DnsWorld::new();
    world
        .signed_zone("sender.test.", Denial::Nsec)
        .txt(
            "sender.test.",
            "v=spf1 ip4:192.0.2.0/24 include:_spf.sender.test -all",
        )
        .txt("_spf.sender.test.", "v=spf1 ip6:2001:db8::/32 -all")
        .txt("s1._domainkey.sender.test.", RSA_RECORD.trim())
        .txt("_dmarc.sender.test.", "v=DMARC1; p=reject");
    world.serve().await.unwrap()
}

async fn sealane(dns: &DnsServer, dir: &Path, args: &[&str]) -> Output {
    let anchor = dir.join("anchor");
    if !anchor.exists() {
        dns.write_trust_anchor(&anchor).unwrap();
    }
    tokio::process::Command::new(env!("CARGO_BIN_EXE_sealane"))
        .args(args)
        .args([
            "--dns-server",
            &dns.addr().to_string(),
            "--trust-anchor",
            anchor.to_str().unwrap(),
        ])
        .output()
        .await
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test]
async fn auth_spf_gives_the_result_and_every_lookup() {
    let dns = world().await;
    let dir = tempfile::tempdir().unwrap();
    let pass = sealane(
        &dns,
        dir.path(),
        &[
            "auth",
            "spf",
            "--ip",
            "2001:db8::25",
            "--sender",
            "alice@sender.test",
        ],
    )
    .await;
    assert_eq!(pass.status.code(), Some(0), "{}", text(&pass));
    let shown = text(&pass);
    assert!(
        shown.starts_with("spf pass for alice@sender.test from 2001:db8::25"),
        "{shown}"
    );
    assert!(
        shown.contains("1. sender.test TXT (DNSSEC: secure)"),
        "{shown}"
    );
    assert!(
        shown.contains("2. _spf.sender.test TXT (DNSSEC: secure)"),
        "{shown}"
    );

    let fail = sealane(
        &dns,
        dir.path(),
        &[
            "auth",
            "spf",
            "--ip",
            "198.51.100.7",
            "--sender",
            "alice@sender.test",
            "--helo",
            "mail.sender.test",
            "--json",
        ],
    )
    .await;
    assert_eq!(fail.status.code(), Some(3), "{}", text(&fail));
    let json: serde_json::Value = serde_json::from_slice(&fail.stdout).unwrap();
    assert_eq!(json["mail_from"]["result"], "fail");
    assert_eq!(json["mail_from"]["lookups"].as_array().unwrap().len(), 2);
    assert_eq!(json["helo"]["identity"], "helo");
}

#[tokio::test]
async fn auth_sign_then_verify_passes_dkim_and_dmarc_and_a_change_fails() {
    let dns = world().await;
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    std::fs::write(path("message.eml"), MESSAGE).unwrap();
    std::fs::write(path("s1.pem"), RSA_PEM).unwrap();

    let signed = sealane(
        &dns,
        dir.path(),
        &[
            "auth",
            "sign",
            &path("message.eml"),
            "--domain",
            "sender.test",
            "--selector",
            "s1",
            "--key",
            &path("s1.pem"),
            "--check",
        ],
    )
    .await;
    assert_eq!(signed.status.code(), Some(0), "{}", text(&signed));
    let signed_text = String::from_utf8(signed.stdout.clone()).unwrap();
    assert!(
        signed_text.starts_with("DKIM-Signature: v=1; a=rsa-sha256;"),
        "{signed_text}"
    );
    assert!(
        signed_text.ends_with(MESSAGE),
        "the file's own LF line ends are kept"
    );
    assert!(!signed_text.contains('\r'));
    std::fs::write(path("signed.eml"), &signed.stdout).unwrap();

    let verified = sealane(
        &dns,
        dir.path(),
        &[
            "auth",
            "verify",
            &path("signed.eml"),
            "--authserv-id",
            "mx.receiver.test",
            "--ip",
            "198.51.100.7",
            "--sender",
            "alice@sender.test",
        ],
    )
    .await;
    assert_eq!(verified.status.code(), Some(0), "{}", text(&verified));
    let shown = text(&verified);
    assert!(
        shown.starts_with("Authentication-Results: mx.receiver.test;"),
        "{shown}"
    );
    assert!(shown.contains("\narc none\n"), "{shown}");
    for part in [
        "spf=fail",
        "dkim=pass",
        "header.d=sender.test",
        "dmarc=pass",
    ] {
        assert!(shown.contains(part), "{part}: {shown}");
    }

    std::fs::write(path("changed.eml"), signed_text.replace("noon", "midnight")).unwrap();
    let changed = sealane(
        &dns,
        dir.path(),
        &["auth", "verify", &path("changed.eml"), "--json"],
    )
    .await;
    assert_eq!(changed.status.code(), Some(3), "{}", text(&changed));
    let json: serde_json::Value = serde_json::from_slice(&changed.stdout).unwrap();
    assert_eq!(json["dkim"][0]["result"], "fail");
    assert_eq!(json["dmarc"]["result"], "fail");
    assert_eq!(json["dmarc"]["disposition"], "reject");
    assert!(
        json["authentication_results"]
            .as_str()
            .unwrap()
            .contains("dmarc=fail")
    );
}

#[tokio::test]
async fn auth_sign_check_fails_when_the_published_key_is_another() {
    let dns = world().await;
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    std::fs::write(path("message.eml"), MESSAGE).unwrap();
    std::fs::write(
        path("other.pem"),
        include_str!("../../auth/tests/keys/ed25519.pem"),
    )
    .unwrap();
    let out = sealane(
        &dns,
        dir.path(),
        &[
            "auth",
            "sign",
            &path("message.eml"),
            "--domain",
            "sender.test",
            "--selector",
            "s1",
            "--key",
            &path("other.pem"),
            "--check",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("the key published at s1._domainkey.sender.test does not verify"),
        "{}",
        text(&out)
    );
    assert!(out.stdout.is_empty());
}
