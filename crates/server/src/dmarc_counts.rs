//! This node's DMARC report counts since they were last written to the
//! store: each arrival adds to its row in memory, and the scheduler
//! writes them all in one transaction every [`FLUSH_EVERY`] (and before
//! reports are sent, and when the daemon stops), so counting costs the
//! arrival path no write. A node killed with SIGKILL loses at most that
//! long of counts, never a message.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use queue::{DmarcObservation, DmarcRow, Store, StoreError, UtcDay};
use tracing::warn;

/// How often the counts are written to the store.
pub const FLUSH_EVERY: Duration = Duration::from_secs(10);

/// Counts not yet in the store, per policy domain, day and row.
#[derive(Debug, Default)]
pub struct DmarcCounts {
    pending: Mutex<HashMap<(String, UtcDay, DmarcRow), u64>>,
}

impl DmarcCounts {
    /// Adds `seen` to its row.
    pub fn add(&self, seen: DmarcObservation) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        *pending
            .entry((seen.policy_domain, seen.day, seen.row))
            .or_default() += seen.count;
    }

    /// Writes every pending count to `store`; when the store fails for
    /// now they stay pending, for the next flush; counts it refuses for
    /// good are dropped (and logged), so they cannot stop the ones after.
    pub async fn flush(&self, store: &dyn Store) -> Result<(), StoreError> {
        let taken: Vec<DmarcObservation> = {
            let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            pending
                .drain()
                .map(|((policy_domain, day, row), count)| DmarcObservation {
                    policy_domain,
                    day,
                    row,
                    count,
                })
                .collect()
        };
        if taken.is_empty() {
            return Ok(());
        }
        match store.record_dmarc(taken.clone()).await {
            Ok(()) => Ok(()),
            Err(error) if error.is_temporary() => {
                for seen in taken {
                    self.add(seen);
                }
                Err(error)
            }
            Err(error) => {
                warn!(error = %error, rows = taken.len(), "DMARC report counts the store refuses are dropped");
                Err(error)
            }
        }
    }
}
