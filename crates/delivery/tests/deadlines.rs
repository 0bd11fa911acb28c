//! Issue 20, item 5: one delivery attempt costs bounded time, whatever the
//! destination does — a deadline per connection and per attempt, a minimum
//! data rate, limits on addresses and sessions, and a memory of dead
//! addresses. Every limit is configured short here so that no test takes
//! more than a few seconds; each test is itself bounded, so that without
//! the limits it fails instead of hanging.

mod common;

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use common::{Mx, World, mx, world};
use delivery::{
    AttemptLimits, ConnectionFailure, DeliveryOptions, DeliveryReport, HostFailureMemory,
    RecipientStatus,
};
use dns::clock::ManualClock;
use policy::{AttemptLimit, Cause};
use smtp::{Stage, Timeouts};
use testworld::smtp::{Behaviour, Step};

/// The most a test's delivery may take before it counts as unbounded.
const BOUND: Duration = Duration::from_secs(6);

async fn deliver_within(world: &World, options: &DeliveryOptions) -> (DeliveryReport, Duration) {
    deliver_message(world, options, common::message(false)).await
}

async fn deliver_message(
    world: &World,
    options: &DeliveryOptions,
    message: delivery::Message,
) -> (DeliveryReport, Duration) {
    let plan = policy::plan(
        &world.resolver,
        &common::domain(),
        &policy::PlanOptions::new(),
    )
    .await;
    let started = Instant::now();
    let report = tokio::time::timeout(BOUND, delivery::deliver(&plan, &message, options))
        .await
        .expect("the attempt ends within its bound");
    (report, started.elapsed())
}

fn limit_of(report: &DeliveryReport) -> Option<AttemptLimit> {
    match &report.recipients[0].trouble.as_ref()?.cause {
        Cause::LimitReached { limit } => Some(*limit),
        _ => None,
    }
}

fn hosts(count: u8) -> Vec<Mx> {
    (0..count)
        .map(|i| mx(&format!("mx{i}.example.test."), 100 + i, 10 + u16::from(i)))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_mx_hosts_that_never_greet_cost_five_greeting_timeouts() {
    let w = world(
        &hosts(50),
        (0..50).map(|_| Behaviour::never_greets()).collect(),
        |_| {},
    )
    .await;
    let mut options = w.options();
    options.timeouts = Timeouts::uniform(Duration::from_millis(200));
    let (report, took) = deliver_within(&w, &options).await;
    assert_eq!(report.recipients[0].status, RecipientStatus::Deferred);
    assert_eq!(limit_of(&report), Some(AttemptLimit::Addresses));
    assert_eq!(common::code(&report), "4.4.1");
    let diagnostic = report.recipients[0].trouble.as_ref().unwrap().diagnostic();
    assert!(diagnostic.contains("5 addresses tried"), "{diagnostic}");
    assert!(diagnostic.contains("greeting"), "{diagnostic}");
    assert_eq!(report.attempts.len(), 5, "Postfix's smtp_mx_address_limit");
    for attempt in &report.attempts {
        assert_eq!(
            attempt.connection_failure,
            Some(ConnectionFailure::Timeout {
                stage: Stage::Greeting
            })
        );
    }
    assert!(w.receivers[5..].iter().all(|r| r.sessions().is_empty()));
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_slow_at_every_step_is_cut_by_the_connection_deadline() {
    let slow = Behaviour::plain().slow_at_every_step(Duration::from_millis(300));
    let w = world(&[mx("mx.example.test.", 110, 10)], vec![slow], |_| {}).await;
    let mut options = w.options();
    options.timeouts = Timeouts::uniform(Duration::from_millis(600));
    options.limits.connection = Duration::from_millis(1000);
    let (report, took) = deliver_within(&w, &options).await;
    assert_eq!(report.recipients[0].status, RecipientStatus::Deferred);
    assert_eq!(limit_of(&report), Some(AttemptLimit::ConnectionDeadline));
    assert_eq!(common::code(&report), "4.4.2");
    assert!(matches!(
        report.attempts[0].connection_failure,
        Some(ConnectionFailure::Timeout { .. })
    ));
    assert!(w.receivers[0].messages().is_empty());
    assert!(took < Duration::from_millis(1600), "{took:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_attempt_deadline_cuts_the_connection_and_leaves_the_next_host_untried() {
    let slow = || Behaviour::plain().slow_at_every_step(Duration::from_millis(300));
    let w = world(
        &[
            mx("mx1.example.test.", 111, 10),
            mx("mx2.example.test.", 112, 20),
        ],
        vec![slow(), slow()],
        |_| {},
    )
    .await;
    let mut options = w.options();
    options.timeouts = Timeouts::uniform(Duration::from_millis(600));
    options.limits.attempt = Duration::from_millis(1000);
    let (report, took) = deliver_within(&w, &options).await;
    assert_eq!(report.recipients[0].status, RecipientStatus::Deferred);
    assert_eq!(limit_of(&report), Some(AttemptLimit::AttemptDeadline));
    assert_eq!(report.attempts.len(), 1);
    assert!(w.receivers[1].sessions().is_empty());
    assert!(took < Duration::from_millis(1600), "{took:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_receiver_that_takes_data_at_a_trickle_is_cut_by_the_minimum_rate() {
    // 16 KiB every 20 ms: each 64 KiB block is taken well within the block
    // limit, the whole 9 MB would take several seconds more than allowed.
    let trickle = Behaviour::plain().reads_slowly(16 * 1024, Duration::from_millis(20));
    let w = world(&[mx("mx.example.test.", 113, 10)], vec![trickle], |_| {}).await;
    let mut options = w.options();
    options.timeouts = Timeouts::uniform(Duration::from_secs(2));
    options.limits.min_data_rate = NonZeroU32::new(16 * 1024 * 1024);
    let mut message = common::message(false);
    message.data = b"Subject: big\r\n\r\n".to_vec();
    let line = [b'x'; 998];
    while message.data.len() < 9 * 1000 * 1000 {
        message.data.extend_from_slice(&line);
        message.data.extend_from_slice(b"\r\n");
    }
    let (report, took) = deliver_message(&w, &options, message).await;
    assert_eq!(report.recipients[0].status, RecipientStatus::Deferred);
    assert_eq!(
        limit_of(&report),
        Some(AttemptLimit::MinDataRate),
        "{:?}",
        report.recipients[0].trouble
    );
    assert_eq!(
        report.attempts[0].connection_failure,
        Some(ConnectionFailure::Timeout {
            stage: Stage::DataBlock
        })
    );
    assert!(w.receivers[0].messages().is_empty());
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_sessions_per_attempt_leave_the_third_host_untried() {
    let dropping = || Behaviour::plain().drop_at(Step::Mail);
    let w = world(&hosts(3), vec![dropping(), dropping(), dropping()], |_| {}).await;
    let (report, _) = deliver_within(&w, &w.options()).await;
    assert_eq!(report.recipients[0].status, RecipientStatus::Deferred);
    assert_eq!(limit_of(&report), Some(AttemptLimit::Sessions));
    assert_eq!(report.attempts.len(), 2, "Postfix's smtp_mx_session_limit");
    assert!(w.receivers[2].sessions().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_address_that_timed_out_is_skipped_while_remembered() {
    let w = world(
        &[
            mx("mx1.example.test.", 114, 10),
            mx("mx2.example.test.", 115, 20),
        ],
        vec![Behaviour::never_greets(), Behaviour::plain()],
        |_| {},
    )
    .await;
    let clock = Arc::new(ManualClock::new(SystemTime::UNIX_EPOCH));
    let memory = HostFailureMemory::new(clock.clone(), Duration::from_secs(300));
    let mut options = w.options();
    options.timeouts = Timeouts::uniform(Duration::from_millis(300));
    options.failure_memory = Some(memory.clone());

    let (first, _) = deliver_within(&w, &options).await;
    assert_eq!(first.recipients[0].status, RecipientStatus::Delivered);
    assert_eq!(first.attempts.len(), 2);
    memory.record(&first);

    let (second, took) = deliver_within(&w, &options).await;
    assert_eq!(second.recipients[0].status, RecipientStatus::Delivered);
    assert_eq!(second.attempts.len(), 1, "the dead address was skipped");
    assert_eq!(
        second.attempts[0].address.ip(),
        testworld::net::loopback(115)
    );
    assert_eq!(w.receivers[0].sessions().len(), 1);
    assert!(took < Duration::from_millis(300), "{took:?}");

    clock.advance(Duration::from_secs(300));
    let (third, _) = deliver_within(&w, &options).await;
    assert_eq!(third.attempts.len(), 2, "forgotten after five minutes");
    assert_eq!(w.receivers[0].sessions().len(), 2);
}

#[test]
fn default_limits_follow_postfix() {
    let limits = AttemptLimits::default();
    assert_eq!((limits.addresses, limits.sessions), (5, 2));
}
