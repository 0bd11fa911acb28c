//! Submission over implicit TLS (port 465, RFC 8314 §3.3) is recorded as
//! STARTTLS sessions are: the trace's received event and the `Received:`
//! header carry the TLS version and cipher, and the session, being under
//! TLS from the start, does not offer STARTTLS.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

use dns::clock::ManualClock;
use queue::EventKind;
use server::config::{Config, Role};
use server::{Daemon, Scheduling};
use testworld::ca::TestCa;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;

/// Line-by-line SMTP over any stream.
struct Lines<S> {
    stream: BufReader<S>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Lines<S> {
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

    /// One message; returns the queue id from the 250.
    async fn submit(&mut self, subject: &str) -> String {
        assert!(
            self.send("MAIL FROM:<alice@sender.test>")
                .await
                .starts_with("250")
        );
        assert!(
            self.send("RCPT TO:<bob@sender.test>")
                .await
                .starts_with("250")
        );
        assert!(self.send("DATA").await.starts_with("354"));
        let reply = self
            .send(&format!("Subject: {subject}\r\n\r\nHi.\r\n."))
            .await;
        assert!(reply.starts_with("250"), "{reply}");
        common::queue_id(&reply)
    }
}

async fn tls_client(stream: TcpStream, ca: &TestCa) -> tokio_rustls::client::TlsStream<TcpStream> {
    TlsConnector::from(ca.rustls_client_config())
        .connect(ServerName::try_from("mail.sender.test").unwrap(), stream)
        .await
        .expect("the daemon's certificate is trusted")
}

#[tokio::test(flavor = "multi_thread")]
async fn implicit_tls_sessions_carry_the_tls_version_and_cipher_like_starttls() {
    let net = common::internet().await;
    let ca = TestCa::new("submission test ca");
    let identity = ca.issue(&["mail.sender.test"]);
    let certificate = net.dir.path().join("cert.pem");
    let key = net.dir.path().join("key.pem");
    std::fs::write(&certificate, identity.chain_pem()).unwrap();
    std::fs::write(&key, identity.key_pem()).unwrap();
    let extra = format!(
        "[tls]\ncertificate = \"{}\"\nkey = \"{}\"\n\n\
         [[listener]]\nrole = \"submissions\"\naddress = \"127.0.0.3:0\"\n",
        certificate.display(),
        key.display()
    );
    let text = net.config_text(&extra, SocketAddr::from(([127, 0, 0, 1], 0)));
    let config = Config::parse(&text, std::path::Path::new("test.toml")).unwrap();
    let clock = Arc::new(ManualClock::new(SystemTime::now()));
    let daemon = Daemon::start(config, clock, Scheduling::Manual)
        .await
        .unwrap();
    let port = |role| {
        daemon
            .listening()
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, a)| *a)
            .unwrap()
    };

    // Port 587: STARTTLS, then EHLO again.
    let plain = TcpStream::connect(port(Role::Submission)).await.unwrap();
    let mut lines = Lines {
        stream: BufReader::new(plain),
    };
    assert!(lines.reply().await.starts_with("220"));
    assert!(
        lines
            .send("EHLO client.sender.test")
            .await
            .contains("STARTTLS")
    );
    assert!(lines.send("STARTTLS").await.starts_with("220"));
    let tls = tls_client(lines.stream.into_inner(), &ca).await;
    let mut lines = Lines {
        stream: BufReader::new(tls),
    };
    lines.send("EHLO client.sender.test").await;
    let starttls_id = lines.submit("over starttls").await;
    lines.send("QUIT").await;

    // Port 465: TLS from the first octet.
    let tcp = TcpStream::connect(port(Role::Submissions)).await.unwrap();
    let tls = tls_client(tcp, &ca).await;
    let mut lines = Lines {
        stream: BufReader::new(tls),
    };
    assert!(lines.reply().await.starts_with("220"));
    let ehlo = lines.send("EHLO client.sender.test").await;
    assert!(
        !ehlo.contains("STARTTLS"),
        "STARTTLS offered under TLS: {ehlo}"
    );
    assert!(
        lines.send("STARTTLS").await.starts_with("503"),
        "STARTTLS inside implicit TLS is out of sequence"
    );
    let implicit_id = lines.submit("over implicit tls").await;
    lines.send("QUIT").await;

    let store = &daemon.shared().store;
    let mut seen = Vec::new();
    for id in [&starttls_id, &implicit_id] {
        let detail = store.trace(id).await.unwrap();
        let message = detail.first().expect("the message is traced");
        let meta = message
            .events
            .iter()
            .find_map(|e| match &e.kind {
                EventKind::Received(meta) => Some(meta.clone()),
                _ => None,
            })
            .expect("a received event");
        let tls = meta.tls.expect("the received event names TLS");
        assert_eq!(tls.version, "TLSv1.3");
        assert!(tls.cipher.starts_with("TLS_"), "{}", tls.cipher);
        let body = store.body(message.id).await.unwrap();
        let text = String::from_utf8_lossy(&body).into_owned();
        let header: String = text.split("\r\n\r\n").next().unwrap().to_owned();
        assert!(
            header.contains(&format!("(using TLSv1.3 with cipher {})", tls.cipher)),
            "{header}"
        );
        assert!(header.contains("with ESMTPS"), "{header}");
        seen.push((tls.version, tls.cipher));
    }
    assert_eq!(seen[0], seen[1], "both sessions are recorded alike");
    daemon.stop().await;
}
