//! MTA-STS in the delivery plan (RFC 8461 §4, §5; DESIGN §2): the policy
//! applies to hosts without DANE only, per mode, and the plan says which
//! policy applied and what failed. Driven by a scripted MTA-STS source.

mod common;

use common::sts::{ENFORCE, NONE, Script, TESTING};
use common::{Env, HASH_A, name, serve};
use policy::sts::{Mode, Origin};
use policy::{Cause, DeliveryPlan, PlanOptions, Raise, Reason, Requirement, StsTesting};
use testworld::dns::{Denial, DnsWorld, Fault};

/// `example.test.`: `mx1` (in the policies, preference 10) and `other`
/// (in no policy, 20), neither with TLSA.
fn two_hosts() -> DnsWorld {
    let mut world = DnsWorld::new();
    world
        .signed_zone("example.test.", Denial::Nsec)
        .mx(10, "mx1.example.test.")
        .mx(20, "other.example.test.")
        .a("mx1.example.test.", "127.0.0.70")
        .a("other.example.test.", "127.0.0.71");
    world
}

async fn plan_for(env: &Env, script: &Script) -> DeliveryPlan {
    plan_under(env, script, &PlanOptions::new()).await
}

async fn plan_under(env: &Env, script: &Script, options: &PlanOptions) -> DeliveryPlan {
    policy::plan_with_sts(
        &env.resolver,
        &name("example.test"),
        options,
        &script.policies(),
    )
    .await
}

fn enforce(name: &str) -> Requirement {
    Requirement::StsEnforce { name: name.into() }
}

#[tokio::test]
async fn enforce_requires_webpki_for_listed_hosts_and_drops_the_others() {
    let env = serve(two_hosts()).await;
    let script = Script::default();
    script.publish("20250101", Some(ENFORCE));
    let plan = plan_for(&env, &script).await;
    assert_eq!(plan.hosts[0].requirement, enforce("mx1.example.test"));
    assert!(plan.hosts[0].requirement.requires_tls());
    assert_eq!(
        plan.hosts[0].requirement.tls_requirement(),
        Some(tls::TlsRequirement::WebPki {
            name: "mx1.example.test".into()
        })
    );
    let Requirement::UnusableNow(trouble) = &plan.hosts[1].requirement else {
        panic!("not in the policy: {:?}", plan.hosts[1].requirement);
    };
    assert_eq!(trouble.cause, Cause::StsMxNotInPolicy);
    assert_eq!(trouble.code().to_string(), "4.7.5");
    assert_eq!(
        trouble.result_type().map(|t| t.as_str()),
        Some("validation-failure")
    );
    assert!(plan.trouble().is_none(), "mx1 is still usable");
}

#[tokio::test]
async fn enforce_with_no_host_in_the_policy_defers_with_4_7_5() {
    let env = serve(two_hosts()).await;
    let script = Script::default();
    script.publish(
        "1",
        Some("version: STSv1\nmode: enforce\nmx: mail.elsewhere.test\nmax_age: 86400\n"),
    );
    let plan = plan_for(&env, &script).await;
    assert!(plan.usable_hosts().next().is_none(), "{plan:#?}");
    let trouble = plan.trouble().expect("nothing usable");
    assert_eq!(trouble.cause, Cause::StsMxNotInPolicy);
    assert!(trouble.is_temporary());
    assert_eq!(trouble.final_code().to_string(), "5.7.5");
}

#[tokio::test]
async fn wildcard_pattern_matches_one_label_only() {
    let mut world = DnsWorld::new();
    world
        .signed_zone("example.test.", Denial::Nsec)
        .mx(10, "a.mx.example.test.")
        .mx(20, "b.c.mx.example.test.")
        .a("a.mx.example.test.", "127.0.0.72")
        .a("b.c.mx.example.test.", "127.0.0.73");
    let env = serve(world).await;
    let script = Script::default();
    script.publish("1", Some(ENFORCE));
    let plan = plan_for(&env, &script).await;
    assert_eq!(plan.hosts[0].requirement, enforce("a.mx.example.test"));
    assert!(!plan.hosts[1].requirement.is_usable(), "{plan:#?}");
}

#[tokio::test]
async fn testing_keeps_hosts_opportunistic_and_records_the_policy() {
    let env = serve(two_hosts()).await;
    let script = Script::default();
    script.publish("1", Some(TESTING));
    let plan = plan_for(&env, &script).await;
    for host in &plan.hosts {
        assert_eq!(host.requirement, Requirement::Opportunistic);
    }
    assert_eq!(
        plan.hosts[0].sts_testing,
        Some(StsTesting {
            name: "mx1.example.test".into(),
            mx_matches: true
        })
    );
    let other = plan.hosts[1].sts_testing.as_ref().expect("testing applies");
    assert!(!other.mx_matches);
    assert_eq!(
        other
            .mx_trouble()
            .and_then(|t| t.result_type())
            .map(|t| t.as_str()),
        Some("validation-failure")
    );
    assert!(
        plan.hosts[0]
            .sts_testing
            .as_ref()
            .unwrap()
            .mx_trouble()
            .is_none()
    );
}

#[tokio::test]
async fn mode_none_and_no_policy_change_nothing() {
    let env = serve(two_hosts()).await;
    let script = Script::default();
    let plan_without = plan_for(&env, &script).await;
    script.publish("1", Some(NONE));
    let plan_none = plan_for(&env, &script).await;
    for plan in [&plan_without, &plan_none] {
        for host in &plan.hosts {
            assert_eq!(host.requirement, Requirement::Opportunistic);
            assert!(host.sts_testing.is_none());
        }
        let sts = plan.sts.as_ref().expect("MTA-STS was consulted");
        assert!(sts.active().is_none());
        assert!(sts.trouble.is_none());
    }
    let applied = plan_none.sts.as_ref().unwrap().answer.as_ref().unwrap();
    assert_eq!(applied.applied.as_ref().unwrap().policy.mode, Mode::None);
}

#[tokio::test]
async fn fetch_failure_without_cache_is_no_policy_and_is_recorded() {
    let env = serve(two_hosts()).await;
    let script = Script::default();
    script.publish("1", None);
    let plan = plan_for(&env, &script).await;
    assert_eq!(script.fetches(), 1);
    assert_eq!(plan.hosts[0].requirement, Requirement::Opportunistic);
    assert!(plan.trouble().is_none());
    let trouble = plan
        .sts
        .as_ref()
        .unwrap()
        .trouble
        .as_ref()
        .expect("recorded");
    assert_eq!(trouble.cause, Cause::StsPolicyFetch);
    assert_eq!(
        trouble.result_type().map(|t| t.as_str()),
        Some("sts-policy-fetch-error")
    );

    script.publish("2", Some("version: STSv1\nmode: enforce\nmax_age: 86400\n"));
    let plan = plan_under(&env, &script, &PlanOptions::new()).await;
    assert_eq!(plan.hosts[0].requirement, Requirement::Opportunistic);
    let trouble = plan
        .sts
        .as_ref()
        .unwrap()
        .trouble
        .as_ref()
        .expect("recorded");
    assert_eq!(
        trouble.result_type().map(|t| t.as_str()),
        Some("sts-policy-invalid")
    );
}

#[tokio::test]
async fn sts_fetch_failure_with_valid_cache_still_enforces() {
    let env = serve(two_hosts()).await;
    let script = Script::default();
    let policies = script.policies();
    let domain = name("example.test");
    let options = PlanOptions::new();
    script.publish("1", Some(ENFORCE));
    let first = policy::plan_with_sts(&env.resolver, &domain, &options, &policies).await;
    assert_eq!(first.hosts[0].requirement, enforce("mx1.example.test"));
    // A new id announces a new policy, whose host now answers 404.
    script.publish("2", None);
    let plan = policy::plan_with_sts(&env.resolver, &domain, &options, &policies).await;
    assert_eq!(script.fetches(), 2);
    assert_eq!(plan.hosts[0].requirement, enforce("mx1.example.test"));
    assert!(!plan.hosts[1].requirement.is_usable());
    let sts = plan.sts.as_ref().unwrap();
    let applied = sts.active().expect("the cached policy stays in force");
    assert_eq!(applied.origin, Origin::Cache);
    assert_eq!(applied.id, "1");
    assert_eq!(
        sts.trouble
            .as_ref()
            .and_then(|t| t.result_type())
            .map(|t| t.as_str()),
        Some("sts-policy-fetch-error")
    );
}

/// `example.test.`: `dane` with a TLSA record (10) and `mx1` without (20).
fn dane_and_plain(tlsa_fault: bool) -> DnsWorld {
    let mut world = DnsWorld::new();
    let zone = world
        .signed_zone("example.test.", Denial::Nsec)
        .mx(10, "dane.example.test.")
        .mx(20, "mx1.example.test.")
        .a("dane.example.test.", "127.0.0.74")
        .a("mx1.example.test.", "127.0.0.75")
        .tlsa("_25._tcp.dane.example.test.", 3, 1, 1, HASH_A);
    if tlsa_fault {
        zone.rrset_fault(
            "_25._tcp.dane.example.test.",
            "TLSA",
            Fault::ExpiredSignatures,
        );
    }
    world
}

#[tokio::test]
async fn dane_and_sts_both_present_dane_decides() {
    // `dane` is in no policy: under DANE it stays DANE all the same.
    let env = serve(dane_and_plain(false)).await;
    let script = Script::default();
    script.publish("1", Some(ENFORCE));
    let plan = plan_for(&env, &script).await;
    assert!(
        matches!(plan.hosts[0].requirement, Requirement::Dane { .. }),
        "{plan:#?}"
    );
    assert_eq!(plan.hosts[1].requirement, enforce("mx1.example.test"));

    // A failing DANE check is not rescued by MTA-STS.
    let env = serve(dane_and_plain(true)).await;
    let plan = plan_for(&env, &script).await;
    assert_eq!(plan.hosts[0].reason, Reason::TlsaNotValidated);
    let Requirement::UnusableNow(trouble) = &plan.hosts[0].requirement else {
        panic!("bogus TLSA: {:?}", plan.hosts[0].requirement);
    };
    assert_eq!(trouble.code().to_string(), "4.7.324");
}

#[tokio::test]
async fn all_hosts_under_dane_do_not_consult_sts() {
    let mut world = DnsWorld::new();
    world
        .signed_zone("example.test.", Denial::Nsec)
        .mx(10, "dane.example.test.")
        .a("dane.example.test.", "127.0.0.76")
        .tlsa("_25._tcp.dane.example.test.", 3, 1, 1, HASH_A);
    let env = serve(world).await;
    let script = Script::default();
    script.publish("1", Some(ENFORCE));
    let plan = plan_for(&env, &script).await;
    assert!(matches!(
        plan.hosts[0].requirement,
        Requirement::Dane { .. }
    ));
    assert!(plan.sts.is_none());
    assert_eq!(script.fetches(), 0);
}

#[tokio::test]
async fn local_policy_raises_sts_hosts_and_never_lowers_them() {
    let env = serve(two_hosts()).await;
    let script = Script::default();
    script.publish("1", Some(ENFORCE));
    let plan = plan_under(&env, &script, &PlanOptions::new().with_require_tls(true)).await;
    assert_eq!(plan.hosts[0].requirement, enforce("mx1.example.test"));
    assert_eq!(plan.hosts[0].raised_by, None);
    let plan = plan_under(&env, &script, &PlanOptions::new().with_require_dane(true)).await;
    assert_eq!(plan.hosts[0].raised_by, Some(Raise::RequireDane));

    script.publish("2", Some(TESTING));
    let plan = plan_under(&env, &script, &PlanOptions::new().with_require_tls(true)).await;
    assert_eq!(
        plan.hosts[0].requirement,
        Requirement::TlsMandatoryUnauthenticated
    );
    assert!(plan.hosts[0].sts_testing.is_some(), "testing still reports");
}

#[tokio::test]
async fn plan_serializes_the_policy_applied() {
    let env = serve(two_hosts()).await;
    let script = Script::default();
    script.publish("20250101", Some(ENFORCE));
    let plan = plan_for(&env, &script).await;
    let json = serde_json::to_value(&plan).unwrap();
    let applied = &json["sts"]["answer"]["applied"];
    assert_eq!(applied["id"], "20250101");
    assert_eq!(applied["origin"], "fetch");
    assert_eq!(applied["policy"]["mode"], "enforce");
    assert_eq!(applied["policy"]["max_age"], 604800);
    assert_eq!(
        applied["policy"]["mx"],
        serde_json::json!(["mx1.example.test", "*.mx.example.test"])
    );
    assert!(!applied["expires_at"].is_null());
    assert_eq!(json["hosts"][0]["requirement"]["kind"], "sts-enforce");
    assert_eq!(json["hosts"][0]["requirement"]["name"], "mx1.example.test");
    assert_eq!(json["hosts"][1]["requirement"]["kind"], "unusable-now");
}
