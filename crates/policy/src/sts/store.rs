//! Where MTA-STS policies are kept between deliveries (RFC 8461 §5.1):
//! the [`PolicyStore`] trait and what it holds for a domain.
//!
//! [`StsPolicies`](super::StsPolicies) reads and writes policies only
//! through this trait. The daemon gives it the queue's store, so every
//! node sharing a queue database shares its policies too; `sealane
//! deliver` and `sealane check` give it a [`PolicyCache`](super::PolicyCache)
//! of their own.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use super::pattern::MxPattern;
use super::policy::{Mode, Policy};

/// Why the policy store could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// SQLite failed (a [`PolicyCache`](super::PolicyCache) of its own).
    #[error("policy cache: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The store that holds the cache (the queue's database) failed.
    #[error("policy cache: {source}")]
    Store {
        /// Whether trying again may succeed (server unreachable, locked).
        temporary: bool,
        /// The store's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The file was written by a newer Sealane.
    #[error("policy cache schema version {found} is newer than this Sealane understands")]
    NewerSchema {
        /// The version found.
        found: i64,
    },
    /// A stored row cannot be read back.
    #[error("policy cache row for {domain} is damaged: {reason}")]
    Damaged {
        /// The domain.
        domain: String,
        /// What is wrong.
        reason: String,
    },
}

impl CacheError {
    /// Whether trying again may succeed (a busy or locked database, an
    /// unreachable server).
    #[must_use]
    pub fn is_temporary(&self) -> bool {
        match self {
            Self::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => matches!(
                e.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ),
            Self::Store { temporary, .. } => *temporary,
            _ => false,
        }
    }
}

/// A policy as cached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachedPolicy {
    /// The record id it was fetched for.
    pub id: String,
    /// The policy.
    pub policy: Policy,
    /// When it was fetched; `max_age` counts from here (RFC 8461 §3.2).
    pub fetched_at: SystemTime,
    /// When the TXT record was last seen with the same id.
    pub last_checked: SystemTime,
}

impl CachedPolicy {
    /// When the policy expires: `fetched_at + max_age`.
    pub fn expires_at(&self) -> SystemTime {
        self.fetched_at + Duration::from_secs(self.policy.max_age.into())
    }

    /// Whether it has expired at `now`.
    #[must_use]
    pub fn is_expired(&self, now: SystemTime) -> bool {
        now >= self.expires_at()
    }
}

/// The last failed fetch for a domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailedFetch {
    /// When.
    pub at: SystemTime,
    /// The record id the fetch was for.
    pub id: String,
    /// What went wrong, as text.
    pub reason: String,
}

/// What the cache holds for one domain.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CacheEntry {
    /// The policy last fetched, expired or not.
    pub policy: Option<CachedPolicy>,
    /// The last failed fetch, if it came after the last success.
    pub failure: Option<FailedFetch>,
}

/// Durable storage of MTA-STS policies, one entry per domain. Domains are
/// given as [`domain_key`] makes them. A failed fetch never removes a
/// policy: only [`PolicyStore::store_sts_policy`] (a successful fetch) and
/// [`PolicyStore::remove_sts_policy`] replace or drop one.
#[async_trait]
pub trait PolicyStore: Send + Sync {
    /// What is cached for `domain` (empty when nothing is).
    async fn sts_entry(&self, domain: &str) -> Result<CacheEntry, CacheError>;

    /// Stores a freshly fetched policy for record `id`, replacing whatever
    /// was cached and clearing the failure mark.
    async fn store_sts_policy(
        &self,
        domain: &str,
        id: &str,
        policy: &Policy,
        now: SystemTime,
    ) -> Result<(), CacheError>;

    /// Notes that the TXT record still carries the cached id.
    async fn touch_sts_policy(&self, domain: &str, now: SystemTime) -> Result<(), CacheError>;

    /// Records a failed fetch for record `id`, keeping any cached policy.
    async fn record_sts_failure(
        &self,
        domain: &str,
        id: &str,
        now: SystemTime,
        reason: &str,
    ) -> Result<(), CacheError>;

    /// Forgets everything about `domain`.
    async fn remove_sts_policy(&self, domain: &str) -> Result<(), CacheError>;

    /// Domains whose `enforce` or `testing` policy is unexpired at `now`
    /// but expires before `deadline`, soonest first.
    async fn expiring_sts_policies(
        &self,
        now: SystemTime,
        deadline: SystemTime,
    ) -> Result<Vec<String>, CacheError>;
}

/// The key a domain is stored under: lower case, without the trailing dot.
pub fn domain_key(domain: &str) -> String {
    domain
        .strip_suffix('.')
        .unwrap_or(domain)
        .to_ascii_lowercase()
}

/// A policy rebuilt from the columns a store keeps: `mode` as the policy
/// file spells it, `mx` patterns one per line, `max_age` in seconds.
pub fn policy_from_columns(
    domain: &str,
    mode: &str,
    mx: &str,
    max_age: i64,
) -> Result<Policy, CacheError> {
    let damaged = |reason: String| CacheError::Damaged {
        domain: domain.to_owned(),
        reason,
    };
    let mode = Mode::parse(mode).ok_or_else(|| damaged(format!("mode {}", smtp::quoted(mode))))?;
    let max_age = u32::try_from(max_age).map_err(|_| damaged(format!("max_age {max_age}")))?;
    let mx = mx
        .lines()
        .map(|p| MxPattern::parse(p).map_err(|e| damaged(format!("mx {}: {e}", smtp::quoted(p)))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Policy { mode, max_age, mx })
}

/// The `mx` patterns of `policy`, one per line, as
/// [`policy_from_columns`] reads them.
pub fn mx_column(policy: &Policy) -> String {
    policy
        .mx
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}
