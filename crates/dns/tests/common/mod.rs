#![allow(dead_code)] // each test binary uses its own part of this module

//! Shared set-up: the standard test world and a resolver that trusts it.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use dns::clock::ManualClock;
use dns::{Name, Resolver, ResolverConfig, TrustAnchor};
use testworld::dns::{DnsServer, standard};

pub struct World {
    pub server: DnsServer,
    pub resolver: Resolver,
    pub clock: Arc<ManualClock>,
}

pub async fn world() -> World {
    logs();
    let server = standard().serve().await.expect("test world starts");
    let anchors = TrustAnchor::parse(&server.trust_anchor_ds()).expect("the world's DS parses");
    let clock = Arc::new(ManualClock::new(SystemTime::now()));
    let config = ResolverConfig::new(vec![server.addr()])
        .with_trust_anchors(anchors)
        .with_timeout(Duration::from_millis(400), 1);
    let resolver = Resolver::with_clock(config, clock.clone());
    World {
        server,
        resolver,
        clock,
    }
}

pub fn name(text: &str) -> Name {
    Resolver::parse_name(text).expect("valid test name")
}

/// Shows hickory's and our logs when `RUST_LOG` is set.
pub fn logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}
