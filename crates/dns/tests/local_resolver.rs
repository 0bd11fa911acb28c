//! A local resolver that cannot serve DNSSEC is our fault, not the
//! recipient's: the trust anchor's zone cannot be validated.

mod common;

use std::time::Duration;

use common::{name, world};
use dns::{DnsError, DnssecStatus, LocalFault, RecordType};
use testworld::dns::Misbehaviour;

fn local_fault(result: Result<dns::Lookup<dns::RecordKind>, DnsError>) -> LocalFault {
    match result {
        Err(DnsError::LocalResolver { anchor, seen }) => {
            assert_eq!(anchor, ".");
            seen
        }
        other => panic!("expected a local resolver fault, got {other:?}"),
    }
}

async fn seen_on_start(misbehaviour: Misbehaviour) -> LocalFault {
    let w = world().await;
    w.server.set_misbehaviour(misbehaviour);
    let probe = w.resolver.probe().await;
    assert!(
        matches!(probe, Err(DnsError::LocalResolver { .. })),
        "{probe:?}"
    );
    assert!(probe.unwrap_err().is_temporary());
    local_fault(
        w.resolver
            .lookup_presentation(&name("mx.secure.test"), RecordType::A)
            .await,
    )
}

#[tokio::test]
async fn resolver_answering_nxdomain_to_everything_is_a_local_fault() {
    let seen = seen_on_start(Misbehaviour::NxDomainToEverything).await;
    assert_eq!(
        seen,
        LocalFault::ResponseCode {
            code: "NXDOMAIN".into()
        }
    );
}

#[tokio::test]
async fn resolver_stripping_signatures_is_a_local_fault() {
    assert_eq!(
        seen_on_start(Misbehaviour::StripSignatures).await,
        LocalFault::SignaturesStripped
    );
}

#[tokio::test]
async fn resolver_refusing_dnssec_is_a_local_fault() {
    let seen = seen_on_start(Misbehaviour::RefuseDnssec).await;
    assert!(
        matches!(
            seen,
            LocalFault::ResponseCode { .. } | LocalFault::NoAnswer { .. }
        ),
        "{seen:?}"
    );
}

#[tokio::test]
async fn silent_resolver_is_a_local_fault() {
    let seen = seen_on_start(Misbehaviour::Silent).await;
    assert!(matches!(seen, LocalFault::NoAnswer { .. }), "{seen:?}");
}

#[tokio::test]
async fn resolver_breaking_after_start_is_found_by_a_run_of_bogus_answers() {
    let w = world().await;
    w.resolver
        .probe()
        .await
        .expect("the world's resolver serves DNSSEC");
    let answer = w
        .resolver
        .lookup(&name("mx.secure.test"), RecordType::A)
        .await
        .unwrap();
    assert_eq!(answer.status, DnssecStatus::Secure);
    w.server
        .set_misbehaviour(Misbehaviour::NxDomainToEverything);
    w.clock.advance(Duration::from_secs(60));
    let result = w
        .resolver
        .lookup_presentation(&name("mx.nsec3.test"), RecordType::A)
        .await;
    assert_eq!(
        local_fault(result),
        LocalFault::ResponseCode {
            code: "NXDOMAIN".into()
        }
    );
    // Once repaired, answers are secure again.
    w.server.set_misbehaviour(Misbehaviour::None);
    w.clock.advance(Duration::from_secs(60));
    let answer = w
        .resolver
        .lookup(&name("mx.nsec3.test"), RecordType::A)
        .await
        .unwrap();
    assert_eq!(answer.status, DnssecStatus::Secure);
}

#[tokio::test]
async fn bogus_domain_with_a_healthy_resolver_stays_bogus() {
    let w = world().await;
    for _ in 0..4 {
        let answer = w
            .resolver
            .lookup(&name("mx.expired.test"), RecordType::A)
            .await
            .unwrap();
        assert_eq!(answer.status, DnssecStatus::Bogus);
        w.clock.advance(Duration::from_secs(61));
    }
}
