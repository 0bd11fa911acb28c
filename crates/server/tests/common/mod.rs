//! A small internet for the daemon: a signed `dane.test` whose MX matches
//! its TLSA record, a signed `dead.test` whose MX nobody listens on, a
//! signed `mismatch.test` whose TLSA record matches
//! nothing, `forged.test` (SPF `-all`, DMARC `p=reject`), `quarantined.test`
//! (DMARC `p=quarantine`), `nodmarc.test` (SPF `-all` alone), `behind.test`
//! (mail from 192.0.2.25 only), `example.org` (the ARC test suite's sealer), and
//! `sender.test`, an accepted domain delivered into a Maildir
//! (where notices to our senders land). `dane.test` asks for TLS reports
//! by mail and at `https://reports.dane.test/tlsrpt` (an HTTPS host on
//! 127.0.0.23 with a certificate from the test CA, which the daemon
//! trusts); `mismatch.test` publishes a malformed TLS-RPT record.
//! [`world`] runs the daemon in the
//! test with a clock the tests move and a scheduler they drive;
//! [`internet`] builds the same world without it, for a daemon in a
//! process of its own (`kill9.rs`).

#![allow(dead_code)] // each test binary uses its own part of this module

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use dns::clock::ManualClock;
use server::config::Config;
use server::{Daemon, Scheduling};
use testworld::Identity;
use testworld::ca::TestCa;
use testworld::dns::{Denial, DnsServer, DnsWorld};
use testworld::https::{PolicyBehaviour, PolicyHost};
use testworld::net::{free_port, loopback};
use testworld::smtp::{Behaviour, Receiver};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// The `dummy._domainkey.example.org` key of ValiMail's ARC test suite
/// (MIT licence, see `crates/auth/tests/data/arc/LICENSE.txt`).
pub const ARC_SUITE_KEY: &str = "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB";

pub struct World {
    pub dns: DnsServer,
    pub receivers: Vec<Receiver>,
    /// `reports.dane.test`, where `dane.test` takes TLS reports by POST.
    pub reports: PolicyHost,
    pub daemon: Daemon,
    pub clock: Arc<ManualClock>,
    pub dir: tempfile::TempDir,
    /// The certificate of `mx.dane.test` (receiver 0).
    pub dane_identity: Identity,
    /// The CA the daemon trusts for WebPKI (`[webpki] extra_roots`), to
    /// issue certificates for hosts a test adds.
    pub ca: TestCa,
}

/// The TLSA record data of a certificate, `3 1 1 <hex>`.
fn tlsa_311(cert: &tls::pki_types::CertificateDer<'_>) -> String {
    tls::tlsa_for_certificate(
        cert,
        tls::Usage::from(3),
        tls::Selector::from(1),
        tls::Matching::from(1),
    )
    .expect("test certificates parse")
    .to_string()
}

fn add_tlsa(zone: &mut testworld::dns::ZoneSpec, owner: &str, record: &str) {
    let f: Vec<&str> = record.splitn(4, ' ').collect();
    zone.tlsa(
        owner,
        f[0].parse().unwrap(),
        f[1].parse().unwrap(),
        f[2].parse().unwrap(),
        f[3],
    );
}

/// The world without the daemon: the signed zones, the two receivers, and
/// a directory for the daemon's data, its Maildirs and the trust anchor.
pub struct Internet {
    pub dns: DnsServer,
    pub receivers: Vec<Receiver>,
    pub reports: PolicyHost,
    pub dir: tempfile::TempDir,
    /// The certificate of `mx.dane.test` (receiver 0), to change its behaviour.
    pub dane_identity: Identity,
    /// The CA the daemon trusts for WebPKI (`[webpki] extra_roots`).
    pub ca: TestCa,
    port: u16,
    anchor: PathBuf,
    roots: PathBuf,
}

/// A signed domain of the test world whose MX hosts are receivers with
/// chosen behaviours, one `127.0.0.x` address each, in preference order.
pub struct ExtraDomain {
    /// The domain, e.g. `silent.test`.
    pub name: &'static str,
    /// Each MX host's last address octet and behaviour.
    pub hosts: Vec<(u8, Behaviour)>,
}

/// Builds the zones and starts the receivers.
pub async fn internet() -> Internet {
    internet_with(Vec::new()).await
}

/// [`internet`] with `extra` domains; their receivers follow the two of
/// [`internet`] in [`Internet::receivers`], in the order given.
pub async fn internet_with(extra: Vec<ExtraDomain>) -> Internet {
    internet_edited(extra, |_| {}).await
}

/// [`internet_with`], with `edit` changing the zones before they are
/// signed and served (e.g. an SPF record for an extra domain).
pub async fn internet_edited(
    extra: Vec<ExtraDomain>,
    edit: impl FnOnce(&mut DnsWorld),
) -> Internet {
    let ca = TestCa::new("server test ca");
    let good = ca.issue(&["mx.dane.test"]);
    let other = ca.issue(&["mx.mismatch.test"]);
    let unrelated = ca.issue(&["unrelated.test"]);
    let mut dns_world = DnsWorld::new();
    {
        let z = dns_world.signed_zone("dane.test.", Denial::Nsec);
        z.mx(10, "mx.dane.test.");
        z.a("mx.dane.test.", &loopback(21).to_string());
        add_tlsa(z, "_25._tcp.mx.dane.test.", &tlsa_311(good.leaf()));
        z.a("reports.dane.test.", &loopback(23).to_string());
        z.txt(
            "_smtp._tls.dane.test.",
            "v=TLSRPTv1; rua=mailto:tlsrpt@dane.test,https://reports.dane.test/tlsrpt",
        );
    }
    {
        let z = dns_world.signed_zone("mismatch.test.", Denial::Nsec);
        z.mx(10, "mx.mismatch.test.");
        z.a("mx.mismatch.test.", &loopback(22).to_string());
        add_tlsa(z, "_25._tcp.mx.mismatch.test.", &tlsa_311(unrelated.leaf()));
        z.txt(
            "_smtp._tls.mismatch.test.",
            "v=TLSRPTv1; rua=ftp://reports.mismatch.test/tlsrpt",
        );
    }
    {
        // Nobody listens at this address: every connection is refused.
        let z = dns_world.signed_zone("dead.test.", Denial::Nsec);
        z.mx(10, "mx.dead.test.");
        z.a("mx.dead.test.", &loopback(29).to_string());
    }
    {
        // A domain that sends from nowhere and asks for rejection.
        let z = dns_world.signed_zone("forged.test.", Denial::Nsec);
        z.txt("forged.test.", "v=spf1 -all");
        z.txt("_dmarc.forged.test.", "v=DMARC1; p=reject");
    }
    {
        // Sender authentication: a domain asking for quarantine, one with
        // SPF but no DMARC, and one whose mail comes from 192.0.2.25 only.
        let z = dns_world.signed_zone("quarantined.test.", Denial::Nsec);
        z.txt("quarantined.test.", "v=spf1 -all");
        z.txt("_dmarc.quarantined.test.", "v=DMARC1; p=quarantine");
        let z = dns_world.signed_zone("nodmarc.test.", Denial::Nsec);
        z.txt("nodmarc.test.", "v=spf1 -all");
        let z = dns_world.signed_zone("behind.test.", Denial::Nsec);
        z.txt("behind.test.", "v=spf1 ip4:192.0.2.25 -all");
        z.txt("_dmarc.behind.test.", "v=DMARC1; p=reject");
    }
    {
        // The sealer of ValiMail's ARC test messages, with their key, and
        // a DMARC policy its authors' mail fails here.
        let z = dns_world.signed_zone("example.org.", Denial::Nsec);
        z.txt("dummy._domainkey.example.org.", ARC_SUITE_KEY);
        z.txt("_dmarc.example.org.", "v=DMARC1; p=reject");
    }
    for domain in &extra {
        let zone = format!("{}.", domain.name);
        let z = dns_world.signed_zone(&zone, Denial::Nsec);
        for (i, (last, _)) in domain.hosts.iter().enumerate() {
            let host = format!("mx{}.{zone}", i + 1);
            z.mx(10 * (i as u16 + 1), &host);
            z.a(&host, &loopback(*last).to_string());
        }
    }
    edit(&mut dns_world);
    let dns = dns_world.serve().await.expect("DNS world starts");
    let mut addresses = vec![loopback(21), loopback(22)];
    addresses.extend(
        extra
            .iter()
            .flat_map(|d| d.hosts.iter().map(|(l, _)| loopback(*l))),
    );
    let port = free_port(&addresses);
    let mut receivers = vec![
        Receiver::start(
            SocketAddr::new(loopback(21), port),
            Behaviour::starttls(&good),
        )
        .unwrap(),
        Receiver::start(
            SocketAddr::new(loopback(22), port),
            Behaviour::starttls(&other),
        )
        .unwrap(),
    ];
    for domain in extra {
        for (last, behaviour) in domain.hosts {
            receivers
                .push(Receiver::start(SocketAddr::new(loopback(last), port), behaviour).unwrap());
        }
    }
    let reports = PolicyHost::start(
        SocketAddr::new(loopback(23), 0),
        PolicyBehaviour::serving(&ca.issue(&["reports.dane.test"]), ""),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let anchor = dir.path().join("anchor.txt");
    std::fs::write(&anchor, dns.trust_anchor_ds()).unwrap();
    let roots = dir.path().join("roots.pem");
    ca.write_root_pem(&roots).unwrap();
    Internet {
        dns,
        receivers,
        reports,
        roots,
        dir,
        dane_identity: good,
        ca,
        port,
        anchor,
    }
}

impl Internet {
    /// The daemon's configuration for this world, its submission listener
    /// on `submission`; `extra` goes first (top-level keys and sections).
    pub fn config_text(&self, extra: &str, submission: SocketAddr) -> String {
        self.config_text_with(extra, "", submission)
    }

    /// [`Internet::config_text`] with `outbound` keys added to `[outbound]`.
    pub fn config_text_with(&self, extra: &str, outbound: &str, submission: SocketAddr) -> String {
        format!(
            r#"{extra}
[server]
hostname = "mail.sender.test"
data_dir = "{data}"

[[listener]]
role = "submission"
address = "{submission}"

[dns]
servers = ["{dns}"]
trust_anchor = "{anchor}"

[webpki]
extra_roots = "{roots}"

[domain."sender.test"]
maildir = "{maildir}"

[outbound]
ehlo = "mail.sender.test"
smtp_port = {port}
https_port = {https}
{outbound}
"#,
            data = self.data_dir().display(),
            dns = self.dns.addr(),
            anchor = self.anchor.display(),
            maildir = self.dir.path().join("mail").display(),
            port = self.port,
            roots = self.roots.display(),
            https = self.reports.port(),
        )
    }

    /// Where the daemon keeps its queue.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }
}

/// Builds the world and starts the daemon; `extra` is appended to its
/// configuration file.
pub async fn world(extra: &str) -> World {
    world_with(extra, Scheduling::Manual).await
}

/// [`world`] with the daemon's scheduler run as `scheduling` says.
pub async fn world_with(extra: &str, scheduling: Scheduling) -> World {
    world_of(internet().await, extra, "", scheduling).await
}

/// [`world`] in a world with `domains` besides the standard ones;
/// `outbound` keys go into `[outbound]`, `extra` before it.
pub async fn world_with_domains(extra: &str, outbound: &str, domains: Vec<ExtraDomain>) -> World {
    world_of(
        internet_with(domains).await,
        extra,
        outbound,
        Scheduling::Manual,
    )
    .await
}

/// [`world_with_domains`] with `edit` changing the zones.
pub async fn world_with_zones(
    extra: &str,
    domains: Vec<ExtraDomain>,
    edit: impl FnOnce(&mut DnsWorld),
) -> World {
    world_of(
        internet_edited(domains, edit).await,
        extra,
        "",
        Scheduling::Manual,
    )
    .await
}

pub async fn world_of(net: Internet, extra: &str, outbound: &str, scheduling: Scheduling) -> World {
    let text = net.config_text_with(extra, outbound, SocketAddr::from(([127, 0, 0, 1], 0)));
    let config = Config::parse(&text, std::path::Path::new("test.toml"))
        .expect("test configuration is valid");
    let clock = Arc::new(ManualClock::new(SystemTime::now()));
    let daemon = Daemon::start(config, clock.clone(), scheduling)
        .await
        .expect("daemon starts");
    World {
        dns: net.dns,
        receivers: net.receivers,
        reports: net.reports,
        daemon,
        clock,
        dir: net.dir,
        dane_identity: net.dane_identity,
        ca: net.ca,
    }
}

impl World {
    /// The submission listener's address.
    pub fn submission(&self) -> SocketAddr {
        self.daemon.listening()[0].1
    }

    /// Moves the clock and runs everything due.
    pub async fn advance(&self, by: Duration) {
        self.clock.advance(by);
        self.daemon.drain().await.expect("the store answers");
    }

    /// Files delivered into the Maildir of `address`.
    pub fn maildir(&self, address: &str) -> Vec<String> {
        let dir: PathBuf = self.dir.path().join("mail").join(address).join("new");
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        entries
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect()
    }
}

/// An SMTP client that writes lines and reads replies, for talking to the daemon.
pub struct Talk {
    reader: BufReader<tokio::io::ReadHalf<TcpStream>>,
    writer: tokio::io::WriteHalf<TcpStream>,
}

impl Talk {
    pub async fn connect(addr: SocketAddr) -> (Talk, String) {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (r, w) = tokio::io::split(stream);
        let mut talk = Talk {
            reader: BufReader::new(r),
            writer: w,
        };
        let greeting = talk.reply().await;
        (talk, greeting)
    }

    /// One whole reply (all its lines).
    pub async fn reply(&mut self) -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            if self.reader.read_line(&mut line).await.unwrap() == 0 {
                return all;
            }
            all.push_str(&line);
            if line.as_bytes().get(3) != Some(&b'-') {
                return all;
            }
        }
    }

    pub async fn send(&mut self, line: &str) -> String {
        self.writer
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .unwrap();
        self.reply().await
    }

    /// A whole transaction; returns the reply to the end of data.
    pub async fn mail(&mut self, from: &str, to: &[&str], body: &str) -> String {
        let r = self.send(&format!("MAIL FROM:<{from}>")).await;
        assert!(r.starts_with("250"), "MAIL: {r}");
        for rcpt in to {
            let r = self.send(&format!("RCPT TO:<{rcpt}>")).await;
            assert!(r.starts_with("250"), "RCPT {rcpt}: {r}");
        }
        let r = self.send("DATA").await;
        assert!(r.starts_with("354"), "DATA: {r}");
        self.send(&format!("{body}\r\n.")).await
    }
}

/// Submits one message over SMTP and returns the reply to the end of data.
pub async fn submit(world: &World, from: &str, to: &[&str]) -> String {
    let (mut talk, greeting) = Talk::connect(world.submission()).await;
    assert!(greeting.starts_with("220"), "{greeting}");
    let r = talk.send("EHLO client.sender.test").await;
    assert!(r.starts_with("250"), "{r}");
    let reply = talk
        .mail(
            from,
            to,
            "Subject: hello\r\nMessage-ID: <t1@sender.test>\r\n\r\nHi.",
        )
        .await;
    talk.send("QUIT").await;
    reply
}

/// A load: messages `range` (numbered), each `head(i)` and a body of 26
/// lines of 76 octets, from `sender` to `rcpt`.
pub struct Load {
    pub range: std::ops::Range<usize>,
    pub sender: &'static str,
    pub rcpt: &'static str,
    pub head: fn(usize) -> String,
}

/// Submits `load` over `clients` concurrent SMTP sessions, which take
/// `listeners` in turn; every message must get a 250.
pub async fn submit_load(listeners: &[SocketAddr], clients: usize, load: Load) {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(load.range.start));
    let load = Arc::new(load);
    let mut sessions = Vec::new();
    for c in 0..clients {
        let address = listeners[c % listeners.len()];
        let (next, load) = (next.clone(), load.clone());
        sessions.push(tokio::spawn(async move {
            let (mut talk, _) = Talk::connect(address).await;
            talk.send("EHLO bench.sender.test").await;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= load.range.end {
                    break;
                }
                let body = format!(
                    "{}\r\n{}",
                    (load.head)(i),
                    format!("{}\r\n", "x".repeat(76)).repeat(26)
                );
                let reply = talk.mail(load.sender, &[load.rcpt], &body).await;
                assert!(reply.starts_with("250"), "{reply}");
            }
            talk.send("QUIT").await;
        }));
    }
    for session in sessions {
        session.await.expect("the session finished");
    }
}

/// The queue id in a `250 ... queued as ID` reply.
pub fn queue_id(reply: &str) -> String {
    reply.trim_end().rsplit(' ').next().unwrap().to_owned()
}

/// ValiMail ARC test suite case `cv_pass_i1_1` (MIT licence, see
/// `crates/auth/tests/data/arc/LICENSE.txt`): sealed by example.org, whose
/// key the test world publishes; its ARC-Authentication-Results say
/// `dmarc=pass`.
pub const ARC_SEALED: &str = "MIME-Version: 1.0\r
Return-Path: <jqd@d1.example.org>\r
ARC-Seal: a=rsa-sha256;\r
    b=dOdFEyhrk/tw5wl3vMIogoxhaVsKJkrkEhnAcq2XqOLSQhPpGzhGBJzR7k1sWGokon3TmQ\r
    7TX9zQLO6ikRpwd/pUswiRW5DBupy58fefuclXJAhErsrebfvfiueGyhHXV7C1LyJTztywzn\r
    QGG4SCciU/FTlsJ0QANrnLRoadfps=; cv=none; d=example.org; i=1; s=dummy;\r
    t=12345\r
ARC-Message-Signature: a=rsa-sha256;\r
    b=QsRzR/UqwRfVLBc1TnoQomlVw5qi6jp08q8lHpBSl4RehWyHQtY3uOIAGdghDk/mO+/Xpm\r
    9JA5UVrPyDV0f+2q/YAHuwvP11iCkBQkocmFvgTSxN8H+DwFFPrVVUudQYZV7UDDycXoM6UE\r
    cdfzLLzVNPOAHEDIi/uzoV4sUqZ18=;\r
    bh=KWSe46TZKCcDbH4klJPo+tjk5LWJnVRlP5pvjXFZYLQ=; c=relaxed/relaxed;\r
    d=example.org; h=from:to:date:subject:mime-version:arc-authentication-results;\r
    i=1; s=dummy; t=12345\r
ARC-Authentication-Results: i=1; lists.example.org;\r
    spf=pass smtp.mfrom=jqd@d1.example;\r
    dkim=pass (1024-bit key) header.i=@d1.example;\r
    dmarc=pass\r
Received: from segv.d1.example (segv.d1.example [72.52.75.15])\r
    by lists.example.org (8.14.5/8.14.5) with ESMTP id t0EKaNU9010123\r
    for <arc@example.org>; Thu, 14 Jan 2015 15:01:30 -0800 (PST)\r
    (envelope-from jqd@d1.example)\r
Authentication-Results: lists.example.org;\r
    spf=pass smtp.mfrom=jqd@d1.example;\r
    dkim=pass (1024-bit key) header.i=@d1.example;\r
    dmarc=pass\r
Received: by 10.157.14.6 with HTTP; Tue, 3 Jan 2017 12:22:54 -0800 (PST)\r
Message-ID: <54B84785.1060301@d1.example.org>\r
Date: Thu, 14 Jan 2015 15:00:01 -0800\r
From: John Q Doe <jqd@d1.example.org>\r
To: arc@dmarc.org\r
Subject: Example 1\r
\r
Hey gang,\r
This is a test message.\r
--J.";
