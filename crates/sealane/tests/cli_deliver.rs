//! `sealane deliver` end to end: the binary against signed DNS and SMTP
//! receivers of the test world.

use std::net::SocketAddr;
use std::process::Output;
use std::time::Duration;

use testworld::ca::TestCa;
use testworld::dns::{Denial, DnsServer, DnsWorld};
use testworld::net::{free_port, loopback};
use testworld::smtp::{Behaviour, Receiver, Step};

struct World {
    dns: DnsServer,
    dir: tempfile::TempDir,
    port: u16,
    receiver: Receiver,
}

/// `example.test.` with one MX on 127.0.0.41 whose TLSA record matches
/// `served` when `publish_tlsa` is set.
async fn world(
    publish_tlsa: bool,
    behaviour: impl FnOnce(&testworld::Identity) -> Behaviour,
) -> World {
    let ca = TestCa::new("cli deliver ca");
    let id = ca.issue(&["mx.example.test"]);
    let record = tls::tlsa_for_certificate(
        id.leaf(),
        tls::Usage::DaneEe,
        tls::Selector::Spki,
        tls::Matching::Sha256,
    )
    .unwrap()
    .to_string();
    let mut dns_world = DnsWorld::new();
    let zone = dns_world
        .signed_zone("example.test.", Denial::Nsec)
        .mx(10, "mx.example.test.")
        .a("mx.example.test.", "127.0.0.41");
    if publish_tlsa {
        let hex = record.rsplit(' ').next().unwrap();
        zone.tlsa("_25._tcp.mx.example.test.", 3, 1, 1, hex);
    }
    let dns = dns_world.serve().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    dns.write_trust_anchor(&dir.path().join("anchor")).unwrap();
    std::fs::write(dir.path().join("message"), "Subject: hi\r\n\r\nHello.\r\n").unwrap();
    let port = free_port(&[loopback(41)]);
    let receiver = Receiver::start(SocketAddr::new(loopback(41), port), behaviour(&id)).unwrap();
    World {
        dns,
        dir,
        port,
        receiver,
    }
}

impl World {
    async fn deliver(&self, extra: &[&str]) -> Output {
        let path = |name: &str| self.dir.path().join(name).to_string_lossy().into_owned();
        let mut args = vec![
            "deliver".to_string(),
            "--from".into(),
            "sender@sender.test".into(),
            "--to".into(),
            "user@example.test".into(),
            "--message".into(),
            path("message"),
            "--dns-server".into(),
            self.dns.addr().to_string(),
            "--trust-anchor".into(),
            path("anchor"),
            "--smtp-port".into(),
            self.port.to_string(),
            "--ehlo".into(),
            "client.sender.test".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        tokio::process::Command::new(env!("CARGO_BIN_EXE_sealane"))
            .args(args)
            .output()
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn dane_delivery_succeeds_and_reports_the_matching_record() {
    let w = world(true, Behaviour::starttls).await;
    let output = w.deliver(&["--json"]).await;
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let reports: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let report = &reports[0];
    assert_eq!(report["recipients"][0]["status"], "delivered");
    assert_eq!(report["attempts"][0]["verification"]["method"], "dane");
    assert_eq!(report["attempts"][0]["verification"]["dane"]["depth"], 0);
    assert_eq!(report["plan"]["hosts"][0]["requirement"]["kind"], "dane");
    w.receiver
        .wait_for_messages(1, Duration::from_secs(2))
        .await
        .unwrap();
}

#[tokio::test]
async fn stripped_starttls_on_a_dane_host_defers_with_exit_75() {
    let w = world(true, |_| Behaviour::plain()).await;
    let output = w.deliver(&[]).await;
    assert_eq!(output.status.code(), Some(75));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("deferred: 4.7.321"), "{text}");
    assert!(text.contains("Nothing was kept"), "{text}");
    assert!(w.receiver.messages().is_empty());
}

#[tokio::test]
async fn bad_recipient_is_exit_2() {
    let w = world(false, Behaviour::starttls).await;
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_sealane"))
        .args([
            "deliver",
            "--from",
            "a@b.test",
            "--to",
            "no-at-sign",
            "--message",
        ])
        .arg(w.dir.path().join("message"))
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not an address"));
}

#[tokio::test]
async fn starttls_refused_without_a_policy_delivers_in_plaintext_and_says_so() {
    let w = world(false, |_| Behaviour::starttls_refused()).await;
    let output = w.deliver(&[]).await;
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("user@example.test delivered"), "{text}");
    assert!(text.contains("STARTTLS refused (454"), "{text}");
    assert_eq!(w.receiver.messages().len(), 1);
}

#[tokio::test]
async fn hostile_replies_defer_with_exit_75_never_bounce_or_deliver() {
    for behaviour in [
        Behaviour::plain().permanent_at(Step::Greeting),
        Behaviour::plain().permanent_at(Step::Ehlo),
        Behaviour::plain().early_accept_at_data(),
    ] {
        let w = world(false, move |_| behaviour).await;
        let output = w.deliver(&[]).await;
        let text = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(75), "{text}");
        assert!(text.contains("user@example.test deferred: 4."), "{text}");
        assert!(w.receiver.messages().is_empty());
    }
}

/// Issue 20, item 4: a server's reply text reaches the terminal escaped,
/// and the JSON form keeps it exact.
#[tokio::test]
async fn control_characters_in_replies_are_shown_escaped() {
    let w = world(false, |_| {
        Behaviour::plain().hostile_text_at(testworld::smtp::Step::Rcpt)
    })
    .await;
    let output = w.deliver(&[]).await;
    assert_eq!(output.status.code(), Some(75));
    let text = String::from_utf8(output.stdout.clone()).expect("UTF-8 report");
    let raw: Vec<char> = text
        .chars()
        .filter(|&c| (c.is_control() && c != '\n') || c == '\u{202e}')
        .collect();
    assert!(raw.is_empty(), "raw control characters {raw:?} in:\n{text}");
    assert!(
        text.contains(r"\x1b[2J\x1b]0;owned\x07\rdelivered \u{202e}deliver"),
        "{text}"
    );
    let output = w.deliver(&["--json"]).await;
    let reports: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let line = reports[0]["recipients"][0]["reply"]["lines"][0]
        .as_str()
        .unwrap_or_default();
    assert!(
        line.ends_with(testworld::smtp::HOSTILE_TEXT),
        "the JSON form keeps the exact text: {line:?}"
    );
}
