//! Deliveries and failed connections per hour, read from the trace
//! ([`Store::hourly_counts`](crate::Store::hourly_counts)): what the
//! console's dashboard charts, the same for every node sharing the store
//! and across restarts.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::event::{AttemptRecord, EventKind};
use crate::time::{from_millis, to_millis};

/// Milliseconds in an hour.
const HOUR_MILLIS: i64 = 3_600_000;

/// The security levels a delivery is counted under, in the order the
/// console shows them: DANE, MTA-STS (enforced), opportunistic TLS,
/// plaintext.
pub const SECURITY_LEVELS: [&str; 4] = ["dane", "mta-sts", "tls", "plaintext"];

impl AttemptRecord {
    /// What protected this connection: `dane` or `mta-sts` when TLS was
    /// required by that policy and made, `tls` for other TLS sessions,
    /// `plaintext` without TLS.
    pub fn security_level(&self) -> &'static str {
        match (self.requirement.as_str(), self.tls.is_some()) {
            ("dane", true) => "dane",
            ("sts-enforce", true) => "mta-sts",
            (_, true) => "tls",
            (_, false) => "plaintext",
        }
    }
}

/// What the trace holds of one hour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourlyCount {
    /// The hour's first instant (UTC, on the hour).
    #[serde(with = "crate::time::millis")]
    pub hour: SystemTime,
    /// Recipients delivered, by the [security level](AttemptRecord::security_level)
    /// of the connection that carried them; every level of
    /// [`SECURITY_LEVELS`] is present, zero or not (`none` appears for a
    /// delivery with no connection in its trace).
    pub delivered: BTreeMap<String, u64>,
    /// Connections that failed for a reason TLS reporting counts, by
    /// RFC 8460 §4.3 result type (e.g. `tlsa-invalid`); only the types
    /// seen.
    pub failed: BTreeMap<String, u64>,
}

/// The start (milliseconds) of the hour `millis` falls in.
fn hour_of(millis: i64) -> i64 {
    millis.div_euclid(HOUR_MILLIS) * HOUR_MILLIS
}

/// The span the stores read for `since` and `until`: from the start of
/// the hour `since` falls in to the end of the hour `until` falls in
/// (exclusive), in milliseconds; at least that first hour.
pub(crate) fn span(since: SystemTime, until: SystemTime) -> (i64, i64) {
    let from = hour_of(to_millis(since));
    (from, hour_of(to_millis(until)).max(from) + HOUR_MILLIS)
}

/// One event a store read for [`tally`]: its message, time, recipient and
/// what happened. The stores hand only attempts and deliveries over,
/// ordered by message and then as they were written.
pub(crate) struct CountedEvent {
    pub message: String,
    pub at: i64,
    pub recipient: Option<String>,
    pub kind: EventKind,
}

/// Every hour of `from..until` (milliseconds, `from` on the hour) with
/// the counts of `events`.
pub(crate) fn tally(from: i64, until: i64, events: Vec<CountedEvent>) -> Vec<HourlyCount> {
    let mut hours = Vec::new();
    let mut start = from;
    while start < until {
        hours.push(HourlyCount {
            hour: from_millis(start),
            delivered: SECURITY_LEVELS
                .iter()
                .map(|level| ((*level).to_owned(), 0))
                .collect(),
            failed: BTreeMap::new(),
        });
        start += HOUR_MILLIS;
    }
    let mut message = String::new();
    let mut attempts: Vec<AttemptRecord> = Vec::new();
    for event in events {
        if event.message != message {
            message = event.message;
            attempts.clear();
        }
        let Some(slot) = usize::try_from((event.at - from).div_euclid(HOUR_MILLIS))
            .ok()
            .and_then(|i| hours.get_mut(i))
        else {
            continue;
        };
        match event.kind {
            EventKind::Attempt(attempt) => {
                if let Some(result) = &attempt.result_type {
                    *slot.failed.entry(result.clone()).or_default() += 1;
                }
                attempts.push(*attempt);
            }
            EventKind::Delivered { .. } => {
                let recipient = event.recipient.unwrap_or_default();
                let level = attempts
                    .iter()
                    .rev()
                    .find(|a| {
                        a.recipients
                            .iter()
                            .any(|r| r.eq_ignore_ascii_case(&recipient))
                    })
                    .map_or("none", AttemptRecord::security_level);
                *slot.delivered.entry(level.to_owned()).or_default() += 1;
            }
            _ => {}
        }
    }
    hours
}

/// The `since` and `until` of the last `hours` hours (at least one) up to
/// `now`, for [`Store::hourly_counts`](crate::Store::hourly_counts): the
/// hour `now` falls in and the `hours - 1` before it.
pub fn last_hours(now: SystemTime, hours: u32) -> (SystemTime, SystemTime) {
    let back = Duration::from_secs(3600 * u64::from(hours.max(1) - 1));
    (now.checked_sub(back).unwrap_or(now), now)
}
