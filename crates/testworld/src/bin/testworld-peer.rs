//! Runs SMTP receivers and MTA-STS policy hosts with certificates made
//! elsewhere (e.g. by the `openssl` CLI), until killed: the peers of the
//! interop checks whose DNS and certificates our own code did not make.
//!
//! Usage: `testworld-peer DIR SPEC...`, where each SPEC is
//!
//! - `smtp=IP:PORT,CHAIN.pem,KEY.pem`: an SMTP receiver offering STARTTLS
//!   with that chain (leaf first) and PKCS#8 key;
//! - `https=IP:PORT,CHAIN.pem,KEY.pem,POLICY.txt`: a policy host serving
//!   the file as `/.well-known/mta-sts.txt`.
//!
//! It writes `DIR/ready` once every peer listens, then appends one line to
//! `DIR/messages` per message received:
//! `<receiver address> from=<reverse-path> to=<recipients> tls=<version> sni=<name>`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use testworld::Identity;
use testworld::https::{PolicyBehaviour, PolicyHost};
use testworld::smtp::{Behaviour, Receiver};

/// Run SMTP receivers and MTA-STS policy hosts with certificates made
/// elsewhere, on loopback, until killed.
#[derive(clap::Parser)]
#[command(name = "testworld-peer", version)]
struct Args {
    /// Directory to write into: `ready` once every peer listens, then one
    /// line per message received in `messages`.
    dir: PathBuf,
    /// `smtp=IP:PORT,CHAIN.pem,KEY.pem` (a receiver offering STARTTLS) or
    /// `https=IP:PORT,CHAIN.pem,KEY.pem,POLICY.txt` (a policy host).
    #[arg(required = true, value_name = "SPEC")]
    specs: Vec<String>,
}

fn main() {
    let Args { dir, specs } = <Args as clap::Parser>::parse();
    if let Err(e) = std::fs::create_dir_all(&dir) {
        fail(&format!("cannot create {}: {e}", dir.display()));
    }
    let mut receivers = Vec::new();
    let mut hosts = Vec::new();
    for spec in &specs {
        let (kind, rest) = spec.split_once('=').unwrap_or((spec, ""));
        let parts: Vec<&str> = rest.split(',').collect();
        match (kind, parts.as_slice()) {
            ("smtp", [addr, chain, key]) => {
                let identity = identity(Path::new(chain), Path::new(key));
                let receiver = Receiver::start(address(addr), Behaviour::starttls(&identity))
                    .unwrap_or_else(|e| {
                        fail(&format!("cannot listen on {addr}: {}", smtp::io_text(&e)))
                    });
                receivers.push(receiver);
            }
            ("https", [addr, chain, key, policy]) => {
                let identity = identity(Path::new(chain), Path::new(key));
                let policy = std::fs::read_to_string(policy).unwrap_or_else(|e| {
                    fail(&format!("cannot read {policy}: {}", smtp::io_text(&e)))
                });
                let host =
                    PolicyHost::start(address(addr), PolicyBehaviour::serving(&identity, &policy))
                        .unwrap_or_else(|e| {
                            fail(&format!("cannot listen on {addr}: {}", smtp::io_text(&e)))
                        });
                hosts.push(host);
            }
            _ => fail(&format!("cannot read the peer {}", smtp::quoted(spec))),
        }
    }
    if let Err(e) = std::fs::write(dir.join("ready"), "") {
        fail(&format!("cannot write {}: {e}", dir.display()));
    }
    let mut seen = vec![0; receivers.len()];
    loop {
        for (receiver, seen) in receivers.iter().zip(seen.iter_mut()) {
            for message in receiver.messages().iter().skip(*seen) {
                let (tls, sni) = message.session.tls.as_ref().map_or(("none", ""), |t| {
                    (t.version.as_str(), t.server_name.as_str())
                });
                let line = format!(
                    "{} from={} to={} tls={tls} sni={sni}\n",
                    receiver.addr(),
                    message.envelope.sender,
                    message.recipient_addresses().join(","),
                );
                append(&dir.join("messages"), &line);
                *seen += 1;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn identity(chain: &Path, key: &Path) -> Identity {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(chain)
        .and_then(|certs| certs.collect())
        .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", chain.display())));
    let Some(last) = chain.last().cloned() else {
        fail("a certificate file holds no certificate");
    };
    let key = PrivateKeyDer::from_pem_file(key)
        .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", key.display())));
    Identity {
        chain,
        key,
        root: last,
    }
}

fn address(text: &str) -> SocketAddr {
    text.parse()
        .unwrap_or_else(|_| fail(&format!("{} is not an IP:PORT address", smtp::quoted(text))))
}

fn append(path: &Path, line: &str) {
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut file| file.write_all(line.as_bytes()));
    if let Err(e) = written {
        fail(&format!("cannot write {}: {e}", path.display()));
    }
}

fn fail(message: &str) -> ! {
    eprintln!("testworld-peer: {message}");
    std::process::exit(2);
}
