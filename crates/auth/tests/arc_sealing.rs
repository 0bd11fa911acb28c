//! ARC sealing: a message we seal verifies with our ARC verifier (cv=none
//! for the first set, cv=pass for the next), carries our results in the
//! ARC-Authentication-Results, and breaks when the message changes after.

mod common;

use std::net::{IpAddr, Ipv4Addr};

use auth::{ArcResult, ArcSealer, DkimKey, DkimSigner, SealInput};
use testworld::dns::{Denial, DnsWorld};

const MESSAGE: &str = "From: Alice <alice@sender.test>\r
To: list@forwarder.test\r
Subject: Minutes\r
Date: Wed, 02 Dec 2026 12:00:00 +0000\r
Message-ID: <minutes.1@sender.test>\r
\r
The minutes are attached.\r
";

const RSA_PEM: &str = include_str!("keys/rsa2048.pem");
const RSA_RECORD: &str = include_str!("keys/rsa2048.txt");

fn world() -> DnsWorld {
    let mut world = DnsWorld::new();
    world
        .signed_zone("sender.test.", Denial::Nsec)
        .txt("s1._domainkey.sender.test.", RSA_RECORD.trim())
        .txt("_dmarc.sender.test.", "v=DMARC1; p=reject");
    world
        .signed_zone("forwarder.test.", Denial::Nsec)
        .txt("arc._domainkey.forwarder.test.", RSA_RECORD.trim());
    world
        .signed_zone("second.test.", Denial::Nsec)
        .txt("arc._domainkey.second.test.", RSA_RECORD.trim());
    world
}

fn sealer(domain: &str) -> ArcSealer {
    let key = DkimKey::from_pem(RSA_PEM).unwrap();
    ArcSealer::new(domain, "arc", key, &format!("mx.{domain}"))
}

fn on_top(headers: &str, message: &[u8]) -> Vec<u8> {
    let mut out = headers.as_bytes().to_vec();
    out.extend_from_slice(message);
    out
}

#[tokio::test]
async fn a_sealed_message_verifies_and_a_second_seal_passes_the_chain() {
    let server = common::serve(world()).await;
    let resolver = common::resolver(&server);
    let signer = DkimSigner::new("sender.test", "s1", DkimKey::from_pem(RSA_PEM).unwrap());
    let signed = on_top(
        &signer.sign(MESSAGE.as_bytes()).unwrap(),
        MESSAGE.as_bytes(),
    );

    let dkim = auth::dkim::verify(&resolver, &signed).await;
    let dmarc = auth::dmarc::evaluate(&resolver, "sender.test", &none_spf(), &dkim, 0).await;
    let input = SealInput {
        ip: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
        helo: "mail.sender.test",
        mail_from: "alice@sender.test",
        spf: None,
        dmarc: Some(&dmarc),
    };
    let first = sealer("forwarder.test")
        .seal(&resolver, &signed, &input)
        .await
        .unwrap();
    assert!(first.contains("ARC-Seal: i=1;"), "{first}");
    assert!(first.contains("cv=none"), "{first}");
    assert!(
        first.contains("ARC-Authentication-Results: i=1; mx.forwarder.test;"),
        "{first}"
    );
    assert!(first.contains("dkim=pass"), "{first}");
    assert!(first.contains("dmarc=pass"), "{first}");
    let sealed = on_top(&first, &signed);
    let verdict = auth::arc::verify(&resolver, &sealed).await;
    assert_eq!(verdict.result, ArcResult::Pass, "{verdict:?}");
    assert_eq!(verdict.hops[0].sealer, "forwarder.test");
    assert_eq!(verdict.hops[0].dmarc.as_deref(), Some("pass"));

    // A second hop seals over the first: i=2, cv=pass, and the chain holds.
    let second = sealer("second.test")
        .seal(&resolver, &sealed, &input)
        .await
        .unwrap();
    assert!(
        second.contains("ARC-Seal: i=2;") && second.contains("cv=pass"),
        "{second}"
    );
    let twice = on_top(&second, &sealed);
    let verdict = auth::arc::verify(&resolver, &twice).await;
    assert_eq!(verdict.result, ArcResult::Pass, "{verdict:?}");
    assert_eq!(verdict.hops.len(), 2);

    // A change after sealing breaks the newest message signature.
    let changed = String::from_utf8(twice)
        .unwrap()
        .replace("attached", "lost");
    let verdict = auth::arc::verify(&resolver, changed.as_bytes()).await;
    assert_eq!(verdict.result, ArcResult::Fail, "{verdict:?}");
}

#[tokio::test]
async fn a_failed_chain_is_not_extended() {
    let server = common::serve(world()).await;
    let resolver = common::resolver(&server);
    let input = SealInput {
        ip: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
        helo: "mail.sender.test",
        mail_from: "alice@sender.test",
        spf: None,
        dmarc: None,
    };
    let first = sealer("forwarder.test")
        .seal(&resolver, MESSAGE.as_bytes(), &input)
        .await
        .unwrap();
    let broken = String::from_utf8(on_top(&first, MESSAGE.as_bytes()))
        .unwrap()
        .replace("attached", "lost");
    let second = sealer("second.test")
        .seal(&resolver, broken.as_bytes(), &input)
        .await;
    // RFC 8617 §5.1.2: a chain that failed gets one more set with
    // cv=fail, and no more after it.
    let headers = second.unwrap();
    assert!(
        headers.contains("ARC-Seal: i=2;") && headers.contains("cv=fail"),
        "{headers}"
    );
    let ended = on_top(&headers, broken.as_bytes());
    let third = sealer("forwarder.test")
        .seal(&resolver, &ended, &input)
        .await;
    assert!(
        matches!(third, Err(auth::SealError::Chain(_))),
        "a cv=fail chain is never extended"
    );
}

fn none_spf() -> auth::SpfVerdict {
    auth::SpfVerdict {
        result: auth::SpfResult::None,
        identity: auth::Identity::MailFrom,
        sender: String::new(),
        domain: String::new(),
        explanation: None,
        problem: None,
        lookups: Vec::new(),
    }
}
