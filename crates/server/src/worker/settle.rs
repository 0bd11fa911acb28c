//! What a delivery report means for the queue: each recipient delivered,
//! deferred until the schedule's next time, bounced, or expired; and which
//! notices the sender is owed (DESIGN §2: security failures are always
//! temporary, so only expiry turns them into an NDR).

use std::time::SystemTime;

use delivery::{DeliveryReport, RecipientStatus};
use policy::{Cause, Trouble};
use queue::{AttemptRecord, ClaimedMessage, Outcome, Retry, RetrySchedule, TroubleRecord};
use report::dsn::NoticeKind;
use smtp::Reply;

use crate::shared::Shared;

/// A notice owed to the sender about one recipient.
#[derive(Debug, Clone)]
pub(crate) struct OwedNotice {
    /// Failure, delay or success.
    pub kind: NoticeKind,
    /// The recipient, with its ORCPT.
    pub recipient: smtp::Recipient,
    /// Why, for failures.
    pub trouble: Option<Trouble>,
    /// The MX host that answered, if one did.
    pub mx: Option<String>,
    /// Its reply, if it gave one.
    pub reply: Option<Reply>,
    /// When.
    pub at: SystemTime,
}

/// The settled attempt of one message.
#[derive(Debug, Default)]
pub(crate) struct Settled {
    /// Each recipient's outcome, for [`queue::Store::record`].
    pub outcomes: Vec<(String, Outcome)>,
    /// The trace of every connection.
    pub attempts: Vec<AttemptRecord>,
    /// Notices to send once the outcome is recorded.
    pub notices: Vec<OwedNotice>,
    /// Some recipient would expire on an MTA-STS failure: re-check the
    /// policy first (RFC 8461 §5.1).
    pub sts_recheck_needed: bool,
    /// The trouble of each deferred recipient, for a delay notice.
    pub troubles: std::collections::HashMap<String, Trouble>,
    /// The host each deferred recipient last met.
    pub hosts: std::collections::HashMap<String, Option<String>>,
}

impl Settled {
    /// Recipients that expire on an MTA-STS failure.
    pub fn expiring_recipients(&self) -> Vec<String> {
        self.outcomes
            .iter()
            .filter(|(_, o)| matches!(o, Outcome::Expired { trouble } if trouble.cause.starts_with("sts-")))
            .map(|(a, _)| a.clone())
            .collect()
    }
}

/// Settles every recipient of `message` from `report`.
pub(crate) fn report(
    shared: &Shared,
    message: &ClaimedMessage,
    report: &DeliveryReport,
) -> Settled {
    let now = shared.now();
    let mut settled = Settled {
        attempts: report
            .attempts
            .iter()
            .map(|a| AttemptRecord::from_host_attempt(a, &report.plan, &a.delivered))
            .collect(),
        ..Settled::default()
    };
    // A recipient deferred after every host failed carries no host of its
    // own: the last host tried is the one its trouble came from.
    let last_host = report
        .attempts
        .last()
        .map(|a| a.host.trim_end_matches('.').to_owned());
    for claimed in &message.recipients {
        let address = &claimed.recipient.address;
        let Some(outcome) = report.recipient(address) else {
            let trouble = Trouble::with_detail(
                Cause::LocalSoftware,
                "delivery returned no outcome for this recipient",
            );
            defer(shared, message, claimed, &trouble, None, now, &mut settled);
            continue;
        };
        match outcome.status {
            RecipientStatus::Delivered => {
                settled.outcomes.push((
                    address.clone(),
                    Outcome::Delivered {
                        mx: outcome.host.clone(),
                        reply: outcome.reply.clone(),
                    },
                ));
                if claimed.recipient.notify.is_some_and(|n| n.success) {
                    settled.notices.push(OwedNotice {
                        kind: NoticeKind::Success,
                        recipient: claimed.recipient.clone(),
                        trouble: None,
                        mx: outcome.host.clone(),
                        reply: outcome.reply.clone(),
                        at: now,
                    });
                }
            }
            RecipientStatus::Failed => {
                let trouble = outcome
                    .trouble
                    .clone()
                    .unwrap_or_else(|| Trouble::new(Cause::LocalSoftware));
                bounce(
                    message,
                    claimed,
                    &trouble,
                    outcome.host.clone(),
                    outcome.reply.clone(),
                    now,
                    &mut settled,
                );
            }
            RecipientStatus::Deferred => {
                let trouble = outcome
                    .trouble
                    .clone()
                    .unwrap_or_else(|| Trouble::new(Cause::LocalSoftware));
                let host = outcome.host.clone().or_else(|| last_host.clone());
                defer(shared, message, claimed, &trouble, host, now, &mut settled);
            }
        }
    }
    settled
}

/// Every recipient of `message` settled by one trouble.
pub(crate) fn all(shared: &Shared, message: &ClaimedMessage, trouble: &Trouble) -> Settled {
    let now = shared.now();
    let mut settled = Settled::default();
    for claimed in &message.recipients {
        if trouble.is_temporary() {
            defer(shared, message, claimed, trouble, None, now, &mut settled);
        } else {
            bounce(message, claimed, trouble, None, None, now, &mut settled);
        }
    }
    settled
}

fn defer(
    shared: &Shared,
    message: &ClaimedMessage,
    claimed: &queue::ClaimedRecipient,
    trouble: &Trouble,
    mx: Option<String>,
    now: SystemTime,
    settled: &mut Settled,
) {
    let address = &claimed.recipient.address;
    let seed = RetrySchedule::seed(message.id, address);
    let mut retry = shared
        .schedule
        .next(message.meta.received_at, claimed.attempts + 1, now, seed);
    if let Some(expires_at) = message.meta.expires_at {
        retry = match retry {
            _ if now >= expires_at => Retry::Expire,
            Retry::At(at) => Retry::At(at.min(expires_at)),
            Retry::Expire => Retry::Expire,
        };
    }
    match retry {
        Retry::At(next_attempt) => {
            settled.outcomes.push((
                address.clone(),
                Outcome::Deferred {
                    next_attempt,
                    trouble: TroubleRecord::from_trouble(trouble, mx.as_deref()),
                },
            ));
            settled.troubles.insert(address.clone(), trouble.clone());
            settled.hosts.insert(address.clone(), mx);
        }
        Retry::Expire => {
            let record = TroubleRecord::expired(trouble, mx.as_deref());
            if record.cause.starts_with("sts-") {
                settled.sts_recheck_needed = true;
            }
            settled
                .outcomes
                .push((address.clone(), Outcome::Expired { trouble: record }));
            owe_failure(message, claimed, trouble, mx, None, now, settled);
        }
    }
}

fn bounce(
    message: &ClaimedMessage,
    claimed: &queue::ClaimedRecipient,
    trouble: &Trouble,
    mx: Option<String>,
    reply: Option<Reply>,
    now: SystemTime,
    settled: &mut Settled,
) {
    settled.outcomes.push((
        claimed.recipient.address.clone(),
        Outcome::Bounced {
            trouble: TroubleRecord::expired(trouble, mx.as_deref()),
        },
    ));
    owe_failure(message, claimed, trouble, mx, reply, now, settled);
}

fn owe_failure(
    message: &ClaimedMessage,
    claimed: &queue::ClaimedRecipient,
    trouble: &Trouble,
    mx: Option<String>,
    reply: Option<Reply>,
    now: SystemTime,
    settled: &mut Settled,
) {
    // RFC 3461 §4.1: NOTIFY=NEVER or a NOTIFY without FAILURE asks for none;
    // RFC 5321 §4.5.5: never a notice to the null sender.
    // A TLS report we sent is never the subject of another message.
    let wanted = claimed.recipient.notify.is_none_or(|n| n.failure);
    if message.envelope.is_null_sender() || !wanted || message.meta.tls_report {
        return;
    }
    settled.notices.push(OwedNotice {
        kind: NoticeKind::Failure,
        recipient: claimed.recipient.clone(),
        trouble: Some(trouble.clone()),
        mx,
        reply,
        at: now,
    });
}
