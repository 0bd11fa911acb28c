//! What every task of the daemon shares: the configuration, the store, the
//! resolver and MTA-STS cache (one of each, so every worker sees the same
//! DNS and policy answers), the delivery options and the clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use delivery::DeliveryOptions;
use dns::Resolver;
use dns::clock::Clock;
use policy::sts::{NetworkSource, StsPolicies};
use queue::{RetrySchedule, Store};
use tokio::sync::Notify;

use crate::config::Config;

/// The daemon's shared state.
pub struct Shared {
    /// The validated configuration.
    pub config: Config,
    /// The durable queue.
    pub store: Arc<dyn Store>,
    /// The DNSSEC-validating resolver and its cache.
    pub resolver: Resolver,
    /// The MTA-STS policies and their cache.
    pub sts: StsPolicies<NetworkSource>,
    /// How delivery connects out.
    pub delivery: DeliveryOptions,
    /// The time every timer reads.
    pub clock: Arc<dyn Clock>,
    /// When to try again.
    pub schedule: RetrySchedule,
    /// Woken when a message is queued or an administrator asks for a run.
    pub wake: Notify,
    /// Who this node is, in leases (`host:pid`).
    pub owner: String,
    /// Set when the daemon stops: workers take no more work.
    pub stopping: AtomicBool,
    /// What this node counted since it started (`/metrics`).
    pub counters: crate::counters::Counters,
    /// DMARC report counts not yet written to the store.
    pub dmarc_counts: crate::dmarc_counts::DmarcCounts,
}

impl Shared {
    /// The current time by the daemon's clock.
    pub fn now(&self) -> std::time::SystemTime {
        self.clock.now()
    }

    /// Whether the daemon is stopping.
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Relaxed)
    }
}
