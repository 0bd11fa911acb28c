//! The authoritative server: one UDP socket and one TCP listener on the same
//! `127.0.0.1` port, answering from the built zones.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, RwLock};

use hickory_proto::dnssec::rdata::DS;
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::Name;
use hickory_proto::rr::{Record, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::task::JoinHandle;

use super::answer::{Reply, answer};
use super::name;
use super::zone::{BuiltZone, Fault, ZoneSpec, build_all};

/// Largest UDP answer when the query carries no EDNS (RFC 1035 §2.3.4).
const PLAIN_UDP_LIMIT: usize = 512;

struct State {
    specs: BTreeMap<Name, ZoneSpec>,
    zones: BTreeMap<Name, BuiltZone>,
    tcp_queries: usize,
    /// Queries received, by record type (`DNSKEY`, `MX`, ...).
    queries: BTreeMap<String, usize>,
    misbehaviour: Misbehaviour,
}

/// What the whole server does wrong, as a broken local resolver does: it
/// concerns every query, the trust anchor's own zone included.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Misbehaviour {
    /// Nothing: answers as the zones say.
    #[default]
    None,
    /// NXDOMAIN, without any record, to every query.
    NxDomainToEverything,
    /// Answers without any RRSIG, NSEC or NSEC3 record, as a resolver or
    /// middlebox that does not pass DNSSEC records on.
    StripSignatures,
    /// REFUSED to every query that sets the DO or CD bit.
    RefuseDnssec,
    /// No answer to any query.
    Silent,
}

/// A running authoritative server; it stops when dropped.
pub struct DnsServer {
    addr: SocketAddr,
    state: Arc<RwLock<State>>,
    tasks: Vec<JoinHandle<()>>,
}

impl DnsServer {
    pub(crate) async fn start(specs: BTreeMap<Name, ZoneSpec>) -> std::io::Result<Self> {
        let zones = build_all(&specs);
        let state = Arc::new(RwLock::new(State {
            specs,
            zones,
            tcp_queries: 0,
            queries: BTreeMap::new(),
            misbehaviour: Misbehaviour::None,
        }));
        let (udp, tcp) = bind_pair().await?;
        let addr = udp.local_addr()?;
        let tasks = vec![
            tokio::spawn(serve_udp(udp, state.clone())),
            tokio::spawn(serve_tcp(tcp, state.clone())),
        ];
        Ok(Self { addr, state, tasks })
    }

    /// Where the server listens, UDP and TCP.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The root zone's DS record in zone-file syntax: the trust anchor for
    /// this world.
    pub fn trust_anchor_ds(&self) -> String {
        let state = self.read();
        let root = &state.specs[&Name::root()];
        let ds: DS = root.key.ds(&Name::root());
        format!(". 3600 IN DS {ds}")
    }

    /// The root zone's DNSKEY record in zone-file syntax.
    pub fn trust_anchor_dnskey(&self) -> String {
        let state = self.read();
        let root = &state.specs[&Name::root()];
        format!(". 3600 IN DNSKEY {}", root.key.dnskey())
    }

    /// Writes the DS trust anchor to `path`, for tools that read a file.
    pub fn write_trust_anchor(&self, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, format!("{}\n", self.trust_anchor_ds()))
    }

    /// Changes what is wrong with a zone, re-signing the world.
    pub fn set_fault(&self, origin: &str, fault: Fault) {
        let mut state = self
            .state
            .write()
            .expect("no thread panics holding the zone lock");
        let origin = name(origin);
        let spec = state
            .specs
            .get_mut(&origin)
            .unwrap_or_else(|| panic!("no zone {origin} in the test world"));
        spec.fault = fault;
        state.zones = build_all(&state.specs);
    }

    /// Makes the whole server misbehave (or behave again).
    pub fn set_misbehaviour(&self, misbehaviour: Misbehaviour) {
        self.state
            .write()
            .expect("no thread panics holding the zone lock")
            .misbehaviour = misbehaviour;
    }

    /// The DS record of a signed zone's key-signing key, in zone-file
    /// syntax: a trust anchor for that zone alone (an island of security).
    pub fn zone_anchor_ds(&self, origin: &str) -> String {
        let state = self.read();
        let origin = name(origin);
        let ds: DS = state.specs[&origin].key.ds(&origin);
        format!("{origin} 3600 IN DS {ds}")
    }

    /// The DNSKEY record of a signed zone's key-signing key, in zone-file
    /// syntax.
    pub fn zone_anchor_dnskey(&self, origin: &str) -> String {
        let state = self.read();
        let origin = name(origin);
        format!(
            "{origin} 3600 IN DNSKEY {}",
            state.specs[&origin].key.dnskey()
        )
    }

    /// How many queries arrived over TCP, so tests can see the fallback.
    pub fn tcp_queries(&self) -> usize {
        self.read().tcp_queries
    }

    /// How many queries for records of `rtype` (`"DNSKEY"`, `"MX"`, ...)
    /// arrived over UDP or TCP, so tests can count round trips.
    pub fn queries(&self, rtype: &str) -> usize {
        self.read().queries.get(rtype).copied().unwrap_or(0)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state
            .read()
            .expect("no thread panics holding the zone lock")
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// A UDP socket and a TCP listener on the same free port.
async fn bind_pair() -> std::io::Result<(UdpSocket, TcpListener)> {
    let mut last_error = None;
    for _ in 0..20 {
        let udp = UdpSocket::bind("127.0.0.1:0").await?;
        match TcpListener::bind(udp.local_addr()?).await {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.expect("the loop ran at least once"))
}

fn respond(state: &RwLock<State>, request: &[u8]) -> Option<(Message, usize)> {
    let request = Message::from_vec(request).ok()?;
    if let (Some(query), Ok(mut state)) = (request.queries.first(), state.write()) {
        *state
            .queries
            .entry(query.query_type().to_string())
            .or_default() += 1;
    }
    let limit = request
        .edns
        .as_ref()
        .map_or(PLAIN_UDP_LIMIT, |e| usize::from(e.max_payload()));
    let state = state.read().ok()?;
    let asks_dnssec = request.metadata.checking_disabled
        || request.edns.as_ref().is_some_and(|e| e.flags().dnssec_ok);
    let mut message = match (state.misbehaviour, answer(&state.zones, &request)) {
        (Misbehaviour::Silent, _) | (_, Reply::Silence) => return None,
        (_, Reply::Message(message)) => *message,
    };
    match state.misbehaviour {
        Misbehaviour::NxDomainToEverything => {
            message.answers.clear();
            message.authorities.clear();
            message.additionals.clear();
            message.metadata.authoritative = false;
            message.metadata.response_code = ResponseCode::NXDomain;
        }
        Misbehaviour::RefuseDnssec if asks_dnssec => {
            message.answers.clear();
            message.authorities.clear();
            message.additionals.clear();
            message.metadata.response_code = ResponseCode::Refused;
        }
        Misbehaviour::StripSignatures => {
            let dnssec = |r: &Record| {
                matches!(
                    r.record_type(),
                    RecordType::RRSIG | RecordType::NSEC | RecordType::NSEC3
                )
            };
            message.answers.retain(|r| !dnssec(r));
            message.authorities.retain(|r| !dnssec(r));
        }
        _ => {}
    }
    Some((message, limit))
}

async fn serve_udp(socket: UdpSocket, state: Arc<RwLock<State>>) {
    let mut buffer = vec![0u8; 65_535];
    loop {
        let Ok((len, peer)) = socket.recv_from(&mut buffer).await else {
            continue;
        };
        let Some((mut message, limit)) = respond(&state, &buffer[..len]) else {
            continue;
        };
        let Ok(mut bytes) = message.to_vec() else {
            continue;
        };
        if bytes.len() > limit {
            // RFC 2181 §9: too large for UDP, so say so and let the client use TCP.
            message.answers.clear();
            message.authorities.clear();
            message.additionals.clear();
            message.metadata.truncation = true;
            let Ok(truncated) = message.to_vec() else {
                continue;
            };
            bytes = truncated;
        }
        let _ = socket.send_to(&bytes, peer).await;
    }
}

async fn serve_tcp(listener: TcpListener, state: Arc<RwLock<State>>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(serve_tcp_connection(stream, state.clone()));
    }
}

/// RFC 1035 §4.2.2: each message prefixed by its two-byte length.
async fn serve_tcp_connection(mut stream: TcpStream, state: Arc<RwLock<State>>) {
    loop {
        let Ok(len) = stream.read_u16().await else {
            return;
        };
        let mut request = vec![0u8; usize::from(len)];
        if stream.read_exact(&mut request).await.is_err() {
            return;
        }
        if let Ok(mut state) = state.write() {
            state.tcp_queries += 1;
        }
        let Some((message, _)) = respond(&state, &request) else {
            continue;
        };
        let Ok(bytes) = message.to_vec() else {
            return;
        };
        let Ok(len) = u16::try_from(bytes.len()) else {
            return;
        };
        if stream.write_u16(len).await.is_err() || stream.write_all(&bytes).await.is_err() {
            return;
        }
    }
}
