//! Sending limits (DESIGN §3) through the daemon: an authenticated user
//! who goes over a limit is refused at the end of data with 550 5.7.1
//! naming the limit, then at RCPT; the refused message is in the trace with
//! the block; a release lets the user send again. Recipients are counted,
//! not messages: one transaction to several recipients counts each.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

use dns::clock::ManualClock;
use queue::{EventKind, LimitKind, RecipientState, Subject};
use server::config::{Config, Role};
use server::{Daemon, Scheduling};
use testworld::ca::TestCa;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::ServerName;

struct Session {
    stream: BufReader<TlsStream<TcpStream>>,
}

impl Session {
    /// Implicit TLS to the submissions listener, EHLO and AUTH PLAIN.
    async fn login(daemon: &Daemon, ca: &TestCa, user: &str, password: &str) -> Session {
        let address = daemon
            .listening()
            .iter()
            .find(|(r, _)| *r == Role::Submissions)
            .map(|(_, a)| *a)
            .unwrap();
        let tcp = TcpStream::connect(address).await.unwrap();
        let tls = TlsConnector::from(ca.rustls_client_config())
            .connect(ServerName::try_from("mail.sender.test").unwrap(), tcp)
            .await
            .unwrap();
        let mut s = Session {
            stream: BufReader::new(tls),
        };
        assert!(s.reply().await.starts_with("220"));
        s.send("EHLO client.sender.test").await;
        let token = base64(format!("\0{user}\0{password}").as_bytes());
        let r = s.send(&format!("AUTH PLAIN {token}")).await;
        assert!(r.starts_with("235"), "{r}");
        s
    }

    async fn reply(&mut self) -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            if self.stream.read_line(&mut line).await.unwrap() == 0 {
                return all;
            }
            all.push_str(&line);
            if line.as_bytes().get(3) != Some(&b'-') {
                return all;
            }
        }
    }

    async fn send(&mut self, line: &str) -> String {
        let stream = self.stream.get_mut();
        stream
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .unwrap();
        stream.flush().await.unwrap();
        self.reply().await
    }

    /// One transaction to `to`; the reply to the end of data.
    async fn message(&mut self, to: &[&str]) -> String {
        assert!(
            self.send("MAIL FROM:<alice@sender.test>")
                .await
                .starts_with("250")
        );
        for rcpt in to {
            let r = self.send(&format!("RCPT TO:<{rcpt}>")).await;
            assert!(r.starts_with("250"), "RCPT {rcpt}: {r}");
        }
        assert!(self.send("DATA").await.starts_with("354"));
        self.send("Subject: hi\r\nMessage-ID: <limits@sender.test>\r\n\r\nHi.\r\n.")
            .await
    }
}

/// Base64 (RFC 4648 §4) for the AUTH PLAIN token.
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

async fn daemon(limits: &str) -> (common::Internet, TestCa, Daemon) {
    let net = common::internet().await;
    let ca = TestCa::new("submission test ca");
    let identity = ca.issue(&["mail.sender.test"]);
    let certificate = net.dir.path().join("cert.pem");
    let key = net.dir.path().join("key.pem");
    std::fs::write(&certificate, identity.chain_pem()).unwrap();
    std::fs::write(&key, identity.key_pem()).unwrap();
    let hash = server::users::hash("secret").unwrap();
    let extra = format!(
        "relay_networks = []\n\
         [tls]\ncertificate = \"{}\"\nkey = \"{}\"\n\n\
         [[listener]]\nrole = \"submissions\"\naddress = \"127.0.0.3:0\"\n\n\
         [[user]]\nname = \"alice\"\npassword_hash = \"{hash}\"\n\n{limits}\n",
        certificate.display(),
        key.display()
    );
    let text = net.config_text(&extra, SocketAddr::from(([127, 0, 0, 1], 0)));
    let config = Config::parse(&text, std::path::Path::new("test.toml")).unwrap();
    let clock = Arc::new(ManualClock::new(SystemTime::now()));
    let daemon = Daemon::start(config, clock, Scheduling::Manual)
        .await
        .unwrap();
    (net, ca, daemon)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_over_a_limit_is_blocked_until_released() {
    let (_net, ca, daemon) = daemon("[sending_limits.user]\nrecipients_per_hour = 3\n").await;
    let store = &daemon.shared().store;
    let mut s = Session::login(&daemon, &ca, "alice", "secret").await;

    // Two recipients in one transaction count two: a third fits, a fourth
    // does not.
    let first = s.message(&["a@sender.test", "b@sender.test"]).await;
    assert!(first.starts_with("250"), "{first}");
    let over = s.message(&["c@sender.test", "d@sender.test"]).await;
    assert!(over.starts_with("550 5.7.1"), "{over}");
    assert!(
        over.contains("recipients per hour of user alice (3)"),
        "the reply names the limit: {over}"
    );
    // Blocked now: refused at RCPT, whatever the count.
    assert!(
        s.send("MAIL FROM:<alice@sender.test>")
            .await
            .starts_with("250")
    );
    let rcpt = s.send("RCPT TO:<e@sender.test>").await;
    assert!(rcpt.starts_with("550 5.7.1"), "{rcpt}");
    assert!(rcpt.contains("recipients per hour of user alice"), "{rcpt}");
    s.send("RSET").await;

    // Listed, and in the trace: the refused message, its recipients
    // bounced, the block as an event, no pool.
    let blocks = store.sending_blocks().await.unwrap();
    assert_eq!(blocks.len(), 1, "{blocks:?}");
    assert_eq!(blocks[0].subject, Subject::user("alice"));
    assert_eq!(
        (blocks[0].limit, blocks[0].count),
        (LimitKind::RecipientsPerHour, 4)
    );
    let traced = store.trace("d@sender.test").await.unwrap();
    assert_eq!(traced.len(), 1);
    assert!(
        traced[0]
            .recipients
            .iter()
            .all(|r| r.state == RecipientState::Bounced)
    );
    let events = &traced[0].events;
    assert!(
        events.iter().any(
            |e| matches!(&e.kind, EventKind::SendingLimit(b) if b.subject == Subject::user("alice"))
        ),
        "{events:?}"
    );
    let pool = events.iter().find_map(|e| match &e.kind {
        EventKind::Received(meta) => Some(meta.pool.clone()),
        _ => None,
    });
    assert_eq!(pool.as_deref(), Some(""), "blocked, not moved to a pool");
    assert!(store.body(traced[0].id).await.unwrap().is_empty());

    // Released: the counts start again.
    assert_eq!(store.release_sending("alice").await.unwrap(), 1);
    let again = s
        .message(&["c@sender.test", "d@sender.test", "e@sender.test"])
        .await;
    assert!(again.starts_with("250"), "{again}");
    s.send("QUIT").await;
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn messages_per_minute_count_each_transaction() {
    let (_net, ca, daemon) = daemon("[sending_limits.user]\nmessages_per_minute = 2\n").await;
    let mut s = Session::login(&daemon, &ca, "alice", "secret").await;
    for _ in 0..2 {
        let r = s.message(&["a@sender.test"]).await;
        assert!(r.starts_with("250"), "{r}");
    }
    let third = s.message(&["a@sender.test"]).await;
    assert!(third.starts_with("550 5.7.1"), "{third}");
    assert!(
        third.contains("messages per minute of user alice (2)"),
        "{third}"
    );
    s.send("QUIT").await;
    daemon.stop().await;
}
