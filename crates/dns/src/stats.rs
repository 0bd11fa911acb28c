//! What the resolver counts while it works, for the daemon's metrics:
//! answers served from the cache, and the time spent on questions that
//! went to the network (cache misses), as a histogram. Plain atomics, so
//! counting takes no lock on the lookup path.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

/// Upper bounds (seconds) of the buckets of
/// [`ResolverStats::network_buckets`].
pub const LOOKUP_BUCKETS: [f64; 10] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

/// The counters themselves, shared by every clone of a resolver.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    cache_hits: AtomicU64,
    joined: AtomicU64,
    network_failures: AtomicU64,
    /// Per bucket, not cumulative (made cumulative in the snapshot).
    buckets: [AtomicU64; LOOKUP_BUCKETS.len()],
    network_count: AtomicU64,
    /// Microseconds.
    network_micros: AtomicU64,
}

impl Counters {
    /// A question answered from the cache.
    pub(crate) fn hit(&self) {
        self.cache_hits.fetch_add(1, Ordering::Relaxed);
    }

    /// A question answered by the same question already in flight.
    pub(crate) fn joined(&self) {
        self.joined.fetch_add(1, Ordering::Relaxed);
    }

    /// A question that went to the network took `took`; `failed` when no
    /// answer came of it.
    pub(crate) fn network(&self, took: Duration, failed: bool) {
        let seconds = took.as_secs_f64();
        if let Some(slot) = LOOKUP_BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .and_then(|i| self.buckets.get(i))
        {
            slot.fetch_add(1, Ordering::Relaxed);
        }
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.network_micros.fetch_add(micros, Ordering::Relaxed);
        self.network_count.fetch_add(1, Ordering::Relaxed);
        if failed {
            self.network_failures.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn snapshot(&self) -> ResolverStats {
        let mut running = 0;
        let network_buckets = LOOKUP_BUCKETS
            .iter()
            .zip(&self.buckets)
            .map(|(bound, slot)| {
                running += slot.load(Ordering::Relaxed);
                (*bound, running)
            })
            .collect();
        ResolverStats {
            cache_hits: self.cache_hits.load(Ordering::Relaxed),
            joined: self.joined.load(Ordering::Relaxed),
            network_failures: self.network_failures.load(Ordering::Relaxed),
            network_buckets,
            network_count: self.network_count.load(Ordering::Relaxed),
            network_seconds: Duration::from_micros(self.network_micros.load(Ordering::Relaxed))
                .as_secs_f64(),
        }
    }
}

/// A copy of the resolver's counters at one moment (since it was made).
///
/// The counters are read one after the other without a lock, so a
/// snapshot taken while lookups run may be off by the lookups in flight.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ResolverStats {
    /// Questions answered from the cache.
    pub cache_hits: u64,
    /// Questions asked while the same question was on its way upstream,
    /// answered by it rather than asked again.
    pub joined: u64,
    /// Questions that went to the network and got no answer (timeout,
    /// SERVFAIL, no server reachable, validation that could not finish).
    pub network_failures: u64,
    /// Questions that went to the network, per upper bound of their time
    /// in seconds ([`LOOKUP_BUCKETS`]), cumulative as Prometheus wants.
    pub network_buckets: Vec<(f64, u64)>,
    /// Questions that went to the network, answered or not.
    pub network_count: u64,
    /// Their times added up, in seconds.
    pub network_seconds: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_times_fall_into_cumulative_buckets() {
        let counters = Counters::default();
        counters.hit();
        counters.network(Duration::from_millis(3), false);
        counters.network(Duration::from_millis(30), true);
        counters.network(Duration::from_secs(9), false);
        let stats = counters.snapshot();
        assert_eq!(stats.cache_hits, 1);
        assert_eq!(stats.network_failures, 1);
        assert_eq!(stats.network_count, 3);
        assert_eq!(stats.network_buckets[0], (0.001, 0));
        assert_eq!(stats.network_buckets[1], (0.005, 1));
        assert_eq!(stats.network_buckets[4], (0.05, 2));
        assert_eq!(stats.network_buckets[9], (5.0, 2));
        assert!((stats.network_seconds - 9.033).abs() < 1e-6);
    }
}
