//! Counting delivery sessions for TLS reporting (RFC 8460): after each
//! delivery, every session's policy and result go to the store, where they
//! wait for the day's report. A TLS report we queued is not counted
//! (RFC 8460 §5.3: the report's own session "SHOULD NOT" be in the next
//! report), nor anything when reporting is off.

use delivery::DeliveryReport;
use queue::{ClaimedMessage, QueueId, TlsSession};
use tracing::warn;

use crate::shared::Shared;

/// The sessions of `report`, made delivering `message`, that count for
/// TLS reporting; `None` when none does.
pub(crate) fn sessions(
    shared: &Shared,
    message: &ClaimedMessage,
    report: &DeliveryReport,
) -> Option<Vec<TlsSession>> {
    if !shared.config.tls_report.enabled || message.meta.tls_report {
        return None;
    }
    Some(queue::tls_sessions(report, shared.now()))
}

/// Stores `sessions`, counted delivering message `id`.
pub(crate) async fn store(shared: &Shared, id: QueueId, sessions: Vec<TlsSession>) {
    if let Err(e) = shared.store.record_tls_sessions(sessions).await {
        // The delivery itself is recorded apart; only the report loses
        // these sessions.
        warn!(queue_id = %id, error = %e, "cannot count the sessions for TLS reporting");
    }
}
