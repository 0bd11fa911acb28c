//! Connection reuse keyed by security context: messages under one plan
//! share a connection; a message whose plan demands more than the one a
//! kept connection was opened under never rides it.

mod common;

use std::time::Duration;

use common::{RECIPIENT, add_tlsa, ca, domain, identity, message, mx, tlsa_for, world};
use delivery::{Connections, RecipientStatus};
use policy::Requirement;
use testworld::smtp::Behaviour;
use tls::Method;

const MX1: &str = "mx1.example.test.";
const TLSA1: &str = "_25._tcp.mx1.example.test.";

#[tokio::test]
async fn messages_under_one_plan_share_one_dane_verified_connection() {
    let ca = ca();
    let id = identity(&ca, "mx1.example.test");
    let record = tlsa_for(id.leaf(), 3, 1, 1);
    let w = world(&[mx(MX1, 41, 10)], vec![Behaviour::starttls(&id)], |z| {
        add_tlsa(z.zone("example.test.").unwrap(), TLSA1, &record)
    })
    .await;
    let plan = policy::plan(&w.resolver, &domain(), &policy::PlanOptions::new()).await;
    let options = w.options();
    let mut connections = Connections::new();
    for n in 1..=3u32 {
        let report =
            delivery::deliver_reusing(&plan, &message(false), &options, &mut connections).await;
        assert_eq!(report.recipients[0].status, RecipientStatus::Delivered);
        let attempt = &report.attempts[0];
        assert_eq!(attempt.transaction, n);
        let verification = attempt.verification.as_ref().expect("verified");
        assert_eq!(verification.method, Method::Dane);
        assert_eq!(verification.status, tls::Status::Authenticated);
        let session = attempt.session.as_ref().expect("session record");
        assert!(session.tls.is_some());
        assert!(
            session
                .commands
                .iter()
                .any(|c| c.command.starts_with("MAIL"))
        );
    }
    connections.close().await;
    assert_eq!(connections.opened(), 1);
    assert_eq!(connections.reused(), 2);
    assert_eq!(w.receivers[0].messages().len(), 3);
    assert_eq!(w.receivers[0].sessions().len(), 1);
}

#[tokio::test]
async fn a_message_requiring_dane_never_rides_a_connection_opened_for_opportunistic_tls() {
    // The server's certificate does not match the TLSA record: only an
    // opportunistic connection can carry mail to it.
    let ca = ca();
    let published = identity(&ca, "mx1.example.test");
    let served = identity(&ca, "mx1.example.test");
    let record = tlsa_for(published.leaf(), 3, 1, 1);
    let w = world(
        &[mx(MX1, 42, 10)],
        vec![Behaviour::starttls(&served)],
        |z| add_tlsa(z.zone("example.test.").unwrap(), TLSA1, &record),
    )
    .await;
    let dane = policy::plan(&w.resolver, &domain(), &policy::PlanOptions::new()).await;
    assert!(matches!(
        dane.hosts[0].requirement,
        Requirement::Dane { .. }
    ));
    // The same host as a plan made before the TLSA record was published.
    let mut opportunistic = dane.clone();
    opportunistic.hosts[0].requirement = Requirement::Opportunistic;
    let options = w.options();
    let mut connections = Connections::new();

    let first =
        delivery::deliver_reusing(&opportunistic, &message(false), &options, &mut connections)
            .await;
    assert_eq!(first.recipients[0].status, RecipientStatus::Delivered);
    let second =
        delivery::deliver_reusing(&dane, &message(false), &options, &mut connections).await;
    assert_eq!(
        second.recipients[0].status,
        RecipientStatus::Deferred,
        "{second:#?}"
    );
    assert_eq!(second.attempts[0].transaction, 1);
    assert_eq!(
        second.attempts[0].verification.as_ref().map(|v| v.method),
        Some(Method::Dane)
    );
    connections.close().await;
    assert_eq!(connections.reused(), 0);
    assert_eq!(w.receivers[0].messages().len(), 1);
    assert_eq!(w.receivers[0].sessions().len(), 2);
}

#[tokio::test]
async fn a_kept_connection_the_server_closed_is_replaced_without_a_failure() {
    let ca = ca();
    let id = identity(&ca, "mx1.example.test");
    let record = tlsa_for(id.leaf(), 3, 1, 1);
    let behaviour = Behaviour::starttls(&id).timeout(Duration::from_millis(200));
    let w = world(&[mx(MX1, 43, 10)], vec![behaviour], |z| {
        add_tlsa(z.zone("example.test.").unwrap(), TLSA1, &record)
    })
    .await;
    let plan = policy::plan(&w.resolver, &domain(), &policy::PlanOptions::new()).await;
    let options = w.options();
    let mut connections = Connections::new();
    let first = delivery::deliver_reusing(&plan, &message(false), &options, &mut connections).await;
    assert_eq!(first.recipients[0].status, RecipientStatus::Delivered);
    // The receiver's idle limit passes: it closes the kept connection.
    w.receivers[0]
        .wait_for_ended_sessions(1, Duration::from_secs(5))
        .await
        .expect("the receiver closes the idle session");
    let second =
        delivery::deliver_reusing(&plan, &message(false), &options, &mut connections).await;
    assert_eq!(
        second.recipients[0].status,
        RecipientStatus::Delivered,
        "{second:#?}"
    );
    assert_eq!(second.attempts.len(), 1, "{second:#?}");
    assert!(second.attempts[0].trouble.is_none());
    assert_eq!(second.attempts[0].transaction, 1);
    connections.close().await;
    assert_eq!(connections.opened(), 2);
    let received: Vec<_> = w.receivers[0].messages();
    assert_eq!(received.len(), 2);
    assert!(
        received
            .iter()
            .all(|m| m.envelope.recipients.iter().any(|r| r.address == RECIPIENT))
    );
}

#[tokio::test]
async fn a_connection_never_carries_another_pools_mail() {
    let ca = ca();
    let id = identity(&ca, "mx1.example.test");
    let record = tlsa_for(id.leaf(), 3, 1, 1);
    let w = world(&[mx(MX1, 44, 10)], vec![Behaviour::starttls(&id)], |z| {
        add_tlsa(z.zone("example.test.").unwrap(), TLSA1, &record)
    })
    .await;
    let plan = policy::plan(&w.resolver, &domain(), &policy::PlanOptions::new()).await;
    let pool = |octet: u8, ehlo: &str| {
        let mut options = w.options();
        options.source = delivery::Source::of(Some(testworld::net::loopback(octet)));
        options.ehlo_name = ehlo.to_owned();
        options
    };
    let normal = pool(141, "normal.sender.test");
    let high_risk = pool(142, "risk.sender.test");
    // The same address under another name is another pool to the receiver.
    let renamed = pool(141, "other.sender.test");
    let mut connections = Connections::new();
    for options in [&normal, &high_risk, &renamed, &normal] {
        let report =
            delivery::deliver_reusing(&plan, &message(false), options, &mut connections).await;
        assert_eq!(report.recipients[0].status, RecipientStatus::Delivered);
    }
    connections.close().await;
    assert_eq!(connections.opened(), 3);
    assert_eq!(connections.reused(), 1);
    let seen: Vec<(String, Option<String>)> = w.receivers[0]
        .sessions()
        .iter()
        .map(|s| (s.peer.ip().to_string(), s.ehlo.clone()))
        .collect();
    assert_eq!(
        seen,
        [
            (
                "127.0.0.141".to_owned(),
                Some("normal.sender.test".to_owned())
            ),
            (
                "127.0.0.142".to_owned(),
                Some("risk.sender.test".to_owned())
            ),
            (
                "127.0.0.141".to_owned(),
                Some("other.sender.test".to_owned())
            ),
        ]
    );
    assert_eq!(w.receivers[0].messages().len(), 4);
}
