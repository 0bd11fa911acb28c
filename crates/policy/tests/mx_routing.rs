//! Where mail goes: MX order, null MX, implicit MX, NXDOMAIN, failed and
//! bogus lookups, and every host and address as a candidate.

mod common;

use std::net::IpAddr;

use common::{HASH_A, name, only_host, serve};
use dns::{DnssecStatus, MxKind};
use policy::{Cause, DnsStep, Reason, Requirement, Scope};
use testworld::dns::{Denial, DnsWorld, Fault};

#[tokio::test]
async fn bogus_mx_is_temporary_dnssec_invalid() {
    let mut world = DnsWorld::new();
    world
        .signed_zone("bogus.test.", Denial::Nsec)
        .mx(10, "mx.bogus.test.")
        .a("mx.bogus.test.", "127.0.0.40")
        .fault(Fault::ExpiredSignatures);
    let env = serve(world).await;
    let plan = env.plan("bogus.test").await;
    assert_eq!(plan.mx_status, DnssecStatus::Bogus);
    assert!(plan.hosts.is_empty(), "no host from a bogus MX RRset");
    let trouble = plan.trouble().expect("the domain is deferred");
    assert_eq!(trouble.cause, Cause::DnssecInvalid { step: DnsStep::Mx });
    assert!(trouble.is_temporary());
    assert_eq!(trouble.code().to_string(), "4.7.324");
    assert_eq!(trouble.final_code().to_string(), "5.7.324");
    assert_eq!(trouble.scope(), Scope::Domain);
}

#[tokio::test]
async fn null_mx_is_permanent_5_1_10() {
    let mut world = DnsWorld::new();
    world
        .signed_zone("null.test.", Denial::Nsec)
        .mx(0, ".")
        .a("null.test.", "127.0.0.41");
    let env = serve(world).await;
    let plan = env.plan("null.test").await;
    assert_eq!(plan.mx_kind, Some(MxKind::NullMx));
    assert!(plan.hosts.is_empty(), "not even the implicit MX");
    let trouble = plan.trouble().unwrap();
    assert_eq!(trouble.cause, Cause::NullMx);
    assert!(!trouble.is_temporary());
    assert_eq!(trouble.code().to_string(), "5.1.10");
}

#[tokio::test]
async fn nxdomain_is_permanent_5_1_2() {
    let mut world = DnsWorld::new();
    world
        .signed_zone("real.test.", Denial::Nsec)
        .mx(10, "mx.real.test.");
    let env = serve(world).await;
    let plan = env.plan("nowhere.real.test").await;
    assert_eq!(plan.mx_kind, Some(MxKind::NoSuchDomain));
    let trouble = plan.trouble().unwrap();
    assert_eq!(trouble.cause, Cause::NoSuchDomain);
    assert!(!trouble.is_temporary());
    assert_eq!(trouble.code().to_string(), "5.1.2");
}

#[tokio::test]
async fn mx_lookup_failure_is_temporary_4_4_312() {
    let mut world = DnsWorld::new();
    world
        .signed_zone("broken.test.", Denial::Nsec)
        .mx(10, "mx.broken.test.")
        .fault(Fault::ServFail);
    let env = serve(world).await;
    let plan = env.plan("broken.test").await;
    assert_eq!(plan.mx_kind, None);
    let trouble = plan.trouble().unwrap();
    assert_eq!(trouble.cause, Cause::DnsFailure { step: DnsStep::Mx });
    assert!(trouble.is_temporary());
    assert_eq!(trouble.code().to_string(), "4.4.312");
}

#[tokio::test]
async fn implicit_mx_uses_the_domain() {
    let mut world = DnsWorld::new();
    world
        .signed_zone("implicit.test.", Denial::Nsec3)
        .a("implicit.test.", "127.0.0.42")
        .tlsa("_25._tcp.implicit.test.", 3, 1, 1, HASH_A);
    let env = serve(world).await;
    let plan = env.plan("implicit.test").await;
    assert_eq!(plan.mx_kind, Some(MxKind::Implicit));
    let host = only_host(&plan);
    assert_eq!(host.name, name("implicit.test"));
    assert_eq!(host.preference, 0);
    assert_eq!(
        host.addresses,
        vec!["127.0.0.42".parse::<IpAddr>().unwrap()]
    );
    let Requirement::Dane { base_domain, .. } = &host.requirement else {
        panic!("the domain's own TLSA applies, got {:?}", host.requirement);
    };
    assert_eq!(*base_domain, name("implicit.test"));
}

fn addresses(list: &[&str]) -> Vec<IpAddr> {
    let mut out: Vec<IpAddr> = list.iter().map(|a| a.parse().unwrap()).collect();
    out.sort();
    out
}

#[tokio::test]
async fn every_mx_and_every_address_is_a_candidate() {
    let mut world = DnsWorld::new();
    world
        .signed_zone("many.test.", Denial::Nsec)
        .mx(30, "mx.elsewhere.test.")
        .mx(10, "mx1.many.test.")
        .mx(20, "mx2.many.test.")
        .mx(20, "mx3.many.test.")
        .a("mx1.many.test.", "127.0.0.43")
        .a("mx1.many.test.", "127.0.0.44")
        .a("mx1.many.test.", "::43")
        .a("mx1.many.test.", "::44")
        .a("mx2.many.test.", "::45")
        .a("mx3.many.test.", "127.0.0.46");
    world
        .unsigned_zone("elsewhere.test.")
        .a("mx.elsewhere.test.", "127.0.0.47");
    let env = serve(world).await;
    let plan = env.plan("many.test").await;
    let hosts: Vec<(String, u16)> = plan
        .hosts
        .iter()
        .map(|h| (h.name.to_string(), h.preference))
        .collect();
    assert_eq!(hosts.len(), 4, "{hosts:?}");
    assert_eq!(hosts[0], ("mx1.many.test.".into(), 10));
    let mut middle = vec![hosts[1].clone(), hosts[2].clone()];
    middle.sort();
    assert_eq!(
        middle,
        vec![("mx2.many.test.".into(), 20), ("mx3.many.test.".into(), 20)]
    );
    assert_eq!(hosts[3], ("mx.elsewhere.test.".into(), 30));

    let found = |host: &str| {
        let plan_host = plan.hosts.iter().find(|h| h.name == name(host)).unwrap();
        let mut list = plan_host.addresses.clone();
        list.sort();
        list
    };
    assert_eq!(
        found("mx1.many.test"),
        addresses(&["127.0.0.43", "127.0.0.44", "::43", "::44"])
    );
    assert_eq!(found("mx2.many.test"), addresses(&["::45"]));
    assert_eq!(found("mx3.many.test"), addresses(&["127.0.0.46"]));
    assert_eq!(found("mx.elsewhere.test"), addresses(&["127.0.0.47"]));
    assert_eq!(plan.usable_hosts().count(), 4);
    assert_eq!(plan.hosts[3].reason, Reason::AddressesInsecure);
}

#[tokio::test]
async fn bogus_host_addresses_make_that_host_unusable_and_not_the_next() {
    let mut world = DnsWorld::new();
    world
        .signed_zone("two.test.", Denial::Nsec)
        .mx(10, "mx.expired.test.")
        .mx(20, "mx2.two.test.")
        .a("mx2.two.test.", "127.0.0.48");
    world
        .signed_zone("expired.test.", Denial::Nsec)
        .a("mx.expired.test.", "127.0.0.49")
        .fault(Fault::ExpiredSignatures);
    let env = serve(world).await;
    let plan = env.plan("two.test").await;
    assert_eq!(plan.hosts.len(), 2);
    let Requirement::UnusableNow(trouble) = &plan.hosts[0].requirement else {
        panic!("bogus addresses, got {:?}", plan.hosts[0].requirement);
    };
    assert_eq!(
        trouble.cause,
        Cause::DnssecInvalid {
            step: DnsStep::Address
        }
    );
    assert_eq!(trouble.code().to_string(), "4.7.324");
    assert_eq!(trouble.scope(), Scope::Host);
    assert!(plan.hosts[0].tlsa.is_none());
    assert_eq!(plan.hosts[1].requirement, Requirement::Opportunistic);
    assert_eq!(plan.trouble(), None, "the second MX can be tried");
}

#[tokio::test]
async fn failed_or_empty_address_lookups_make_the_host_unusable_now() {
    let mut world = DnsWorld::new();
    world
        .signed_zone("gone.test.", Denial::Nsec)
        .mx(10, "mx.gone.test.")
        .mx(20, "mx.failing.test.");
    world
        .signed_zone("failing.test.", Denial::Nsec)
        .a("mx.failing.test.", "127.0.0.50")
        .fault(Fault::ServFail);
    let env = serve(world).await;
    let plan = env.plan("gone.test").await;
    let troubles: Vec<_> = plan
        .hosts
        .iter()
        .map(|h| match &h.requirement {
            Requirement::UnusableNow(t) => (h.reason, t.cause.clone(), t.code().to_string()),
            other => panic!("unusable expected, got {other:?}"),
        })
        .collect();
    assert_eq!(
        troubles,
        vec![
            (Reason::NoAddresses, Cause::NoAddresses, "4.4.4".to_string()),
            (
                Reason::AddressLookupFailed,
                Cause::DnsFailure {
                    step: DnsStep::Address
                },
                "4.4.312".to_string()
            ),
        ]
    );
    let trouble = plan.trouble().expect("nothing to try");
    assert!(trouble.is_temporary());
}
