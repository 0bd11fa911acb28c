//! DKIM interoperability helper for `interop/dkim-python.sh`.
//!
//! `dkim_interop sign DOMAIN SELECTOR KEY.pem < message` prints the message
//! with Sealane's DKIM-Signature on top.
//!
//! `dkim_interop seal DOMAIN SELECTOR KEY.pem < message` prints the message
//! with Sealane's ARC set on top (RFC 8617; a message with no chain before,
//! so no DNS answer is needed).
//!
//! `dkim_interop verify DOMAIN SELECTOR RECORD < message` serves RECORD at
//! `SELECTOR._domainkey.DOMAIN` from a test-world DNS zone, verifies the
//! message through Sealane's resolver, prints each result and exits 0 only
//! when every signature passes.

use std::io::Read;

use auth::{DkimKey, DkimResult, DkimSigner};
use testworld::dns::{Denial, DnsWorld};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut message = Vec::new();
    std::io::stdin()
        .read_to_end(&mut message)
        .expect("message on stdin");
    match args.get(1).map(String::as_str) {
        Some("sign") if args.len() == 5 => {
            let pem = std::fs::read_to_string(&args[4]).expect("key file");
            let key = DkimKey::from_pem(&pem).expect("usable key");
            let header = DkimSigner::new(&args[2], &args[3], key)
                .sign(&message)
                .expect("signs");
            print!("{header}");
            print!("{}", String::from_utf8_lossy(&message));
        }
        Some("seal") if args.len() == 5 => {
            let pem = std::fs::read_to_string(&args[4]).expect("key file");
            let key = DkimKey::from_pem(&pem).expect("usable key");
            let server = DnsWorld::new().serve().await.expect("DNS starts");
            let anchors = dns::TrustAnchor::parse(&server.trust_anchor_ds()).expect("DS");
            let resolver = dns::Resolver::new(
                dns::ResolverConfig::new(vec![server.addr()]).with_trust_anchors(anchors),
            );
            let input = auth::SealInput {
                ip: std::net::IpAddr::from([192, 0, 2, 1]),
                helo: "mail.sender.test",
                mail_from: "alice@sender.test",
                spf: None,
                dmarc: None,
            };
            let headers = auth::ArcSealer::new(&args[2], &args[3], key, &format!("mx.{}", args[2]))
                .seal(&resolver, &message, &input)
                .await
                .expect("seals");
            print!("{headers}");
            print!("{}", String::from_utf8_lossy(&message));
        }
        Some("verify") if args.len() == 5 => {
            let (domain, selector, record) = (&args[2], &args[3], &args[4]);
            let mut world = DnsWorld::new();
            let zone = world.signed_zone(&format!("{domain}."), Denial::Nsec);
            let strings: Vec<String> = record
                .as_bytes()
                .chunks(255)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect();
            let mut owner =
                hickory_proto::rr::Name::from_ascii(format!("{selector}._domainkey.{domain}."))
                    .expect("owner name");
            owner.set_fqdn(true);
            zone.record(hickory_proto::rr::Record::from_rdata(
                owner,
                300,
                hickory_proto::rr::RData::TXT(hickory_proto::rr::rdata::TXT::new(strings)),
            ));
            let server = world.serve().await.expect("DNS starts");
            let anchors = dns::TrustAnchor::parse(&server.trust_anchor_ds()).expect("DS");
            let resolver = dns::Resolver::new(
                dns::ResolverConfig::new(vec![server.addr()]).with_trust_anchors(anchors),
            );
            let verdicts = auth::dkim::verify(&resolver, &message).await;
            for v in &verdicts {
                println!(
                    "dkim={} d={} s={} a={} {:?}",
                    v.result, v.domain, v.selector, v.algorithm, v.problem
                );
            }
            let ok = !verdicts.is_empty() && verdicts.iter().all(|v| v.result == DkimResult::Pass);
            std::process::exit(if ok { 0 } else { 1 });
        }
        _ => {
            eprintln!(
                "usage: dkim_interop sign|seal DOMAIN SELECTOR KEY.pem | verify DOMAIN SELECTOR RECORD  (message on stdin)"
            );
            std::process::exit(2);
        }
    }
}
