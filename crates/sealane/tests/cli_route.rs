//! `sealane route` against the test world: what it shows, that it sends no
//! message, and that its verdict matches what delivery would do.

use std::net::SocketAddr;
use std::process::Output;

use testworld::ca::TestCa;
use testworld::dns::{Denial, DnsServer, DnsWorld};
use testworld::https::{PolicyBehaviour, PolicyHost, sts_domain};
use testworld::net::{free_port, loopback};
use testworld::smtp::{Behaviour, Receiver};

struct World {
    dns: DnsServer,
    dir: tempfile::TempDir,
    smtp_port: u16,
    https_port: u16,
    receiver: Receiver,
    _policy_host: Option<PolicyHost>,
}

const POLICY: &str = "version: STSv1\nmode: enforce\nmx: mx.example.test\nmax_age: 604800\n";

/// `example.test.` with one MX on 127.0.0.51; with `dane`, a matching TLSA
/// record; with `sts`, an enforce-mode MTA-STS policy served on 127.0.0.52.
async fn world(
    dane: bool,
    sts: bool,
    behaviour: impl FnOnce(&testworld::Identity) -> Behaviour,
) -> World {
    let ca = TestCa::new("cli route ca");
    let id = ca.issue(&["mx.example.test"]);
    let mut dns_world = DnsWorld::new();
    let zone = dns_world
        .signed_zone("example.test.", Denial::Nsec)
        .mx(10, "mx.example.test.")
        .a("mx.example.test.", "127.0.0.51")
        .mx_at("nullmx.example.test.", 0, ".");
    if dane {
        let record = tls::tlsa_for_certificate(
            id.leaf(),
            tls::Usage::DaneEe,
            tls::Selector::Spki,
            tls::Matching::Sha256,
        )
        .unwrap()
        .to_string();
        zone.tlsa(
            "_25._tcp.mx.example.test.",
            3,
            1,
            1,
            record.rsplit(' ').next().unwrap(),
        );
    }
    let https_port = free_port(&[loopback(52)]);
    let policy_host = sts.then(|| {
        sts_domain(&mut dns_world, "example.test", "20261130", loopback(52));
        let host_id = ca.issue(&["mta-sts.example.test"]);
        PolicyHost::start(
            SocketAddr::new(loopback(52), https_port),
            PolicyBehaviour::serving(&host_id, POLICY),
        )
        .unwrap()
    });
    let dns = dns_world.serve().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    dns.write_trust_anchor(&dir.path().join("anchor")).unwrap();
    ca.write_root_pem(&dir.path().join("ca.pem")).unwrap();
    let smtp_port = free_port(&[loopback(51)]);
    let receiver =
        Receiver::start(SocketAddr::new(loopback(51), smtp_port), behaviour(&id)).unwrap();
    World {
        dns,
        dir,
        smtp_port,
        https_port,
        receiver,
        _policy_host: policy_host,
    }
}

impl World {
    async fn route(&self, destination: &str, json: bool) -> Output {
        let path = |name: &str| self.dir.path().join(name).to_string_lossy().into_owned();
        let mut args = vec![
            "route".to_string(),
            destination.into(),
            "--dns-server".into(),
            self.dns.addr().to_string(),
            "--trust-anchor".into(),
            path("anchor"),
            "--ca".into(),
            path("ca.pem"),
            "--smtp-port".into(),
            self.smtp_port.to_string(),
            "--https-port".into(),
            self.https_port.to_string(),
        ];
        if json {
            args.push("--json".into());
        }
        tokio::process::Command::new(env!("CARGO_BIN_EXE_sealane"))
            .args(args)
            .output()
            .await
            .unwrap()
    }
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

#[tokio::test]
async fn dane_destination_would_be_delivered_and_no_message_is_sent() {
    let w = world(true, false, Behaviour::starttls).await;
    let output = w.route("user@example.test", true).await;
    assert_eq!(output.status.code(), Some(0));
    let report = json(&output);
    assert_eq!(report["version"], 1);
    assert_eq!(report["verdict"]["outcome"], "deliver");
    assert_eq!(report["verdict"]["security"], "dane");
    assert_eq!(report["plan"]["hosts"][0]["tlsa"]["status"], "secure");
    assert_eq!(
        report["probes"][0]["verification"]["status"],
        "authenticated"
    );
    let sessions = w.receiver.sessions();
    assert_eq!(sessions.len(), 1);
    assert!(sessions[0].starttls());
    assert!(!sessions[0].received("MAIL"), "route sent MAIL");
    assert!(w.receiver.messages().is_empty());
}

#[tokio::test]
async fn human_report_names_dns_dane_connections_and_verdict() {
    let w = world(true, false, Behaviour::starttls).await;
    let output = w.route("example.test", false).await;
    let text = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "MX: published (DNSSEC secure)",
        "TLSA at _25._tcp.mx.example.test. (DNSSEC secure): 3 1 1 ",
        "requires: DANE",
        "verified: dane authenticated, TLSA 3 1 1",
        "Verdict: a message would be delivered now to mx.example.test[127.0.0.51]:",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

#[tokio::test]
async fn stripped_starttls_under_dane_would_be_deferred() {
    let w = world(true, false, |_| Behaviour::plain()).await;
    let output = w.route("example.test", true).await;
    assert_eq!(output.status.code(), Some(75));
    let report = json(&output);
    assert_eq!(report["verdict"]["outcome"], "defer");
    assert_eq!(report["verdict"]["trouble"]["code"], "4.7.321");
    let output = w.route("example.test", false).await;
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("dry run: nothing was sent or queued"),
        "{text}"
    );
    assert!(!text.contains("retried:"), "{text}");
    assert!(
        text.contains("MTA-STS: not consulted: every MX host has DANE"),
        "{text}"
    );
    let explanation = "the receiving domain requires encrypted delivery";
    assert_eq!(
        text.matches(explanation).count(),
        1,
        "the explanation is printed once:\n{text}"
    );
}

#[tokio::test]
async fn mta_sts_enforce_policy_is_shown_with_its_origin_and_used() {
    let w = world(false, true, Behaviour::starttls).await;
    let output = w.route("example.test", true).await;
    let report = json(&output);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert_eq!(report["verdict"]["security"], "web-pki");
    let applied = &report["plan"]["sts"]["answer"]["applied"];
    assert_eq!(applied["id"], "20261130");
    assert_eq!(applied["origin"], "fetch");
    assert_eq!(applied["policy"]["mode"], "enforce");
    let text = String::from_utf8_lossy(&w.route("example.test", false).await.stdout).into_owned();
    assert!(
        text.contains("MTA-STS: policy id 20261130 (fetched), mode enforce"),
        "{text}"
    );
}

#[tokio::test]
async fn null_mx_would_bounce_with_exit_1() {
    let w = world(false, false, Behaviour::starttls).await;
    let output = w.route("nullmx.example.test", true).await;
    assert_eq!(output.status.code(), Some(1));
    let report = json(&output);
    assert_eq!(report["verdict"]["outcome"], "bounce");
    assert_eq!(report["verdict"]["trouble"]["code"], "5.1.10");
    assert!(w.receiver.sessions().is_empty());
}

#[tokio::test]
async fn policy_cache_file_serves_the_second_run_from_the_cache() {
    let w = world(false, true, Behaviour::starttls).await;
    let cache = w.dir.path().join("sts.sqlite");
    let run = || async {
        let mut args: Vec<String> = vec![
            "route".into(),
            "example.test".into(),
            "--json".into(),
            "--sts-cache".into(),
            cache.to_string_lossy().into_owned(),
        ];
        let path = |name: &str| w.dir.path().join(name).to_string_lossy().into_owned();
        args.extend([
            "--dns-server".into(),
            w.dns.addr().to_string(),
            "--trust-anchor".into(),
            path("anchor"),
            "--ca".into(),
            path("ca.pem"),
            "--smtp-port".into(),
            w.smtp_port.to_string(),
            "--https-port".into(),
            w.https_port.to_string(),
        ]);
        let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_sealane"))
            .args(args)
            .output()
            .await
            .unwrap();
        json(&output)
    };
    assert_eq!(
        run().await["plan"]["sts"]["answer"]["applied"]["origin"],
        "fetch"
    );
    assert_eq!(
        run().await["plan"]["sts"]["answer"]["applied"]["origin"],
        "cache"
    );
}

#[tokio::test]
async fn require_sts_defers_a_destination_with_neither_dane_nor_enforce() {
    let w = world(false, false, Behaviour::starttls).await;
    let plain = w.route("example.test", true).await;
    assert_eq!(
        plain.status.code(),
        Some(0),
        "without local policy it delivers"
    );
    let path = |name: &str| w.dir.path().join(name).to_string_lossy().into_owned();
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_sealane"))
        .args([
            "route".to_string(),
            "example.test".into(),
            "--json".into(),
            "--require-sts".into(),
            "--dns-server".into(),
            w.dns.addr().to_string(),
            "--trust-anchor".into(),
            path("anchor"),
            "--smtp-port".into(),
            w.smtp_port.to_string(),
        ])
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(75));
    let report = json(&output);
    assert_eq!(report["plan"]["hosts"][0]["raised_by"], "require-sts");
    assert_eq!(report["verdict"]["trouble"]["code"], "4.7.5");
}

/// Issue 20, item 4: a server's reply text reaches the terminal escaped.
#[tokio::test]
async fn control_characters_in_a_greeting_are_shown_escaped() {
    let w = world(false, false, |_| {
        Behaviour::plain().hostile_text_at(testworld::smtp::Step::Greeting)
    })
    .await;
    let output = w.route("example.test", false).await;
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
    let report = json(&w.route("example.test", true).await);
    let line = report["probes"][0]["trouble"]["cause"]["reply"]["lines"][0]
        .as_str()
        .unwrap_or_default();
    assert!(
        line.ends_with(testworld::smtp::HOSTILE_TEXT),
        "the JSON form keeps the exact text: {line:?}"
    );
}
