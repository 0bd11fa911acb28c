//! A small internet for delivery tests: a signed zone `example.test.` whose
//! MX hosts are SMTP receivers on 127.0.0.x, all on one port.

#![allow(dead_code)] // each test binary uses its own part of this module

// The scripted MTA-STS source is shared with the policy crate's tests.
#[path = "../../../policy/tests/common/sts.rs"]
pub mod sts;

use std::net::SocketAddr;
use std::time::Duration;

use delivery::{DeliveryOptions, DeliveryReport, Message};
use dns::{Name, Resolver, ResolverConfig, TrustAnchor};
use policy::sts::{StsPolicies, StsSource};
use smtp::Timeouts;
use testworld::Identity;
use testworld::ca::TestCa;
use testworld::dns::{Denial, DnsServer, DnsWorld, ZoneSpec};
use testworld::net::{free_port, loopback};
use testworld::smtp::{Behaviour, Receiver};
use tls::{Matching, Selector, TrustRoots, Usage};

pub const RECIPIENT: &str = "user@example.test";

/// One MX host of the scenario.
pub struct Mx {
    pub name: String,
    pub last_octet: u8,
    pub preference: u16,
}

pub fn mx(name: &str, last_octet: u8, preference: u16) -> Mx {
    Mx {
        name: name.to_owned(),
        last_octet,
        preference,
    }
}

/// The TLSA presentation data `usage selector matching hex` of a certificate.
pub fn tlsa_for(
    cert: &rustls_pki_types::CertificateDer<'_>,
    usage: u8,
    selector: u8,
    matching: u8,
) -> String {
    tls::tlsa_for_certificate(
        cert,
        Usage::from(usage),
        Selector::from(selector),
        Matching::from(matching),
    )
    .expect("test certificates parse")
    .to_string()
}

/// Adds a TLSA record given in presentation form.
pub fn add_tlsa(zone: &mut ZoneSpec, owner: &str, record: &str) {
    let fields: Vec<&str> = record.splitn(4, ' ').collect();
    zone.tlsa(
        owner,
        fields[0].parse().unwrap(),
        fields[1].parse().unwrap(),
        fields[2].parse().unwrap(),
        fields[3],
    );
}

pub struct World {
    pub dns: DnsServer,
    pub resolver: Resolver,
    pub port: u16,
    pub receivers: Vec<Receiver>,
}

/// Builds the world: `zone` is called to add records (TLSA, faults) to
/// `example.test.` after its MX and A records are in.
pub async fn world(
    hosts: &[Mx],
    behaviours: Vec<Behaviour>,
    zone: impl FnOnce(&mut DnsWorld),
) -> World {
    let mut dns_world = DnsWorld::new();
    {
        let spec = dns_world.signed_zone("example.test.", Denial::Nsec);
        for host in hosts {
            spec.mx(host.preference, &host.name);
            spec.a(&host.name, &loopback(host.last_octet).to_string());
        }
    }
    zone(&mut dns_world);
    let dns = dns_world.serve().await.expect("DNS world starts");
    let anchors = TrustAnchor::parse(&dns.trust_anchor_ds()).expect("anchor parses");
    let resolver = Resolver::new(
        ResolverConfig::new(vec![dns.addr()])
            .with_trust_anchors(anchors)
            .with_timeout(Duration::from_millis(500), 1),
    );
    let ips: Vec<_> = hosts.iter().map(|h| loopback(h.last_octet)).collect();
    let port = free_port(&ips);
    let receivers = hosts
        .iter()
        .zip(behaviours)
        .map(|(host, behaviour)| {
            Receiver::start(SocketAddr::new(loopback(host.last_octet), port), behaviour)
                .expect("receiver starts")
        })
        .collect();
    World {
        dns,
        resolver,
        port,
        receivers,
    }
}

impl World {
    pub async fn deliver(&self) -> DeliveryReport {
        self.deliver_with(false).await
    }

    pub async fn deliver_with(&self, require_tls: bool) -> DeliveryReport {
        let plan = policy::plan(&self.resolver, &domain(), &policy::PlanOptions::new()).await;
        delivery::deliver(&plan, &message(require_tls), &self.options()).await
    }

    /// Plans with MTA-STS from `sts` and delivers, trusting `roots` for
    /// WebPKI.
    pub async fn deliver_sts<S: StsSource>(
        &self,
        sts: &StsPolicies<S>,
        roots: TrustRoots,
        require_tls: bool,
    ) -> DeliveryReport {
        let plan =
            policy::plan_with_sts(&self.resolver, &domain(), &policy::PlanOptions::new(), sts)
                .await;
        let mut options = self.options();
        options.roots = roots;
        delivery::deliver(&plan, &message(require_tls), &options).await
    }

    /// Delivery options pointed at this world.
    pub fn options(&self) -> DeliveryOptions {
        let mut options = DeliveryOptions::new("sender.test");
        options.smtp_port = self.port;
        options.timeouts = Timeouts::uniform(Duration::from_secs(3));
        options
    }
}

pub fn domain() -> Name {
    Name::from_ascii("example.test.").unwrap()
}

pub fn message(require_tls: bool) -> Message {
    Message {
        sender: "sender@sender.test".into(),
        recipients: vec![RECIPIENT.into()],
        data: b"Subject: test\r\n\r\nHello.\r\n".to_vec(),
        require_tls,
    }
}

pub fn ca() -> TestCa {
    TestCa::new("delivery test ca")
}

pub fn identity(ca: &TestCa, name: &str) -> Identity {
    ca.issue(&[name])
}

pub fn code(report: &DeliveryReport) -> String {
    report.recipients[0]
        .code
        .map(|c| c.to_string())
        .unwrap_or_default()
}

pub fn status(report: &DeliveryReport) -> delivery::RecipientStatus {
    report.recipients[0].status
}
