//! What the daemon tidies every hour: finished messages (every recipient
//! delivered, bounced or expired) older than `[queue] retention`, with
//! their traces, go from the store, and so do the daily reporting rows
//! (TLS session counts, DMARC rows, report states) older than
//! [`REPORT_DAYS`] and the reports others sent whose period ended more
//! than [`RECEIVED_REPORTS`] ago. A message with a recipient still to try
//! is never touched.

use std::time::Duration;

use queue::StoreError;
use tracing::info;

use crate::shared::Shared;

/// How often the scheduler runs [`run`].
pub const EVERY: Duration = Duration::from_secs(3600);

/// Days of reporting rows kept: our reports go within a day and a half
/// of their day, and `sealane report tls|dmarc sent` can show two months.
pub const REPORT_DAYS: i64 = 60;

/// How long received reports are kept: a year of what others said.
pub const RECEIVED_REPORTS: Duration = Duration::from_secs(366 * 86_400);

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
    let now = shared.now();
    let rows = shared
        .store
        .purge_reports(
            queue::utc_day(now) - REPORT_DAYS,
            now.checked_sub(RECEIVED_REPORTS).unwrap_or(now),
        )
        .await?;
    if rows > 0 {
        info!(rows, "reporting rows past their keeping deleted");
    }
    Ok(purged)
}
