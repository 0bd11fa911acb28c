//! What [`super::StsPolicies`] counts while it works, for the daemon's
//! metrics: policy fetches by result, and policies served from the cache
//! without a fetch. Plain atomics, so counting takes no lock.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// The counters themselves.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    fetched: AtomicU64,
    failed: AtomicU64,
    cache_hits: AtomicU64,
}

impl Counters {
    pub(crate) fn fetched(&self) {
        self.fetched.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn failed(&self) {
        self.failed.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn cache_hit(&self) {
        self.cache_hits.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> StsStats {
        StsStats {
            fetches_ok: self.fetched.load(Ordering::Relaxed),
            fetches_failed: self.failed.load(Ordering::Relaxed),
            cache_hits: self.cache_hits.load(Ordering::Relaxed),
        }
    }
}

/// A copy of the MTA-STS counters at one moment (since the
/// [`super::StsPolicies`] was made).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[non_exhaustive]
pub struct StsStats {
    /// Policies fetched over HTTPS and accepted.
    pub fetches_ok: u64,
    /// Fetches that failed (connection, TLS, HTTP, or a policy that does
    /// not parse). A fetch skipped during the back-off after a failure is
    /// not counted.
    pub fetches_failed: u64,
    /// Answers that applied a cached policy without fetching: its id was
    /// current, the record could not be read, or a recent failure held the
    /// fetch back.
    pub cache_hits: u64,
}
