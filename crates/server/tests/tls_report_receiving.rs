//! Reports others send to our report address (`[tls_report]
//! receive_address`): read when they arrive, before the reply to DATA,
//! kept per policy domain in the store (across a restart), and not
//! delivered further; a message there that is no report is refused whole.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

use common::{Talk, internet};
use dns::clock::ManualClock;
use server::config::Config;
use server::{Daemon, Scheduling};

const MICROSOFT_STYLE: &str =
    include_str!("../../report/tests/fixtures/tlsrpt/microsoft-style.eml");
const INBOX: &str = "[tls_report]\nreceive_address = \"TLSRPT@sender.test\"\n";

async fn send(daemon: &Daemon, to: &[&str], body: &str) -> String {
    let (mut talk, _) = Talk::connect(daemon.listening()[0].1).await;
    talk.send("EHLO mail.reporter.test").await;
    let reply = talk.mail("tlsrpt-noreply@reporter.test", to, body).await;
    talk.send("QUIT").await;
    reply
}

#[tokio::test]
async fn a_report_to_our_address_is_kept_and_survives_a_restart() {
    let net = internet().await;
    let text = net.config_text(INBOX, SocketAddr::from(([127, 0, 0, 1], 0)));
    let config = Config::parse(&text, std::path::Path::new("test.toml")).unwrap();
    let clock = Arc::new(ManualClock::new(SystemTime::now()));
    let daemon = Daemon::start(config.clone(), clock.clone(), Scheduling::Manual)
        .await
        .unwrap();

    let reply = send(&daemon, &["tlsrpt@sender.test"], MICROSOFT_STYLE).await;
    assert!(
        reply.starts_with("250 2.0.0 TLS report kept for example.net"),
        "{reply}"
    );
    daemon.drain().await.unwrap();
    let inbox = net.dir.path().join("mail").join("tlsrpt@sender.test");
    assert!(!inbox.exists(), "the report address is not a mailbox");

    // Not a report: the whole message is refused, nothing is kept.
    let reply = send(
        &daemon,
        &["tlsrpt@sender.test", "bob@sender.test"],
        "Subject: hello\r\n\r\nnot a report\r\n",
    )
    .await;
    assert!(reply.starts_with("550 5.6.0"), "{reply}");

    // With another recipient: the report is kept (once) and the message
    // goes on to the other recipient only.
    let reply = send(
        &daemon,
        &["tlsrpt@sender.test", "bob@sender.test"],
        MICROSOFT_STYLE,
    )
    .await;
    assert!(reply.starts_with("250 2.0.0 queued as"), "{reply}");
    daemon.drain().await.unwrap();
    let bob = net
        .dir
        .path()
        .join("mail")
        .join("bob@sender.test")
        .join("new");
    assert_eq!(std::fs::read_dir(bob).unwrap().count(), 1);
    assert!(!inbox.exists());

    let store = &daemon.shared().store;
    let kept = store.received_tls_reports(None, None).await.unwrap();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0].organization_name, "Microsoft Corporation");
    daemon.stop().await;

    let daemon = Daemon::start(config, clock, Scheduling::Manual)
        .await
        .unwrap();
    let kept = daemon
        .shared()
        .store
        .received_tls_reports(Some("example.net"), None)
        .await
        .unwrap();
    assert_eq!(kept.len(), 1, "kept across a restart");
    let summary = report::tlsrpt::summarise(&kept);
    assert_eq!(summary.policies[0].failed, 2);
    assert_eq!(summary.days_with_failures[0].day, "2026-11-29");
    daemon.stop().await;
}
