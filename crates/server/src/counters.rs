//! What the daemon counts while it runs, for `/metrics` and the console's
//! dashboard: messages received, recipients settled by outcome, cause and
//! security level, the delivery latency, TLS outcomes by policy kind and
//! RFC 8460 result type, DNSSEC failures met on delivery. Kept in memory
//! (a restart starts from zero, as Prometheus counters do); the queue's
//! sizes are read from the store, not counted here.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use queue::{AttemptRecord, Outcome};
use serde::Serialize;

/// Upper bounds (seconds) of the delivery latency histogram's buckets.
pub const LATENCY_BUCKETS: [f64; 10] = [
    1.0,
    5.0,
    15.0,
    60.0,
    300.0,
    900.0,
    3600.0,
    4.0 * 3600.0,
    12.0 * 3600.0,
    24.0 * 3600.0,
];

/// The daemon's counters.
#[derive(Debug, Default)]
pub struct Counters {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default, Clone)]
struct Inner {
    received: BTreeMap<String, u64>,
    outcomes: BTreeMap<(String, String, String), u64>,
    tls: BTreeMap<(String, String), u64>,
    dnssec_failures: u64,
    latency_buckets: [u64; LATENCY_BUCKETS.len()],
    latency_count: u64,
    latency_sum: f64,
}

/// A copy of every counter at one moment.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    /// Messages queued on arrival, by outbound pool.
    pub received: Vec<(String, u64)>,
    /// Recipients settled: (outcome, cause, security level) and how many.
    /// `cause` is `none` for a delivery; security is `dane`, `mta-sts`,
    /// `tls`, `plaintext` or `none` (no connection).
    pub outcomes: Vec<((String, String, String), u64)>,
    /// Connections by (policy kind, RFC 8460 result type or `success`).
    pub tls: Vec<((String, String), u64)>,
    /// Connections whose DNS answers failed DNSSEC validation.
    pub dnssec_failures: u64,
    /// Deliveries per latency bucket (cumulative, as Prometheus wants).
    pub latency_buckets: Vec<(f64, u64)>,
    /// Deliveries measured.
    pub latency_count: u64,
    /// Their latencies added up, in seconds.
    pub latency_sum: f64,
}

/// The security level of a connection: what protected the session.
/// ([`AttemptRecord::security_level`], as the store's hourly counts.)
pub fn security_level(attempt: &AttemptRecord) -> &'static str {
    attempt.security_level()
}

impl Counters {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A message was queued on arrival, leaving from `pool`.
    pub fn received(&self, pool: &str) {
        *self.lock().received.entry(pool.to_owned()).or_default() += 1;
    }

    /// Recipients were settled after `attempts`; `age` is how long ago the
    /// message arrived (the latency of a delivery).
    pub fn settled(
        &self,
        outcomes: &[(String, Outcome)],
        attempts: &[AttemptRecord],
        age: Duration,
    ) {
        let mut inner = self.lock();
        for attempt in attempts {
            let result = attempt
                .result_type
                .as_deref()
                .unwrap_or(if attempt.trouble.is_none() {
                    "success"
                } else {
                    "other"
                });
            *inner
                .tls
                .entry((attempt.requirement.clone(), result.to_owned()))
                .or_default() += 1;
            if attempt.dnssec.iter().any(|n| n.status == "bogus") {
                inner.dnssec_failures += 1;
            }
        }
        for (address, outcome) in outcomes {
            let security = attempts
                .iter()
                .rev()
                .find(|a| a.recipients.iter().any(|r| r.eq_ignore_ascii_case(address)))
                .map_or("none", security_level);
            let (name, cause) = match outcome {
                Outcome::Delivered { .. } => ("delivered", "none"),
                Outcome::Deferred { trouble, .. } => ("deferred", trouble.cause.as_str()),
                Outcome::Bounced { trouble } => ("bounced", trouble.cause.as_str()),
                Outcome::Expired { trouble } => ("expired", trouble.cause.as_str()),
            };
            *inner
                .outcomes
                .entry((name.to_owned(), cause.to_owned(), security.to_owned()))
                .or_default() += 1;
            if name == "delivered" {
                let seconds = age.as_secs_f64();
                for (slot, bound) in inner.latency_buckets.iter_mut().zip(LATENCY_BUCKETS) {
                    if seconds <= bound {
                        *slot += 1;
                    }
                }
                inner.latency_count += 1;
                inner.latency_sum += seconds;
            }
        }
    }

    /// Every counter now.
    pub fn snapshot(&self) -> Snapshot {
        let inner = self.lock().clone();
        Snapshot {
            received: inner.received.into_iter().collect(),
            outcomes: inner.outcomes.into_iter().collect(),
            tls: inner.tls.into_iter().collect(),
            dnssec_failures: inner.dnssec_failures,
            latency_buckets: LATENCY_BUCKETS
                .iter()
                .copied()
                .zip(inner.latency_buckets)
                .collect(),
            latency_count: inner.latency_count,
            latency_sum: inner.latency_sum,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use queue::TroubleRecord;

    fn attempt(requirement: &str, tls: bool, to: &str, result: Option<&str>) -> AttemptRecord {
        serde_json::from_value(serde_json::json!({
            "mx": "mx.example.", "address": "192.0.2.1:25", "source": null,
            "requirement": requirement,
            "tls": if tls { serde_json::json!({"version": "TLSv1_3", "cipher": "x"}) } else { serde_json::Value::Null },
            "verification": null, "tlsa": null, "sts_policy_id": null, "dnssec": [],
            "result_type": result, "reply": null, "trouble": null, "recipients": [to],
        }))
        .unwrap()
    }

    #[test]
    fn outcomes_are_counted_by_cause_and_security() {
        let counters = Counters::default();
        counters.settled(
            &[(
                "a@x.test".into(),
                Outcome::Delivered {
                    mx: None,
                    reply: None,
                },
            )],
            &[attempt("dane", true, "a@x.test", None)],
            Duration::from_secs(2),
        );
        let trouble = TroubleRecord {
            code: "4.7.323".parse().unwrap(),
            cause: "tlsa-no-match".into(),
            detail: String::new(),
            mx: None,
        };
        counters.settled(
            &[("b@y.test".into(), Outcome::Bounced { trouble })],
            &[attempt("dane", true, "b@y.test", Some("tlsa-invalid"))],
            Duration::from_secs(2),
        );
        let snapshot = counters.snapshot();
        assert!(
            snapshot
                .outcomes
                .contains(&(("delivered".into(), "none".into(), "dane".into()), 1))
        );
        assert!(
            snapshot
                .outcomes
                .contains(&(("bounced".into(), "tlsa-no-match".into(), "dane".into()), 1))
        );
        assert!(
            snapshot
                .tls
                .contains(&(("dane".into(), "tlsa-invalid".into()), 1))
        );
        assert_eq!(snapshot.latency_count, 1);
        assert_eq!(snapshot.latency_buckets[0], (1.0, 0));
        assert_eq!(snapshot.latency_buckets[1], (5.0, 1));
    }
}
