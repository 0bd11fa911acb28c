//! RFC 8461 §5.1 in the daemon: before an MTA-STS `enforce` failure turns
//! into an expiry and an NDR, the policy is fetched again, and a policy the
//! domain has fixed in the meantime lets the message through.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::Talk;
use dns::clock::ManualClock;
use server::config::Config;
use server::{Daemon, Scheduling};
use testworld::ca::TestCa;
use testworld::dns::DnsWorld;
use testworld::https::{PolicyBehaviour, PolicyHost, sts_domain};
use testworld::net::{free_port, loopback};
use testworld::smtp::{Behaviour, Receiver};

fn policy(mx: &str) -> String {
    format!("version: STSv1\nmode: enforce\nmx: {mx}\nmax_age: 604800\n")
}

#[tokio::test(flavor = "multi_thread")]
async fn an_enforce_failure_refetches_the_policy_before_it_expires_the_message() {
    let ca = TestCa::new("sts recheck ca");
    let mx_id = ca.issue(&["mx.sts.test"]);
    let policy_id = ca.issue(&["mta-sts.sts.test"]);
    let (mx_ip, policy_ip) = (loopback(51), loopback(52));
    let mut world = DnsWorld::new();
    sts_domain(&mut world, "sts.test", "20261202", policy_ip)
        .mx(10, "mx.sts.test.")
        .a("mx.sts.test.", &mx_ip.to_string());
    let dns = world.serve().await.expect("DNS world starts");
    let smtp_port = free_port(&[mx_ip]);
    let https_port = free_port(&[policy_ip]);
    let receiver = Receiver::start(
        SocketAddr::new(mx_ip, smtp_port),
        Behaviour::starttls(&mx_id),
    )
    .unwrap();
    // The policy names another MX: every attempt fails MTA-STS.
    let policy_host = PolicyHost::start(
        SocketAddr::new(policy_ip, https_port),
        PolicyBehaviour::serving(&policy_id, &policy("mx.elsewhere.test")),
    )
    .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let anchor = dir.path().join("anchor.txt");
    std::fs::write(&anchor, dns.trust_anchor_ds()).unwrap();
    let roots = dir.path().join("roots.pem");
    ca.write_root_pem(&roots).unwrap();
    let text = format!(
        r#"[server]
hostname = "mail.sender.test"
data_dir = "{data}"

[[listener]]
role = "submission"
address = "127.0.0.1:0"

[dns]
servers = ["{dns}"]
trust_anchor = "{anchor}"

[webpki]
extra_roots = "{roots}"

[domain."sender.test"]
maildir = "{maildir}"

[retry]
schedule = ["15m", "1h"]
expire = "24h"

[outbound]
ehlo = "mail.sender.test"
smtp_port = {smtp_port}
https_port = {https_port}
"#,
        data = dir.path().join("data").display(),
        dns = dns.addr(),
        anchor = anchor.display(),
        roots = roots.display(),
        maildir = dir.path().join("mail").display(),
    );
    let config = Config::parse(&text, std::path::Path::new("test.toml")).expect("valid");
    let clock = Arc::new(ManualClock::new(SystemTime::now()));
    let daemon = Daemon::start(config, clock.clone(), Scheduling::Manual)
        .await
        .expect("daemon starts");

    let (mut talk, greeting) = Talk::connect(daemon.listening()[0].1).await;
    assert!(greeting.starts_with("220"), "{greeting}");
    talk.send("EHLO client.sender.test").await;
    let reply = talk
        .mail(
            "alice@sender.test",
            &["bob@sts.test"],
            "Subject: policy\r\n\r\nHi.",
        )
        .await;
    assert!(reply.starts_with("250"), "{reply}");
    talk.send("QUIT").await;

    daemon.drain().await.unwrap();
    let queued = daemon.shared().store.list(10).await.unwrap();
    let state = format!("{queued:?}");
    assert!(state.contains("sts-"), "deferred on the policy: {state}");
    assert!(receiver.messages().is_empty());
    // Through the schedule to just before expiry: the cached policy is used.
    clock.advance(Duration::from_secs(15 * 60 + 60));
    daemon.drain().await.unwrap();
    for _ in 0..22 {
        clock.advance(Duration::from_secs(3600));
        daemon.drain().await.unwrap();
    }
    assert!(receiver.messages().is_empty());
    let fetched_before = policy_host.fetches();
    assert_eq!(fetched_before, 1, "the cached policy served every attempt");
    // The domain fixes its policy without changing the TXT id; only the
    // re-check before expiry can see it.
    policy_host.set_policy(&policy("mx.sts.test"));
    clock.advance(Duration::from_secs(2 * 3600));
    daemon.drain().await.unwrap();

    assert!(
        policy_host.fetches() > fetched_before,
        "the policy was fetched again before the failure became final"
    );
    assert_eq!(
        receiver.messages().len(),
        1,
        "delivered under the new policy"
    );
    daemon.drain().await.unwrap();
    let notices: Vec<String> = std::fs::read_dir(dir.path().join("mail/alice@sender.test/new"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert_eq!(notices.len(), 1, "the delay notice after four hours only");
    assert!(notices[0].contains("Action: delayed"), "{}", notices[0]);
    daemon.stop().await;
}
