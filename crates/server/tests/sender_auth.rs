//! Sender authentication on the MX listener, end to end through `serve`
//! with test-world DNS: a DMARC `p=reject` failure refused with 550 5.7.1
//! naming the domain, or (configured to mark only) accepted with our
//! `Authentication-Results` and without the forged one it carried.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{Talk, World, world};
use server::config::Role;

const FORGED: &str = "Authentication-Results: mx.sealane.test; dmarc=pass header.from=forged.test\r\n\
From: CEO <ceo@forged.test>\r\nTo: bob@sender.test\r\nSubject: wire the money\r\n\
Message-ID: <forged.1@forged.test>\r\n\r\nNow, please.";

async fn mx_world(auth: &str) -> World {
    world(&format!(
        "[auth]\nauthserv_id = \"mx.sealane.test\"\n{auth}\n\n[[listener]]\nrole = \"mx\"\naddress = \"127.0.0.3:0\"\n"
    ))
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

async fn send_forged(w: &World) -> String {
    let (mut talk, greeting) = Talk::connect(mx(w)).await;
    assert!(greeting.starts_with("220"), "{greeting}");
    let r = talk.send("EHLO client.forged.test").await;
    assert!(r.starts_with("250"), "{r}");
    let reply = talk
        .mail("ceo@forged.test", &["bob@sender.test"], FORGED)
        .await;
    talk.send("QUIT").await;
    reply
}

#[tokio::test(flavor = "multi_thread")]
async fn dmarc_reject_failure_is_refused_naming_the_domain() {
    let w = mx_world("").await;
    let reply = send_forged(&w).await;
    assert!(reply.starts_with("550 5.7.1 "), "{reply}");
    assert!(reply.contains("forged.test"), "{reply}");
    w.advance(Duration::ZERO).await;
    assert!(w.maildir("bob@sender.test").is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn mark_only_accepts_with_our_results_and_drops_the_forged_ones() {
    let w = mx_world("dmarc_reject = \"mark\"").await;
    let reply = send_forged(&w).await;
    assert!(reply.starts_with("250 2.0.0 queued as"), "{reply}");
    w.advance(Duration::ZERO).await;
    let got = w.maildir("bob@sender.test");
    assert_eq!(got.len(), 1, "delivered to the local Maildir");
    let message = &got[0];
    assert_eq!(
        message
            .matches("Authentication-Results: mx.sealane.test")
            .count(),
        1,
        "{message}"
    );
    assert!(
        message.contains("spf=fail smtp.mailfrom=ceo@forged.test"),
        "{message}"
    );
    assert!(
        message.contains("dmarc=fail (p=reject dis=reject) header.from=forged.test"),
        "{message}"
    );
    assert!(
        !message.contains("dmarc=pass"),
        "the forged result is gone: {message}"
    );
}
