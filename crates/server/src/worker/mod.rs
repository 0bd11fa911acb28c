//! A delivery worker: takes one leased batch (one destination domain, due
//! recipients of several messages), plans once from DNS and the MTA-STS
//! cache, delivers each message by the plan, and records every recipient's
//! fate in the store under the batch's lease, with the trace and any
//! notice owed to the sender.

mod delay;
mod hunger;
mod local;
mod notice;
mod record;
mod settle;
mod tenure;
mod tls_report;

use std::sync::Arc;
use std::time::Duration;

use delivery::{Connections, DeliveryOptions, DeliveryReport, Message};
use dns::Resolver;
use policy::{Cause, Trouble};
use queue::{Batch, ClaimRequest, ClaimedMessage, Continuation};
use tokio::time::Instant;
use tracing::warn;

use crate::shared::Shared;
pub(crate) use hunger::{Hunger, Hungry};
use record::Recorder;

/// How long a worker goes on with new mail for its destination before it
/// leaves the slot to the scheduler's next pass (fairness among workers).
const CONTINUE_FOR: Duration = Duration::from_secs(30);
use tenure::Tenure;

/// Delivers one batch and records the outcome of every recipient.
pub async fn run(shared: Arc<Shared>, mut batch: Batch, mut hunger: Hunger) {
    hunger.claimed(batch.messages.len(), crate::scheduler::BATCH_MESSAGES);
    let domain = batch.domain.clone();
    let mut tenure = Tenure::new(batch.lease.clone(), shared.config.queue.lease);
    let mut recorder = Recorder::new(&shared, &batch.lease);
    if let Some(target) = shared.config.domains.get(&domain).cloned() {
        for (i, message) in batch.messages.iter().enumerate() {
            if tenure.renewal_due(&shared) {
                recorder.settle().await;
            }
            if !tenure.hold(&shared, &batch.messages[i..]).await {
                continue;
            }
            let report = local::deliver(&shared, &target, message).await;
            recorder.outcome(message, report, None).await;
        }
        recorder.finish().await;
        return;
    }
    let name = match Resolver::parse_name(&domain) {
        Ok(name) => name,
        Err(e) => {
            let trouble = Trouble::with_detail(Cause::InvalidAddress, e.to_string());
            for message in &batch.messages {
                let settled = settle::all(&shared, message, &trouble);
                recorder.outcome(message, settled, None).await;
            }
            recorder.finish().await;
            return;
        }
    };
    let options = shared.config.local_policy_for(&domain);
    // Messages share connections opened under the same security context,
    // also across the batches this worker goes on with; a changed plan
    // (new DNS answers, an MTA-STS re-check) opens its own.
    let mut connections = Connections::new();
    let began = Instant::now();
    loop {
        let mut plan = policy::plan_with_sts(&shared.resolver, &name, &options, &shared.sts).await;
        for (i, message) in batch.messages.iter().enumerate() {
            if tenure.renewal_due(&shared) {
                recorder.settle().await;
            }
            if !tenure.hold(&shared, &batch.messages[i..]).await {
                warn!(queue_id = %message.id, "lease lost before delivery; left for another attempt");
                continue;
            }
            deliver(
                &shared,
                message,
                &name,
                &options,
                &mut plan,
                &mut connections,
                &mut recorder,
            )
            .await;
        }
        let next = continuation(&shared, &batch, began).await;
        recorder.finish().await;
        let Some(next) = next else { break };
        hunger.claimed(next.messages.len(), crate::scheduler::BATCH_MESSAGES);
        batch = next;
        tenure = Tenure::new(batch.lease.clone(), shared.config.queue.lease);
        recorder = Recorder::new(&shared, &batch.lease);
    }
    // Leaving: new mail is the scheduler's again, before the QUITs.
    hunger.leave();
    connections.close().await;
}

/// Delivers one message of the batch by `plan` and records its outcome.
async fn deliver(
    shared: &Arc<Shared>,
    message: &ClaimedMessage,
    name: &dns::Name,
    options: &policy::PlanOptions,
    plan: &mut policy::DeliveryPlan,
    connections: &mut Connections,
    recorder: &mut Recorder,
) {
    let body = match shared.store.body(message.id).await {
        Ok(body) => body,
        Err(e) => {
            warn!(queue_id = %message.id, error = %e, "cannot read the message body; left for a later attempt");
            return;
        }
    };
    let wire = Message {
        sender: message.envelope.sender.clone(),
        recipients: message
            .recipients
            .iter()
            .map(|r| r.recipient.address.clone())
            .collect(),
        data: body.clone(),
        require_tls: message.envelope.require_tls,
    };
    let outbound = outbound(shared, message);
    let mut report = delivery::deliver_reusing(plan, &wire, &outbound, connections).await;
    remember_failures(shared, &report);
    recorder.sessions(message, &report).await;
    let mut settled = settle::report(shared, message, &report);
    if settled.sts_recheck_needed {
        // RFC 8461 §5.1: before an enforce failure becomes final, check
        // the policy again; a changed policy may let the message through.
        if let Err(e) = shared.sts.refresh(name).await {
            warn!(domain = %name, error = %e, "MTA-STS policy re-check failed");
        }
        *plan = policy::plan_with_sts(&shared.resolver, name, options, &shared.sts).await;
        let retry = settled.expiring_recipients();
        let again = Message {
            recipients: retry,
            ..wire
        };
        let second = delivery::deliver_reusing(plan, &again, &outbound, connections).await;
        remember_failures(shared, &second);
        recorder.sessions(message, &second).await;
        report = merge(report, second);
        settled = settle::report(shared, message, &report);
        settled.sts_recheck_needed = false;
    }
    delay::owe(shared, message, &mut settled).await;
    recorder.outcome(message, settled, Some(body)).await;
}

/// The next batch for the same destination, when its mail came due while
/// this one was delivered: the worker keeps its connections and its slot
/// under the per-destination limit (its lease is still held while it
/// claims, so no other worker takes the slot in between). None at
/// shutdown, after [`CONTINUE_FOR`], or when nothing is due.
async fn continuation(shared: &Shared, batch: &Batch, began: Instant) -> Option<Batch> {
    if shared.is_stopping() || began.elapsed() >= CONTINUE_FOR {
        return None;
    }
    let request = ClaimRequest {
        owner: shared.owner.clone(),
        lease: shared.config.queue.lease,
        max_domains: 1,
        max_messages: crate::scheduler::BATCH_MESSAGES,
        skip_domains: Vec::new(),
        domain_limit: Some(shared.config.limits.per_destination as usize),
        continuing: Some(Continuation {
            domain: batch.domain.clone(),
            lease_id: batch.lease.id,
        }),
    };
    match shared.store.claim(&request).await {
        Ok(mut batches) => batches.pop(),
        Err(e) => {
            warn!(domain = %batch.domain, error = %e, "cannot claim more for the destination");
            None
        }
    }
}

/// How `message` connects out: from its pool's address and with its
/// pool's EHLO name. A pool no longer configured falls back to `normal`.
fn outbound(shared: &Shared, message: &ClaimedMessage) -> DeliveryOptions {
    let pools = &shared.config.pools;
    let pool = pools.get(&message.meta.pool).unwrap_or_else(|| {
        warn!(queue_id = %message.id, pool = %message.meta.pool, "pool no longer configured; sending from the normal pool");
        pools.normal()
    });
    let key = message
        .id
        .to_string()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    let mut options = shared.delivery.clone();
    options.source = pool.source(key);
    options.ehlo_name.clone_from(&pool.ehlo);
    options
}

/// Feeds the shared memory of unreachable addresses.
fn remember_failures(shared: &Shared, report: &DeliveryReport) {
    if let Some(memory) = &shared.delivery.failure_memory {
        memory.record(report);
    }
}

/// The first report with the recipients the second attempt settled replaced.
fn merge(mut first: DeliveryReport, second: DeliveryReport) -> DeliveryReport {
    for outcome in second.recipients {
        if let Some(slot) = first
            .recipients
            .iter_mut()
            .find(|r| r.address == outcome.address)
        {
            *slot = outcome;
        }
    }
    first.attempts.extend(second.attempts);
    first.plan = second.plan;
    first
}
