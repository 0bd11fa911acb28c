//! A posture scene: `example.test.` in a signed DNS world, SMTP receivers
//! for its MX hosts on 127.0.0.x, an optional MTA-STS policy host, a test
//! CA the checker trusts, and a [`Checker`] pointed at all of it.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use check::{Checker, DomainReport};
use delivery::DeliveryOptions;
use dns::{Resolver, ResolverConfig, TrustAnchor};
use policy::sts::FetchOptions;
use smtp::Timeouts;
use testworld::Identity;
use testworld::ca::TestCa;
use testworld::dns::{Denial, DnsServer, DnsWorld, ZoneSpec};
use testworld::https::{PolicyBehaviour, PolicyHost};
use testworld::net::{free_port, loopback};
use testworld::smtp::{Behaviour, Receiver};
use tls::{Matching, Selector, TrustRoots, Usage};

/// The domain every scene is about.
pub const DOMAIN: &str = "example.test";
/// A good enforce policy for `mx1` and `mx2`.
pub const ENFORCE: &str =
    "version: STSv1\nmode: enforce\nmx: mx1.example.test\nmx: mx2.example.test\nmax_age: 604800\n";

/// What a test declares before the world starts.
pub struct Scene {
    pub ca: TestCa,
    /// The identity the receivers present by default: valid for
    /// `mx1.example.test` and `mx2.example.test`.
    pub mx: Identity,
    pub dns: DnsWorld,
    receivers: Vec<(u8, Behaviour)>,
    policy: Option<(u8, PolicyBehaviour)>,
}

/// A started scene.
pub struct Started {
    pub dns: DnsServer,
    pub checker: Arc<Checker>,
    pub receivers: Vec<Receiver>,
    pub policy_host: Option<PolicyHost>,
    pub ca: TestCa,
}

impl Default for Scene {
    fn default() -> Self {
        Self::new()
    }
}

impl Scene {
    /// An empty signed `example.test.` zone.
    pub fn new() -> Self {
        let ca = TestCa::new("check test ca");
        let mx = ca.issue(&["mx1.example.test", "mx2.example.test"]);
        let mut dns = DnsWorld::new();
        dns.signed_zone("example.test.", Denial::Nsec);
        Self {
            ca,
            mx,
            dns,
            receivers: Vec::new(),
            policy: None,
        }
    }

    /// A receiver offering STARTTLS with [`Scene::mx`].
    pub fn starttls(&self) -> Behaviour {
        Behaviour::starttls(&self.mx)
    }

    /// The zone `example.test.`.
    pub fn zone(&mut self) -> &mut ZoneSpec {
        self.dns.zone("example.test.").expect("declared in new")
    }

    /// Adds MX host `mxN.example.test` at 127.0.0.`octet`, served by a
    /// receiver with `behaviour`.
    pub fn mx_host(&mut self, n: u8, octet: u8, behaviour: Behaviour) -> &mut Self {
        let host = format!("mx{n}.example.test.");
        self.zone()
            .mx(u16::from(n) * 10, &host)
            .a(&host, &loopback(octet).to_string());
        self.receivers.push((octet, behaviour));
        self
    }

    /// Adds a `3 1 1` TLSA record for `identity` at `mxN`.
    pub fn tlsa(&mut self, n: u8, identity: &Identity) -> &mut Self {
        let hex = tlsa_hex(identity, 3, 1, 1);
        self.zone()
            .tlsa(&format!("_25._tcp.mx{n}.example.test."), 3, 1, 1, &hex);
        self
    }

    /// Publishes MTA-STS: the record and a policy host at 127.0.0.`octet`
    /// serving `policy` with a certificate for `mta-sts.example.test`.
    pub fn sts(&mut self, octet: u8, policy: &str) -> &mut Self {
        let id = self.ca.issue(&["mta-sts.example.test"]);
        self.sts_with(octet, PolicyBehaviour::serving(&id, policy))
    }

    /// Publishes MTA-STS with any policy-host behaviour.
    pub fn sts_with(&mut self, octet: u8, behaviour: PolicyBehaviour) -> &mut Self {
        testworld::https::sts_domain(&mut self.dns, DOMAIN, "20260101", loopback(octet));
        self.policy = Some((octet, behaviour));
        self
    }

    /// Serves everything and builds the checker.
    pub async fn start(self) -> Started {
        let dns = self.dns.serve().await.expect("DNS world starts");
        let anchors = TrustAnchor::parse(&dns.trust_anchor_ds()).expect("anchor parses");
        let resolver = Resolver::new(
            ResolverConfig::new(vec![dns.addr()])
                .with_trust_anchors(anchors)
                .with_timeout(Duration::from_millis(500), 1),
        );
        let mut ips: Vec<IpAddr> = self.receivers.iter().map(|(o, _)| loopback(*o)).collect();
        ips.push(loopback(1));
        let port = free_port(&ips);
        let receivers = self
            .receivers
            .into_iter()
            .map(|(octet, behaviour)| {
                Receiver::start(SocketAddr::new(loopback(octet), port), behaviour)
                    .expect("receiver starts")
            })
            .collect();
        let policy_host = self.policy.map(|(octet, behaviour)| {
            PolicyHost::start(SocketAddr::new(loopback(octet), 0), behaviour)
                .expect("policy host starts")
        });
        let roots = TrustRoots::public_and(&[self.ca.root_der().clone()]).expect("test root");
        let mut delivery = DeliveryOptions::new("checker.test");
        delivery.smtp_port = port;
        delivery.roots = roots.clone();
        delivery.timeouts = Timeouts::uniform(Duration::from_secs(3));
        let https_port = policy_host.as_ref().map(PolicyHost::port).unwrap_or(443);
        let fetch = FetchOptions::new(roots)
            .with_port(https_port)
            .with_timeout(Duration::from_secs(3));
        let checker = Checker::new(resolver, delivery, fetch).expect("in-memory cache");
        Started {
            dns,
            checker: Arc::new(checker),
            receivers,
            policy_host,
            ca: self.ca,
        }
    }
}

impl Started {
    /// Checks `example.test`.
    pub async fn check(&self) -> DomainReport {
        self.checker.check(&super::name(DOMAIN)).await
    }
}

/// The association data of a TLSA record for `identity`'s leaf, in hex.
pub fn tlsa_hex(identity: &Identity, usage: u8, selector: u8, matching: u8) -> String {
    let record = tls::tlsa_for_certificate(
        identity.leaf(),
        Usage::from(usage),
        Selector::from(selector),
        Matching::from(matching),
    )
    .expect("test certificates parse")
    .to_string();
    record
        .rsplit(' ')
        .next()
        .expect("a TLSA record has data")
        .to_owned()
}
