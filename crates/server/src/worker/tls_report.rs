//! Counting delivery sessions for TLS reporting (RFC 8460): after each
//! delivery, every session's policy and result go to the store, where they
//! wait for the day's report. A TLS report we queued is not counted
//! (RFC 8460 §5.3: the report's own session "SHOULD NOT" be in the next
//! report), nor anything when reporting is off.

use delivery::DeliveryReport;
use queue::ClaimedMessage;
use tracing::warn;

use crate::shared::Shared;

/// Counts the sessions of `report`, made delivering `message`.
pub(crate) async fn record(shared: &Shared, message: &ClaimedMessage, report: &DeliveryReport) {
    if !shared.config.tls_report.enabled || message.meta.tls_report {
        return;
    }
    let sessions = queue::tls_sessions(report, shared.now());
    if let Err(e) = shared.store.record_tls_sessions(sessions).await {
        // The delivery itself is recorded apart; only the report loses
        // these sessions.
        warn!(queue_id = %message.id, error = %e, "cannot count the sessions for TLS reporting");
    }
}
