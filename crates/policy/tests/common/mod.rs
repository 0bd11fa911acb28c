#![allow(dead_code)] // each test binary uses its own part of this module

//! Shared set-up: serve a DNS world and build a resolver that trusts it.

pub mod sts;

use std::time::Duration;

use dns::{Name, Resolver, ResolverConfig, TrustAnchor};
use policy::{DeliveryPlan, HostPlan, PlanOptions};
use testworld::dns::{DnsServer, DnsWorld};

/// Any 32 bytes do for plan tests: no certificate is checked here.
pub const HASH_A: &str = "8c7d6b2a0f1e3d4c5b6a79880716253443526170819f0e1d2c3b4a5968778695";
/// Another 32 bytes, to tell records apart.
pub const HASH_B: &str = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20";

pub struct Env {
    pub server: DnsServer,
    pub resolver: Resolver,
}

/// Serves `world` and returns a resolver trusting its root.
pub async fn serve(world: DnsWorld) -> Env {
    let server = world.serve().await.expect("test world starts");
    let anchors = TrustAnchor::parse(&server.trust_anchor_ds()).expect("the world's DS parses");
    let config = ResolverConfig::new(vec![server.addr()])
        .with_trust_anchors(anchors)
        .with_timeout(Duration::from_millis(400), 1);
    Env {
        server,
        resolver: Resolver::new(config),
    }
}

impl Env {
    /// The plan for `domain` under no local policy.
    pub async fn plan(&self, domain: &str) -> DeliveryPlan {
        self.plan_with(domain, &PlanOptions::new()).await
    }

    /// The plan for `domain` under `options`.
    pub async fn plan_with(&self, domain: &str, options: &PlanOptions) -> DeliveryPlan {
        policy::plan(&self.resolver, &name(domain), options).await
    }
}

pub fn name(text: &str) -> Name {
    Resolver::parse_name(text).expect("valid test name")
}

/// The only host of a plan.
pub fn only_host(plan: &DeliveryPlan) -> &HostPlan {
    assert_eq!(plan.hosts.len(), 1, "one host expected: {plan:#?}");
    &plan.hosts[0]
}

/// A record as the plan holds it.
pub fn tlsa(text: &str) -> tls::Tlsa {
    text.parse().expect("valid test TLSA")
}
