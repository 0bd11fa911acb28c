#![allow(dead_code)] // each test binary uses its own part of this module

//! Shared set-up: serve a DNS world, build a resolver that trusts it, and
//! read findings.

pub mod scene;

use std::time::Duration;

use check::{Finding, Severity};
use dns::{Name, Resolver, ResolverConfig, TrustAnchor};
use testworld::dns::{DnsServer, DnsWorld};

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

pub fn name(text: &str) -> Name {
    Resolver::parse_name(text).expect("valid test name")
}

/// The ids of `findings`, in order.
pub fn ids(findings: &[Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.id).collect()
}

/// The only finding with `id`; fails the test when there is none or more.
#[track_caller]
pub fn only<'a>(findings: &'a [Finding], id: &str) -> &'a Finding {
    let matching: Vec<&Finding> = findings.iter().filter(|f| f.id == id).collect();
    assert_eq!(matching.len(), 1, "one {id} expected in {findings:#?}");
    matching[0]
}

/// Asserts no finding has `id`.
#[track_caller]
pub fn none(findings: &[Finding], id: &str) {
    assert!(
        findings.iter().all(|f| f.id != id),
        "no {id} expected in {findings:#?}"
    );
}

/// Asserts nothing worse than `severity` was found.
#[track_caller]
pub fn at_most(findings: &[Finding], severity: Severity) {
    let worse: Vec<&Finding> = findings.iter().filter(|f| f.severity > severity).collect();
    assert!(
        worse.is_empty(),
        "nothing worse than {severity} expected: {worse:#?}"
    );
}
