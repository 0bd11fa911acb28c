//! One test per DANE row of DESIGN §2: what each host requires.

mod common;

use common::{HASH_A, HASH_B, name, only_host, serve, tlsa};
use dns::DnssecStatus;
use policy::{Cause, DnsStep, Reason, Requirement};
use testworld::dns::{Denial, DnsWorld, Fault};

/// `dane.test.`: signed, one MX with IPv4 and IPv6, and `records` as TLSA.
fn dane_world(records: &[(u8, u8, u8, &str)]) -> DnsWorld {
    let mut world = DnsWorld::new();
    let zone = world
        .signed_zone("dane.test.", Denial::Nsec)
        .mx(10, "mx.dane.test.")
        .a("mx.dane.test.", "127.0.0.30")
        .a("mx.dane.test.", "::30");
    for (usage, selector, matching, data) in records {
        zone.tlsa("_25._tcp.mx.dane.test.", *usage, *selector, *matching, data);
    }
    world
}

#[tokio::test]
async fn dane_secure_mx_secure_host_secure_tlsa_usable_is_dane() {
    let env = serve(dane_world(&[(3, 1, 1, HASH_A), (1, 1, 1, HASH_B)])).await;
    let plan = env.plan("dane.test").await;
    assert_eq!(plan.mx_status, DnssecStatus::Secure);
    assert_eq!(plan.domain_trouble, None);
    let host = only_host(&plan);
    assert_eq!(host.address_status, DnssecStatus::Secure);
    assert_eq!(host.reason, Reason::TlsaUsable);
    let answer = host.tlsa.as_ref().expect("TLSA looked up");
    assert_eq!(answer.status, DnssecStatus::Secure);
    assert_eq!(answer.records.len(), 2, "every published record is shown");
    assert_eq!(
        host.requirement,
        Requirement::Dane {
            records: vec![tlsa(&format!("3 1 1 {HASH_A}"))],
            names: vec!["mx.dane.test".into()],
            base_domain: name("mx.dane.test"),
        },
        "only the usable record is required"
    );
    assert_eq!(
        host.requirement.tls_requirement(),
        Some(tls::TlsRequirement::Dane {
            records: vec![tlsa(&format!("3 1 1 {HASH_A}"))],
            names: vec!["mx.dane.test".into()],
        })
    );
    assert!(host.requirement.requires_tls());
    assert_eq!(plan.trouble(), None);
}

#[tokio::test]
async fn insecure_mx_but_secure_host_and_tlsa_is_dane() {
    let mut world = DnsWorld::new();
    world.unsigned_zone("plain.test.").mx(10, "mx.signed.test.");
    world
        .signed_zone("signed.test.", Denial::Nsec3)
        .a("mx.signed.test.", "127.0.0.31")
        .tlsa("_25._tcp.mx.signed.test.", 2, 1, 1, HASH_A);
    let env = serve(world).await;
    let plan = env.plan("plain.test").await;
    assert_eq!(plan.mx_status, DnssecStatus::Insecure);
    let host = only_host(&plan);
    assert_eq!(host.name, name("mx.signed.test"));
    assert!(
        matches!(&host.requirement, Requirement::Dane { records, .. } if records.len() == 1),
        "RFC 7672 §2.2.1: DANE for the host, got {:?}",
        host.requirement
    );
}

#[tokio::test]
async fn all_unusable_tlsa_is_tls_mandatory_unauthenticated() {
    // PKIX usages, an unknown matching type, a digest of the wrong length.
    let env = serve(dane_world(&[
        (0, 0, 1, HASH_A),
        (1, 1, 1, HASH_A),
        (3, 1, 9, HASH_A),
        (3, 1, 1, "abcd"),
    ]))
    .await;
    let plan = env.plan("dane.test").await;
    let host = only_host(&plan);
    assert_eq!(host.requirement, Requirement::TlsMandatoryUnauthenticated);
    assert_eq!(host.reason, Reason::TlsaAllUnusable);
    assert!(host.requirement.requires_tls());
    assert_eq!(
        host.requirement.tls_requirement(),
        Some(tls::TlsRequirement::MandatoryUnauthenticated)
    );
}

/// `dane.test.` whose TLSA RRset alone has `fault`: the host's addresses
/// stay secure.
fn faulty_tlsa_world(fault: Fault) -> DnsWorld {
    let mut world = dane_world(&[(3, 1, 1, HASH_A)]);
    world
        .zone("dane.test.")
        .expect("declared above")
        .rrset_fault("_25._tcp.mx.dane.test.", "TLSA", fault);
    world
}

#[tokio::test]
async fn bogus_tlsa_makes_host_unusable_now_not_opportunistic() {
    let env = serve(faulty_tlsa_world(Fault::ExpiredSignatures)).await;
    let plan = env.plan("dane.test").await;
    let host = only_host(&plan);
    assert_eq!(host.address_status, DnssecStatus::Secure);
    assert_eq!(host.reason, Reason::TlsaNotValidated);
    let Requirement::UnusableNow(trouble) = &host.requirement else {
        panic!("no downgrade on bogus TLSA, got {:?}", host.requirement);
    };
    assert_eq!(
        trouble.cause,
        Cause::DnssecInvalid {
            step: DnsStep::Tlsa
        }
    );
    assert!(trouble.is_temporary());
    assert_eq!(trouble.code().to_string(), "4.7.324");
    assert_eq!(host.requirement.tls_requirement(), None);
    assert_eq!(plan.trouble().as_ref(), Some(trouble));
}

#[tokio::test]
async fn servfail_tlsa_makes_host_unusable_now() {
    let env = serve(faulty_tlsa_world(Fault::ServFail)).await;
    let plan = env.plan("dane.test").await;
    let host = only_host(&plan);
    assert_eq!(host.address_status, DnssecStatus::Secure);
    let Requirement::UnusableNow(trouble) = &host.requirement else {
        panic!("no downgrade on SERVFAIL, got {:?}", host.requirement);
    };
    assert_eq!(host.reason, Reason::TlsaLookupFailed);
    assert_eq!(
        trouble.cause,
        Cause::DnsFailure {
            step: DnsStep::Tlsa
        }
    );
    assert!(trouble.is_temporary());
    assert_eq!(trouble.code().to_string(), "4.4.312");
}

#[tokio::test]
async fn timeout_tlsa_makes_host_unusable_now() {
    let env = serve(faulty_tlsa_world(Fault::Timeout)).await;
    let plan = env.plan("dane.test").await;
    let host = only_host(&plan);
    let Requirement::UnusableNow(trouble) = &host.requirement else {
        panic!("no downgrade on a TLSA timeout, got {:?}", host.requirement);
    };
    assert_eq!(host.reason, Reason::TlsaLookupFailed);
    assert!(trouble.is_temporary());
    assert_eq!(trouble.code().to_string(), "4.4.312");
}

#[tokio::test]
async fn securely_absent_tlsa_is_opportunistic() {
    let env = serve(dane_world(&[])).await;
    let plan = env.plan("dane.test").await;
    let host = only_host(&plan);
    assert_eq!(host.requirement, Requirement::Opportunistic);
    assert_eq!(host.reason, Reason::TlsaSecurelyAbsent);
    let answer = host.tlsa.as_ref().expect("TLSA looked up");
    assert_eq!(answer.status, DnssecStatus::Secure);
    assert!(answer.records.is_empty());
    assert!(!host.requirement.requires_tls());
}

#[tokio::test]
async fn insecure_zone_is_opportunistic() {
    let mut world = DnsWorld::new();
    world
        .unsigned_zone("plain.test.")
        .mx(10, "mx.plain.test.")
        .a("mx.plain.test.", "127.0.0.32")
        // Unsigned TLSA records prove nothing and must not be used.
        .tlsa("_25._tcp.mx.plain.test.", 3, 1, 1, HASH_A);
    let env = serve(world).await;
    let plan = env.plan("plain.test").await;
    let host = only_host(&plan);
    assert_eq!(host.address_status, DnssecStatus::Insecure);
    assert_eq!(host.requirement, Requirement::Opportunistic);
    assert_eq!(host.reason, Reason::AddressesInsecure);
    assert!(host.tlsa.is_none(), "RFC 7672 §2.2.2: no TLSA lookup");
}

#[tokio::test]
async fn tlsa_from_unsigned_dns_is_opportunistic() {
    // The TLSA name is an alias into an unsigned zone (RFC 7671 §7 allows
    // TLSA CNAMEs): the records prove nothing, the host gets no DANE.
    let mut world = dane_world(&[]);
    world
        .zone("dane.test.")
        .expect("declared above")
        .cname("_25._tcp.mx.dane.test.", "tlsa.plain.test.");
    world
        .unsigned_zone("plain.test.")
        .tlsa("tlsa.plain.test.", 3, 1, 1, HASH_A);
    let env = serve(world).await;
    let plan = env.plan("dane.test").await;
    let host = only_host(&plan);
    assert_eq!(host.address_status, DnssecStatus::Secure);
    let answer = host.tlsa.as_ref().unwrap();
    assert_eq!(answer.status, DnssecStatus::Insecure);
    assert_eq!(answer.records.len(), 1, "found, but not trusted");
    assert_eq!(host.reason, Reason::TlsaInsecure);
    assert_eq!(host.requirement, Requirement::Opportunistic);
}

/// `a.test.`'s MX host is an alias for `mx.b.test.`; both zones signed.
fn alias_world(tlsa_at_target: bool) -> DnsWorld {
    let mut world = DnsWorld::new();
    world
        .signed_zone("a.test.", Denial::Nsec)
        .mx(10, "mx.a.test.")
        .cname("mx.a.test.", "mx.b.test.")
        .tlsa("_25._tcp.mx.a.test.", 3, 1, 1, HASH_A);
    let b = world
        .signed_zone("b.test.", Denial::Nsec3)
        .a("mx.b.test.", "127.0.0.33");
    if tlsa_at_target {
        b.tlsa("_25._tcp.mx.b.test.", 3, 1, 1, HASH_B);
    }
    world
}

#[tokio::test]
async fn secure_cname_mx_uses_expanded_tlsa_name_first() {
    let env = serve(alias_world(true)).await;
    let plan = env.plan("a.test").await;
    let host = only_host(&plan);
    assert_eq!(host.name, name("mx.a.test"));
    let answer = host.tlsa.as_ref().unwrap();
    assert_eq!(answer.base_domain, name("mx.b.test"));
    assert_eq!(answer.tried, vec![name("mx.b.test")]);
    assert_eq!(
        host.requirement,
        Requirement::Dane {
            records: vec![tlsa(&format!("3 1 1 {HASH_B}"))],
            names: vec!["mx.b.test".into(), "mx.a.test".into()],
            base_domain: name("mx.b.test"),
        }
    );
}

#[tokio::test]
async fn secure_cname_mx_falls_back_to_the_original_tlsa_name() {
    let env = serve(alias_world(false)).await;
    let plan = env.plan("a.test").await;
    let host = only_host(&plan);
    let answer = host.tlsa.as_ref().unwrap();
    assert_eq!(answer.tried, vec![name("mx.b.test"), name("mx.a.test")]);
    assert_eq!(answer.base_domain, name("mx.a.test"));
    assert_eq!(
        host.requirement,
        Requirement::Dane {
            records: vec![tlsa(&format!("3 1 1 {HASH_A}"))],
            names: vec!["mx.a.test".into()],
            base_domain: name("mx.a.test"),
        }
    );
}

#[tokio::test]
async fn plan_serializes_for_the_troubleshooter() {
    let env = serve(dane_world(&[(3, 1, 1, HASH_A)])).await;
    let plan = env.plan("dane.test").await;
    let json = serde_json::to_value(&plan).unwrap();
    assert_eq!(json["domain"], "dane.test.");
    let host = &json["hosts"][0];
    assert_eq!(host["name"], "mx.dane.test.");
    assert_eq!(host["requirement"]["kind"], "dane");
    assert_eq!(host["requirement"]["records"][0], format!("3 1 1 {HASH_A}"));
    assert_eq!(host["requirement"]["base_domain"], "mx.dane.test.");
    assert_eq!(host["reason"], "tlsa-usable");
    assert_eq!(host["addresses"].as_array().unwrap().len(), 2);
}
