//! Sender authentication on the MX listener, end to end through `serve`
//! with test-world DNS: a DMARC `p=reject` failure refused with 550 5.7.1
//! naming the domain, quarantined or (configured to mark only) accepted
//! with our `Authentication-Results` and without the forged one it carried;
//! `p=quarantine` held in the queue's quarantine until released; SPF `-all`
//! without DMARC refused only when configured; SPF of the hop behind a
//! trusted gateway; a trusted ARC sealer overriding a DMARC failure. Every
//! result is in the message trace.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{ARC_SEALED, Talk, World, queue_id, world};
use queue::{AuthRecord, EventKind, RecipientState, Selector};
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

async fn send(w: &World, helo: &str, from: &str, body: &str) -> String {
    let (mut talk, greeting) = Talk::connect(mx(w)).await;
    assert!(greeting.starts_with("220"), "{greeting}");
    let r = talk.send(&format!("EHLO {helo}")).await;
    assert!(r.starts_with("250"), "{r}");
    let reply = talk.mail(from, &["bob@sender.test"], body).await;
    talk.send("QUIT").await;
    reply
}

fn from_domain(domain: &str) -> String {
    format!(
        "From: <news@{domain}>\r\nTo: bob@sender.test\r\nSubject: hello\r\nMessage-ID: <1@{domain}>\r\n\r\nHi."
    )
}

/// The authentication results the received event of `reply`'s message carries.
async fn auth_record(w: &World, reply: &str) -> (AuthRecord, Option<String>, RecipientState) {
    let id = queue_id(reply);
    let found = w.daemon.shared().store.trace(&id).await.expect("trace");
    let detail = found.first().expect("the message is in the queue");
    let EventKind::Received(meta) = &detail.events[0].kind else {
        panic!("the trace starts with the arrival: {:?}", detail.events);
    };
    (
        *meta.auth.clone().expect("the MX listener authenticated it"),
        meta.quarantine.clone(),
        detail.recipients[0].state.clone(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn dmarc_quarantine_holds_the_message_until_released() {
    let w = mx_world("").await;
    let reply = send(
        &w,
        "client.quarantined.test",
        "news@quarantined.test",
        &from_domain("quarantined.test"),
    )
    .await;
    assert!(reply.starts_with("250 2.0.0 queued as"), "{reply}");
    w.advance(Duration::ZERO).await;
    assert!(
        w.maildir("bob@sender.test").is_empty(),
        "quarantined, not delivered"
    );
    let (record, quarantine, state) = auth_record(&w, &reply).await;
    assert_eq!(state, RecipientState::Quarantined);
    assert!(quarantine.expect("a reason").contains("quarantined.test"));
    let dmarc = record.dmarc.expect("DMARC ran");
    assert_eq!(
        (dmarc.result.as_str(), dmarc.policy.as_deref()),
        ("fail", Some("quarantine"))
    );
    assert!(
        record
            .spf
            .iter()
            .any(|s| s.identity == "mailfrom" && s.result == "fail"),
        "{:?}",
        record.spf
    );
    assert!(
        record.verdict.starts_with("quarantine"),
        "{}",
        record.verdict
    );

    let id = queue_id(&reply).parse().expect("queue id");
    let released = w
        .daemon
        .shared()
        .store
        .release(&Selector::Message(id))
        .await
        .expect("release");
    assert_eq!(released, 1);
    w.advance(Duration::ZERO).await;
    assert_eq!(
        w.maildir("bob@sender.test").len(),
        1,
        "delivered once released"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dmarc_reject_configured_to_quarantine_is_quarantined() {
    let w = mx_world("dmarc_reject = \"quarantine\"").await;
    let reply = send_forged(&w).await;
    assert!(reply.starts_with("250 2.0.0 queued as"), "{reply}");
    let (record, quarantine, state) = auth_record(&w, &reply).await;
    assert_eq!(state, RecipientState::Quarantined);
    assert!(
        quarantine
            .expect("a reason")
            .contains("p=reject of forged.test")
    );
    assert_eq!(record.dmarc.expect("DMARC ran").disposition, "reject");
}

#[tokio::test(flavor = "multi_thread")]
async fn spf_fail_without_dmarc_is_refused_only_when_configured() {
    let body = from_domain("nodmarc.test");
    let w = mx_world("").await;
    let reply = send(&w, "client.nodmarc.test", "news@nodmarc.test", &body).await;
    assert!(
        reply.starts_with("250 2.0.0 queued as"),
        "marked only by default: {reply}"
    );
    let (record, _, state) = auth_record(&w, &reply).await;
    assert_eq!(state, RecipientState::Queued);
    assert!(
        record.verdict.starts_with("mark: SPF fail"),
        "{}",
        record.verdict
    );

    let w = mx_world("spf_fail_reject = true").await;
    let reply = send(&w, "client.nodmarc.test", "news@nodmarc.test", &body).await;
    assert!(reply.starts_with("550 5.7.23 "), "{reply}");
    assert!(reply.contains("nodmarc.test"), "{reply}");
}

const BEHIND_GATEWAY: &str = "Received: from mail.behind.test (mail.behind.test [192.0.2.25])\r\n\
\tby gw.filter.test with ESMTP id 7; Wed, 2 Dec 2026 12:00:00 +0000\r\n\
From: <news@behind.test>\r\nTo: bob@sender.test\r\nSubject: hello\r\n\
Message-ID: <2@behind.test>\r\n\r\nHi.";

#[tokio::test(flavor = "multi_thread")]
async fn spf_evaluates_the_hop_behind_a_trusted_gateway() {
    // Without the gateway trusted, SPF judges the gateway's own address:
    // behind.test does not authorize it, and DMARC p=reject refuses.
    let w = mx_world("").await;
    let reply = send(&w, "gw.filter.test", "news@behind.test", BEHIND_GATEWAY).await;
    assert!(reply.starts_with("550 5.7.1 "), "{reply}");

    let w = mx_world("trusted_gateways = [\"127.0.0.0/8\"]").await;
    let reply = send(&w, "gw.filter.test", "news@behind.test", BEHIND_GATEWAY).await;
    assert!(reply.starts_with("250 2.0.0 queued as"), "{reply}");
    let (record, _, _) = auth_record(&w, &reply).await;
    assert_eq!(record.evaluated_ip, Some("192.0.2.25".parse().unwrap()));
    assert!(
        record.gateway.is_some_and(|g| g.is_loopback()),
        "{record:?}"
    );
    let spf = record
        .spf
        .iter()
        .find(|s| s.identity == "mailfrom")
        .expect("SPF ran");
    assert_eq!(spf.result, "pass", "{record:?}");
    assert_eq!(record.dmarc.expect("DMARC ran").result, "pass");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trusted_arc_sealer_overrides_a_dmarc_failure() {
    // Not trusted: d1.example.org fails DMARC here (p=reject of example.org).
    let w = mx_world("").await;
    let reply = send(&w, "lists.example.org", "jqd@d1.example.org", ARC_SEALED).await;
    assert!(reply.starts_with("550 5.7.1 "), "{reply}");

    let w = mx_world("trusted_arc_sealers = [\"example.org\"]").await;
    let reply = send(&w, "lists.example.org", "jqd@d1.example.org", ARC_SEALED).await;
    assert!(reply.starts_with("250 2.0.0 queued as"), "{reply}");
    let (record, quarantine, state) = auth_record(&w, &reply).await;
    assert_eq!((quarantine, state), (None, RecipientState::Queued));
    assert_eq!(record.dmarc.expect("DMARC ran").result, "fail");
    let arc = record.arc.expect("ARC ran");
    assert_eq!(arc.result, "pass");
    assert_eq!(arc.override_by.as_deref(), Some("example.org"));
    assert!(record.verdict.starts_with("override"), "{}", record.verdict);
    w.advance(Duration::ZERO).await;
    let got = w.maildir("bob@sender.test");
    assert_eq!(got.len(), 1);
    assert!(got[0].contains("arc=pass"), "{}", got[0]);
}
