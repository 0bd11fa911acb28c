//! Shared helpers for the loopback tests: a recording server handler,
//! scripted raw servers, and test certificates.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use smtp::{
    AuthVerdict, ClientOptions, Credentials, Decision, Envelope, Error, Handler, MailFrom,
    MailOptions, RcptTo, ReceivedMessage, Recipient, Reply, ServerConfig, SessionEnd, SessionFacts,
    Timeouts, TlsInfo, serve,
};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub const MX: &str = "mx.test.example";

/// Client options with timeouts short enough for tests, long enough for a
/// loaded machine.
pub fn options() -> ClientOptions {
    ClientOptions {
        timeouts: Timeouts::uniform(Duration::from_secs(10)),
        ..ClientOptions::default()
    }
}

/// Client options with every timeout at `ms` milliseconds.
pub fn options_ms(ms: u64) -> ClientOptions {
    ClientOptions {
        timeouts: Timeouts::uniform(Duration::from_millis(ms)),
        ..ClientOptions::default()
    }
}

pub fn envelope(recipients: &[&str]) -> Envelope {
    Envelope {
        sender: "sender@origin.example".into(),
        recipients: recipients.iter().map(|r| Recipient::new(*r)).collect(),
        options: MailOptions::default(),
    }
}

/// What a recording handler does at each step; unset steps accept.
#[derive(Default, Clone)]
pub struct Script {
    pub refuse_ehlo: Option<Reply>,
    pub starttls: Option<Decision>,
    pub mail: Option<Decision>,
    pub rcpt: HashMap<String, Decision>,
    pub data: Option<Decision>,
    pub message: Option<Decision>,
    /// The one user and password AUTH accepts.
    pub login: Option<(String, String)>,
}

/// What the server saw.
#[derive(Default, Debug)]
pub struct Seen {
    pub hellos: Vec<(String, bool)>,
    pub mails: Vec<(String, Vec<String>)>,
    pub rcpts: Vec<(String, Vec<String>)>,
    pub data_commands: usize,
    pub messages: Vec<ReceivedMessage>,
    pub tls: Option<TlsInfo>,
    pub connected: Option<SocketAddr>,
    /// User names AUTH presented, with the verdict.
    pub logins: Vec<(String, AuthVerdict)>,
    pub rcpt_params: Vec<RcptTo>,
    pub mail_params: Vec<MailFrom>,
}

pub struct Recorder {
    pub script: Script,
    pub seen: Arc<Mutex<Seen>>,
}

impl Handler for Recorder {
    async fn connected(&mut self, client: SocketAddr) -> Decision {
        self.seen.lock().unwrap().connected = Some(client);
        Decision::Accept
    }

    async fn authenticate(
        &mut self,
        credentials: &Credentials,
        _session: &SessionFacts,
    ) -> AuthVerdict {
        let verdict = match &self.script.login {
            Some((user, password))
                if *user == credentials.username && password == credentials.password() =>
            {
                AuthVerdict::Accepted
            }
            _ => AuthVerdict::Refused,
        };
        self.seen
            .lock()
            .unwrap()
            .logins
            .push((credentials.username.clone(), verdict));
        verdict
    }

    async fn hello(&mut self, name: &str, extended: bool) -> Decision {
        self.seen
            .lock()
            .unwrap()
            .hellos
            .push((name.into(), extended));
        match (&self.script.refuse_ehlo, extended) {
            (Some(reply), true) => Decision::Reply(reply.clone()),
            _ => Decision::Accept,
        }
    }

    async fn starttls(&mut self) -> Decision {
        self.script.starttls.clone().unwrap_or(Decision::Accept)
    }

    fn tls_established(&mut self, info: &TlsInfo) {
        self.seen.lock().unwrap().tls = Some(info.clone());
    }

    async fn mail(&mut self, mail: &MailFrom, _session: &SessionFacts) -> Decision {
        let mut seen = self.seen.lock().unwrap();
        seen.mails.push((mail.sender.clone(), mail.params.clone()));
        seen.mail_params.push(mail.clone());
        drop(seen);
        self.script.mail.clone().unwrap_or(Decision::Accept)
    }

    async fn rcpt(&mut self, rcpt: &RcptTo, _mail: &MailFrom, _session: &SessionFacts) -> Decision {
        let mut seen = self.seen.lock().unwrap();
        let to = rcpt.recipient.address.clone();
        seen.rcpts.push((to.clone(), rcpt.params.clone()));
        seen.rcpt_params.push(rcpt.clone());
        drop(seen);
        self.script
            .rcpt
            .get(&to)
            .cloned()
            .unwrap_or(Decision::Accept)
    }

    async fn data(&mut self) -> Decision {
        self.seen.lock().unwrap().data_commands += 1;
        self.script.data.clone().unwrap_or(Decision::Accept)
    }

    async fn message(&mut self, message: ReceivedMessage) -> Decision {
        self.seen.lock().unwrap().messages.push(message);
        self.script.message.clone().unwrap_or(Decision::Accept)
    }
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Seen>>,
    pub task: JoinHandle<Result<SessionEnd, Error>>,
}

/// Serves one connection on 127.0.0.1 with our server session.
pub async fn spawn_server(config: ServerConfig, script: Script) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let mut handler = Recorder {
        script,
        seen: seen.clone(),
    };
    let task = tokio::spawn(async move {
        let (stream, client) = listener.accept().await.unwrap();
        serve(stream, client, &config, &mut handler).await
    });
    TestServer { addr, seen, task }
}

/// A server config for the tests: our defaults with a short timeout.
pub fn server_config() -> ServerConfig {
    let mut config = ServerConfig::new(MX);
    config.limits.idle = Duration::from_secs(10);
    config
}

/// One step of a raw scripted server.
pub enum Step {
    /// Write these bytes.
    Send(String),
    /// Read this many lines (recorded).
    Read(usize),
}

pub fn send(text: &str) -> Step {
    Step::Send(text.to_owned())
}

/// A raw server that plays `steps` on one connection, then keeps reading
/// until the client closes (or 10 s pass). Returns every line read.
pub async fn spawn_script(steps: Vec<Step>) -> (SocketAddr, JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let (read, mut write) = stream.into_split();
        let mut reader = BufReader::new(read);
        let mut lines = Vec::new();
        for step in steps {
            match step {
                Step::Send(text) => write.write_all(text.as_bytes()).await.unwrap(),
                Step::Read(count) => {
                    for _ in 0..count {
                        let mut line = String::new();
                        if reader.read_line(&mut line).await.unwrap() == 0 {
                            return lines;
                        }
                        lines.push(line.trim_end().to_owned());
                    }
                }
            }
        }
        let rest = async {
            loop {
                let mut line = String::new();
                match reader.read_line(&mut line).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => lines.push(line.trim_end().to_owned()),
                }
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(10), rest).await;
        lines
    });
    (addr, task)
}

/// TLS configurations for a test server named [`MX`].
pub struct Pki {
    pub server: Arc<rustls::ServerConfig>,
    /// Trusts the server's certificate.
    pub client: Arc<rustls::ClientConfig>,
    /// Trusts only an unrelated certificate.
    pub stranger: Arc<rustls::ClientConfig>,
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn client_trusting(cert: rustls_pki_types::CertificateDer<'static>) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    Arc::new(
        rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

pub fn pki() -> Pki {
    let issued = rcgen::generate_simple_self_signed(vec![MX.to_owned()]).unwrap();
    let other = rcgen::generate_simple_self_signed(vec!["other.test.example".to_owned()]).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(issued.signing_key.serialize_der()));
    let server = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![issued.cert.der().clone()], key)
        .unwrap();
    Pki {
        server: Arc::new(server),
        client: client_trusting(issued.cert.der().clone()),
        stranger: client_trusting(other.cert.der().clone()),
    }
}

pub fn mx_name() -> ServerName<'static> {
    ServerName::try_from(MX).unwrap()
}

/// Any stream a raw client can talk over: TCP, or TLS over TCP.
pub trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Io for T {}

/// A client that writes raw bytes and reads replies, for driving the
/// server session exactly.
pub struct Raw {
    pub stream: BufReader<Box<dyn Io>>,
}

impl Raw {
    pub fn over(stream: impl Io + 'static) -> Raw {
        Raw {
            stream: BufReader::new(Box::new(stream)),
        }
    }

    /// Connects to `server` and reads the greeting.
    pub async fn connect(server: &TestServer) -> (Raw, Reply) {
        let stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        let mut raw = Raw::over(stream);
        let greeting = raw.reply().await;
        (raw, greeting)
    }

    pub async fn reply(&mut self) -> Reply {
        self.try_reply()
            .await
            .expect("server closed the connection")
    }

    /// The next reply, or `None` when the server closed the connection.
    pub async fn try_reply(&mut self) -> Option<Reply> {
        let mut parser = smtp::ReplyParser::new(true);
        loop {
            let mut line = Vec::new();
            let read = self.stream.read_until(b'\n', &mut line).await.ok()?;
            if read == 0 {
                return None;
            }
            if let Some(reply) = parser.push_line(&line).unwrap() {
                return Some(reply);
            }
        }
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        self.stream.get_mut().write_all(bytes).await.unwrap();
    }

    pub async fn command(&mut self, line: &str) -> Reply {
        self.send(format!("{line}\r\n").as_bytes()).await;
        self.reply().await
    }

    /// STARTTLS and the handshake, trusting the test server's certificate.
    pub async fn starttls(self, pki: &Pki) -> Raw {
        let mut raw = self;
        assert_eq!(raw.command("STARTTLS").await.code, 220);
        assert!(raw.stream.buffer().is_empty());
        let inner = raw.stream.into_inner();
        let connector = tokio_rustls::TlsConnector::from(pki.client.clone());
        let tls = connector.connect(mx_name(), inner).await.unwrap();
        Raw::over(tls)
    }
}
