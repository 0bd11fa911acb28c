//! DMARC evaluation through test-world DNS: policy discovery at the author
//! domain and at its organizational domain, strict and relaxed alignment,
//! `p`/`sp`, `pct` and DNS failures.

mod common;

use auth::dmarc::{DmarcResult, Policy, evaluate};
use auth::spf::{Identity, SpfResult, SpfVerdict};
use auth::{DkimResult, DkimVerdict};
use testworld::dns::{Denial, DnsWorld, Fault};

fn spf(result: SpfResult, domain: &str) -> SpfVerdict {
    SpfVerdict {
        result,
        identity: Identity::MailFrom,
        sender: format!("bounce@{domain}"),
        domain: domain.to_owned(),
        explanation: None,
        problem: None,
        lookups: Vec::new(),
    }
}

fn dkim(result: DkimResult, domain: &str) -> DkimVerdict {
    DkimVerdict {
        result,
        domain: domain.to_owned(),
        selector: "s".into(),
        algorithm: "ed25519-sha256".into(),
        header_b: "abcdefgh".into(),
        problem: None,
        key_dnssec: None,
    }
}

async fn world() -> testworld::dns::DnsServer {
    let mut world = DnsWorld::new();
    world
        .signed_zone("example.com.", Denial::Nsec)
        .txt(
            "_dmarc.example.com.",
            "v=DMARC1; p=reject; sp=quarantine; adkim=s; aspf=r",
        )
        .txt("_dmarc.strict.example.com.", "v=DMARC1; p=reject; aspf=s")
        .txt("_dmarc.sampled.example.com.", "v=DMARC1; p=reject; pct=30");
    world
        .signed_zone("example.co.uk.", Denial::Nsec)
        .txt("_dmarc.example.co.uk.", "v=DMARC1; p=quarantine");
    world.signed_zone("broken.test.", Denial::Nsec).rrset_fault(
        "_dmarc.broken.test.",
        "TXT",
        Fault::ServFail,
    );
    world.signed_zone("nopolicy.test.", Denial::Nsec);
    common::serve(world).await
}

#[tokio::test]
async fn relaxed_spf_alignment_passes_for_a_subdomain_sender() {
    let server = world().await;
    let r = common::resolver(&server);
    let v = evaluate(
        &r,
        "example.com",
        &spf(SpfResult::Pass, "bounces.example.com"),
        &[],
        0,
    )
    .await;
    assert_eq!(v.result, DmarcResult::Pass, "{v:?}");
    assert!(v.spf_aligned && !v.dkim_aligned);
    assert_eq!(v.disposition, Policy::None);
}

#[tokio::test]
async fn strict_dkim_alignment_refuses_a_subdomain_signature() {
    let server = world().await;
    let r = common::resolver(&server);
    let signed = [dkim(DkimResult::Pass, "mail.example.com")];
    let v = evaluate(
        &r,
        "example.com",
        &spf(SpfResult::Fail, "example.com"),
        &signed,
        0,
    )
    .await;
    assert_eq!(v.result, DmarcResult::Fail, "{v:?}");
    assert_eq!(
        (v.policy, v.disposition),
        (Some(Policy::Reject), Policy::Reject)
    );
    let exact = [dkim(DkimResult::Pass, "example.com")];
    let v = evaluate(
        &r,
        "example.com",
        &spf(SpfResult::Fail, "example.com"),
        &exact,
        0,
    )
    .await;
    assert_eq!(v.result, DmarcResult::Pass);
    assert!(v.dkim_aligned);
}

#[tokio::test]
async fn strict_spf_alignment_refuses_a_subdomain_envelope() {
    let server = world().await;
    let r = common::resolver(&server);
    let v = evaluate(
        &r,
        "strict.example.com",
        &spf(SpfResult::Pass, "b.strict.example.com"),
        &[],
        0,
    )
    .await;
    assert_eq!(v.result, DmarcResult::Fail);
    assert_eq!(v.policy_domain.as_deref(), Some("strict.example.com"));
}

#[tokio::test]
async fn a_subdomain_without_a_record_gets_the_organizations_sp() {
    let server = world().await;
    let r = common::resolver(&server);
    let v = evaluate(
        &r,
        "news.example.com",
        &spf(SpfResult::Pass, "other.test"),
        &[],
        0,
    )
    .await;
    assert_eq!(v.result, DmarcResult::Fail);
    assert_eq!(v.policy_domain.as_deref(), Some("example.com"));
    assert_eq!(v.policy, Some(Policy::Quarantine));
    assert_eq!(v.disposition, Policy::Quarantine);
}

#[tokio::test]
async fn the_organizational_domain_comes_from_the_public_suffix_list() {
    let server = world().await;
    let r = common::resolver(&server);
    let v = evaluate(
        &r,
        "shop.example.co.uk",
        &spf(SpfResult::Pass, "example.co.uk"),
        &[],
        0,
    )
    .await;
    assert_eq!(v.policy_domain.as_deref(), Some("example.co.uk"));
    assert_eq!(v.result, DmarcResult::Pass, "relaxed: same organization");
}

#[tokio::test]
async fn pct_softens_the_policy_for_messages_left_out() {
    let server = world().await;
    let r = common::resolver(&server);
    let fail = spf(SpfResult::Fail, "sampled.example.com");
    let v = evaluate(&r, "sampled.example.com", &fail, &[], 29).await;
    assert_eq!(v.disposition, Policy::Reject);
    let v = evaluate(&r, "sampled.example.com", &fail, &[], 30).await;
    assert_eq!(v.disposition, Policy::Quarantine);
}

#[tokio::test]
async fn no_record_is_none_and_a_failing_server_is_temperror() {
    let server = world().await;
    let r = common::resolver(&server);
    let v = evaluate(
        &r,
        "nopolicy.test",
        &spf(SpfResult::Fail, "nopolicy.test"),
        &[],
        0,
    )
    .await;
    assert_eq!(v.result, DmarcResult::None);
    let v = evaluate(
        &r,
        "broken.test",
        &spf(SpfResult::Fail, "broken.test"),
        &[],
        0,
    )
    .await;
    assert_eq!(v.result, DmarcResult::TempError);
}
