//! The world `sealane demo` delivers into: one destination domain per
//! security situation of DESIGN §2, each with its DNS records, its MX host
//! (an SMTP receiver on its own `127.0.0.x`) and, for MTA-STS domains, its
//! policy host — all signed, issued and started here, on loopback.
//!
//! Every MX host listens on the same port ([`DemoWorld::smtp_port`]) and
//! every policy host on the same HTTPS port ([`DemoWorld::https_port`]), so
//! the product under test needs only those two ports, the DNS server's
//! address and trust anchor, and the test CA's root.
//!
//! The world says what each domain publishes and how its host behaves; it
//! never says what should happen to mail sent there. That is the product's
//! decision, shown by the demo and checked by its test.

use std::net::{IpAddr, SocketAddr};

use ring::digest;

use crate::Identity;
use crate::ca::TestCa;
use crate::dns::{Denial, DnsServer, DnsWorld, Fault};
use crate::https::{PolicyBehaviour, PolicyHost, sts_domain};
use crate::net::{free_port, loopback};
use crate::smtp::{Behaviour, Receiver};

/// The domain whose mail the demo's senders use; it has no records here.
pub const SENDER_DOMAIN: &str = "sender.demo";

/// The MTA-STS policy id every demo policy domain publishes.
pub const POLICY_ID: &str = "20260101";

/// The first `127.0.0.x` the demo hosts use; each host takes the next one.
const FIRST_HOST: u8 = 160;

/// One destination domain of the demo.
#[derive(Debug, Clone)]
pub struct Destination {
    /// The domain, e.g. `dane.demo`.
    pub domain: String,
    /// What it publishes and how its MX host behaves, in words.
    pub setup: &'static str,
}

/// The running demo world. Dropping it stops its servers.
pub struct DemoWorld {
    /// The authoritative DNS server for every demo zone.
    pub dns: DnsServer,
    /// The CA that issued every certificate; its root must be trusted for
    /// the MTA-STS hosts (`[webpki] extra_roots`).
    pub ca: TestCa,
    /// The port every MX host listens on.
    pub smtp_port: u16,
    /// The port every MTA-STS policy host listens on.
    pub https_port: u16,
    /// The destinations, in the order the demo shows them.
    pub destinations: Vec<Destination>,
    receivers: Vec<(String, Receiver)>,
    _policy_hosts: Vec<PolicyHost>,
}

/// What one destination needs before the servers start.
enum Host {
    /// No MX host at all.
    None,
    /// An MX host `mx.<domain>` on `ip`.
    Smtp {
        ip: IpAddr,
        behaviour: Box<Behaviour>,
    },
}

/// The TLSA association data `3 0 1` for a certificate: SHA-256 of the
/// whole certificate (RFC 6698 §2.1.2–2.1.3), computed here so that the
/// demo's records are not made by the product's own TLSA code.
fn tlsa_301(identity: &Identity) -> String {
    digest::digest(&digest::SHA256, identity.leaf().as_ref())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn policy(mode: &str, domain: &str) -> String {
    format!("version: STSv1\nmode: {mode}\nmx: mx.{domain}\nmax_age: 86400\n")
}

impl DemoWorld {
    /// Signs the zones, issues the certificates and starts every server.
    pub async fn start() -> std::io::Result<DemoWorld> {
        let ca = TestCa::new("Sealane Demo Root");
        let mut world = DnsWorld::new();
        let mut destinations = Vec::new();
        let mut hosts: Vec<(String, Host)> = Vec::new();
        let mut policies: Vec<(IpAddr, PolicyBehaviour)> = Vec::new();
        let mut next = FIRST_HOST;
        let mut take_ip = || {
            let ip = loopback(next);
            next += 1;
            ip
        };

        let mut add = |domain: &str, setup: &'static str| {
            destinations.push(Destination {
                domain: domain.to_owned(),
                setup,
            });
            format!("mx.{domain}")
        };

        // DANE, the TLSA record matching the host's certificate.
        let mx = add(
            "dane.demo",
            "DNSSEC-signed, TLSA 3 0 1 for its MX matching the certificate",
        );
        let ip = take_ip();
        let id = ca.issue(&[mx.as_str()]);
        dane_zone(&mut world, "dane.demo", &mx, ip, &tlsa_301(&id));
        hosts.push((mx, Host::smtp(ip, Behaviour::starttls(&id))));

        // DANE, the TLSA record matching another certificate.
        let mx = add(
            "dane-mismatch.demo",
            "DNSSEC-signed, TLSA 3 0 1 for another certificate than the MX presents",
        );
        let ip = take_ip();
        let id = ca.issue(&[mx.as_str()]);
        let other = ca.issue(&["unrelated.demo"]);
        dane_zone(&mut world, "dane-mismatch.demo", &mx, ip, &tlsa_301(&other));
        hosts.push((mx, Host::smtp(ip, Behaviour::starttls(&id))));

        // MTA-STS enforce, the MX presenting a valid certificate.
        let mx = add(
            "sts.demo",
            "MTA-STS enforce policy naming its MX, which presents a valid certificate",
        );
        let (ip, policy_ip) = (take_ip(), take_ip());
        sts_zone(&mut world, "sts.demo", &mx, ip, policy_ip);
        policies.push(policy_host(&ca, "sts.demo", "enforce", policy_ip));
        let id = ca.issue(&[mx.as_str()]);
        hosts.push((mx, Host::smtp(ip, Behaviour::starttls(&id))));

        // MTA-STS enforce, the MX presenting a certificate for another name.
        let mx = add(
            "sts-badcert.demo",
            "MTA-STS enforce policy; its MX presents a certificate for another name",
        );
        let (ip, policy_ip) = (take_ip(), take_ip());
        sts_zone(&mut world, "sts-badcert.demo", &mx, ip, policy_ip);
        policies.push(policy_host(&ca, "sts-badcert.demo", "enforce", policy_ip));
        let wrong = ca.issue(&["wrong-name.demo"]);
        hosts.push((mx, Host::smtp(ip, Behaviour::starttls(&wrong))));

        // MTA-STS testing, the same failure.
        let mx = add(
            "sts-testing.demo",
            "MTA-STS testing policy; its MX presents a certificate for another name",
        );
        let (ip, policy_ip) = (take_ip(), take_ip());
        sts_zone(&mut world, "sts-testing.demo", &mx, ip, policy_ip);
        policies.push(policy_host(&ca, "sts-testing.demo", "testing", policy_ip));
        let wrong = ca.issue(&["wrong-name.demo"]);
        hosts.push((mx, Host::smtp(ip, Behaviour::starttls(&wrong))));

        // Nothing published: an unsigned zone, STARTTLS offered.
        let mx = add(
            "plain.demo",
            "no DNSSEC, no TLSA, no MTA-STS; its MX offers STARTTLS",
        );
        let ip = take_ip();
        world
            .unsigned_zone("plain.demo.")
            .mx(10, &format!("{mx}."))
            .a(&format!("{mx}."), &ip.to_string());
        let id = ca.issue(&[mx.as_str()]);
        hosts.push((mx, Host::smtp(ip, Behaviour::starttls(&id))));

        // DNSSEC bogus: every signature of the zone expired.
        let mx = add(
            "bogus.demo",
            "DNSSEC-signed, but every signature expired a week ago (bogus)",
        );
        let ip = take_ip();
        let id = ca.issue(&[mx.as_str()]);
        dane_zone(&mut world, "bogus.demo", &mx, ip, &tlsa_301(&id));
        world
            .zone("bogus.demo.")
            .expect("declared just above")
            .fault(Fault::ExpiredSignatures);
        hosts.push((mx, Host::smtp(ip, Behaviour::starttls(&id))));

        // STARTTLS stripped on the way to a DANE host.
        let mx = add(
            "stripped.demo",
            "DNSSEC-signed with a matching TLSA record; STARTTLS is not offered (stripped)",
        );
        let ip = take_ip();
        let id = ca.issue(&[mx.as_str()]);
        dane_zone(&mut world, "stripped.demo", &mx, ip, &tlsa_301(&id));
        hosts.push((mx, Host::smtp(ip, Behaviour::plain())));

        // Null MX (RFC 7505): the domain accepts no mail.
        add(
            "null-mx.demo",
            "DNSSEC-signed null MX (MX 0 .): the domain accepts no mail",
        );
        world
            .signed_zone("null-mx.demo.", Denial::Nsec)
            .mx(0, ".")
            .a("null-mx.demo.", &take_ip().to_string());
        hosts.push(("null-mx.demo".to_owned(), Host::None));

        let smtp_ips: Vec<IpAddr> = hosts
            .iter()
            .filter_map(|(_, h)| match h {
                Host::Smtp { ip, .. } => Some(*ip),
                Host::None => None,
            })
            .collect();
        let smtp_port = free_port(&smtp_ips);
        let policy_ips: Vec<IpAddr> = policies.iter().map(|(ip, _)| *ip).collect();
        let https_port = free_port(&policy_ips);

        let dns = world.serve().await?;
        let mut receivers = Vec::new();
        for (mx, host) in hosts {
            if let Host::Smtp { ip, behaviour } = host {
                let receiver = Receiver::start(SocketAddr::new(ip, smtp_port), *behaviour)?;
                receivers.push((mx, receiver));
            }
        }
        let mut policy_hosts = Vec::new();
        for (ip, behaviour) in policies {
            policy_hosts.push(PolicyHost::start(
                SocketAddr::new(ip, https_port),
                behaviour,
            )?);
        }
        Ok(DemoWorld {
            dns,
            ca,
            smtp_port,
            https_port,
            destinations,
            receivers,
            _policy_hosts: policy_hosts,
        })
    }

    /// How many messages the MX host `mx` has received.
    pub fn received(&self, mx: &str) -> usize {
        self.receivers
            .iter()
            .find(|(name, _)| name == mx)
            .map_or(0, |(_, r)| r.messages().len())
    }
}

impl Host {
    fn smtp(ip: IpAddr, behaviour: Behaviour) -> Host {
        Host::Smtp {
            ip,
            behaviour: Box::new(behaviour),
        }
    }
}

/// A signed zone with one MX, its address and a `3 0 1` TLSA record.
fn dane_zone(world: &mut DnsWorld, domain: &str, mx: &str, ip: IpAddr, tlsa: &str) {
    world
        .signed_zone(&format!("{domain}."), Denial::Nsec)
        .mx(10, &format!("{mx}."))
        .a(&format!("{mx}."), &ip.to_string())
        .tlsa(&format!("_25._tcp.{mx}."), 3, 0, 1, tlsa);
}

/// A signed zone with one MX (no TLSA) and an MTA-STS record whose policy
/// host is on `policy_ip`.
fn sts_zone(world: &mut DnsWorld, domain: &str, mx: &str, ip: IpAddr, policy_ip: IpAddr) {
    sts_domain(world, domain, POLICY_ID, policy_ip)
        .mx(10, &format!("{mx}."))
        .a(&format!("{mx}."), &ip.to_string());
}

fn policy_host(ca: &TestCa, domain: &str, mode: &str, ip: IpAddr) -> (IpAddr, PolicyBehaviour) {
    let id = ca.issue(&[format!("mta-sts.{domain}").as_str()]);
    (ip, PolicyBehaviour::serving(&id, &policy(mode, domain)))
}

/// Why [`submit`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SubmitError {
    /// The connection failed; whether trying again helps depends on the server.
    #[error("submission connection: {0}")]
    Io(#[from] std::io::Error),
    /// The server refused a step (a permanent refusal for this message).
    #[error("submission refused at {step}: {reply}")]
    Refused {
        /// The command, e.g. `RCPT TO`.
        step: &'static str,
        /// The server's reply.
        reply: String,
    },
}

/// Submits one message per recipient in `to` over one SMTP session to
/// `server` (RFC 5321 §3.3: MAIL, RCPT, DATA per transaction), each from
/// `from` with a subject naming its recipient. Returns the reply to each
/// end of data (`250 ... queued as ID`).
pub async fn submit(
    server: SocketAddr,
    client: &str,
    from: &str,
    to: &[String],
) -> Result<Vec<String>, SubmitError> {
    use tokio::io::{AsyncWriteExt, BufReader};

    let stream = tokio::net::TcpStream::connect(server).await?;
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    reply(&mut read, "220", "greeting").await?;
    write
        .write_all(format!("EHLO {client}\r\n").as_bytes())
        .await?;
    reply(&mut read, "250", "EHLO").await?;
    let mut queued = Vec::new();
    for (n, rcpt) in to.iter().enumerate() {
        write
            .write_all(format!("MAIL FROM:<{from}>\r\n").as_bytes())
            .await?;
        reply(&mut read, "250", "MAIL FROM").await?;
        write
            .write_all(format!("RCPT TO:<{rcpt}>\r\n").as_bytes())
            .await?;
        reply(&mut read, "250", "RCPT TO").await?;
        write.write_all(b"DATA\r\n").await?;
        reply(&mut read, "354", "DATA").await?;
        let message = format!(
            "From: <{from}>\r\nTo: <{rcpt}>\r\nSubject: Sealane demo to {rcpt}\r\n\
             Message-ID: <demo.{n}@{SENDER_DOMAIN}>\r\n\r\n\
             Hello from the Sealane demo.\r\n.\r\n"
        );
        write.write_all(message.as_bytes()).await?;
        queued.push(reply(&mut read, "250", "end of data").await?);
    }
    write.write_all(b"QUIT\r\n").await?;
    let _ = reply(&mut read, "221", "QUIT").await;
    Ok(queued)
}

/// Reads one whole reply (all its lines) and checks its code.
async fn reply(
    read: &mut tokio::io::BufReader<tokio::net::tcp::OwnedReadHalf>,
    expect: &'static str,
    step: &'static str,
) -> Result<String, SubmitError> {
    use tokio::io::AsyncBufReadExt;

    let mut all = String::new();
    loop {
        let mut line = String::new();
        if read.read_line(&mut line).await? == 0 {
            break;
        }
        all.push_str(&line);
        if line.as_bytes().get(3) != Some(&b'-') {
            break;
        }
    }
    if all.starts_with(expect) {
        Ok(all.trim_end().to_owned())
    } else {
        Err(SubmitError::Refused { step, reply: all })
    }
}
