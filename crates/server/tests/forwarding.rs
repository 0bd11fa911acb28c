//! Forwarding with SRS (DESIGN §3) end to end through the MX listener: a
//! validated sender is rewritten with SRS and its bounce comes back to it;
//! an unvalidated one keeps its sender and takes the `relay` pool; forged
//! and expired SRS addresses are refused at RCPT; loops are refused.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{ExtraDomain, Talk, World, world_with_zones};
use server::config::Role;
use smtp::ReceivedMessage;
use testworld::dns::Denial;
use testworld::smtp::Behaviour;

const CONFIG: &str = r#"
[srs]
secrets = ["n3w-s3cr3t", "0ld-s3cr3t"]
domain = "sender.test"

[forward]
"alice@sender.test" = ["alice@pools.test"]
"#;

/// The listener and pools; [`CONFIG`] adds forwarding with SRS.
const BASE: &str = r#"
[[listener]]
role = "mx"
address = "127.0.0.3:0"

[pools.normal]
source = ["127.0.0.151"]
ehlo = "normal.sender.test"

[pools.relay]
source = ["127.0.0.153"]
ehlo = "relay.sender.test"
"#;

/// `pools.test` (receiver 2, 127.0.0.171) and `spf.test` (receiver 3,
/// 127.0.0.173), whose SPF record authorizes the test's SMTP client
/// (127.0.0.1) only; `sender.test`'s authorizes our `normal` pool.
async fn forwarding_world() -> World {
    forwarding_world_with(&format!("{BASE}{CONFIG}")).await
}

async fn forwarding_world_with(config: &str) -> World {
    world_with_zones(
        config,
        vec![
            ExtraDomain {
                name: "pools.test",
                hosts: vec![(171, Behaviour::plain())],
            },
            ExtraDomain {
                name: "spf.test",
                hosts: vec![(173, Behaviour::plain())],
            },
        ],
        |dns| {
            dns.zone("spf.test.")
                .expect("the extra zone exists")
                .txt("spf.test.", "v=spf1 ip4:127.0.0.1 -all");
            dns.signed_zone("sender.test.", Denial::Nsec)
                .txt("sender.test.", "v=spf1 ip4:127.0.0.151 -all");
        },
    )
    .await
}

fn mx(w: &World) -> SocketAddr {
    w.daemon
        .listening()
        .iter()
        .find(|(role, _)| *role == Role::Mx)
        .expect("an MX listener")
        .1
}

/// One transaction on the MX listener; the replies to RCPT and to the end
/// of data (none when RCPT was refused).
async fn deliver(w: &World, from: &str, to: &str, body: &str) -> (String, Option<String>) {
    let (mut talk, greeting) = Talk::connect(mx(w)).await;
    assert!(greeting.starts_with("220"), "{greeting}");
    talk.send("EHLO client.example").await;
    let r = talk.send(&format!("MAIL FROM:<{from}>")).await;
    assert!(r.starts_with("250"), "{r}");
    let rcpt = talk.send(&format!("RCPT TO:<{to}>")).await;
    if !rcpt.starts_with("250") {
        talk.send("QUIT").await;
        return (rcpt, None);
    }
    let r = talk.send("DATA").await;
    assert!(r.starts_with("354"), "{r}");
    let end = talk.send(&format!("{body}\r\n.")).await;
    talk.send("QUIT").await;
    (rcpt, Some(end))
}

const MESSAGE: &str =
    "From: Bob <bob@spf.test>\r\nTo: alice@sender.test\r\nSubject: hi\r\n\r\nHello.";

/// SPF for MAIL FROM as the final destination (receiver 2) evaluates it,
/// with our `auth` crate, for the last message it received.
async fn spf_at_destination(w: &World) -> auth::SpfResult {
    let session = w.receivers[2].sessions().last().cloned().unwrap();
    let got: Vec<ReceivedMessage> = w.receivers[2].messages();
    let input = auth::SpfInput {
        ip: session.peer.ip(),
        helo: session.ehlo.as_deref().unwrap_or_default(),
        mail_from: &got.last().unwrap().envelope.sender,
        receiver: "mx1.pools.test",
    };
    auth::check_mail_from(&w.daemon.shared().resolver, &input)
        .await
        .result
}

#[tokio::test(flavor = "multi_thread")]
async fn a_validated_sender_is_forwarded_with_srs_and_its_bounce_comes_back() {
    let w = forwarding_world().await;
    let (_, end) = deliver(&w, "bob@spf.test", "alice@sender.test", MESSAGE).await;
    assert!(end.unwrap().starts_with("250"));
    w.advance(Duration::ZERO).await;

    let got = w.receivers[2].messages();
    assert_eq!(got.len(), 1);
    let srs = got[0].envelope.sender.clone();
    assert!(
        srs.starts_with("SRS0=") && srs.ends_with("=spf.test=bob@sender.test"),
        "{srs}"
    );
    let data = String::from_utf8_lossy(&got[0].data).into_owned();
    assert!(
        data.starts_with("Delivered-To: alice@sender.test\r\n"),
        "{data}"
    );
    let session = w.receivers[2].sessions().last().cloned().unwrap();
    assert_eq!(session.peer.ip().to_string(), "127.0.0.151");
    assert_eq!(spf_at_destination(&w).await, auth::SpfResult::Pass);

    // The final destination bounces it to the SRS address, in other case.
    let bounce = "From: MAILER-DAEMON@pools.test\r\nSubject: failure\r\n\r\nNo such user.";
    let (rcpt, end) = deliver(&w, "", &srs.to_lowercase(), bounce).await;
    assert!(rcpt.starts_with("250"), "{rcpt}");
    assert!(end.unwrap().starts_with("250"));
    w.advance(Duration::ZERO).await;
    let back = w.receivers[3].messages();
    assert_eq!(back.len(), 1, "the bounce went back to the original sender");
    assert_eq!(back[0].envelope.sender, "");
    assert_eq!(back[0].envelope.recipients[0].address, "bob@spf.test");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unvalidated_sender_is_forwarded_unchanged_from_the_relay_pool() {
    let w = forwarding_world().await;
    let body = "From: news@pools.test\r\nSubject: news\r\n\r\nNews.";
    let (_, end) = deliver(&w, "news@pools.test", "alice@sender.test", body).await;
    assert!(end.unwrap().starts_with("250"));
    w.advance(Duration::ZERO).await;
    let got = w.receivers[2].messages();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].envelope.sender, "news@pools.test");
    let session = w.receivers[2].sessions().last().cloned().unwrap();
    assert_eq!(session.peer.ip().to_string(), "127.0.0.153");
    assert_eq!(session.ehlo.as_deref(), Some("relay.sender.test"));
    let traces = w
        .daemon
        .shared()
        .store
        .trace("alice@pools.test")
        .await
        .unwrap();
    assert_eq!(traces[0].meta.pool, "relay");
    assert!(
        traces[0].meta.pool_reason.starts_with("forwarded;"),
        "{}",
        traces[0].meta.pool_reason
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_srs_a_forward_fails_spf_at_the_destination_so_it_takes_the_relay_pool() {
    let w = forwarding_world_with(&format!(
        "{BASE}\n[forward]\n\"alice@sender.test\" = [\"alice@pools.test\"]\n"
    ))
    .await;
    let (_, end) = deliver(&w, "bob@spf.test", "alice@sender.test", MESSAGE).await;
    assert!(end.unwrap().starts_with("250"));
    w.advance(Duration::ZERO).await;
    let got = w.receivers[2].messages();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].envelope.sender, "bob@spf.test");
    let session = w.receivers[2].sessions().last().cloned().unwrap();
    assert_eq!(session.peer.ip().to_string(), "127.0.0.153");
    assert_eq!(spf_at_destination(&w).await, auth::SpfResult::Fail);
    let traces = w
        .daemon
        .shared()
        .store
        .trace("alice@pools.test")
        .await
        .unwrap();
    assert_eq!(traces[0].meta.pool, "relay");
    assert_eq!(
        traces[0].meta.pool_reason,
        "forwarded with the original sender kept ([srs] not configured)"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn forged_and_expired_srs_addresses_are_refused_at_rcpt() {
    let w = forwarding_world().await;
    let (rcpt, _) = deliver(&w, "", "SRS0=AAAA=2W=spf.test=bob@sender.test", "x").await;
    assert!(rcpt.starts_with("550 5.1.1 "), "{rcpt}");
    assert!(rcpt.contains("hash does not match"), "{rcpt}");

    // Signed with the old secret: still good after the rotation.
    let old = auth::Srs::new(&["0ld-s3cr3t"], 21).unwrap();
    let address = old
        .forward("bob@spf.test", "sender.test", w.daemon.shared().now())
        .unwrap();
    let (rcpt, _) = deliver(&w, "", &address, "Subject: bounce\r\n\r\nx").await;
    assert!(rcpt.starts_with("250"), "{rcpt}");

    w.clock.advance(Duration::from_secs(22 * 86_400));
    let (rcpt, _) = deliver(&w, "", &address, "x").await;
    assert!(rcpt.starts_with("550 5.1.1 "), "{rcpt}");
    assert!(rcpt.contains("expired"), "{rcpt}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forwarding_loop_is_refused() {
    let w = forwarding_world().await;
    let ours = format!("Delivered-To: alice@sender.test\r\n{MESSAGE}");
    let (_, end) = deliver(&w, "bob@spf.test", "alice@sender.test", &ours).await;
    let end = end.unwrap();
    assert!(end.starts_with("554 5.4.6 "), "{end}");
    assert!(end.contains("Delivered-To"), "{end}");

    let many = format!(
        "{}{MESSAGE}",
        "Received: from a.example by b.example; Tue, 1 Dec 2026 10:00:00 +0000\r\n".repeat(50)
    );
    let (_, end) = deliver(&w, "bob@spf.test", "alice@sender.test", &many).await;
    let end = end.unwrap();
    assert!(end.starts_with("554 5.4.6 "), "{end}");
    assert!(end.contains("51 hops"), "{end}");
    w.advance(Duration::ZERO).await;
    assert!(w.receivers[2].messages().is_empty());
}
