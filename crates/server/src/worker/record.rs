//! Recording a batch's outcomes without waiting for each commit: the
//! worker hands every outcome (and the sessions counted for TLS reporting)
//! to a task of its own and goes on with the next message over the same
//! connection, so the store's group commit carries the outcomes of many
//! messages in one sync instead of the worker waiting one sync per
//! message. Before the lease is renewed (for the messages not reached
//! yet), the outcomes started are committed: a delivered message whose
//! outcome waited past the lease would be put back and delivered again.
//! The batch ends only when every outcome is committed (or has
//! failed and been logged); a worker abandoned at shutdown abandons its
//! records with it, as a dead process would.
//!
//! The at-least-once window is unchanged: a recipient delivered but not
//! yet committed is delivered again after its lease lapses.

use std::sync::Arc;

use delivery::DeliveryReport;
use queue::{AttemptReport, ClaimedMessage, Lease, Outcome, StoreError};
use tokio::task::JoinSet;
use tracing::{info, warn};

use super::notice;
use super::settle::Settled;
use super::tls_report;
use crate::shared::Shared;

/// Records being committed at once by one worker; the worker waits for
/// the oldest before it starts another.
const IN_FLIGHT: usize = 64;

/// The records a worker has started and not yet seen committed.
pub(super) struct Recorder {
    shared: Arc<Shared>,
    lease: Lease,
    pending: JoinSet<()>,
}

impl Recorder {
    /// The recorder of one batch, under its `lease`.
    pub(super) fn new(shared: &Arc<Shared>, lease: &Lease) -> Recorder {
        Recorder {
            shared: Arc::clone(shared),
            lease: lease.clone(),
            pending: JoinSet::new(),
        }
    }

    /// Starts recording the fate of `message`'s recipients (and any notice
    /// owed), `body` being the message when the worker has read it.
    pub(super) async fn outcome(
        &mut self,
        message: &ClaimedMessage,
        settled: Settled,
        body: Option<Vec<u8>>,
    ) {
        self.make_room().await;
        let shared = Arc::clone(&self.shared);
        let lease = self.lease.clone();
        let message = message.clone();
        self.pending.spawn(async move {
            outcome(&shared, &lease, &message, settled, body).await;
        });
    }

    /// Starts counting the sessions of `report` for TLS reporting.
    pub(super) async fn sessions(&mut self, message: &ClaimedMessage, report: &DeliveryReport) {
        let Some(sessions) = tls_report::sessions(&self.shared, message, report) else {
            return;
        };
        self.make_room().await;
        let shared = Arc::clone(&self.shared);
        let id = message.id;
        self.pending.spawn(async move {
            tls_report::store(&shared, id, sessions).await;
        });
    }

    /// Waits until every record started is committed or has failed.
    pub(super) async fn settle(&mut self) {
        while let Some(done) = self.pending.join_next().await {
            check(done);
        }
    }

    /// [`Recorder::settle`], at the end of the batch.
    pub(super) async fn finish(mut self) {
        self.settle().await;
    }

    async fn make_room(&mut self) {
        while self.pending.len() >= IN_FLIGHT {
            if let Some(done) = self.pending.join_next().await {
                check(done);
            }
        }
    }
}

fn check(done: Result<(), tokio::task::JoinError>) {
    if let Err(e) = done {
        warn!(error = %e, "a task recording delivery outcomes failed; their leases lapse and the recipients are retried");
    }
}

async fn outcome(
    shared: &Shared,
    lease: &Lease,
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
    let counted = (report.outcomes.clone(), report.attempts.clone());
    match shared.store.record(lease, report).await {
        Ok(()) => {
            let age = shared
                .now()
                .duration_since(message.meta.received_at)
                .unwrap_or_default();
            shared.counters.settled(&counted.0, &counted.1, age);
        }
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
