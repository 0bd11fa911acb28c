//! The MTA-STS policy cache kept in the queue's store (schema version 3),
//! so that every node sharing a queue database applies the same policies
//! and one node's fetch serves them all. `policy` defines what is kept
//! ([`PolicyStore`](policy::sts::PolicyStore)); both backends implement it
//! with one row per domain and read it back here.
//!
//! Times are milliseconds since the epoch, like every time in the store;
//! `expires_at` (`fetched_at + max_age`) is kept so the refresher's query
//! is one index range.

use policy::sts::{CacheEntry, CacheError, CachedPolicy, FailedFetch, policy_from_columns};

use crate::error::StoreError;
use crate::time::from_millis;

/// The columns both backends select, in this order.
pub(crate) const STS_COLUMNS: &str =
    "record_id, mode, mx, max_age, fetched_at, last_checked, failed_at, failed_id, failure";

/// One row of `sts_policies` as read.
pub(crate) struct StsRow {
    pub record_id: Option<String>,
    pub mode: Option<String>,
    pub mx: Option<String>,
    pub max_age: Option<i64>,
    pub fetched_at: Option<i64>,
    pub last_checked: Option<i64>,
    pub failed_at: Option<i64>,
    pub failed_id: Option<String>,
    pub failure: Option<String>,
}

impl StsRow {
    /// What the row says about `domain`.
    pub(crate) fn entry(self, domain: &str) -> Result<CacheEntry, CacheError> {
        let policy = match (self.record_id, self.mode, self.max_age, self.fetched_at) {
            (Some(id), Some(mode), Some(max_age), Some(fetched_at)) => Some(CachedPolicy {
                id,
                policy: policy_from_columns(
                    domain,
                    &mode,
                    self.mx.as_deref().unwrap_or_default(),
                    max_age,
                )?,
                fetched_at: from_millis(fetched_at),
                last_checked: from_millis(self.last_checked.unwrap_or(fetched_at)),
            }),
            (None, None, None, None) => None,
            _ => {
                return Err(CacheError::Damaged {
                    domain: domain.to_owned(),
                    reason: "policy columns partly empty".into(),
                });
            }
        };
        let failure = match (self.failed_at, self.failed_id) {
            (Some(at), Some(id)) => Some(FailedFetch {
                at: from_millis(at),
                id,
                reason: self.failure.unwrap_or_default(),
            }),
            _ => None,
        };
        Ok(CacheEntry { policy, failure })
    }
}

/// A store failure as the policy cache reports it, temporary when the
/// store's error is.
pub(crate) fn cache_error(error: StoreError) -> CacheError {
    CacheError::Store {
        temporary: error.is_temporary(),
        source: Box::new(error),
    }
}
