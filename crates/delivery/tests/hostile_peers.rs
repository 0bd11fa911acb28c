//! Delivery against broken and hostile SMTP servers (issue 20): a refused
//! STARTTLS, "too many recipients" as 552, 5xx greetings, a 250 before the
//! end of data. No wrong bounce, no false delivery, no downgrade where TLS
//! is required.

mod common;

use common::{RECIPIENT, World, add_tlsa, ca, code, identity, mx, status, tlsa_for, world};
use delivery::{Message, RecipientStatus};
use smtp::replies;
use testworld::smtp::{Behaviour, Step};

const MX1: &str = "mx1.example.test.";
const MX2: &str = "mx2.example.test.";

fn recipients(count: usize) -> Vec<String> {
    (1..=count)
        .map(|i| format!("user{i}@example.test"))
        .collect()
}

async fn deliver_to(w: &World, recipients: &[String]) -> delivery::DeliveryReport {
    let plan = policy::plan(&w.resolver, &common::domain(), &policy::PlanOptions::new()).await;
    let message = Message {
        recipients: recipients.to_vec(),
        ..common::message(false)
    };
    delivery::deliver(&plan, &message, &w.options()).await
}

fn transactions(w: &World, receiver: usize) -> usize {
    w.receivers[receiver]
        .sessions()
        .iter()
        .flat_map(|s| s.commands.clone())
        .filter(|c| c.starts_with("MAIL"))
        .count()
}

// 1. A refused STARTTLS (RFC 3207 §4).

#[tokio::test]
async fn starttls_refused_on_an_opportunistic_host_goes_on_in_plaintext() {
    let w = world(
        &[mx(MX1, 51, 10)],
        vec![Behaviour::starttls_refused()],
        |_| {},
    )
    .await;
    let report = w.deliver().await;
    assert_eq!(status(&report), RecipientStatus::Delivered, "{report:#?}");
    assert_eq!(w.receivers[0].messages().len(), 1);
    let sessions = w.receivers[0].sessions();
    assert_eq!(sessions.len(), 1, "the same session, no reconnection");
    assert!(sessions[0].received("STARTTLS"));
    assert!(!sessions[0].starttls());
    let attempt = &report.attempts[0];
    assert!(attempt.trouble.is_none());
    assert_eq!(attempt.starttls_refused.as_ref().map(|r| r.code), Some(454));
    assert!(attempt.session.as_ref().unwrap().tls.is_none());
}

#[tokio::test]
async fn starttls_refused_under_mta_sts_testing_delivers_and_records_it() {
    let ca = ca();
    let w = world(
        &[mx(MX1, 52, 10)],
        vec![Behaviour::starttls_refused()],
        |_| {},
    )
    .await;
    let script = common::sts::Script::default();
    script.publish("1", Some(common::sts::TESTING));
    let roots = tls::TrustRoots::only(&[ca.root_der().clone()]).unwrap();
    let report = w.deliver_sts(&script.policies(), roots, false).await;
    assert_eq!(status(&report), RecipientStatus::Delivered, "{report:#?}");
    let failure = report.attempts[0].sts_testing_failure.as_ref();
    assert_eq!(
        failure.and_then(|t| t.result_type()).map(|t| t.as_str()),
        Some("starttls-not-supported")
    );
}

#[tokio::test]
async fn starttls_refused_on_a_dane_host_stays_deferred_4_7_321() {
    let ca = ca();
    let id = identity(&ca, "mx1.example.test");
    let record = tlsa_for(id.leaf(), 3, 1, 1);
    let w = world(
        &[mx(MX1, 53, 10)],
        vec![Behaviour::starttls_refused()],
        |z| {
            add_tlsa(
                z.zone("example.test.").unwrap(),
                "_25._tcp.mx1.example.test.",
                &record,
            )
        },
    )
    .await;
    let report = w.deliver().await;
    assert_eq!(status(&report), RecipientStatus::Deferred, "{report:#?}");
    assert_eq!(code(&report), "4.7.321");
    assert!(report.attempts[0].starttls_refused.is_none());
    assert!(!w.receivers[0].sessions().iter().any(|s| s.received("MAIL")));
}

// 2. 552 to RCPT is "too many recipients" (RFC 5321 §4.5.3.1.10).

#[tokio::test]
async fn rcpt_552_too_many_recipients_is_retried_at_once_in_a_new_transaction() {
    for code in [552, 452] {
        let w = world(
            &[mx(MX1, 54, 10)],
            vec![Behaviour::plain().recipient_limit(2, code)],
            |_| {},
        )
        .await;
        let all = recipients(5);
        let report = deliver_to(&w, &all).await;
        for outcome in &report.recipients {
            assert_eq!(outcome.status, RecipientStatus::Delivered, "{report:#?}");
        }
        let messages = w.receivers[0].messages();
        let received: Vec<usize> = messages
            .iter()
            .map(|m| m.recipient_addresses().len())
            .collect();
        assert_eq!(received, [2, 2, 1], "{code}");
        assert_eq!(w.receivers[0].sessions().len(), 1, "one connection");
    }
}

#[tokio::test]
async fn rcpt_552_for_every_recipient_defers_without_looping() {
    let too_many = replies::TOO_MANY_RECIPIENTS.reply();
    let old = smtp::Reply::new(552, None, too_many.text());
    let w = world(
        &[mx(MX1, 55, 10)],
        vec![Behaviour::plain().reply_at(Step::Rcpt, old)],
        |_| {},
    )
    .await;
    let all = recipients(3);
    let report = deliver_to(&w, &all).await;
    for outcome in &report.recipients {
        assert_eq!(outcome.status, RecipientStatus::Deferred, "{report:#?}");
        let code = outcome.code.unwrap();
        assert_eq!(code.class, smtp::Class::Transient, "{code}");
        assert_eq!(outcome.reply.as_ref().map(|r| r.code), Some(552));
    }
    assert_eq!(transactions(&w, 0), 1);
}

#[tokio::test]
async fn rcpt_552_retry_leaves_other_refusals_as_they_were() {
    let all = recipients(4);
    let w = world(
        &[mx(MX1, 56, 10)],
        vec![
            Behaviour::plain()
                .recipient_limit(2, 552)
                .permanent_for(&all[1]),
        ],
        |_| {},
    )
    .await;
    let report = deliver_to(&w, &all).await;
    let statuses: Vec<RecipientStatus> = report.recipients.iter().map(|r| r.status).collect();
    use RecipientStatus::{Delivered, Failed};
    assert_eq!(
        statuses,
        [Delivered, Failed, Delivered, Delivered],
        "{report:#?}"
    );
    assert_eq!(
        report.recipients[1].reply.as_ref().map(|r| r.code),
        Some(550)
    );
    let messages = w.receivers[0].messages();
    let received: Vec<Vec<&str>> = messages.iter().map(|m| m.recipient_addresses()).collect();
    assert_eq!(
        received,
        [
            vec![all[0].as_str(), all[2].as_str()],
            vec![all[3].as_str()]
        ]
    );
}

// 3. A 5xx greeting says nothing final about the recipient.

#[tokio::test]
async fn greeting_5xx_on_the_only_host_defers() {
    for step in [Step::Greeting, Step::Ehlo] {
        let w = world(
            &[mx(MX1, 57, 10)],
            vec![Behaviour::plain().permanent_at(step)],
            |_| {},
        )
        .await;
        let report = w.deliver().await;
        assert_eq!(
            status(&report),
            RecipientStatus::Deferred,
            "{step:?}: {report:#?}"
        );
        assert!(
            code(&report).starts_with("4."),
            "{step:?}: {}",
            code(&report)
        );
        let trouble = report.recipients[0].trouble.as_ref().unwrap();
        assert!(trouble.diagnostic().contains("554"), "{trouble}");
        assert!(trouble.final_code().to_string().starts_with("5."));
    }
}

#[tokio::test]
async fn greeting_5xx_and_421_defer_in_either_mx_order_naming_both_replies() {
    let refusing = || Behaviour::plain().permanent_at(Step::Greeting);
    let busy = || Behaviour::plain().temporary_at(Step::Greeting);
    for (first, second) in [(refusing(), busy()), (busy(), refusing())] {
        let w = world(
            &[mx(MX1, 58, 10), mx(MX2, 59, 20)],
            vec![first, second],
            |_| {},
        )
        .await;
        let report = w.deliver().await;
        assert_eq!(status(&report), RecipientStatus::Deferred, "{report:#?}");
        let diagnostic = report.recipients[0].trouble.as_ref().unwrap().diagnostic();
        for (host, reply) in [
            ("mx1.example.test", "127.0.0.58"),
            ("mx2.example.test", "127.0.0.59"),
        ] {
            assert!(diagnostic.contains(host), "{diagnostic}");
            assert!(diagnostic.contains(reply), "{diagnostic}");
        }
        assert!(diagnostic.contains("421"), "{diagnostic}");
        assert!(diagnostic.contains("554"), "{diagnostic}");
    }
}

#[tokio::test]
async fn greeting_5xx_on_the_first_host_moves_on_to_the_next() {
    let w = world(
        &[mx(MX1, 60, 10), mx(MX2, 61, 20)],
        vec![
            Behaviour::plain().permanent_at(Step::Greeting),
            Behaviour::plain(),
        ],
        |_| {},
    )
    .await;
    let report = w.deliver().await;
    assert_eq!(status(&report), RecipientStatus::Delivered, "{report:#?}");
    assert_eq!(w.receivers[1].messages().len(), 1);
    assert_eq!(report.recipients[0].host.as_deref(), Some(MX2));
}

// 6. A 250 before the end of data was sent.

#[tokio::test]
async fn early_250_before_end_of_data_is_not_a_delivery() {
    let w = world(
        &[mx(MX1, 62, 10)],
        vec![Behaviour::plain().early_accept_at_data()],
        |_| {},
    )
    .await;
    let report = w.deliver().await;
    assert_eq!(status(&report), RecipientStatus::Deferred, "{report:#?}");
    assert!(code(&report).starts_with("4."), "{}", code(&report));
    assert!(report.attempts[0].delivered.is_empty());
    assert!(w.receivers[0].messages().is_empty());
    let trouble = report.recipients[0].trouble.as_ref().unwrap();
    assert_eq!(
        trouble.cause,
        policy::Cause::RemoteProtocol {
            stage: smtp::Stage::DataBlock
        },
        "{trouble}"
    );
    assert!(trouble.diagnostic().contains("250"), "{trouble}");
}

#[tokio::test]
async fn early_250_on_the_first_host_moves_on_to_the_next() {
    let w = world(
        &[mx(MX1, 63, 10), mx(MX2, 64, 20)],
        vec![
            Behaviour::plain().early_accept_at_data(),
            Behaviour::plain(),
        ],
        |_| {},
    )
    .await;
    let report = w.deliver().await;
    assert_eq!(status(&report), RecipientStatus::Delivered, "{report:#?}");
    assert_eq!(report.recipients[0].host.as_deref(), Some(MX2));
    assert_eq!(w.receivers[1].messages().len(), 1);
    assert_eq!(report.recipients[0].address, RECIPIENT);
}
