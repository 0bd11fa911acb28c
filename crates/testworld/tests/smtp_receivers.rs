//! The SMTP receivers' refusals, delays and drops at each step, per-recipient
//! replies, and what they record, driven by the `smtp` crate's client.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::*;
use smtp::{Client, ClientOptions, Error, RecipientStatus, Reply, Stage, Timeouts};
use testworld::net::{free_port, loopback};
use testworld::smtp::{Behaviour, Ended, Receiver, Step};

#[tokio::test]
async fn temporary_refusal_at_each_step_reaches_the_client() {
    for step in [Step::Greeting, Step::Ehlo, Step::Mail] {
        let receiver = start(Behaviour::plain().temporary_at(step));
        let err = deliver(&receiver, &["a@example.test"]).await.unwrap_err();
        let code = err.reply().map(|r| r.code);
        assert!(code.is_some_and(|c| c / 100 == 4), "{step:?}: {err}");
        assert!(err.is_temporary(), "{step:?}: {err}");
        assert!(receiver.messages().is_empty());
    }
    for step in [Step::Rcpt, Step::Data, Step::DataEnd] {
        let receiver = start(Behaviour::plain().temporary_at(step));
        let result = deliver(&receiver, &["a@example.test"]).await.unwrap();
        let recipient = &result.recipients[0];
        assert_eq!(
            recipient.status,
            RecipientStatus::TemporaryFailure,
            "{step:?}"
        );
        assert_eq!(recipient.reply.code / 100, 4, "{step:?}");
        assert!(receiver.messages().is_empty(), "{step:?}");
    }
}

#[tokio::test]
async fn permanent_refusal_at_each_step_reaches_the_client() {
    for step in [Step::Greeting, Step::Ehlo, Step::Mail] {
        let receiver = start(Behaviour::plain().permanent_at(step));
        let err = deliver(&receiver, &["a@example.test"]).await.unwrap_err();
        let code = err.reply().map(|r| r.code);
        assert!(code.is_some_and(|c| c / 100 == 5), "{step:?}: {err}");
        assert!(!err.is_temporary(), "{step:?}: {err}");
    }
    for step in [Step::Rcpt, Step::Data, Step::DataEnd] {
        let receiver = start(Behaviour::plain().permanent_at(step));
        let result = deliver(&receiver, &["a@example.test"]).await.unwrap();
        let recipient = &result.recipients[0];
        assert_eq!(
            recipient.status,
            RecipientStatus::PermanentFailure,
            "{step:?}"
        );
        assert_eq!(recipient.reply.code / 100, 5, "{step:?}");
        assert!(receiver.messages().is_empty(), "{step:?}");
    }
}

#[tokio::test]
async fn refused_message_is_seen_but_not_recorded_as_accepted() {
    let receiver = start(Behaviour::plain().permanent_at(Step::DataEnd));
    deliver(&receiver, &["a@example.test"]).await.unwrap();
    ended(&receiver).await;
    assert!(receiver.sessions()[0].received("."));
    assert!(receiver.messages().is_empty());
}

#[tokio::test]
async fn refusals_are_per_recipient_address() {
    let receiver = start(
        Behaviour::plain()
            .temporary_for("later@example.test")
            .permanent_for("never@example.test")
            .reply_for(
                "moved@example.test",
                Reply::new(551, None, "User not local; please try elsewhere"),
            ),
    );
    let recipients = [
        "ok@example.test",
        "later@example.test",
        "never@example.test",
        "moved@example.test",
    ];
    let result = deliver(&receiver, &recipients).await.unwrap();
    let statuses: Vec<_> = result.recipients.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [
            RecipientStatus::Accepted,
            RecipientStatus::TemporaryFailure,
            RecipientStatus::PermanentFailure,
            RecipientStatus::PermanentFailure,
        ]
    );
    assert_eq!(result.recipients[3].reply.code, 551);
    let messages = receiver.wait_for_messages(1, PATIENCE).await.unwrap();
    assert_eq!(messages[0].recipient_addresses(), ["ok@example.test"]);
}

#[tokio::test]
async fn slow_reply_arrives_after_the_chosen_delay() {
    let delay = Duration::from_millis(200);
    let receiver = start(Behaviour::plain().delay_at(Step::Mail, delay));
    let mut client = session(&receiver, None).await.unwrap();
    let started = Instant::now();
    client
        .send(&envelope(&["a@example.test"]), MESSAGE)
        .await
        .unwrap();
    assert!(started.elapsed() >= delay, "{:?}", started.elapsed());
}

#[tokio::test]
async fn slow_greeting_times_out_an_impatient_client() {
    let receiver = start(Behaviour::plain().delay_at(Step::Greeting, Duration::from_millis(500)));
    let impatient = ClientOptions {
        timeouts: Timeouts::uniform(Duration::from_millis(100)),
        ..ClientOptions::default()
    };
    let err = Client::connect(receiver.addr(), impatient)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                stage: Stage::Greeting,
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn delay_combines_with_a_refusal_at_the_same_step() {
    let delay = Duration::from_millis(200);
    let receiver = start(
        Behaviour::plain()
            .delay_at(Step::Rcpt, delay)
            .permanent_for("never@example.test"),
    );
    let started = Instant::now();
    let result = deliver(&receiver, &["never@example.test"]).await.unwrap();
    assert!(started.elapsed() >= delay);
    assert_eq!(
        result.recipients[0].status,
        RecipientStatus::PermanentFailure
    );
}

#[tokio::test]
async fn dropped_connection_at_each_step_closes_without_a_reply() {
    for step in [
        Step::Greeting,
        Step::Ehlo,
        Step::Mail,
        Step::Rcpt,
        Step::Data,
        Step::DataEnd,
    ] {
        let receiver = start(Behaviour::plain().drop_at(step));
        let err = deliver(&receiver, &["a@example.test"]).await.unwrap_err();
        assert!(
            matches!(err, Error::Closed { .. } | Error::Io { .. }),
            "{step:?}: {err}"
        );
        assert!(err.is_temporary());
        assert_eq!(ended(&receiver).await, Ended::Dropped, "{step:?}");
        assert!(receiver.messages().is_empty(), "{step:?}");
    }
}

#[tokio::test]
async fn helo_only_receiver_makes_the_client_fall_back_to_helo() {
    let receiver = start(Behaviour::plain().helo_only());
    let client = session(&receiver, None).await.unwrap();
    assert!(client.record().used_helo);
    let session = &receiver.sessions()[0];
    assert_eq!(session.commands, ["EHLO client.test", "HELO client.test"]);
    assert_eq!(session.ehlo.as_deref(), Some("client.test"));
}

#[tokio::test]
async fn new_behaviour_applies_to_the_next_connection() {
    let receiver = start(Behaviour::plain().temporary_at(Step::Mail));
    assert!(deliver(&receiver, &["a@example.test"]).await.is_err());
    receiver.set_behaviour(Behaviour::plain());
    deliver(&receiver, &["a@example.test"]).await.unwrap();
    assert_eq!(
        receiver.wait_for_messages(1, PATIENCE).await.unwrap().len(),
        1
    );
    assert_eq!(receiver.sessions().len(), 2);
}

#[tokio::test]
async fn two_receivers_share_a_port_on_different_loopback_addresses() {
    let (first_ip, second_ip) = (loopback(2), loopback(3));
    let port = free_port(&[first_ip, second_ip]);
    let first = Receiver::start(SocketAddr::new(first_ip, port), Behaviour::plain()).unwrap();
    let second = Receiver::start(
        SocketAddr::new(second_ip, port),
        Behaviour::plain().permanent_at(Step::Mail),
    )
    .unwrap();
    assert_eq!(first.addr().port(), second.addr().port());
    assert!(deliver(&second, &["a@example.test"]).await.is_err());
    deliver(&first, &["a@example.test"]).await.unwrap();
    assert_eq!(first.wait_for_messages(1, PATIENCE).await.unwrap().len(), 1);
    assert!(second.messages().is_empty());
    assert_eq!(first.sessions()[0].peer.ip(), loopback(1));
}

#[tokio::test]
async fn dropped_receiver_stops_listening() {
    let receiver = start(Behaviour::plain());
    let addr = receiver.addr();
    deliver(&receiver, &["a@example.test"]).await.unwrap();
    drop(receiver);
    let err = Client::connect(addr, options()).await.unwrap_err();
    assert!(matches!(err, Error::Connect { .. }), "{err}");
}

#[tokio::test]
async fn waiting_for_messages_times_out_with_what_arrived() {
    let receiver = start(Behaviour::plain());
    deliver(&receiver, &["a@example.test"]).await.unwrap();
    let err = receiver
        .wait_for_messages(2, Duration::from_millis(100))
        .await
        .unwrap_err();
    assert_eq!((err.wanted, err.got), (2, 1));
}

#[test]
fn blocking_wait_sees_a_message_sent_from_another_thread() {
    let receiver = start(Behaviour::plain());
    let addr = receiver.addr();
    let sender = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let mut client = Client::connect(addr, options()).await.unwrap();
            client.ehlo("client.test").await.unwrap();
            client
                .send(&envelope(&["a@example.test"]), MESSAGE)
                .await
                .unwrap();
            client.quit().await.unwrap();
        });
    });
    let messages = receiver.wait_for_messages_blocking(1, PATIENCE).unwrap();
    assert_eq!(messages[0].recipient_addresses(), ["a@example.test"]);
    sender.join().unwrap();
}

#[tokio::test]
async fn recipient_limit_refuses_the_recipients_over_it_in_each_transaction() {
    for code in [452, 552] {
        let receiver = start(Behaviour::plain().recipient_limit(1, code));
        let result = deliver(&receiver, &["a@example.test", "b@example.test"])
            .await
            .unwrap();
        assert_eq!(result.recipients[0].status, RecipientStatus::Accepted);
        let over = &result.recipients[1];
        assert_eq!(over.reply.code, code);
        assert_eq!(over.status, RecipientStatus::TemporaryFailure, "{code}");
        assert!(over.over_recipient_limit());
        assert_eq!(result.over_recipient_limit().len(), 1);
        assert_eq!(
            receiver.messages()[0].recipient_addresses(),
            ["a@example.test"]
        );
    }
}

#[tokio::test]
async fn early_accept_at_data_is_an_early_reply_not_a_delivery() {
    for pipelining in [true, false] {
        let receiver = start(
            Behaviour::plain()
                .capabilities(|c| c.pipelining = pipelining)
                .early_accept_at_data(),
        );
        let err = deliver(&receiver, &["a@example.test"]).await.unwrap_err();
        let Error::EarlyReply { reply } = &err else {
            panic!("pipelining {pipelining}: {err}");
        };
        assert_eq!(reply.as_ref().map(|r| r.code), Some(250), "{err}");
        assert!(err.is_temporary());
        assert_eq!(err.stage(), Stage::DataBlock);
        assert!(receiver.messages().is_empty());
        assert_eq!(ended(&receiver).await, Ended::Dropped);
    }
}
