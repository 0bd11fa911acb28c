//! A test world of many domains for the batch benchmark and the batch
//! test: `dNNNN.test` for each domain, each with MX, MTA-STS (record and
//! policy), SPF, DMARC and TLS-RPT; the MX hosts `dNNNN.mx.hosting.test`
//! share one zone, one SMTP receiver and one certificate (valid for
//! `*.mx.hosting.test`, described by a `3 1 1` TLSA record per host); the
//! policy hosts share one HTTPS host whose certificate names them all.

#![allow(dead_code)] // the example and the test each use their own part

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use check::Checker;
use delivery::DeliveryOptions;
use dns::{Name, Resolver, ResolverConfig, TrustAnchor};
use policy::sts::FetchOptions;
use testworld::ca::TestCa;
use testworld::dns::{Denial, DnsServer, DnsWorld};
use testworld::https::{PolicyBehaviour, PolicyHost, sts_domain};
use testworld::net::{free_port, loopback};
use testworld::smtp::{Behaviour, Receiver};
use tls::{Matching, Selector, TrustRoots, Usage};

/// The policy every domain serves.
pub const POLICY: &str = "version: STSv1\nmode: enforce\nmx: *.mx.hosting.test\nmax_age: 604800\n";

/// The running world and a checker pointed at it.
pub struct BenchWorld {
    pub dns: DnsServer,
    pub receiver: Receiver,
    pub policy_host: PolicyHost,
    pub checker: Arc<Checker>,
    pub domains: Vec<Name>,
}

/// The name of domain `i`.
pub fn domain(i: usize) -> String {
    format!("d{i:04}.test")
}

/// Builds and starts a world of `count` domains, with the SMTP receiver
/// on 127.0.0.`octet` and the policy host on the next address.
pub async fn start(count: usize, octet: u8) -> BenchWorld {
    let ca = TestCa::new("bench ca");
    let mx = ca.issue(&["*.mx.hosting.test"]);
    let policy_names: Vec<String> = (0..count)
        .map(|i| format!("mta-sts.{}", domain(i)))
        .collect();
    let policy_refs: Vec<&str> = policy_names.iter().map(String::as_str).collect();
    let policy_id = ca.issue(&policy_refs);
    let tlsa =
        tls::tlsa_for_certificate(mx.leaf(), Usage::DaneEe, Selector::Spki, Matching::Sha256)
            .expect("test certificates parse")
            .to_string();
    let hex = tlsa
        .rsplit(' ')
        .next()
        .expect("a TLSA record has data")
        .to_owned();
    let (smtp_ip, https_ip) = (loopback(octet), loopback(octet + 1));
    let mut world = DnsWorld::new();
    {
        let hosting = world.signed_zone("mx.hosting.test.", Denial::Nsec);
        for i in 0..count {
            let host = format!("d{i:04}.mx.hosting.test.");
            hosting
                .a(&host, &smtp_ip.to_string())
                .tlsa(&format!("_25._tcp.{host}"), 3, 1, 1, &hex);
        }
    }
    for i in 0..count {
        let name = domain(i);
        sts_domain(&mut world, &name, "20260101", https_ip)
            .mx(10, &format!("d{i:04}.mx.hosting.test."))
            .txt(&format!("{name}."), "v=spf1 mx -all")
            .txt(
                &format!("_dmarc.{name}."),
                &format!("v=DMARC1; p=reject; rua=mailto:dmarc@{name}"),
            )
            .txt(
                &format!("_smtp._tls.{name}."),
                &format!("v=TLSRPTv1; rua=mailto:tlsrpt@{name}"),
            );
    }
    let dns = world.serve().await.expect("DNS world starts");
    let port = free_port(&[smtp_ip]);
    let receiver = Receiver::start(SocketAddr::new(smtp_ip, port), Behaviour::starttls(&mx))
        .expect("receiver starts");
    let policy_host = PolicyHost::start(
        SocketAddr::new(https_ip, 0),
        PolicyBehaviour::serving(&policy_id, POLICY),
    )
    .expect("policy host starts");
    let anchors = TrustAnchor::parse(&dns.trust_anchor_ds()).expect("anchor parses");
    let resolver = Resolver::new(
        ResolverConfig::new(vec![dns.addr()])
            .with_trust_anchors(anchors)
            .with_timeout(Duration::from_secs(2), 2),
    );
    let roots = TrustRoots::public_and(&[ca.root_der().clone()]).expect("test root");
    let mut delivery = DeliveryOptions::new("bench.test");
    delivery.smtp_port = port;
    delivery.roots = roots.clone();
    let fetch = FetchOptions::new(roots).with_port(policy_host.port());
    let checker = Checker::new(resolver, delivery, fetch).expect("in-memory cache");
    let domains = (0..count)
        .map(|i| Resolver::parse_name(&domain(i)).expect("valid bench name"))
        .collect();
    BenchWorld {
        dns,
        receiver,
        policy_host,
        checker: Arc::new(checker),
        domains,
    }
}
