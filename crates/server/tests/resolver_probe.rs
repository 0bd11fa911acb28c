//! The daemon probes its resolver's DNSSEC at start (issue 12) in the
//! background: a resolver that never answers holds up neither start-up
//! nor shutdown.

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::Talk;
use dns::clock::ManualClock;
use server::config::Config;
use server::{Daemon, Scheduling};

#[tokio::test(flavor = "multi_thread")]
async fn start_and_stop_do_not_wait_for_a_resolver_that_never_answers() {
    // A resolver that takes every query, over UDP and TCP, and never answers.
    let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent = tcp.local_addr().unwrap();
    let _udp = std::net::UdpSocket::bind(silent).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[server]\nhostname = \"mail.sender.test\"\ndata_dir = \"{}\"\n\n\
         [[listener]]\nrole = \"submission\"\naddress = \"127.0.0.1:0\"\n\n\
         [dns]\nservers = [\"{silent}\"]\n",
        dir.path().join("data").display()
    );
    let config = Config::parse(&text, std::path::Path::new("test.toml")).unwrap();
    let clock = Arc::new(ManualClock::new(SystemTime::now()));
    // The probe alone would take the resolver's timeouts (2 × 5 s).
    let daemon = tokio::time::timeout(
        Duration::from_secs(3),
        Daemon::start(config, clock, Scheduling::Manual),
    )
    .await
    .expect("start-up does not wait for the resolver")
    .expect("the daemon starts");
    let (mut talk, greeting) = Talk::connect(daemon.listening()[0].1).await;
    assert!(greeting.starts_with("220"), "{greeting}");
    talk.send("QUIT").await;
    tokio::time::timeout(Duration::from_secs(3), daemon.stop())
        .await
        .expect("shutdown does not wait for the probe");
}
