//! Delay notices (RFC 3464 `Action: delayed`): once a recipient has waited
//! longer than `retry.delay_notice` (4 hours by default), its sender is
//! told once that we keep trying, unless NOTIFY asked otherwise.

use queue::{ClaimedMessage, EventKind, NoticeKind as Sent, Outcome};
use report::dsn::NoticeKind;
use tracing::warn;

use super::settle::{OwedNotice, Settled};
use crate::shared::Shared;

/// Adds a delay notice to `settled` for each deferred recipient that is
/// due one and has not had one.
pub(crate) async fn owe(shared: &Shared, message: &ClaimedMessage, settled: &mut Settled) {
    let Some(after) = shared.config.retry.delay_notice else {
        return;
    };
    if message.envelope.is_null_sender() || message.meta.tls_report {
        return;
    }
    let now = shared.now();
    let waited = now
        .duration_since(message.meta.received_at)
        .unwrap_or_default();
    if waited < after {
        return;
    }
    let deferred: Vec<&String> = settled
        .outcomes
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Deferred { .. }))
        .map(|(a, _)| a)
        .collect();
    if deferred.is_empty() {
        return;
    }
    let detail = match shared.store.show(message.id).await {
        Ok(Some(detail)) => detail,
        Ok(None) => return,
        Err(e) => {
            warn!(queue_id = %message.id, error = %e, "cannot read the trace; no delay notice this time");
            return;
        }
    };
    for address in deferred {
        let already = detail.events.iter().any(|e| {
            e.recipient.as_deref() == Some(address.as_str())
                && matches!(
                    e.kind,
                    EventKind::NoticeSent {
                        kind: Sent::Delay,
                        ..
                    }
                )
        });
        let Some(claimed) = message
            .recipients
            .iter()
            .find(|r| &r.recipient.address == address)
        else {
            continue;
        };
        // RFC 3461 §4.1: without NOTIFY the choice is ours; with it, only DELAY asks.
        let wanted = claimed.recipient.notify.is_none_or(|n| n.delay);
        if already || !wanted {
            continue;
        }
        let trouble = settled.troubles.get(address).cloned();
        settled.notices.push(OwedNotice {
            kind: NoticeKind::Delay,
            recipient: claimed.recipient.clone(),
            mx: settled.hosts.get(address).cloned().flatten(),
            trouble,
            reply: None,
            at: now,
        });
    }
}
