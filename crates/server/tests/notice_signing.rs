//! Notices we write are DKIM-signed with the key of the system's domain
//! (`[[dkim.sign]]` for the domain of the host name), and the signature
//! verifies through DNS with our own verifier.

mod common;

use std::time::Duration;

use common::{ExtraDomain, internet_edited, world_of};
use dns::{Resolver, ResolverConfig, TrustAnchor};
use server::Scheduling;
use testworld::dns::Denial;
use testworld::smtp::{Behaviour, Step};

#[tokio::test(flavor = "multi_thread")]
async fn a_non_delivery_report_is_signed_with_the_system_domains_key() {
    let net = internet_edited(
        vec![
            ExtraDomain {
                name: "pools.test",
                hosts: vec![(171, Behaviour::plain())],
            },
            ExtraDomain {
                name: "refuse.test",
                hosts: vec![(172, Behaviour::plain().permanent_at(Step::Rcpt))],
            },
        ],
        |world| {
            world.signed_zone("sender.test.", Denial::Nsec).txt(
                "notices._domainkey.sender.test.",
                include_str!("../../auth/tests/keys/rsa2048.txt").trim(),
            );
        },
    )
    .await;
    let key = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../auth/tests/keys/rsa2048.pem"
    );
    let config = format!(
        "[[dkim.sign]]\ndomain = \"sender.test\"\nselector = \"notices\"\nkey_file = \"{key}\"\n"
    );
    let w = world_of(net, &config, "", Scheduling::Manual).await;
    let reply = common::submit(&w, "news@pools.test", &["nobody@refuse.test"]).await;
    assert!(reply.starts_with("250"), "{reply}");
    w.advance(Duration::ZERO).await;
    w.advance(Duration::ZERO).await;
    let ndr = w.receivers[2].messages();
    assert_eq!(ndr.len(), 1, "the NDR reached the sender's domain");
    assert_eq!(ndr[0].envelope.sender, "");
    let text = String::from_utf8_lossy(&ndr[0].data);
    assert!(text.starts_with("DKIM-Signature:"), "{text}");
    assert!(text.contains("MAILER-DAEMON@mail.sender.test"));

    let anchors = TrustAnchor::parse(&w.dns.trust_anchor_ds()).unwrap();
    let resolver = Resolver::new(
        ResolverConfig::new(vec![w.dns.addr()])
            .with_trust_anchors(anchors)
            .with_timeout(Duration::from_millis(400), 1),
    );
    let verdicts = auth::dkim::verify(&resolver, &ndr[0].data).await;
    assert_eq!(verdicts.len(), 1, "{verdicts:?}");
    assert_eq!(verdicts[0].result, auth::DkimResult::Pass, "{verdicts:?}");
    assert_eq!(verdicts[0].domain, "sender.test");
    // And DMARC for the notice's author domain aligns (relaxed).
    let dmarc = auth::dmarc::author_domain(&ndr[0].data).unwrap();
    assert_eq!(dmarc, "mail.sender.test");
}
