//! Local policy raises the bar and never lowers it (DESIGN §2).

mod common;

use common::{HASH_A, serve};
use policy::{Cause, PlanOptions, Raise, Requirement};
use testworld::dns::{Denial, DnsWorld};

/// `mixed.test.`: one DANE host (preference 10), one without TLSA (20).
fn mixed_world() -> DnsWorld {
    let mut world = DnsWorld::new();
    world
        .signed_zone("mixed.test.", Denial::Nsec)
        .mx(10, "dane.mixed.test.")
        .mx(20, "plain.mixed.test.")
        .a("dane.mixed.test.", "127.0.0.60")
        .a("plain.mixed.test.", "127.0.0.61")
        .tlsa("_25._tcp.dane.mixed.test.", 3, 1, 1, HASH_A);
    world
}

#[tokio::test]
async fn require_dane_makes_hosts_without_dane_unusable_now() {
    let env = serve(mixed_world()).await;
    let plan = env
        .plan_with("mixed.test", &PlanOptions::new().with_require_dane(true))
        .await;
    assert!(matches!(
        plan.hosts[0].requirement,
        Requirement::Dane { .. }
    ));
    assert_eq!(plan.hosts[0].raised_by, None);
    let Requirement::UnusableNow(trouble) = &plan.hosts[1].requirement else {
        panic!("require-dane, got {:?}", plan.hosts[1].requirement);
    };
    assert_eq!(trouble.cause, Cause::DaneRequired);
    assert!(trouble.is_temporary());
    assert_eq!(trouble.result_type().unwrap().as_str(), "dane-required");
    assert_eq!(plan.hosts[1].raised_by, Some(Raise::RequireDane));
}

#[tokio::test]
async fn require_tls_makes_opportunistic_hosts_mandatory_and_keeps_dane() {
    let env = serve(mixed_world()).await;
    let plan = env
        .plan_with("mixed.test", &PlanOptions::new().with_require_tls(true))
        .await;
    assert!(matches!(
        plan.hosts[0].requirement,
        Requirement::Dane { .. }
    ));
    assert_eq!(
        plan.hosts[1].requirement,
        Requirement::TlsMandatoryUnauthenticated
    );
    assert_eq!(plan.hosts[1].raised_by, Some(Raise::RequireTls));
}

#[tokio::test]
async fn without_local_policy_nothing_is_raised() {
    let env = serve(mixed_world()).await;
    let plan = env.plan("mixed.test").await;
    assert_eq!(plan.hosts[1].requirement, Requirement::Opportunistic);
    assert!(plan.hosts.iter().all(|h| h.raised_by.is_none()));
}

#[tokio::test]
async fn require_sts_makes_hosts_without_dane_or_enforce_unusable_now() {
    let env = serve(mixed_world()).await;
    let plan = env
        .plan_with("mixed.test", &PlanOptions::new().with_require_sts(true))
        .await;
    assert!(matches!(
        plan.hosts[0].requirement,
        Requirement::Dane { .. }
    ));
    let Requirement::UnusableNow(trouble) = &plan.hosts[1].requirement else {
        panic!("require-sts, got {:?}", plan.hosts[1].requirement);
    };
    assert_eq!(trouble.cause, Cause::StsRequired);
    assert!(trouble.is_temporary());
    assert_eq!(trouble.code().to_string(), "4.7.5");
    assert_eq!(plan.hosts[1].raised_by, Some(Raise::RequireSts));
}
