//! Prints the per-message cost of DKIM signing and verification (RSA-2048
//! and Ed25519), keys served by a test-world DNS zone and kept in the
//! resolver's cache after the first message, as on a busy server.
//!
//! `cargo run -p sealane-auth --example dkim_cost [--release] [N]`

use std::time::Instant;

use auth::{DkimKey, DkimResult, DkimSigner};
use testworld::dns::{Denial, DnsWorld};

const MESSAGE: &str = "From: Alice <alice@sender.test>\r\nTo: Bob <bob@receiver.test>\r\n\
Subject: Cost\r\nDate: Wed, 02 Dec 2026 12:00:00 +0000\r\nMessage-ID: <cost@sender.test>\r\n\r\n";

fn txt(zone: &mut testworld::dns::ZoneSpec, owner: &str, text: &str) {
    let strings: Vec<String> = text
        .as_bytes()
        .chunks(255)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    let name = hickory_proto::rr::Name::from_ascii(owner).expect("owner");
    zone.record(hickory_proto::rr::Record::from_rdata(
        name,
        300,
        hickory_proto::rr::RData::TXT(hickory_proto::rr::rdata::TXT::new(strings)),
    ));
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    let mut world = DnsWorld::new();
    let zone = world.signed_zone("sender.test.", Denial::Nsec);
    txt(
        zone,
        "rsa._domainkey.sender.test.",
        include_str!("../tests/keys/rsa2048.txt").trim(),
    );
    txt(
        zone,
        "ed._domainkey.sender.test.",
        include_str!("../tests/keys/ed25519.txt").trim(),
    );
    let server = world.serve().await.expect("DNS starts");
    let anchors = dns::TrustAnchor::parse(&server.trust_anchor_ds()).expect("DS");
    let resolver = dns::Resolver::new(
        dns::ResolverConfig::new(vec![server.addr()]).with_trust_anchors(anchors),
    );
    let body = "Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n".repeat(60);
    let message = format!("{MESSAGE}{body}");
    for (selector, pem) in [
        ("rsa", include_str!("../tests/keys/rsa2048.pem")),
        ("ed", include_str!("../tests/keys/ed25519.pem")),
    ] {
        let signer = DkimSigner::new(
            "sender.test",
            selector,
            DkimKey::from_pem(pem).expect("key"),
        );
        let start = Instant::now();
        let mut header = String::new();
        for _ in 0..n {
            header = signer.sign(message.as_bytes()).expect("signs");
        }
        let sign = start.elapsed() / n;
        let signed = format!("{header}{message}");
        let first = auth::dkim::verify(&resolver, signed.as_bytes()).await;
        assert!(
            first.iter().all(|v| v.result == DkimResult::Pass),
            "{first:?}"
        );
        let start = Instant::now();
        for _ in 0..n {
            let v = auth::dkim::verify(&resolver, signed.as_bytes()).await;
            assert_eq!(v[0].result, DkimResult::Pass);
        }
        let verify = start.elapsed() / n;
        println!(
            "{selector:>3}: sign {sign:?}/message, verify {verify:?}/message (key cached; {} byte message, {n} runs)",
            signed.len()
        );
    }
}
