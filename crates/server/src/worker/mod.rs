//! A delivery worker: takes one leased batch (one destination domain, due
//! recipients of several messages), plans once from DNS and the MTA-STS
//! cache, delivers each message by the plan, and records every recipient's
//! fate in the store under the batch's lease, with the trace and any
//! notice owed to the sender.

mod delay;
mod local;
mod notice;
mod settle;
mod tenure;
mod tls_report;

use std::sync::Arc;

use delivery::{Connections, DeliveryOptions, DeliveryReport, Message};
use dns::Resolver;
use policy::{Cause, Trouble};
use queue::{AttemptReport, Batch, ClaimedMessage, Outcome, StoreError};
use tracing::{info, warn};

use crate::shared::Shared;
use tenure::Tenure;

pub(crate) use settle::Settled;

/// Delivers one batch and records the outcome of every recipient.
pub async fn run(shared: Arc<Shared>, batch: Batch) {
    let domain = batch.domain.clone();
    let mut tenure = Tenure::new(batch.lease.clone(), shared.config.queue.lease);
    if let Some(target) = shared.config.domains.get(&domain).cloned() {
        for (i, message) in batch.messages.iter().enumerate() {
            if !tenure.hold(&shared, &batch.messages[i..]).await {
                continue;
            }
            let report = local::deliver(&shared, &target, message).await;
            record(&shared, &batch, message, report, None).await;
        }
        return;
    }
    let name = match Resolver::parse_name(&domain) {
        Ok(name) => name,
        Err(e) => {
            let trouble = Trouble::with_detail(Cause::InvalidAddress, e.to_string());
            for message in &batch.messages {
                let settled = settle::all(&shared, message, &trouble);
                record(&shared, &batch, message, settled, None).await;
            }
            return;
        }
    };
    let options = shared.config.local_policy_for(&domain);
    let mut plan = policy::plan_with_sts(&shared.resolver, &name, &options, &shared.sts).await;
    // Messages of the batch share connections opened under the same
    // security context; a changed plan (after an MTA-STS re-check) opens
    // its own.
    let mut connections = Connections::new();
    for (i, message) in batch.messages.iter().enumerate() {
        if !tenure.hold(&shared, &batch.messages[i..]).await {
            warn!(queue_id = %message.id, "lease lost before delivery; left for another attempt");
            continue;
        }
        let body = match shared.store.body(message.id).await {
            Ok(body) => body,
            Err(e) => {
                warn!(queue_id = %message.id, error = %e, "cannot read the message body; left for a later attempt");
                continue;
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
        let outbound = outbound(&shared, message);
        let mut report = delivery::deliver_reusing(&plan, &wire, &outbound, &mut connections).await;
        remember_failures(&shared, &report);
        tls_report::record(&shared, message, &report).await;
        let mut settled = settle::report(&shared, message, &report);
        if settled.sts_recheck_needed {
            // RFC 8461 §5.1: before an enforce failure becomes final, check
            // the policy again; a changed policy may let the message through.
            if let Err(e) = shared.sts.refresh(&name).await {
                warn!(domain = %domain, error = %e, "MTA-STS policy re-check failed");
            }
            plan = policy::plan_with_sts(&shared.resolver, &name, &options, &shared.sts).await;
            let retry = settled.expiring_recipients();
            let again = Message {
                recipients: retry,
                ..wire
            };
            let second =
                delivery::deliver_reusing(&plan, &again, &outbound, &mut connections).await;
            remember_failures(&shared, &second);
            tls_report::record(&shared, message, &second).await;
            report = merge(report, second);
            settled = settle::report(&shared, message, &report);
            settled.sts_recheck_needed = false;
        }
        delay::owe(&shared, message, &mut settled).await;
        record(&shared, &batch, message, settled, Some(body)).await;
    }
    connections.close().await;
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

async fn record(
    shared: &Shared,
    batch: &Batch,
    message: &ClaimedMessage,
    settled: Settled,
    body: Option<Vec<u8>>,
) {
    for (address, outcome) in &settled.outcomes {
        match outcome {
            Outcome::Delivered { mx, .. } => {
                info!(queue_id = %message.id, to = %address, mx = mx.as_deref().unwrap_or("-"), "delivered")
            }
            Outcome::Deferred {
                trouble,
                next_attempt,
            } => {
                info!(queue_id = %message.id, to = %address, code = %trouble.code, cause = %trouble.cause,
                next = ?next_attempt, "deferred")
            }
            Outcome::Bounced { trouble } => {
                info!(queue_id = %message.id, to = %address, code = %trouble.code, cause = %trouble.cause, "bounced")
            }
            Outcome::Expired { trouble } => {
                info!(queue_id = %message.id, to = %address, code = %trouble.code, cause = %trouble.cause, "expired")
            }
        }
    }
    let notices = if settled.notices.is_empty() {
        Vec::new()
    } else {
        let body = match body {
            Some(body) => Ok(body),
            None => shared.store.body(message.id).await,
        };
        match body {
            Ok(body) => notice::build(shared, message, &settled.notices, &body),
            Err(e) => {
                // Recording the outcome without its notice would lose the
                // notice; the lease lapses and the attempt is made again.
                warn!(queue_id = %message.id, error = %e, "cannot read the message for its notice; left for a later attempt");
                return;
            }
        }
    };
    let queued: Vec<_> = notices.iter().map(|n| n.message.id).collect();
    let report = AttemptReport {
        id: message.id,
        outcomes: settled.outcomes,
        attempts: settled.attempts,
        notices,
    };
    match shared.store.record(&batch.lease, report).await {
        Ok(()) => {}
        Err(StoreError::LeaseLost { .. }) => {
            warn!(queue_id = %message.id, "lease lapsed before the outcome was recorded; another worker retries");
            return;
        }
        Err(e) => {
            warn!(queue_id = %message.id, error = %e, "cannot record the outcome; the lease will lapse and the recipients be retried");
            return;
        }
    }
    for notice in queued {
        info!(queue_id = %message.id, notice = %notice, to = %message.envelope.sender, "notice queued");
        shared.wake.notify_one();
    }
}
