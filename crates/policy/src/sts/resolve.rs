//! Which MTA-STS policy applies to a domain now (RFC 8461 §5.1): discovery,
//! the cache and fetching combined.
//!
//! On each delivery the TXT record is looked up. A cached, unexpired policy
//! whose id equals the record's is used as is. Otherwise the policy is
//! fetched; a failed fetch leaves an unexpired cached policy in force (it is
//! never dropped because a refresh failed), and the domain is not fetched
//! again before [`StsConfig::failure_backoff`] has passed, whatever the
//! record id then says (a record whose id changes on every query must not
//! cause a fetch per message). A record that
//! is absent, invalid or cannot be looked up changes nothing in the cache:
//! an unexpired cached policy stays in force (RFC 8461 §5.1). A fetched
//! `mode: none` policy replaces the cached one and means "no policy"; it is
//! kept (with its id and `max_age`) so it is not fetched for every message.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use dns::clock::Clock;
use dns::{Name, Resolver};
use serde::Serialize;

use super::cache::PolicyCache;
use super::discover::{Discovery, discover};
use super::error::FetchError;
use super::fetch::{FetchOptions, Fetched, fetch};
use super::policy::{Mode, Policy};
use super::stats::{Counters, StsStats};
use super::store::{CacheError, CachedPolicy, PolicyStore, domain_key};

/// Where discovery and fetching happen. [`NetworkSource`] is the real one;
/// tests give their own.
pub trait StsSource: Send + Sync {
    /// Looks up the `_mta-sts` TXT record of `domain`.
    fn discover(&self, domain: &Name) -> impl Future<Output = Discovery> + Send;
    /// Fetches the policy of `domain`.
    fn fetch(&self, domain: &Name) -> impl Future<Output = Result<Fetched, FetchError>> + Send;
}

/// Discovery through Sealane's resolver and fetching over HTTPS.
#[derive(Clone)]
pub struct NetworkSource {
    /// The resolver for the TXT record and the policy host's addresses.
    pub resolver: Resolver,
    /// How policies are fetched.
    pub options: FetchOptions,
}

impl std::fmt::Debug for NetworkSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetworkSource")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl StsSource for NetworkSource {
    fn discover(&self, domain: &Name) -> impl Future<Output = Discovery> + Send {
        discover(&self.resolver, domain)
    }

    fn fetch(&self, domain: &Name) -> impl Future<Output = Result<Fetched, FetchError>> + Send {
        fetch(&self.resolver, domain, &self.options)
    }
}

/// Timing of refetches and refreshes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StsConfig {
    /// After a failed fetch, how long before the domain is fetched again
    /// (default five minutes).
    pub failure_backoff: Duration,
    /// How long before expiry a policy in use is due for a proactive
    /// refresh (default one day; RFC 8461 §5.1).
    pub refresh_window: Duration,
}

impl Default for StsConfig {
    fn default() -> Self {
        Self {
            failure_backoff: Duration::from_secs(5 * 60),
            refresh_window: Duration::from_secs(24 * 60 * 60),
        }
    }
}

/// Where the policy in force came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// Fetched just now.
    Fetch,
    /// From the cache.
    Cache,
}

impl Origin {
    /// `fetched` or `cached`, for reports.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Fetch => "fetched",
            Self::Cache => "cached",
        }
    }
}

/// The policy in force for a domain.
#[must_use]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AppliedPolicy {
    /// The record id the policy was fetched for.
    pub id: String,
    /// The policy; its mode may be `none`.
    pub policy: Policy,
    /// Where it came from.
    pub origin: Origin,
    /// When it was fetched.
    pub fetched_at: SystemTime,
    /// When it expires.
    pub expires_at: SystemTime,
}

impl AppliedPolicy {
    fn cached(cached: CachedPolicy) -> Self {
        Self {
            expires_at: cached.expires_at(),
            id: cached.id,
            policy: cached.policy,
            origin: Origin::Cache,
            fetched_at: cached.fetched_at,
        }
    }
}

/// What happened about fetching.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum FetchAttempt {
    /// No fetch was needed (cache current) or possible (no record).
    NotNeeded,
    /// Fetched successfully.
    Fetched {
        /// The address the policy came from.
        address: std::net::SocketAddr,
    },
    /// The fetch failed (TLS-RPT: see [`FetchError::result_type`]).
    Failed {
        /// Why.
        #[serde(serialize_with = "display")]
        error: FetchError,
    },
    /// A fetch for this domain failed recently; not tried again yet.
    Backoff {
        /// When it failed.
        failed_at: SystemTime,
        /// Why, as recorded.
        reason: String,
    },
}

fn display<S: serde::Serializer>(error: &FetchError, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(error)
}

/// The MTA-STS answer for a domain.
#[must_use]
#[derive(Clone, Debug, Serialize)]
pub struct StsAnswer {
    /// What the TXT lookup found.
    pub discovery: Discovery,
    /// The policy in force, if any (possibly `mode: none`).
    pub applied: Option<AppliedPolicy>,
    /// What happened about fetching.
    pub fetch: FetchAttempt,
}

impl StsAnswer {
    /// The policy to apply to delivery: `enforce` or `testing`, never `none`.
    #[must_use]
    pub fn active(&self) -> Option<&AppliedPolicy> {
        self.applied
            .as_ref()
            .filter(|a| a.policy.mode != Mode::None)
    }
}

/// MTA-STS policies per domain, cached and refreshed (RFC 8461 §5.1).
pub struct StsPolicies<S = NetworkSource> {
    source: S,
    cache: Arc<dyn PolicyStore>,
    clock: Arc<dyn Clock>,
    config: StsConfig,
    counters: Counters,
}

impl<S: StsSource> StsPolicies<S> {
    /// Policies from `source`, kept in `cache` (the queue's store, or a
    /// [`PolicyCache`]), timed by `clock`.
    pub fn new(
        source: S,
        cache: impl Into<Arc<dyn PolicyStore>>,
        clock: Arc<dyn Clock>,
        config: StsConfig,
    ) -> Self {
        Self {
            source,
            cache: cache.into(),
            clock,
            config,
            counters: Counters::default(),
        }
    }

    /// What these policies counted since they were made: fetches by
    /// result and answers served from the cache. Read without a lock.
    pub fn stats(&self) -> StsStats {
        self.counters.snapshot()
    }

    /// The policy for a delivery to `domain` now. Fails only when the cache
    /// cannot be read or written; the caller then defers (a cached policy
    /// must not be skipped because the store failed).
    pub async fn policy_for(&self, domain: &Name) -> Result<StsAnswer, CacheError> {
        self.resolve(domain, false).await
    }

    /// Refetches the policy of `domain` if its record is still published,
    /// even when the id is unchanged, so that a policy in use does not expire
    /// (RFC 8461 §5.1). For the background refresher; see
    /// [`StsPolicies::refresh_due`].
    pub async fn refresh(&self, domain: &Name) -> Result<StsAnswer, CacheError> {
        self.resolve(domain, true).await
    }

    /// Domains whose `enforce` or `testing` policy expires within
    /// [`StsConfig::refresh_window`], soonest first.
    pub async fn refresh_due(&self) -> Result<Vec<String>, CacheError> {
        let now = self.clock.now();
        self.cache
            .expiring_sts_policies(now, now + self.config.refresh_window)
            .await
    }

    async fn resolve(&self, domain: &Name, refresh: bool) -> Result<StsAnswer, CacheError> {
        let answer = self.answer(domain, refresh).await?;
        // Fetches are counted where they happen (also when the cache then
        // fails); here, the answers a cached policy gave without one.
        if matches!(
            answer.fetch,
            FetchAttempt::NotNeeded | FetchAttempt::Backoff { .. }
        ) && answer.applied.is_some()
        {
            self.counters.cache_hit();
        }
        Ok(answer)
    }

    async fn answer(&self, domain: &Name, refresh: bool) -> Result<StsAnswer, CacheError> {
        let key = domain_key(&domain.to_ascii());
        let now = self.clock.now();
        let discovery = self.source.discover(domain).await;
        let entry = self.cache.sts_entry(&key).await?;
        let unexpired = entry.policy.filter(|cached| !cached.is_expired(now));
        let kept = || unexpired.clone().map(AppliedPolicy::cached);
        let Some(id) = discovery.id().map(str::to_owned) else {
            return Ok(StsAnswer {
                discovery,
                applied: kept(),
                fetch: FetchAttempt::NotNeeded,
            });
        };
        if !refresh && unexpired.as_ref().is_some_and(|cached| cached.id == id) {
            self.cache.touch_sts_policy(&key, now).await?;
            return Ok(StsAnswer {
                discovery,
                applied: kept(),
                fetch: FetchAttempt::NotNeeded,
            });
        }
        if let Some(failure) = entry.failure.filter(|f| {
            now.duration_since(f.at)
                .is_ok_and(|since| since < self.config.failure_backoff)
        }) {
            return Ok(StsAnswer {
                discovery,
                applied: kept(),
                fetch: FetchAttempt::Backoff {
                    failed_at: failure.at,
                    reason: failure.reason,
                },
            });
        }
        let fetched = self.source.fetch(domain).await;
        if fetched.is_ok() {
            self.counters.fetched();
        } else {
            self.counters.failed();
        }
        match fetched {
            Ok(fetched) => {
                self.cache
                    .store_sts_policy(&key, &id, &fetched.policy, now)
                    .await?;
                let expires_at = now + Duration::from_secs(fetched.policy.max_age.into());
                Ok(StsAnswer {
                    discovery,
                    applied: Some(AppliedPolicy {
                        id,
                        policy: fetched.policy,
                        origin: Origin::Fetch,
                        fetched_at: now,
                        expires_at,
                    }),
                    fetch: FetchAttempt::Fetched {
                        address: fetched.address,
                    },
                })
            }
            Err(error) => {
                self.cache
                    .record_sts_failure(&key, &id, now, &error.to_string())
                    .await?;
                Ok(StsAnswer {
                    discovery,
                    applied: kept(),
                    fetch: FetchAttempt::Failed { error },
                })
            }
        }
    }
}

impl From<PolicyCache> for Arc<dyn PolicyStore> {
    fn from(cache: PolicyCache) -> Self {
        Arc::new(cache)
    }
}
