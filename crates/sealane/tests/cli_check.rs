//! `sealane check` end to end: the binary against signed DNS and SMTP
//! receivers of the test world, and its agreement with `sealane route`.

use std::net::SocketAddr;
use std::process::Output;

use testworld::ca::TestCa;
use testworld::dns::{Denial, DnsServer, DnsWorld};
use testworld::net::{free_port, loopback};
use testworld::smtp::{Behaviour, Receiver};

struct World {
    dns: DnsServer,
    dir: tempfile::TempDir,
    port: u16,
    _receiver: Receiver,
}

/// `good.test.` and `broken.test.`, both with MX host on 127.0.0.`octet`;
/// `good.test` publishes TLSA records for the served key (and a next
/// key), SPF, DMARC and TLS-RPT; `broken.test` a TLSA record for a key the
/// host does not serve.
async fn world(octet: u8) -> World {
    let ca = TestCa::new("cli check ca");
    let id = ca.issue(&["mx.good.test", "mx.broken.test"]);
    let next = ca.issue(&["mx.good.test"]);
    let other = ca.issue(&["mx.broken.test"]);
    let hex = |identity: &testworld::Identity| {
        tls::tlsa_for_certificate(
            identity.leaf(),
            tls::Usage::DaneEe,
            tls::Selector::Spki,
            tls::Matching::Sha256,
        )
        .unwrap()
        .to_string()
        .rsplit(' ')
        .next()
        .unwrap()
        .to_owned()
    };
    let address = loopback(octet).to_string();
    let mut dns_world = DnsWorld::new();
    dns_world
        .signed_zone("good.test.", Denial::Nsec)
        .mx(10, "mx.good.test.")
        .a("mx.good.test.", &address)
        .tlsa("_25._tcp.mx.good.test.", 3, 1, 1, &hex(&id))
        .tlsa("_25._tcp.mx.good.test.", 3, 1, 1, &hex(&next))
        .txt("good.test.", "v=spf1 mx -all")
        .txt(
            "_dmarc.good.test.",
            "v=DMARC1; p=reject; rua=mailto:dmarc@good.test",
        )
        .txt(
            "_smtp._tls.good.test.",
            "v=TLSRPTv1; rua=mailto:tlsrpt@good.test",
        );
    dns_world
        .signed_zone("broken.test.", Denial::Nsec)
        .mx(10, "mx.broken.test.")
        .a("mx.broken.test.", &address)
        .tlsa("_25._tcp.mx.broken.test.", 3, 1, 1, &hex(&other));
    dns_world
        .signed_zone("bogus.test.", Denial::Nsec)
        .mx(10, "mx.bogus.test.")
        .a("mx.bogus.test.", &address)
        .fault(testworld::dns::Fault::ExpiredSignatures);
    dns_world
        .signed_zone("ghost.test.", Denial::Nsec)
        .mx(10, "nowhere.ghost.test.");
    let dns = dns_world.serve().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    dns.write_trust_anchor(&dir.path().join("anchor")).unwrap();
    let port = free_port(&[loopback(octet)]);
    let receiver = Receiver::start(
        SocketAddr::new(loopback(octet), port),
        Behaviour::starttls(&id),
    )
    .unwrap();
    World {
        dns,
        dir,
        port,
        _receiver: receiver,
    }
}

impl World {
    async fn run(&self, command: &str, extra: &[&str]) -> Output {
        let anchor = self.dir.path().join("anchor");
        let mut args = vec![
            command.to_string(),
            "--dns-server".into(),
            self.dns.addr().to_string(),
            "--trust-anchor".into(),
            anchor.to_string_lossy().into_owned(),
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

fn lines(output: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is one JSON object"))
        .collect()
}

fn ids(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn healthy_domain_report_groups_findings_and_exit_follows_the_worst() {
    let w = world(121).await;
    let output = w.run("check", &["good.test"]).await;
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.starts_with("good.test — worst: "), "{text}");
    for header in [
        "  MX\n",
        "  DNSSEC\n",
        "  DANE\n",
        "  MTA-STS\n",
        "  DELIVERY\n",
    ] {
        assert!(text.contains(header), "{header:?} missing in {text}");
    }
    assert!(text.contains("[dane-match]"), "{text}");
    assert!(!text.contains("\x1b["), "no colour when piped: {text}");
    let json = w.run("check", &["good.test", "--json"]).await;
    let report = &lines(&json)[0];
    assert_eq!(report["version"], 1);
    assert_eq!(report["verdict"]["outcome"], "deliver");
    assert!(ids(report).contains(&"delivery-deliverable".to_owned()));
    let expected = match report["worst"].as_str().unwrap() {
        "error" => 4,
        "warning" => 3,
        _ => 0,
    };
    assert_eq!(json.status.code(), Some(expected), "{report:#}");
    assert_eq!(output.status.code(), Some(expected));
}

#[tokio::test]
async fn a_domain_route_defers_is_never_reported_healthy() {
    let w = world(122).await;
    let route = w.run("route", &["broken.test"]).await;
    assert_eq!(route.status.code(), Some(75), "route defers");
    let output = w.run("check", &["broken.test", "--json"]).await;
    assert_eq!(output.status.code(), Some(4));
    let report = &lines(&output)[0];
    assert_eq!(report["worst"], "error");
    assert_eq!(report["verdict"]["outcome"], "defer");
    let ids = ids(report);
    assert!(ids.contains(&"dane-no-match".to_owned()), "{ids:?}");
    assert!(ids.contains(&"delivery-deferred".to_owned()), "{ids:?}");
}

#[tokio::test]
async fn every_domain_route_cannot_deliver_to_is_an_error() {
    let w = world(124).await;
    for domain in ["broken.test", "bogus.test", "ghost.test"] {
        let route = w.run("route", &[domain]).await;
        assert_ne!(route.status.code(), Some(0), "{domain}: route delivers");
        let output = w.run("check", &[domain, "--json"]).await;
        assert_eq!(output.status.code(), Some(4), "{domain}");
        let report = &lines(&output)[0];
        assert_ne!(report["verdict"]["outcome"], "deliver", "{domain}");
        let ids = ids(report);
        assert!(
            ids.iter()
                .any(|id| id == "delivery-deferred" || id == "delivery-bounced"),
            "{domain}: {ids:?}"
        );
    }
    let bogus = w.run("check", &["bogus.test", "--json"]).await;
    assert!(ids(&lines(&bogus)[0]).contains(&"dnssec-rrsig-expired".to_owned()));
}

#[tokio::test]
async fn file_of_domains_gives_json_lines_in_order() {
    let w = world(123).await;
    let list = w.dir.path().join("list");
    std::fs::write(
        &list,
        "# domains\nbroken.test\n\ngood.test  # the good one\n",
    )
    .unwrap();
    let output = w
        .run(
            "check",
            &[
                "--file",
                list.to_str().unwrap(),
                "--json",
                "--concurrency",
                "2",
            ],
        )
        .await;
    let reports = lines(&output);
    let domains: Vec<&str> = reports
        .iter()
        .map(|r| r["domain"].as_str().unwrap())
        .collect();
    assert_eq!(domains, ["broken.test", "good.test"]);
    assert_eq!(output.status.code(), Some(4), "the worst domain decides");
}

#[tokio::test]
async fn bad_domain_is_exit_2() {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_sealane"))
        .args(["check", "not a domain", "--dns-server", "127.0.0.1:1"])
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let none = tokio::process::Command::new(env!("CARGO_BIN_EXE_sealane"))
        .args(["check", "--dns-server", "127.0.0.1:1"])
        .output()
        .await
        .unwrap();
    assert_eq!(none.status.code(), Some(2));
}
