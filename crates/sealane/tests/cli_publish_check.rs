//! The publisher and the checker agree: what `sealane publish` prints (with
//! the DKIM record of a key from `sealane dkim keygen`), once published in a
//! test-world zone and served, makes `sealane check` pass.

use std::net::SocketAddr;
use std::process::Output;

use testworld::ca::TestCa;
use testworld::dns::{Denial, DnsWorld};
use testworld::https::{PolicyBehaviour, PolicyHost};
use testworld::net::{free_port, loopback};
use testworld::smtp::{Behaviour, Receiver};

async fn sealane(args: &[String]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_sealane"))
        .args(args)
        .output()
        .await
        .unwrap()
}

#[tokio::test]
async fn published_records_and_policy_make_check_pass() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let ca = TestCa::new("publish check ca");
    let mx = ca.issue(&["mx.example.test"]);
    let next = ca.issue(&["mx.example.test"]);
    let policy_host_id = ca.issue(&["mta-sts.example.test"]);
    std::fs::write(path("cert.pem"), mx.chain_pem()).unwrap();
    std::fs::write(path("next.pem"), next.chain_pem()).unwrap();
    ca.write_root_pem(&dir.path().join("ca.pem")).unwrap();

    let made = sealane(&[
        "dkim".into(),
        "keygen".into(),
        "--domain".into(),
        "example.test".into(),
        "--selector".into(),
        "s1".into(),
        "--out".into(),
        path("dkim.pem"),
    ])
    .await;
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let published = sealane(&[
        "publish".into(),
        "example.test".into(),
        "--dkim-selector".into(),
        "s1".into(),
        "--dkim-key".into(),
        path("dkim.pem"),
        "--mx".into(),
        "mx.example.test".into(),
        "--cert".into(),
        path("cert.pem"),
        "--next-key".into(),
        path("next.pem"),
        "--mode".into(),
        "enforce".into(),
        "--json".into(),
    ])
    .await;
    assert!(
        published.status.success(),
        "{}",
        String::from_utf8_lossy(&published.stderr)
    );
    let publication: serde_json::Value = serde_json::from_slice(&published.stdout).unwrap();

    // Publish it: every record into the signed zone, the policy on a host.
    let mut world = DnsWorld::new();
    let zone = world
        .signed_zone("example.test.", Denial::Nsec)
        .mx(10, "mx.example.test.")
        .a("mx.example.test.", "127.0.0.61")
        .a("mta-sts.example.test.", "127.0.0.62");
    for record in publication["records"].as_array().unwrap() {
        let name = record["name"].as_str().unwrap();
        let data = record["data"].as_str().unwrap();
        match record["type"].as_str().unwrap() {
            "TXT" => {
                zone.txt(name, data);
            }
            "TLSA" => {
                let fields: Vec<&str> = data.split(' ').collect();
                zone.tlsa(
                    name,
                    fields[0].parse().unwrap(),
                    fields[1].parse().unwrap(),
                    fields[2].parse().unwrap(),
                    &fields[3..].concat(),
                );
            }
            other => panic!("publish printed an unexpected record type {other}"),
        }
    }
    let dns = world.serve().await.unwrap();
    dns.write_trust_anchor(&dir.path().join("anchor")).unwrap();
    let https_port = free_port(&[loopback(62)]);
    let _policy_host = PolicyHost::start(
        SocketAddr::new(loopback(62), https_port),
        PolicyBehaviour::serving(
            &policy_host_id,
            publication["policy"]["text"].as_str().unwrap(),
        ),
    )
    .unwrap();
    let smtp_port = free_port(&[loopback(61)]);
    let _receiver = Receiver::start(
        SocketAddr::new(loopback(61), smtp_port),
        Behaviour::starttls(&mx),
    )
    .unwrap();

    let checked = sealane(&[
        "check".into(),
        "example.test".into(),
        "--dkim-selector".into(),
        "s1".into(),
        "--json".into(),
        "--dns-server".into(),
        dns.addr().to_string(),
        "--trust-anchor".into(),
        path("anchor"),
        "--ca".into(),
        path("ca.pem"),
        "--smtp-port".into(),
        smtp_port.to_string(),
        "--https-port".into(),
        https_port.to_string(),
    ])
    .await;
    let report: serde_json::Value = serde_json::from_slice(&checked.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&checked.stderr)));
    assert_eq!(report["verdict"]["outcome"], "deliver", "{report:#}");
    // DMARC is not among what publish writes; every area it does write passes.
    let complaints: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["area"] != "dmarc")
        .filter(|f| f["severity"] == "error" || f["severity"] == "warning")
        .map(|f| format!("{} {}: {}", f["severity"], f["id"], f["evidence"]))
        .collect();
    assert!(complaints.is_empty(), "{complaints:#?}");
    let ids: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    for expected in [
        "dane-match",
        "mta-sts-mx-covered",
        "spf-all",
        "dkim-key-valid",
    ] {
        assert!(ids.contains(&expected), "{expected} missing from {ids:?}");
    }
    assert_ne!(checked.status.code(), Some(4), "{report:#}");
}
