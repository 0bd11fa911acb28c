//! Keeping a batch's lease while the worker goes through it: a batch of
//! many messages to a slow destination can take longer than one lease, and
//! a recipient whose lease lapses is put back and claimed by another
//! worker — the same message delivered twice, by two live workers. So
//! before each message, when less than half the lease is left, the worker
//! renews it for every message it has not reached yet; a message whose
//! lease is already lost is skipped, never delivered without a lease.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use queue::{ClaimedMessage, Lease, QueueId, StoreError};
use tracing::warn;

use crate::shared::Shared;

/// The lease a worker holds on the rest of its batch.
pub(super) struct Tenure {
    lease: Lease,
    length: Duration,
    lost: HashSet<QueueId>,
}

impl Tenure {
    /// The tenure of a batch claimed under `lease` for `length`.
    pub(super) fn new(lease: Lease, length: Duration) -> Tenure {
        Tenure {
            lease,
            length,
            lost: HashSet::new(),
        }
    }

    /// Whether less than half of the lease is left: [`Tenure::hold`] will
    /// renew it, for the messages not reached yet only.
    pub(super) fn renewal_due(&self, shared: &Shared) -> bool {
        self.lease
            .until
            .duration_since(shared.now())
            .unwrap_or_default()
            < self.length / 2
    }

    /// Whether the worker may deliver `rest[0]`, the next message of its
    /// batch (`rest` being those not reached yet); renews the lease of all
    /// of `rest` first when less than half of it is left.
    pub(super) async fn hold(&mut self, shared: &Shared, rest: &[ClaimedMessage]) -> bool {
        let Some(next) = rest.first() else {
            return false;
        };
        if self.renewal_due(shared) {
            let mut until = None;
            for message in rest {
                if self.lost.contains(&message.id) {
                    continue;
                }
                match shared
                    .store
                    .renew(&self.lease, message.id, self.length)
                    .await
                {
                    Ok(renewed) => {
                        until =
                            Some(until.map_or(renewed.until, |u: SystemTime| u.min(renewed.until)));
                    }
                    Err(e) => {
                        if !matches!(e, StoreError::LeaseLost(_)) {
                            warn!(queue_id = %message.id, error = %e, "cannot renew the lease; the message is left for a later attempt");
                        }
                        self.lost.insert(message.id);
                    }
                }
            }
            if let Some(until) = until {
                self.lease.until = until;
            }
        }
        !self.lost.contains(&next.id)
    }
}
