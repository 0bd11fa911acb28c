//! DKIM verification and signing: the RFC 8463 Appendix A vectors (an
//! Ed25519 and an RSA-SHA256 signature over one message, RFC 6376
//! relaxed/relaxed), RFC 8301 minimums, and our own signatures verified
//! through test-world DNS.
//!
//! RFC 6376's own Appendix A example is not used: its signature does not
//! verify as published (erratum 3192); RFC 8463's vectors exercise the
//! same RFC 6376 algorithm with a verifiable RSA signature.

mod common;

use auth::dkim::verify;
use auth::{DkimKey, DkimResult, DkimSigner};
use testworld::dns::{Denial, DnsWorld};

/// RFC 8463 Appendix A.2 and A.3 key records.
const ED25519_RECORD: &str = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
const RSA_RECORD: &str = "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB";

/// RFC 8463 Appendix A.3: the signed message.
const RFC8463_MESSAGE: &str = "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r
 d=football.example.com; i=@football.example.com;\r
 q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r
 subject : date : message-id : from : subject : date;\r
 bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r
 b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r
 Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r
DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r
 d=football.example.com; i=@football.example.com;\r
 q=dns/txt; s=test; t=1528637909; h=from : to : subject :\r
 date : message-id : from : subject : date;\r
 bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r
 b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\r
 DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\r
 dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=\r
From: Joe SixPack <joe@football.example.com>\r
To: Suzie Q <suzie@shopping.example.net>\r
Subject: Is dinner ready?\r
Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r
Message-ID: <20030712040037.46341.5F8J@football.example.com>\r
\r
Hi.\r
\r
We lost the game.  Are you hungry yet?\r
\r
Joe.\r
";

const OUR_MESSAGE: &str = "From: Alice <alice@sender.test>\r
To: Bob <bob@receiver.test>\r
Subject: Lunch\r
Date: Wed, 02 Dec 2026 12:00:00 +0000\r
Message-ID: <lunch.1@sender.test>\r
MIME-Version: 1.0\r
Content-Type: text/plain; charset=utf-8\r
\r
Shall we meet at noon?\r
";

fn football() -> DnsWorld {
    let mut world = DnsWorld::new();
    world
        .signed_zone("football.example.com.", Denial::Nsec)
        .txt("brisbane._domainkey.football.example.com.", ED25519_RECORD)
        .txt("test._domainkey.football.example.com.", RSA_RECORD);
    world
}

fn sender_world() -> DnsWorld {
    let mut world = DnsWorld::new();
    let zone = world.signed_zone("sender.test.", Denial::Nsec);
    common::long_txt(
        zone,
        "rsa._domainkey.sender.test.",
        include_str!("keys/rsa2048.txt").trim(),
    );
    common::long_txt(
        zone,
        "ed._domainkey.sender.test.",
        include_str!("keys/ed25519.txt").trim(),
    );
    world
}

#[tokio::test]
async fn rfc8463_ed25519_and_rsa_vectors_verify() {
    let server = common::serve(football()).await;
    let resolver = common::resolver(&server);
    let verdicts = verify(&resolver, RFC8463_MESSAGE.as_bytes()).await;
    assert_eq!(verdicts.len(), 2);
    let ed = &verdicts[0];
    assert_eq!(
        (ed.result, ed.algorithm.as_str(), ed.selector.as_str()),
        (DkimResult::Pass, "ed25519-sha256", "brisbane"),
        "{ed:?}"
    );
    let rsa = &verdicts[1];
    assert_eq!(
        (rsa.result, rsa.algorithm.as_str()),
        (DkimResult::Pass, "rsa-sha256"),
        "{rsa:?}"
    );
    assert_eq!(ed.domain, "football.example.com");
    assert_eq!(ed.key_dnssec, Some(dns::DnssecStatus::Secure));
}

#[tokio::test]
async fn new_keys_sign_mail_that_verifies_through_their_published_records() {
    let rsa = auth::dkim::generate(auth::dkim::KeyAlgorithm::Rsa).unwrap();
    let ed = auth::dkim::generate(auth::dkim::KeyAlgorithm::Ed25519).unwrap();
    let mut world = DnsWorld::new();
    world
        .signed_zone("sender.test.", Denial::Nsec)
        .txt("new-rsa._domainkey.sender.test.", &rsa.key.record())
        .txt("new-ed._domainkey.sender.test.", &ed.key.record());
    let server = common::serve(world).await;
    let resolver = common::resolver(&server);
    let mut signed = Vec::new();
    for (selector, new) in [("new-rsa", rsa), ("new-ed", ed)] {
        // The key as the server reads it: from the PEM written to the file.
        let key = DkimKey::from_pem(&new.pem).unwrap();
        let signer = DkimSigner::new("sender.test", selector, key);
        signed.extend(signer.sign(OUR_MESSAGE.as_bytes()).unwrap().into_bytes());
    }
    signed.extend(OUR_MESSAGE.as_bytes());
    let verdicts = verify(&resolver, &signed).await;
    let results: Vec<(DkimResult, &str)> = verdicts
        .iter()
        .map(|v| (v.result, v.algorithm.as_str()))
        .collect();
    assert_eq!(
        results,
        [
            (DkimResult::Pass, "rsa-sha256"),
            (DkimResult::Pass, "ed25519-sha256")
        ],
        "{verdicts:?}"
    );
}

#[tokio::test]
async fn rfc8463_vectors_fail_when_the_body_changes() {
    let server = common::serve(football()).await;
    let resolver = common::resolver(&server);
    let tampered = RFC8463_MESSAGE.replace("hungry", "thirsty");
    let verdicts = verify(&resolver, tampered.as_bytes()).await;
    assert_eq!(verdicts.len(), 2);
    assert!(
        verdicts.iter().all(|v| v.result == DkimResult::Fail),
        "{verdicts:?}"
    );
}

#[tokio::test]
async fn rfc8463_vectors_fail_when_a_signed_header_changes() {
    let server = common::serve(football()).await;
    let resolver = common::resolver(&server);
    let tampered = RFC8463_MESSAGE.replace("Is dinner ready?", "Is lunch ready?");
    let verdicts = verify(&resolver, tampered.as_bytes()).await;
    assert!(
        verdicts.iter().all(|v| v.result == DkimResult::Fail),
        "{verdicts:?}"
    );
}

#[tokio::test]
async fn a_missing_key_is_a_permerror_and_a_silent_server_a_temperror() {
    let mut world = DnsWorld::new();
    world
        .signed_zone("football.example.com.", Denial::Nsec)
        .txt("brisbane._domainkey.football.example.com.", ED25519_RECORD)
        .rrset_fault(
            "brisbane._domainkey.football.example.com.",
            "TXT",
            testworld::dns::Fault::Timeout,
        );
    let server = common::serve(world).await;
    let resolver = common::resolver(&server);
    let verdicts = verify(&resolver, RFC8463_MESSAGE.as_bytes()).await;
    assert_eq!(
        verdicts[0].result,
        DkimResult::TempError,
        "{:?}",
        verdicts[0]
    );
    assert_eq!(
        verdicts[1].result,
        DkimResult::PermError,
        "{:?}",
        verdicts[1]
    );
}

#[tokio::test]
async fn a_bogus_key_record_is_not_used() {
    let mut world = football();
    world
        .zone("football.example.com.")
        .expect("declared")
        .rrset_fault(
            "brisbane._domainkey.football.example.com.",
            "TXT",
            testworld::dns::Fault::ExpiredSignatures,
        );
    let server = common::serve(world).await;
    let resolver = common::resolver(&server);
    let verdicts = verify(&resolver, RFC8463_MESSAGE.as_bytes()).await;
    assert_eq!(
        verdicts[0].result,
        DkimResult::TempError,
        "{:?}",
        verdicts[0]
    );
    assert_eq!(verdicts[1].result, DkimResult::Pass);
}

#[tokio::test]
async fn our_rsa_2048_and_ed25519_signatures_verify_and_oversign() {
    let server = common::serve(sender_world()).await;
    let resolver = common::resolver(&server);
    let rsa = DkimSigner::new(
        "sender.test",
        "rsa",
        DkimKey::from_pem(include_str!("keys/rsa2048.pem")).expect("RSA key"),
    );
    let ed = DkimSigner::new(
        "sender.test",
        "ed",
        DkimKey::from_pem(include_str!("keys/ed25519.pem")).expect("Ed25519 key"),
    );
    let mut signed = ed.sign(OUR_MESSAGE.as_bytes()).expect("signs");
    signed.push_str(&rsa.sign(OUR_MESSAGE.as_bytes()).expect("signs"));
    for name in ["from", "subject", "to", "date", "message-id"] {
        let h = signed.to_ascii_lowercase();
        let listed = h
            .split("h=")
            .nth(1)
            .and_then(|rest| rest.split(';').next())
            .expect("h= tag")
            .split(':')
            .filter(|n| n.trim() == name)
            .count();
        assert_eq!(
            listed, 2,
            "{name} is signed once and oversigned once: {signed}"
        );
    }
    assert!(signed.contains("c=relaxed/relaxed"), "{signed}");
    let message = format!("{signed}{OUR_MESSAGE}");
    let verdicts = verify(&resolver, message.as_bytes()).await;
    assert_eq!(verdicts.len(), 2);
    assert!(
        verdicts.iter().all(|v| v.result == DkimResult::Pass),
        "{verdicts:?}"
    );
    assert_eq!(verdicts[0].algorithm, "ed25519-sha256");
    assert_eq!(verdicts[1].algorithm, "rsa-sha256");

    // An added second From (or Subject) breaks the oversigned signature.
    let forged = format!("{signed}From: Mallory <m@evil.test>\r\n{OUR_MESSAGE}");
    let verdicts = verify(&resolver, forged.as_bytes()).await;
    assert!(
        verdicts.iter().all(|v| v.result == DkimResult::Fail),
        "{verdicts:?}"
    );
}

#[test]
fn rsa_keys_under_2048_bits_are_refused_for_signing() {
    let err = DkimKey::from_pem(include_str!("keys/rsa1024.pem"))
        .err()
        .expect("a 1024-bit key is refused");
    assert!(matches!(err, auth::dkim::KeyError::TooShort), "{err}");
}
