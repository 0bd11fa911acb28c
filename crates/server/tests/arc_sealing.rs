//! ARC sealing on departure (RFC 8617 §5.1) end to end through the MX
//! listener: a forwarded copy reaches its destination with our ARC set,
//! which verifies with our `auth` crate through the test world's DNS
//! (the key published at `arc._domainkey.sender.test`): `i=1; cv=none` for
//! a message that came without ARC, `i=2; cv=pass` on top of a valid
//! chain. Without `[arc]` nothing is sealed; relayed mail only when
//! `seal` includes `"relayed"`. The trace records the set.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{ARC_SEALED, ExtraDomain, Talk, World, world_with_zones};
use server::config::Role;
use testworld::dns::Denial;
use testworld::smtp::Behaviour;

/// The listener, the pools and a forwarding alias with SRS.
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

[srs]
secrets = ["n3w-s3cr3t"]
domain = "sender.test"

[forward]
"alice@sender.test" = ["alice@pools.test"]
"#;

/// `[arc]` with the test key; `seal` as given (`""`: the default).
fn arc(seal: &str) -> String {
    let key = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../auth/tests/keys/rsa2048.pem"
    );
    format!("[arc]\ndomain = \"sender.test\"\nselector = \"arc\"\nkey_file = \"{key}\"\n{seal}\n")
}

/// `pools.test` (receiver 2, 127.0.0.171) and `spf.test`, whose SPF
/// record authorizes the test's client; our ARC key published in
/// `sender.test`.
async fn arc_world(config: &str) -> World {
    world_with_zones(
        &format!("{BASE}{config}"),
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
            let zone = dns.signed_zone("sender.test.", Denial::Nsec);
            zone.txt(
                "sender.test.",
                "v=spf1 ip4:127.0.0.151 ip4:127.0.0.153 -all",
            );
            zone.txt(
                "arc._domainkey.sender.test.",
                include_str!("../../auth/tests/keys/rsa2048.txt").trim(),
            );
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

/// One transaction on the MX listener; the reply to the end of data.
async fn deliver(w: &World, helo: &str, from: &str, to: &str, body: &str) -> String {
    let (mut talk, greeting) = Talk::connect(mx(w)).await;
    assert!(greeting.starts_with("220"), "{greeting}");
    let r = talk.send(&format!("EHLO {helo}")).await;
    assert!(r.starts_with("250"), "{r}");
    let reply = talk.mail(from, &[to], body).await;
    talk.send("QUIT").await;
    reply
}

const MESSAGE: &str = "From: Bob <bob@spf.test>\r\nTo: alice@sender.test\r\nSubject: hi\r\n\
Date: Wed, 02 Dec 2026 12:00:00 +0000\r\nMessage-ID: <arc.1@spf.test>\r\n\r\nHello.";

/// The last message receiver 2 (`pools.test`) got, as text.
fn at_destination(w: &World) -> (Vec<u8>, String) {
    let got = w.receivers[2].messages();
    let data = got
        .last()
        .expect("the copy reached pools.test")
        .data
        .clone();
    let text = String::from_utf8_lossy(&data).into_owned();
    (data, text)
}

/// The tags of the topmost header field `name` in `text`, unfolded.
fn tags(text: &str, name: &str) -> Vec<(String, String)> {
    let prefix = format!("{}:", name.to_ascii_lowercase());
    let lines: Vec<&str> = text.split("\r\n").collect();
    let Some(start) = lines
        .iter()
        .position(|l| l.to_ascii_lowercase().starts_with(&prefix))
    else {
        return Vec::new();
    };
    let mut value = lines[start][prefix.len()..].to_owned();
    for line in &lines[start + 1..] {
        if !line.starts_with([' ', '\t']) {
            break;
        }
        value.push_str(line);
    }
    value
        .split(';')
        .filter_map(|t| t.split_once('='))
        .map(|(n, v)| (n.trim().to_owned(), v.split_whitespace().collect()))
        .collect()
}

fn tag<'a>(tags: &'a [(String, String)], name: &str) -> Option<&'a str> {
    tags.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The `arc_sealed` record of the copy queued for `recipient`.
async fn sealed_in_trace(w: &World, recipient: &str) -> Option<queue::ArcSealRecord> {
    let traces = w.daemon.shared().store.trace(recipient).await.unwrap();
    let meta = &traces.first().expect("the copy is traced").meta;
    meta.arc_sealed.as_deref().cloned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forwarded_copy_leaves_with_our_first_arc_set_which_verifies() {
    let w = arc_world(&arc("")).await;
    let reply = deliver(
        &w,
        "client.spf.test",
        "bob@spf.test",
        "alice@sender.test",
        MESSAGE,
    )
    .await;
    assert!(reply.starts_with("250"), "{reply}");
    w.advance(Duration::ZERO).await;

    let (data, text) = at_destination(&w);
    // interop/dkim-python.sh has dkimpy's arc_verify check this copy too.
    if let Some(path) = std::env::var_os("SEALANE_ARC_SEALED_OUT") {
        std::fs::write(path, &data).expect("the sealed copy is written");
    }
    assert!(text.starts_with("ARC-"), "our set is on top: {text}");
    let seal = tags(&text, "ARC-Seal");
    assert_eq!(tag(&seal, "i"), Some("1"), "{text}");
    assert_eq!(tag(&seal, "cv"), Some("none"), "{text}");
    assert_eq!(tag(&seal, "d"), Some("sender.test"), "{text}");
    assert_eq!(tag(&seal, "s"), Some("arc"), "{text}");
    let aar = text
        .split("\r\n")
        .position(|l| l.starts_with("ARC-Authentication-Results:"))
        .map(|i| {
            text.split("\r\n")
                .skip(i)
                .take(4)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .expect("an ARC-Authentication-Results");
    assert!(aar.contains("i=1; mail.sender.test"), "{aar}");
    assert!(aar.contains("spf=pass"), "the arrival's SPF result: {aar}");

    let verdict = auth::arc::verify(&w.daemon.shared().resolver, &data).await;
    assert_eq!(verdict.result, auth::ArcResult::Pass, "{verdict:?}");
    assert_eq!(verdict.hops.len(), 1, "{verdict:?}");
    assert_eq!(verdict.hops[0].instance, 1);
    assert_eq!(verdict.hops[0].sealer, "sender.test");

    let sealed = sealed_in_trace(&w, "alice@pools.test")
        .await
        .expect("the trace records the set");
    assert_eq!(
        (sealed.instance, sealed.cv.as_str(), sealed.domain.as_str()),
        (1, "none", "sender.test")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_valid_chain_is_extended_with_instance_two_and_cv_pass() {
    // example.org's DMARC p=reject fails here; its trusted seal lets it in.
    let w = arc_world(&format!(
        "[auth]\ntrusted_arc_sealers = [\"example.org\"]\n\n{}",
        arc("")
    ))
    .await;
    let reply = deliver(
        &w,
        "lists.example.org",
        "jqd@d1.example.org",
        "alice@sender.test",
        ARC_SEALED,
    )
    .await;
    assert!(reply.starts_with("250"), "{reply}");
    w.advance(Duration::ZERO).await;

    let (data, text) = at_destination(&w);
    let seal = tags(&text, "ARC-Seal");
    assert_eq!(tag(&seal, "i"), Some("2"), "{text}");
    assert_eq!(tag(&seal, "cv"), Some("pass"), "{text}");
    assert_eq!(tag(&seal, "d"), Some("sender.test"), "{text}");
    let verdict = auth::arc::verify(&w.daemon.shared().resolver, &data).await;
    assert_eq!(verdict.result, auth::ArcResult::Pass, "{verdict:?}");
    let sealers: Vec<(u32, &str)> = verdict
        .hops
        .iter()
        .map(|h| (h.instance, h.sealer.as_str()))
        .collect();
    assert_eq!(sealers, [(1, "example.org"), (2, "sender.test")]);
    let sealed = sealed_in_trace(&w, "alice@pools.test")
        .await
        .expect("the trace records the set");
    assert_eq!((sealed.instance, sealed.cv.as_str()), (2, "pass"));
}

#[tokio::test(flavor = "multi_thread")]
async fn without_arc_configured_nothing_is_sealed() {
    let w = arc_world("").await;
    let reply = deliver(
        &w,
        "client.spf.test",
        "bob@spf.test",
        "alice@sender.test",
        MESSAGE,
    )
    .await;
    assert!(reply.starts_with("250"), "{reply}");
    w.advance(Duration::ZERO).await;
    let (_, text) = at_destination(&w);
    assert!(!text.contains("ARC-Seal:"), "{text}");
    assert!(!text.contains("ARC-Message-Signature:"), "{text}");
    assert_eq!(sealed_in_trace(&w, "alice@pools.test").await, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn relayed_mail_is_sealed_only_when_configured() {
    let relayed =
        "From: Bob <bob@spf.test>\r\nTo: carol@pools.test\r\nSubject: relayed\r\n\r\nHello.";
    // Loopback clients may relay (the default relay networks).
    let w = arc_world(&arc("")).await;
    let reply = deliver(
        &w,
        "client.spf.test",
        "bob@spf.test",
        "carol@pools.test",
        relayed,
    )
    .await;
    assert!(reply.starts_with("250"), "{reply}");
    w.advance(Duration::ZERO).await;
    let (_, text) = at_destination(&w);
    assert!(
        !text.contains("ARC-Seal:"),
        "forwarded only by default: {text}"
    );
    assert_eq!(sealed_in_trace(&w, "carol@pools.test").await, None);

    let w = arc_world(&arc("seal = [\"forwarded\", \"relayed\"]")).await;
    let reply = deliver(
        &w,
        "client.spf.test",
        "bob@spf.test",
        "carol@pools.test",
        relayed,
    )
    .await;
    assert!(reply.starts_with("250"), "{reply}");
    w.advance(Duration::ZERO).await;
    let (data, text) = at_destination(&w);
    let seal = tags(&text, "ARC-Seal");
    assert_eq!(
        (tag(&seal, "i"), tag(&seal, "cv")),
        (Some("1"), Some("none")),
        "{text}"
    );
    let verdict = auth::arc::verify(&w.daemon.shared().resolver, &data).await;
    assert_eq!(verdict.result, auth::ArcResult::Pass, "{verdict:?}");
    let sealed = sealed_in_trace(&w, "carol@pools.test").await;
    assert!(sealed.is_some_and(|s| s.instance == 1));
}
