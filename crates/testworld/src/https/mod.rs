//! The HTTPS part of the test world: MTA-STS policy hosts for
//! `mta-sts.<domain>` on `127.0.0.x`, with certificates from the test CA
//! and chosen behaviours (RFC 8461 §3.3: redirects, other statuses, other
//! media types, oversized bodies, bad certificates, slowness), speaking
//! hand-written HTTP/1.1 so they can lie; and [`sts_domain`], which
//! publishes a domain's MTA-STS record and policy-host address in the DNS
//! test world.
//!
//! A domain with a policy, ready for a fetcher pointed at the DNS server,
//! trusting the CA's root, with the host's port as its HTTPS port:
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use std::net::SocketAddr;
//! use testworld::ca::TestCa;
//! use testworld::dns::DnsWorld;
//! use testworld::https::{PolicyBehaviour, PolicyHost, sts_domain};
//! use testworld::net::loopback;
//!
//! let ca = TestCa::new("Test World Root");
//! let mut world = DnsWorld::new();
//! sts_domain(&mut world, "example.test", "20260101", loopback(4))
//!     .mx(10, "mx.example.test.");
//! let dns = world.serve().await?;
//! let host = PolicyHost::start(
//!     SocketAddr::new(loopback(4), 0),
//!     PolicyBehaviour::serving(
//!         &ca.issue(&["mta-sts.example.test"]),
//!         "version: STSv1\nmode: enforce\nmx: mx.example.test\nmax_age: 86400\n",
//!     ),
//! )?;
//! // ... fetch with port `host.port()`, then check `host.fetches()` ...
//! # Ok(()) }
//! ```

mod behaviour;
mod host;
mod http;
mod record;

pub use behaviour::{OVERSIZED_BODY, OVERSIZED_LENGTH, POLICY_LIMIT, PolicyBehaviour};
pub use host::PolicyHost;
pub use http::WELL_KNOWN_PATH;
pub use record::Request;

pub use crate::record::WaitTimeout;

use std::net::IpAddr;

use crate::dns::{Denial, DnsWorld, ZoneSpec};

/// Publishes MTA-STS for `domain` in `world`: the TXT record
/// `_mta-sts.<domain>` = `v=STSv1; id=<id>` (RFC 8461 §3.1) and an A (or
/// AAAA) record for `mta-sts.<domain>` pointing at `host_ip`, where a
/// [`PolicyHost`] is to listen.
///
/// The records go into the zone declared at `domain`; when there is none,
/// one is declared, signed with NSEC. The zone is returned for more records
/// (MX hosts, say) or a fault.
pub fn sts_domain<'w>(
    world: &'w mut DnsWorld,
    domain: &str,
    id: &str,
    host_ip: IpAddr,
) -> &'w mut ZoneSpec {
    let domain = domain.trim_end_matches('.');
    let origin = format!("{domain}.");
    if world.zone(&origin).is_none() {
        world.signed_zone(&origin, Denial::Nsec);
    }
    world
        .zone(&origin)
        .expect("the zone was declared just above if it was missing")
        .txt(&format!("_mta-sts.{origin}"), &format!("v=STSv1; id={id}"))
        .a(&format!("mta-sts.{origin}"), &host_ip.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::loopback;

    fn records(world: &mut DnsWorld, origin: &str) -> Vec<String> {
        let zone = world.zone(origin).unwrap();
        zone.records.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn sts_domain_publishes_the_record_and_the_policy_host() {
        let mut world = DnsWorld::new();
        sts_domain(&mut world, "example.test", "20260101", loopback(4)).mx(10, "mx.example.test.");
        assert_eq!(
            world.zone("example.test.").unwrap().denial,
            Some(Denial::Nsec)
        );
        let records = records(&mut world, "example.test.");
        assert_eq!(records.len(), 3, "{records:?}");
        assert!(
            records
                .iter()
                .any(|r| r.starts_with("_mta-sts.example.test.")
                    && r.contains("TXT")
                    && r.contains("v=STSv1; id=20260101")),
            "{records:?}"
        );
        assert!(
            records
                .iter()
                .any(|r| r.starts_with("mta-sts.example.test.")
                    && r.contains(" A ")
                    && r.ends_with("127.0.0.4")),
            "{records:?}"
        );
    }

    #[test]
    fn sts_domain_keeps_a_declared_zone() {
        let mut world = DnsWorld::new();
        world
            .unsigned_zone("plain.test.")
            .a("www.plain.test.", "127.0.0.9");
        sts_domain(&mut world, "plain.test.", "1", loopback(5));
        assert_eq!(world.zone("plain.test.").unwrap().denial, None);
        assert_eq!(records(&mut world, "plain.test.").len(), 3);
    }
}
