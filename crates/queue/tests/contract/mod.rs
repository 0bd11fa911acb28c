//! Scenarios every `Store` backend must pass, written once against
//! `&dyn Store` and a `ManualClock`; each backend's test file gives
//! [`contract_tests!`] a function that opens a fresh store, and gets one
//! test per scenario.

#![allow(dead_code)]

pub mod console;
pub mod dmarc_report;
pub mod sending;
pub mod sts_cache;
pub mod tls_report;

pub use console::{hourly_counts_by_security_and_result_type, trace_by_sender_over_all_messages};
pub use dmarc_report::{
    a_report_mail_is_queued_with_its_sent_mark_or_not_at_all,
    dmarc_rows_are_counted_and_reports_due_until_sent, old_reporting_rows_are_purged,
    received_dmarc_reports_are_kept_once, reports_are_claimed_by_one_node_at_a_time,
};
pub use sending::{
    concurrent_counts_never_exceed_a_limit, refused_message_is_traced,
    sender_domain_limit_counts_every_user, sending_limits_block_and_release,
};
pub use sts_cache::{sts_failures_and_expiring_policies, sts_policy_round_trip};
pub use tls_report::{
    received_tls_reports_are_kept_once_per_domain, tls_report_status_reads_back,
    tls_reports_due_until_sent, tls_sessions_are_counted,
};

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dns::clock::{Clock, ManualClock};
use queue::{
    AttemptRecord, AttemptReport, Batch, ClaimRequest, Continuation, Envelope, EventKind,
    MessageMeta, NewMessage, NoticeKind, Outcome, QueueId, QueuedNotice, RecipientState, Retry,
    RetrySchedule, Selector, Store, StoreError, TroubleRecord,
};
use smtp::{EnhancedCode, Recipient};

/// One `#[tokio::test]` per scenario of this module, each on a store from
/// `$fresh`: an async function returning `(guard, Arc<ManualClock>, store)`
/// where the guard keeps the store's files or database alive.
macro_rules! contract_tests {
    ($fresh:path) => {
        contract_tests!(@each $fresh,
            insert_claim_deliver,
            insert_all_stores_every_message_or_none,
            lapsed_lease_lets_another_owner_claim,
            late_result_from_lapsed_lease_is_refused,
            notice_is_queued_with_its_outcome_or_not_at_all,
            hold_release_retry_delete,
            quarantined_on_arrival_until_released,
            retry_schedule_to_expiry,
            trace_lookup_and_purge,
            claim_limits,
            domain_limit_counts_every_owners_leases,
            a_continuing_worker_keeps_its_slot_at_the_limit,
            concurrent_claims_never_share_a_recipient,
            tls_sessions_are_counted,
            tls_reports_due_until_sent,
            sts_policy_round_trip,
            sts_failures_and_expiring_policies,
            tls_report_status_reads_back,
            received_tls_reports_are_kept_once_per_domain,
            sending_limits_block_and_release,
            sender_domain_limit_counts_every_user,
            concurrent_counts_never_exceed_a_limit,
            refused_message_is_traced,
            hourly_counts_by_security_and_result_type,
            trace_by_sender_over_all_messages,
            dmarc_rows_are_counted_and_reports_due_until_sent,
            received_dmarc_reports_are_kept_once,
            reports_are_claimed_by_one_node_at_a_time,
            a_report_mail_is_queued_with_its_sent_mark_or_not_at_all,
            old_reporting_rows_are_purged,
        );
    };
    (@each $fresh:path, $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let (_guard, clock, store) = $fresh().await;
                contract::$name(&store, &clock).await;
            }
        )*
    };
}

pub const MIN: Duration = Duration::from_secs(60);

/// A fixed starting time for the test clock.
pub fn start() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

/// A message from `a@example.org` to `recipients`, received now.
pub fn message(clock: &ManualClock, recipients: &[&str]) -> NewMessage {
    let now = clock.now();
    let id = QueueId::generate(now);
    let mut meta = MessageMeta::new(now);
    meta.message_id = Some(format!("<{id}@example.org>"));
    meta.ehlo = Some("client.example.org".into());
    NewMessage {
        id,
        envelope: Envelope::new("a@example.org"),
        recipients: recipients.iter().map(|r| Recipient::new(*r)).collect(),
        meta,
        body: format!("Subject: test {id}\r\n\r\nhello\r\n").into_bytes(),
    }
}

pub fn request(owner: &str) -> ClaimRequest {
    ClaimRequest {
        owner: owner.into(),
        lease: 5 * MIN,
        max_domains: 10,
        max_messages: 100,
        skip_domains: Vec::new(),
        domain_limit: None,
        continuing: None,
    }
}

pub fn trouble(code: &str, cause: &str) -> TroubleRecord {
    TroubleRecord {
        code: code.parse::<EnhancedCode>().expect("test code"),
        cause: cause.into(),
        detail: format!("{cause} seen on mx.example.net"),
        mx: Some("mx.example.net".into()),
    }
}

fn attempt(recipients: &[&str]) -> AttemptRecord {
    AttemptRecord {
        mx: "mx.example.net".into(),
        address: "192.0.2.25:25".parse().expect("address"),
        source: Some("192.0.2.1:40000".parse().expect("address")),
        requirement: "dane".into(),
        tls: Some(queue::TlsSummary {
            version: "TLSv1.3".into(),
            cipher: "TLS13_AES_256_GCM_SHA384".into(),
        }),
        verification: Some("dane authenticated".into()),
        tlsa: Some("3 1 1 abcd".into()),
        sts_policy_id: None,
        dnssec: vec![queue::DnssecNote {
            question: "_25._tcp.mx.example.net TLSA".into(),
            status: "secure".into(),
        }],
        result_type: None,
        reply: None,
        trouble: None,
        recipients: recipients.iter().map(|r| (*r).to_owned()).collect(),
        transaction: 1,
    }
}

fn delivered() -> Outcome {
    Outcome::Delivered {
        mx: Some("mx.example.net".into()),
        reply: None,
    }
}

async fn state(store: &dyn Store, id: QueueId, address: &str) -> RecipientState {
    let detail = store.show(id).await.expect("show").expect("message exists");
    detail
        .recipients
        .into_iter()
        .find(|r| r.recipient.address == address)
        .expect("recipient exists")
        .state
}

fn only(batches: &[Batch], domain: &str) -> Batch {
    batches
        .iter()
        .find(|b| b.domain == domain)
        .cloned()
        .unwrap_or_else(|| panic!("no batch for {domain} in {batches:?}"))
}

/// A message is claimed by destination domain, delivered, and finished;
/// its body reads back and its trace tells the story.
pub async fn insert_all_stores_every_message_or_none(store: &dyn Store, clock: &ManualClock) {
    let first = message(clock, &["a@example.net"]);
    let second = message(clock, &["b@example.org"]);
    let (first_id, second_id) = (first.id, second.id);
    let mut clash = message(clock, &["c@example.com"]);
    clash.id = first_id;
    let refused = store.insert_all(vec![first, second, clash]).await;
    assert!(
        matches!(refused, Err(StoreError::Duplicate(id)) if id == first_id),
        "{refused:?}"
    );
    assert!(
        store.body(first_id).await.is_err(),
        "the first copy was undone"
    );
    assert!(
        store.body(second_id).await.is_err(),
        "the second copy was undone"
    );
    assert!(store.claim(&request("w1")).await.expect("claim").is_empty());

    let first = message(clock, &["a@example.net"]);
    let second = message(clock, &["b@example.org"]);
    store
        .insert_all(vec![first, second])
        .await
        .expect("insert_all");
    let batches = store.claim(&request("w1")).await.expect("claim");
    assert_eq!(batches.len(), 2, "both copies stored: {batches:?}");
}

pub async fn insert_claim_deliver(store: &dyn Store, clock: &ManualClock) {
    let msg = message(clock, &["b@example.net", "c@Example.NET", "d@example.com"]);
    let id = msg.id;
    let body = msg.body.clone();
    store.insert(msg).await.expect("insert");
    assert_eq!(store.body(id).await.expect("body"), body);

    let batches = store.claim(&request("w1")).await.expect("claim");
    assert_eq!(batches.len(), 2, "one batch per domain: {batches:?}");
    let net = only(&batches, "example.net");
    assert_eq!(net.messages.len(), 1);
    let addresses: Vec<_> = net.messages[0]
        .recipients
        .iter()
        .map(|r| r.recipient.address.as_str())
        .collect();
    assert_eq!(addresses, ["b@example.net", "c@Example.NET"]);
    assert!(matches!(
        state(store, id, "b@example.net").await,
        RecipientState::InFlight { ref owner, .. } if owner == "w1"
    ));
    assert!(
        store.claim(&request("w2")).await.expect("claim").is_empty(),
        "leased recipients are not claimed twice"
    );

    store
        .record(
            &net.lease,
            AttemptReport {
                id,
                outcomes: vec![
                    ("b@example.net".into(), delivered()),
                    ("c@Example.NET".into(), delivered()),
                ],
                attempts: vec![attempt(&["b@example.net", "c@Example.NET"])],
                notices: vec![],
            },
        )
        .await
        .expect("record");
    assert_eq!(
        state(store, id, "b@example.net").await,
        RecipientState::Delivered
    );
    assert_eq!(
        store.list(10).await.expect("list").len(),
        1,
        "example.com still pending"
    );

    let com = only(&batches, "example.com");
    store
        .record(
            &com.lease,
            AttemptReport {
                id,
                outcomes: vec![("d@example.com".into(), delivered())],
                attempts: vec![],
                notices: vec![],
            },
        )
        .await
        .expect("record");
    assert!(store.list(10).await.expect("list").is_empty());
    assert_eq!(store.next_due().await.expect("next due"), None);

    let detail = store
        .show(id)
        .await
        .expect("show")
        .expect("kept for the trace");
    let kinds: Vec<_> = detail.events.iter().map(|e| &e.kind).collect();
    assert!(matches!(kinds[0], EventKind::Received(_)));
    assert!(matches!(kinds[1], EventKind::Attempt(a) if a.tlsa.as_deref() == Some("3 1 1 abcd")));
    assert_eq!(
        kinds
            .iter()
            .filter(|k| matches!(k, EventKind::Delivered { .. }))
            .count(),
        3
    );
}

/// A worker that dies leaves a lease that lapses; another worker then
/// claims the recipients, and the trace says so.
pub async fn lapsed_lease_lets_another_owner_claim(store: &dyn Store, clock: &ManualClock) {
    let msg = message(clock, &["b@example.net"]);
    let id = msg.id;
    store.insert(msg).await.expect("insert");
    let first = store.claim(&request("dead-worker")).await.expect("claim");
    assert_eq!(first.len(), 1);

    clock.advance(4 * MIN);
    assert!(store.claim(&request("w2")).await.expect("claim").is_empty());
    assert_eq!(
        store.next_due().await.expect("due"),
        Some(first[0].lease.until)
    );

    clock.advance(2 * MIN);
    let second = store.claim(&request("w2")).await.expect("claim");
    assert_eq!(second.len(), 1);
    assert_ne!(second[0].lease.id, first[0].lease.id);
    assert!(matches!(
        state(store, id, "b@example.net").await,
        RecipientState::InFlight { ref owner, .. } if owner == "w2"
    ));
    let events = store.show(id).await.expect("show").expect("exists").events;
    assert!(
        events
            .iter()
            .any(|e| matches!(&e.kind, EventKind::LeaseLapsed { owner } if owner == "dead-worker"))
    );
}

/// The dead worker's late result is refused and changes nothing; the new
/// owner's result counts.
pub async fn late_result_from_lapsed_lease_is_refused(store: &dyn Store, clock: &ManualClock) {
    let msg = message(clock, &["b@example.net"]);
    let id = msg.id;
    store.insert(msg).await.expect("insert");
    let old = store.claim(&request("slow")).await.expect("claim")[0]
        .lease
        .clone();

    clock.advance(6 * MIN);
    let late = AttemptReport {
        id,
        outcomes: vec![("b@example.net".into(), delivered())],
        attempts: vec![],
        notices: vec![],
    };
    let err = store.record(&old, late.clone()).await.unwrap_err();
    assert!(matches!(err, StoreError::LeaseLost(x) if x == id), "{err}");
    let only_attempts = AttemptReport {
        id,
        outcomes: vec![],
        attempts: vec![attempt(&["b@example.net"])],
        notices: vec![],
    };
    assert!(matches!(
        store.record(&old, only_attempts).await,
        Err(StoreError::LeaseLost(_))
    ));
    assert!(store.renew(&old, id, 5 * MIN).await.is_err());

    let new = store.claim(&request("fresh")).await.expect("claim")[0]
        .lease
        .clone();
    let err = store.record(&old, late.clone()).await.unwrap_err();
    assert!(matches!(err, StoreError::LeaseLost(_)));
    assert!(matches!(
        state(store, id, "b@example.net").await,
        RecipientState::InFlight { ref owner, .. } if owner == "fresh"
    ));
    let events = store.show(id).await.expect("show").expect("exists").events;
    assert!(
        !events
            .iter()
            .any(|e| matches!(e.kind, EventKind::Delivered { .. }))
    );

    let renewed = store.renew(&new, id, 10 * MIN).await.expect("renew");
    clock.advance(8 * MIN);
    store
        .record(&renewed, late)
        .await
        .expect("current lease records");
    assert_eq!(
        state(store, id, "b@example.net").await,
        RecipientState::Delivered
    );
}

/// A message the arrival policy quarantines is stored with its
/// authentication results, never claimed, and delivered once released.
pub async fn quarantined_on_arrival_until_released(store: &dyn Store, clock: &ManualClock) {
    let mut msg = message(clock, &["b@example.net"]);
    let id = msg.id;
    msg.meta.quarantine = Some("DMARC p=quarantine of example.org".into());
    msg.meta.auth = Some(Box::new(queue::AuthRecord {
        evaluated_ip: Some("192.0.2.7".parse().expect("address")),
        verdict: "quarantine".into(),
        dmarc: Some(queue::DmarcRecord {
            result: "fail".into(),
            from_domain: "example.org".into(),
            policy: Some("quarantine".into()),
            disposition: "quarantine".into(),
            spf_aligned: false,
            dkim_aligned: false,
            problem: None,
        }),
        ..Default::default()
    }));
    let auth = msg.meta.auth.clone();
    store.insert(msg).await.expect("insert");
    assert_eq!(
        state(store, id, "b@example.net").await,
        RecipientState::Quarantined
    );
    assert!(
        store.claim(&request("w")).await.expect("claim").is_empty(),
        "quarantined is not due"
    );
    assert_eq!(store.next_due().await.expect("due"), None);
    let detail = store.show(id).await.expect("show").expect("exists");
    let EventKind::Received(meta) = &detail.events[0].kind else {
        panic!("the trace starts with the arrival: {:?}", detail.events);
    };
    assert_eq!(meta.auth, auth, "the results are in the trace");
    assert_eq!(
        store
            .release(&Selector::Message(id))
            .await
            .expect("release"),
        1
    );
    assert_eq!(
        state(store, id, "b@example.net").await,
        RecipientState::Queued
    );
    assert_eq!(store.claim(&request("w")).await.expect("claim").len(), 1);
}

/// A deferral waits for its retry time; hold keeps it back, release puts
/// it in line now, retry-now skips the wait, delete removes it.
pub async fn hold_release_retry_delete(store: &dyn Store, clock: &ManualClock) {
    let msg = message(clock, &["b@example.net"]);
    let id = msg.id;
    store.insert(msg).await.expect("insert");
    let lease = store.claim(&request("w")).await.expect("claim")[0]
        .lease
        .clone();
    let t = trouble("4.7.323", "tlsa-no-match");
    let next = clock.now() + 15 * MIN;
    store
        .record(
            &lease,
            AttemptReport {
                id,
                outcomes: vec![(
                    "b@example.net".into(),
                    Outcome::Deferred {
                        next_attempt: next,
                        trouble: t.clone(),
                    },
                )],
                attempts: vec![],
                notices: vec![],
            },
        )
        .await
        .expect("record");
    assert_eq!(
        state(store, id, "b@example.net").await,
        RecipientState::Deferred {
            next_attempt: next,
            trouble: t.clone()
        }
    );
    assert!(store.claim(&request("w")).await.expect("claim").is_empty());

    let summary = store.summary().await.expect("summary");
    assert_eq!(summary.by_domain.len(), 1);
    assert_eq!(summary.by_domain[0].deferred, 1);
    assert_eq!(summary.by_cause[0].cause, "tlsa-no-match");
    assert_eq!(summary.by_cause[0].code, t.code);

    assert_eq!(store.hold(&Selector::Message(id)).await.expect("hold"), 1);
    assert_eq!(
        state(store, id, "b@example.net").await,
        RecipientState::Held
    );
    clock.advance(20 * MIN);
    assert!(
        store.claim(&request("w")).await.expect("claim").is_empty(),
        "held is not due"
    );
    assert_eq!(store.next_due().await.expect("due"), None);

    assert_eq!(
        store
            .release(&Selector::Domain("EXAMPLE.net".into()))
            .await
            .expect("release"),
        1
    );
    assert!(matches!(
        state(store, id, "b@example.net").await,
        RecipientState::Deferred { .. }
    ));
    let batch = store.claim(&request("w")).await.expect("claim");
    assert_eq!(batch.len(), 1, "released recipients are due now");
    assert_eq!(batch[0].messages[0].recipients[0].attempts, 1);
    assert_eq!(
        batch[0].messages[0].recipients[0].last_trouble.as_ref(),
        Some(&t)
    );
    store
        .record(
            &batch[0].lease,
            AttemptReport {
                id,
                outcomes: vec![(
                    "b@example.net".into(),
                    Outcome::Deferred {
                        next_attempt: clock.now() + 60 * MIN,
                        trouble: t.clone(),
                    },
                )],
                attempts: vec![],
                notices: vec![],
            },
        )
        .await
        .expect("record");
    assert!(store.claim(&request("w")).await.expect("claim").is_empty());
    assert_eq!(store.retry_now(&Selector::All).await.expect("retry"), 1);
    assert_eq!(store.claim(&request("w")).await.expect("claim").len(), 1);

    assert_eq!(
        store
            .quarantine(&Selector::Message(id))
            .await
            .expect("quarantine"),
        0,
        "in flight"
    );
    assert_eq!(
        store.delete(&Selector::Message(id)).await.expect("delete"),
        1
    );
    assert_eq!(store.show(id).await.expect("show"), None);
    assert!(matches!(store.body(id).await, Err(StoreError::NotFound(_))));
}

/// The retry schedule drives a dead destination from the first failure
/// to expiry; each step is due exactly when the schedule says.
pub async fn retry_schedule_to_expiry(store: &dyn Store, clock: &ManualClock) {
    let schedule = RetrySchedule {
        jitter: 0.0,
        ..RetrySchedule::default()
    };
    let msg = message(clock, &["b@dead.example"]);
    let id = msg.id;
    let received = msg.meta.received_at;
    store.insert(msg).await.expect("insert");
    let t = trouble("4.4.1", "connection-refused");
    let mut attempts = 0;
    loop {
        let batches = store.claim(&request("w")).await.expect("claim");
        assert_eq!(batches.len(), 1, "due at {:?}", clock.now());
        let claimed = &batches[0].messages[0];
        assert_eq!(claimed.recipients[0].attempts, attempts);
        attempts += 1;
        let outcome = match schedule.next(claimed.meta.received_at, attempts, clock.now(), 0) {
            Retry::At(next_attempt) => Outcome::Deferred {
                next_attempt,
                trouble: t.clone(),
            },
            Retry::Expire => Outcome::Expired { trouble: t.clone() },
        };
        let done = matches!(outcome, Outcome::Expired { .. });
        store
            .record(
                &batches[0].lease,
                AttemptReport {
                    id,
                    outcomes: vec![("b@dead.example".into(), outcome)],
                    attempts: vec![],
                    notices: vec![],
                },
            )
            .await
            .expect("record");
        if done {
            break;
        }
        let due = store.next_due().await.expect("due").expect("pending");
        clock.advance(
            due.duration_since(clock.now()).expect("due is ahead") - Duration::from_millis(1),
        );
        assert!(
            store.claim(&request("w")).await.expect("claim").is_empty(),
            "not early"
        );
        clock.advance(Duration::from_millis(1));
    }
    // First try, 15 min, then hourly: 1 + 1 + 23 hourly retries + the one at expiry.
    assert_eq!(attempts, 26);
    assert_eq!(clock.now(), received + 24 * 60 * MIN);
    assert_eq!(
        state(store, id, "b@dead.example").await,
        RecipientState::Expired
    );
    assert!(store.list(10).await.expect("list").is_empty());
}

/// Traces are found by queue id, Message-ID (with or without brackets)
/// and recipient; finished messages are purged after retention.
pub async fn trace_lookup_and_purge(store: &dyn Store, clock: &ManualClock) {
    let msg = message(clock, &["x@trace.example"]);
    let id = msg.id;
    let message_id = msg.meta.message_id.clone().expect("set");
    store.insert(msg).await.expect("insert");
    let other = message(clock, &["y@trace.example"]);
    store.insert(other).await.expect("insert");

    for key in [
        id.to_string(),
        id.to_string().to_lowercase(),
        message_id.clone(),
        message_id.trim_matches(|c| c == '<' || c == '>').to_owned(),
        "x@trace.example".to_owned(),
        "X@Trace.Example".to_owned(),
    ] {
        let found = store.trace(&key).await.expect("trace");
        assert_eq!(found.len(), 1, "{key}");
        assert_eq!(found[0].id, id);
    }

    let batches = store.claim(&request("w")).await.expect("claim");
    for m in &batches[0].messages {
        let address = m.recipients[0].recipient.address.clone();
        store
            .record(
                &batches[0].lease,
                AttemptReport {
                    id: m.id,
                    outcomes: vec![(
                        address,
                        Outcome::Bounced {
                            trouble: trouble("5.1.1", "no-such-user"),
                        },
                    )],
                    attempts: vec![],
                    notices: vec![],
                },
            )
            .await
            .expect("record");
    }
    clock.advance(60 * MIN);
    assert_eq!(
        store.purge(2 * 60 * MIN).await.expect("purge"),
        0,
        "retention not passed"
    );
    assert!(store.show(id).await.expect("show").is_some());
    clock.advance(60 * MIN);
    assert_eq!(store.purge(2 * 60 * MIN).await.expect("purge"), 2);
    assert!(store.show(id).await.expect("show").is_none());

    let empty = message(clock, &[]);
    store.insert(empty).await.expect("insert");
    assert!(
        store.list(10).await.expect("list").is_empty(),
        "nothing pending"
    );
    clock.advance(2 * 60 * MIN);
    assert_eq!(store.purge(2 * 60 * MIN).await.expect("purge"), 1);
}

/// Claims respect the per-request limits and skipped domains.
pub async fn claim_limits(store: &dyn Store, clock: &ManualClock) {
    for domain in ["one.example", "two.example", "three.example"] {
        for _ in 0..3 {
            let address = format!("u@{domain}");
            store
                .insert(message(clock, &[&address]))
                .await
                .expect("insert");
            clock.advance(Duration::from_millis(1));
        }
    }
    let mut req = request("w");
    req.max_domains = 2;
    req.max_messages = 2;
    req.skip_domains = vec!["one.example".into()];
    let batches = store.claim(&req).await.expect("claim");
    let domains: Vec<_> = batches.iter().map(|b| b.domain.as_str()).collect();
    assert_eq!(domains, ["two.example", "three.example"]);
    assert!(batches.iter().all(|b| b.messages.len() == 2));
}

/// A notice rides with the outcome that owes it: refused with a lapsed
/// lease (no outcome, no notice), queued with the outcome otherwise, and
/// named in the original's trace.
pub async fn notice_is_queued_with_its_outcome_or_not_at_all(
    store: &dyn Store,
    clock: &ManualClock,
) {
    let msg = message(clock, &["b@example.net"]);
    let id = msg.id;
    store.insert(msg).await.expect("insert");
    let old = store.claim(&request("slow")).await.expect("claim")[0]
        .lease
        .clone();
    let report = |notice: NewMessage| AttemptReport {
        id,
        outcomes: vec![(
            "b@example.net".into(),
            Outcome::Bounced {
                trouble: trouble("5.1.1", "no such user"),
            },
        )],
        attempts: vec![],
        notices: vec![QueuedNotice {
            message: notice,
            kind: NoticeKind::Failure,
            recipients: vec!["b@example.net".into()],
        }],
    };
    let mut notice = message(clock, &["a@example.org"]);
    notice.envelope = Envelope::new("");
    let notice_id = notice.id;

    clock.advance(6 * MIN);
    let err = store
        .record(&old, report(notice.clone()))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::LeaseLost(_)), "{err}");
    assert!(
        store.show(notice_id).await.expect("show").is_none(),
        "no notice without its outcome"
    );

    let new = store.claim(&request("fresh")).await.expect("claim")[0]
        .lease
        .clone();
    store.record(&new, report(notice)).await.expect("record");
    assert_eq!(
        state(store, id, "b@example.net").await,
        RecipientState::Bounced
    );
    let queued = store
        .show(notice_id)
        .await
        .expect("show")
        .expect("notice queued");
    assert_eq!(queued.recipients.len(), 1);
    let events = store.show(id).await.expect("show").expect("exists").events;
    assert!(events.iter().any(|e| matches!(
        &e.kind,
        EventKind::NoticeSent { kind: NoticeKind::Failure, notice } if *notice == notice_id
    )));
}

/// The per-destination limit counts current leases in the store, whoever
/// holds them; a lapsed or finished lease no longer counts.
pub async fn domain_limit_counts_every_owners_leases(store: &dyn Store, clock: &ManualClock) {
    let mut ids = Vec::new();
    for _ in 0..4 {
        let msg = message(clock, &["u@busy.example"]);
        ids.push(msg.id);
        store.insert(msg).await.expect("insert");
        clock.advance(Duration::from_millis(1));
    }
    let limited = |owner: &str| {
        let mut req = request(owner);
        req.max_messages = 1;
        req.domain_limit = Some(2);
        req
    };
    let first = store.claim(&limited("node-a")).await.expect("claim");
    let second = store.claim(&limited("node-b")).await.expect("claim");
    assert_eq!((first.len(), second.len()), (1, 1));
    assert!(
        store
            .claim(&limited("node-c"))
            .await
            .expect("claim")
            .is_empty(),
        "two leases on busy.example already"
    );
    assert_eq!(
        store
            .claim(&request("unlimited"))
            .await
            .expect("claim")
            .len(),
        1,
        "without a limit the rest is claimable"
    );
    let done = &first[0];
    store
        .record(
            &done.lease,
            AttemptReport {
                id: done.messages[0].id,
                outcomes: vec![("u@busy.example".into(), delivered())],
                attempts: vec![],
                notices: vec![],
            },
        )
        .await
        .expect("record");
    let unlimited_msg = message(clock, &["u@busy.example"]);
    store.insert(unlimited_msg).await.expect("insert");
    assert!(
        store
            .claim(&limited("node-c"))
            .await
            .expect("claim")
            .is_empty(),
        "node-b's and the unlimited owner's leases count"
    );
    clock.advance(6 * MIN);
    let after = store.claim(&limited("node-c")).await.expect("claim");
    assert_eq!(after.len(), 1, "lapsed leases no longer count");
}

/// Four claimers at once over 120 messages in three domains: every
/// recipient is claimed by exactly one of them.
pub async fn concurrent_claims_never_share_a_recipient(store: &dyn Store, clock: &ManualClock) {
    let mut expected = std::collections::BTreeSet::new();
    for i in 0..120 {
        let address = format!("u{i}@d{}.example", i % 3);
        let msg = message(clock, &[&address]);
        expected.insert((msg.id, address));
        store.insert(msg).await.expect("insert");
    }
    let claimer = |owner: &'static str| async move {
        let mut mine = Vec::new();
        loop {
            let mut req = request(owner);
            req.max_messages = 7;
            req.max_domains = 2;
            let batches = store.claim(&req).await.expect("claim");
            if batches.is_empty() {
                return mine;
            }
            for batch in batches {
                for m in &batch.messages {
                    let address = m.recipients[0].recipient.address.clone();
                    store
                        .record(
                            &batch.lease,
                            AttemptReport {
                                id: m.id,
                                outcomes: vec![(address.clone(), delivered())],
                                attempts: vec![],
                                notices: vec![],
                            },
                        )
                        .await
                        .expect("the lease is ours alone");
                    mine.push((m.id, address));
                }
            }
        }
    };
    let (a, b, c, d) = tokio::join!(claimer("a"), claimer("b"), claimer("c"), claimer("d"));
    let all: Vec<_> = [a, b, c, d].into_iter().flatten().collect();
    let distinct: std::collections::BTreeSet<_> = all.iter().cloned().collect();
    assert_eq!(all.len(), distinct.len(), "a recipient was claimed twice");
    assert_eq!(distinct, expected, "every recipient claimed");
}

/// A worker at the per-destination limit goes on with its domain's new
/// mail (its own lease is not counted), while a fresh claim is refused and
/// other domains are not taken by the continuation.
pub async fn a_continuing_worker_keeps_its_slot_at_the_limit(
    store: &dyn Store,
    clock: &ManualClock,
) {
    for _ in 0..3 {
        store
            .insert(message(clock, &["u@busy.example"]))
            .await
            .expect("insert");
        clock.advance(Duration::from_millis(1));
    }
    store
        .insert(message(clock, &["u@other.example"]))
        .await
        .expect("insert");
    let limited = |owner: &str| {
        let mut req = request(owner);
        req.max_messages = 1;
        req.domain_limit = Some(1);
        req.skip_domains = vec!["other.example".into()];
        req
    };
    let first = store.claim(&limited("worker-a")).await.expect("claim");
    assert_eq!(first.len(), 1);
    assert!(
        store
            .claim(&limited("worker-b"))
            .await
            .expect("claim")
            .is_empty(),
        "busy.example is at its limit of one lease"
    );
    let mut next = limited("worker-a");
    next.skip_domains.clear();
    next.continuing = Some(Continuation {
        domain: "busy.example".into(),
        lease_id: first[0].lease.id,
    });
    let second = store.claim(&next).await.expect("claim");
    assert_eq!(second.len(), 1, "the holder of the slot goes on");
    assert_eq!(second[0].domain, "busy.example", "only its own domain");
    assert_ne!(second[0].messages[0].id, first[0].messages[0].id);
    next.continuing = Some(Continuation {
        domain: "busy.example".into(),
        lease_id: -1,
    });
    assert!(
        store.claim(&next).await.expect("claim").is_empty(),
        "a lease that is not the caller's still counts"
    );
}
