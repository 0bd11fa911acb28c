//! What the administrator's console reads over all history: deliveries
//! and failed connections per hour, and the messages of one sender.

use std::collections::BTreeMap;
use std::time::Duration;

use dns::clock::{Clock, ManualClock};
use queue::{AttemptRecord, AttemptReport, Envelope, Outcome, QueueId, Store};

use super::{MIN, attempt, delivered, message, request, start, trouble};

const HOUR: Duration = Duration::from_secs(3600);

/// An attempt under `requirement`, with TLS or without, failed with
/// `result_type` if given.
fn connection(
    recipients: &[&str],
    requirement: &str,
    tls: bool,
    result_type: Option<&str>,
) -> AttemptRecord {
    let mut a = attempt(recipients);
    a.requirement = requirement.into();
    if !tls {
        a.tls = None;
    }
    if let Some(result) = result_type {
        a.result_type = Some(result.into());
        a.trouble = Some(trouble("4.7.5", result));
    }
    a
}

/// Queues a message to `recipients` (one domain), claims it and records
/// `attempts` and `outcomes`.
async fn attempted(
    store: &dyn Store,
    clock: &ManualClock,
    recipients: &[&str],
    attempts: Vec<AttemptRecord>,
    outcomes: Vec<(&str, Outcome)>,
) -> QueueId {
    let msg = message(clock, recipients);
    let id = msg.id;
    store.insert(msg).await.expect("insert");
    let batches = store.claim(&request("w1")).await.expect("claim");
    assert_eq!(batches.len(), 1, "{batches:?}");
    store
        .record(
            &batches[0].lease,
            AttemptReport {
                id,
                outcomes: outcomes
                    .into_iter()
                    .map(|(r, o)| (r.to_owned(), o))
                    .collect(),
                attempts,
                notices: vec![],
            },
        )
        .await
        .expect("record");
    id
}

fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

/// Delivered recipients are counted per hour by the security of the
/// connection that carried them, failed connections by RFC 8460 result
/// type; every hour of the window is there, empty ones too.
pub async fn hourly_counts_by_security_and_result_type(store: &dyn Store, clock: &ManualClock) {
    assert_eq!(clock.now(), start(), "a fresh store's clock, on the hour");
    clock.advance(10 * MIN);
    // First hour: a DANE mismatch on one MX, then both recipients
    // delivered over DANE by the next; one recipient over plaintext.
    attempted(
        store,
        clock,
        &["x@example.net", "Y@example.net"],
        vec![
            connection(
                &["x@example.net", "Y@example.net"],
                "dane",
                false,
                Some("tlsa-invalid"),
            ),
            connection(&["x@example.net", "Y@example.net"], "dane", true, None),
        ],
        vec![
            ("x@example.net", delivered()),
            ("Y@example.net", delivered()),
        ],
    )
    .await;
    attempted(
        store,
        clock,
        &["z@example.org"],
        vec![connection(&["z@example.org"], "opportunistic", false, None)],
        vec![("z@example.org", delivered())],
    )
    .await;
    // Two hours later: a deferral after an MTA-STS failure, one delivery
    // under MTA-STS and one over opportunistic TLS.
    clock.advance(2 * HOUR);
    let next_attempt = clock.now() + 10 * MIN;
    attempted(
        store,
        clock,
        &["w@example.com"],
        vec![connection(
            &["w@example.com"],
            "sts-enforce",
            false,
            Some("sts-webpki-invalid"),
        )],
        vec![(
            "w@example.com",
            Outcome::Deferred {
                next_attempt,
                trouble: trouble("4.7.5", "sts-webpki-invalid"),
            },
        )],
    )
    .await;
    attempted(
        store,
        clock,
        &["v@example.edu"],
        vec![connection(&["v@example.edu"], "sts-enforce", true, None)],
        vec![("v@example.edu", delivered())],
    )
    .await;
    attempted(
        store,
        clock,
        &["u@example.info"],
        vec![connection(&["u@example.info"], "opportunistic", true, None)],
        vec![("u@example.info", delivered())],
    )
    .await;

    let hours = store
        .hourly_counts(start() + 30 * MIN, clock.now())
        .await
        .expect("hourly counts");
    let starts: Vec<_> = hours.iter().map(|h| h.hour).collect();
    assert_eq!(starts, [start(), start() + HOUR, start() + 2 * HOUR]);
    assert_eq!(
        hours[0].delivered,
        counts(&[("dane", 2), ("mta-sts", 0), ("tls", 0), ("plaintext", 1)])
    );
    assert_eq!(hours[0].failed, counts(&[("tlsa-invalid", 1)]));
    assert_eq!(
        hours[1].delivered,
        counts(&[("dane", 0), ("mta-sts", 0), ("tls", 0), ("plaintext", 0)])
    );
    assert!(hours[1].failed.is_empty(), "{hours:?}");
    assert_eq!(
        hours[2].delivered,
        counts(&[("dane", 0), ("mta-sts", 1), ("tls", 1), ("plaintext", 0)])
    );
    assert_eq!(hours[2].failed, counts(&[("sts-webpki-invalid", 1)]));

    // A window of the last hour alone, and one before anything happened.
    let last = store
        .hourly_counts(clock.now(), clock.now())
        .await
        .expect("hourly counts");
    assert_eq!(last, hours[2..]);
    let before = store
        .hourly_counts(start() - 5 * HOUR, start() - HOUR)
        .await
        .expect("hourly counts");
    assert_eq!(before.len(), 5);
    assert!(
        before
            .iter()
            .all(|h| h.delivered.values().all(|c| *c == 0) && h.failed.is_empty()),
        "{before:?}"
    );
}

/// A sender's messages are found whether delivered or pending, without
/// regard to case, within a time of arrival, the latest up to a limit.
pub async fn trace_by_sender_over_all_messages(store: &dyn Store, clock: &ManualClock) {
    assert_eq!(clock.now(), start(), "a fresh store's clock");
    let mut first = message(clock, &["b@example.net"]);
    first.envelope = Envelope::new("Ann@Example.ORG");
    let first_id = first.id;
    store.insert(first).await.expect("insert");
    let batches = store.claim(&request("w1")).await.expect("claim");
    store
        .record(
            &batches[0].lease,
            AttemptReport {
                id: first_id,
                outcomes: vec![("b@example.net".into(), delivered())],
                attempts: vec![attempt(&["b@example.net"])],
                notices: vec![],
            },
        )
        .await
        .expect("record");
    assert!(store.list(10).await.expect("list").is_empty(), "finished");

    clock.advance(HOUR);
    let mut second = message(clock, &["c@example.net"]);
    second.envelope = Envelope::new("ann@example.org");
    let second_id = second.id;
    store.insert(second).await.expect("insert");
    let other = message(clock, &["d@example.net"]);
    let other_id = other.id;
    store.insert(other).await.expect("insert");
    let mut bounce = message(clock, &["e@example.net"]);
    bounce.envelope = Envelope::new("");
    let bounce_id = bounce.id;
    store.insert(bounce).await.expect("insert");

    let ids = |found: Vec<queue::MessageDetail>| found.iter().map(|m| m.id).collect::<Vec<_>>();
    let all = store
        .trace_sender("ann@example.org", None, None, 10)
        .await
        .expect("trace");
    assert_eq!(all.len(), 2);
    assert!(all[0].events.len() > 2, "with its trace: {all:?}");
    assert_eq!(ids(all), [first_id, second_id]);
    let since = start() + 30 * MIN;
    assert_eq!(
        ids(store
            .trace_sender("ANN@example.org", Some(since), None, 10)
            .await
            .expect("trace")),
        [second_id]
    );
    assert_eq!(
        ids(store
            .trace_sender("ann@example.org", None, Some(since), 10)
            .await
            .expect("trace")),
        [first_id]
    );
    assert_eq!(
        ids(store
            .trace_sender("ann@example.org", Some(start()), Some(start() + HOUR), 10)
            .await
            .expect("trace")),
        [first_id, second_id],
        "both ends included"
    );
    assert_eq!(
        ids(store
            .trace_sender("ann@example.org", None, None, 1)
            .await
            .expect("trace")),
        [second_id],
        "the latest"
    );
    assert_eq!(
        ids(store
            .trace_sender("a@example.org", None, None, 10)
            .await
            .expect("trace")),
        [other_id]
    );
    assert_eq!(
        ids(store.trace_sender("", None, None, 10).await.expect("trace")),
        [bounce_id]
    );
    assert!(
        store
            .trace_sender("nobody@example.org", None, None, 10)
            .await
            .expect("trace")
            .is_empty()
    );
}
