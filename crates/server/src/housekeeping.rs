//! What the daemon tidies every hour: finished messages (every recipient
//! delivered, bounced or expired) older than `[queue] retention`, with
//! their traces, go from the store. A message with a recipient still to
//! try is never touched.

use std::time::Duration;

use queue::StoreError;
use tracing::info;

use crate::shared::Shared;

/// How often the scheduler runs [`run`].
pub const EVERY: Duration = Duration::from_secs(3600);

/// Deletes what is past its retention; returns how many messages went.
pub async fn run(shared: &Shared) -> Result<u64, StoreError> {
    let retention = shared.config.queue.retention;
    let purged = shared.store.purge(retention).await?;
    if purged > 0 {
        info!(
            messages = purged,
            retention = %smtp::duration(retention),
            "finished messages past their retention deleted"
        );
    }
    Ok(purged)
}
