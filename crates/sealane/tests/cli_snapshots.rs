//! The human output of each command against the test world, as snapshots
//! (`tests/snapshots/`): a change of wording shows up as a reviewed change
//! of a snapshot. What changes from run to run — ports, key digests,
//! temporary paths, times — is masked.

mod masks;

use std::net::SocketAddr;
use std::process::Output;

use masks::mask_hex;
use testworld::ca::TestCa;
use testworld::dns::{Denial, DnsServer, DnsWorld, standard};
use testworld::net::{free_port, loopback};
use testworld::smtp::{Behaviour, Receiver};

/// A destination `example.test.` whose one MX, on 127.0.0.61, has a
/// matching DANE record; `bare.example.test.` publishes nothing but an MX
/// to the same host; `nullmx.example.test.` refuses mail.
struct World {
    dns: DnsServer,
    dir: tempfile::TempDir,
    smtp_port: u16,
    _receiver: Receiver,
}

async fn world(behaviour: impl FnOnce(&testworld::Identity) -> Behaviour) -> World {
    let ca = TestCa::new("cli snapshots ca");
    let id = ca.issue(&["mx.example.test"]);
    let record = tls::tlsa_for_certificate(
        id.leaf(),
        tls::Usage::DaneEe,
        tls::Selector::Spki,
        tls::Matching::Sha256,
    )
    .expect("a TLSA record")
    .to_string();
    let mut dns_world = DnsWorld::new();
    dns_world
        .signed_zone("example.test.", Denial::Nsec)
        .mx(10, "mx.example.test.")
        .a("mx.example.test.", "127.0.0.61")
        .tlsa(
            "_25._tcp.mx.example.test.",
            3,
            1,
            1,
            record.rsplit(' ').next().expect("digest"),
        )
        .mx_at("nullmx.example.test.", 0, ".");
    let dns = dns_world.serve().await.expect("DNS serves");
    let dir = tempfile::tempdir().expect("temporary directory");
    dns.write_trust_anchor(&dir.path().join("anchor"))
        .expect("anchor written");
    ca.write_root_pem(&dir.path().join("ca.pem"))
        .expect("root written");
    std::fs::write(
        dir.path().join("message"),
        "From: sender@sender.test\r\nTo: user@example.test\r\nSubject: snapshot\r\n\r\nHello.\r\n",
    )
    .expect("message written");
    let smtp_port = free_port(&[loopback(61)]);
    let receiver = Receiver::start(SocketAddr::new(loopback(61), smtp_port), behaviour(&id))
        .expect("receiver starts");
    World {
        dns,
        dir,
        smtp_port,
        _receiver: receiver,
    }
}

impl World {
    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_string_lossy().into_owned()
    }

    /// `sealane ARGS` pointed at this world.
    async fn run(&self, args: &[&str]) -> Output {
        let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        all.extend([
            "--dns-server".into(),
            self.dns.addr().to_string(),
            "--trust-anchor".into(),
            self.path("anchor"),
        ]);
        if matches!(args[0], "route" | "deliver" | "check") {
            all.extend(["--smtp-port".into(), self.smtp_port.to_string()]);
        }
        if matches!(args[0], "route" | "check") {
            all.extend(["--ca".into(), self.path("ca.pem")]);
        }
        sealane(&all).await
    }

    /// What changes from run to run, replaced by a name.
    fn mask(&self, text: &str) -> String {
        let text = text
            .replace(&self.dns.addr().to_string(), "[DNS]")
            .replace(&format!(":{}", self.smtp_port), ":[SMTP-PORT]")
            .replace(&self.dir.path().to_string_lossy().into_owned(), "[DIR]");
        mask_hex(&text)
    }
}

async fn sealane(args: &[String]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_sealane"))
        .args(args)
        .output()
        .await
        .expect("sealane runs")
}

/// Exit status, then standard output, then standard error, as one text.
fn shown(world: &World, output: &Output) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        output
            .status
            .code()
            .map_or("signal".into(), |c| c.to_string()),
        world.mask(&String::from_utf8_lossy(&output.stdout)),
        world.mask(&String::from_utf8_lossy(&output.stderr)),
    )
}

#[tokio::test]
async fn dns_human_output() {
    let w = world(Behaviour::starttls).await;
    let secure = w.run(&["dns", "mx.example.test", "A"]).await;
    insta::assert_snapshot!("dns_secure", shown(&w, &secure));
    let absent = w.run(&["dns", "nosuch.example.test", "MX"]).await;
    insta::assert_snapshot!("dns_nxdomain", shown(&w, &absent));
    let tlsa = w.run(&["dns", "_25._tcp.mx.example.test", "TLSA"]).await;
    insta::assert_snapshot!("dns_tlsa", shown(&w, &tlsa));
}

#[tokio::test]
async fn dns_bogus_human_output() {
    let server = standard().serve().await.expect("test world starts");
    let dir = tempfile::tempdir().expect("temporary directory");
    let anchor = dir.path().join("anchor");
    server.write_trust_anchor(&anchor).expect("anchor written");
    let args: Vec<String> = [
        "dns",
        "mx.expired.test",
        "A",
        "--dns-server",
        &server.addr().to_string(),
        "--trust-anchor",
        &anchor.to_string_lossy(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let output = sealane(&args).await;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    insta::assert_snapshot!(
        "dns_bogus",
        format!("exit: {:?}\n{text}", output.status.code())
    );
}

#[tokio::test]
async fn route_human_output() {
    let w = world(Behaviour::starttls).await;
    let dane = w.run(&["route", "user@example.test"]).await;
    insta::assert_snapshot!("route_dane", shown(&w, &dane));
    let null = w.run(&["route", "nullmx.example.test"]).await;
    insta::assert_snapshot!("route_null_mx", shown(&w, &null));
    let verbose = w.run(&["route", "user@example.test", "-v"]).await;
    assert_eq!(
        verbose.stdout, dane.stdout,
        "-v changes only standard error"
    );
    let log = String::from_utf8_lossy(&verbose.stderr);
    assert!(
        log.contains("smtp connected") && log.contains("smtp tls established"),
        "{log}"
    );
}

#[tokio::test]
async fn deliver_human_output() {
    let w = world(Behaviour::starttls).await;
    let message = w.path("message");
    let delivered = w
        .run(&[
            "deliver",
            "--from",
            "sender@sender.test",
            "--to",
            "user@example.test",
            "--message",
            &message,
            "--ehlo",
            "client.sender.test",
        ])
        .await;
    insta::assert_snapshot!("deliver_dane", shown(&w, &delivered));
}

#[tokio::test]
async fn deliver_deferred_human_output() {
    let w = world(|_| Behaviour::plain()).await;
    let message = w.path("message");
    let deferred = w
        .run(&[
            "deliver",
            "--from",
            "sender@sender.test",
            "--to",
            "user@example.test",
            "--message",
            &message,
            "--ehlo",
            "client.sender.test",
        ])
        .await;
    insta::assert_snapshot!("deliver_stripped_starttls", shown(&w, &deferred));
}

#[tokio::test]
async fn check_human_output() {
    let w = world(Behaviour::starttls).await;
    let missing = w.run(&["check", "nosuch.example.test"]).await;
    insta::assert_snapshot!("check_nxdomain", shown(&w, &missing));
    let null = w.run(&["check", "nullmx.example.test"]).await;
    insta::assert_snapshot!("check_null_mx", shown(&w, &null));
}

#[tokio::test]
async fn offline_commands_human_output() {
    let w = world(Behaviour::starttls).await;
    let run = |args: &[&str]| sealane_now(args);
    let publish = run(&["publish", "example.com", "--mx", "mx.example.com"]);
    insta::assert_snapshot!("publish", shown(&w, &publish));
    let config = w.path("sealane.toml");
    std::fs::write(&config, "[[listener]]\nnot_a_key = 1\n").expect("written");
    let refused = run(&["config", "check", &config]);
    insta::assert_snapshot!("config_check_refused", shown(&w, &refused));
    let data = w.path("data");
    let empty = run(&["queue", "list", "--data-dir", &data]);
    insta::assert_snapshot!("queue_list_empty", shown(&w, &empty));
    let bad_name = run(&["dns", "bad..name", "MX", "--dns-server", "127.0.0.1"]);
    insta::assert_snapshot!("dns_bad_name", shown(&w, &bad_name));
}

fn sealane_now(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_sealane"))
        .args(args)
        .output()
        .expect("sealane runs")
}
