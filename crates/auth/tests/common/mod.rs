#![allow(dead_code)] // each test binary uses its own part of this module

//! Shared set-up: a test-world DNS server and a resolver that trusts it.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use dns::clock::ManualClock;
use dns::{Resolver, ResolverConfig, TrustAnchor};
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::{Name, RData, Record};
use testworld::dns::{DnsServer, DnsWorld, ZoneSpec};

/// A resolver that trusts `server`'s signed root.
pub fn resolver(server: &DnsServer) -> Resolver {
    let anchors = TrustAnchor::parse(&server.trust_anchor_ds()).expect("the world's DS parses");
    let config = ResolverConfig::new(vec![server.addr()])
        .with_trust_anchors(anchors)
        .with_timeout(Duration::from_millis(400), 1);
    Resolver::with_clock(config, Arc::new(ManualClock::new(SystemTime::now())))
}

/// Adds a TXT record whose text may be longer than one character-string,
/// split into 255-octet strings (RFC 1035 §3.3.14, RFC 6376 §3.6.2.2).
pub fn long_txt(zone: &mut ZoneSpec, owner: &str, text: &str) {
    let strings: Vec<String> = text
        .as_bytes()
        .chunks(255)
        .map(|c| String::from_utf8(c.to_vec()).expect("ASCII record"))
        .collect();
    let mut name = Name::from_ascii(owner).expect("test owner name");
    name.set_fqdn(true);
    zone.record(Record::from_rdata(name, 300, RData::TXT(TXT::new(strings))));
}

/// Serves `world`.
pub async fn serve(world: DnsWorld) -> DnsServer {
    world.serve().await.expect("test world DNS starts")
}
