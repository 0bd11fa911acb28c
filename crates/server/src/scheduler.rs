//! The scheduler: claims due recipients from the store, grouped by
//! destination domain, and hands each batch to a delivery worker, within
//! the global and per-destination concurrency limits (DESIGN §7); the
//! per-destination limit is also checked by the store at claim time, over
//! every node's leases. Timers read the shared clock; tests and the demo
//! move it and call [`Scheduler::drain`] instead of waiting.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use queue::{ClaimRequest, StoreError};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tracing::{debug, warn};

use crate::shared::Shared;
use crate::worker::{self, Hunger, Hungry};

/// Messages of one domain handed to one worker at most.
pub(crate) const BATCH_MESSAGES: usize = 50;

/// How often, at most, the loop looks at the store when nothing wakes it.
const IDLE_POLL: Duration = Duration::from_secs(5);

/// How often MTA-STS policies close to expiry are refreshed (RFC 8461 §5.1).
const STS_REFRESH_EVERY: Duration = Duration::from_secs(15 * 60);

/// How often the daily TLS reports due are looked for (RFC 8460 §4.1).
const TLS_REPORTS_EVERY: Duration = Duration::from_secs(10 * 60);

/// Hands due work to workers.
pub struct Scheduler {
    shared: Arc<Shared>,
    global: Arc<Semaphore>,
    /// Workers running per destination, and how many of them are hungry.
    per_domain: Arc<Mutex<HashMap<String, (u32, Hungry)>>>,
}

impl Scheduler {
    /// A scheduler over `shared`'s store and limits.
    pub fn new(shared: Arc<Shared>) -> Scheduler {
        let permits = shared.config.limits.concurrency as usize;
        Scheduler {
            shared,
            global: Arc::new(Semaphore::new(permits)),
            per_domain: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// One pass: claims what is due now and starts a worker per batch.
    /// Returns the number of batches started.
    pub async fn pass(&self, workers: &mut JoinSet<()>) -> Result<usize, StoreError> {
        let free = self.global.available_permits();
        if free == 0 {
            return Ok(0);
        }
        let limit = self.shared.config.limits.per_destination;
        let skip_domains: Vec<String> = self
            .per_domain
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            // A hungry worker takes the destination's new mail itself.
            .filter(|(_, (n, hungry))| *n >= limit || hungry.any())
            .map(|(d, _)| d.clone())
            .collect();
        let request = ClaimRequest {
            owner: self.shared.owner.clone(),
            lease: self.shared.config.queue.lease,
            max_domains: free,
            max_messages: BATCH_MESSAGES,
            skip_domains,
            // Counted in the store too, so the limit holds across nodes.
            domain_limit: Some(limit as usize),
            continuing: None,
        };
        let batches = self.shared.store.claim(&request).await?;
        let started = batches.len();
        for batch in batches {
            let Ok(permit) = self.global.clone().try_acquire_owned() else {
                // Fewer permits than claimed batches cannot happen: only
                // this scheduler takes permits, and it checked first. The
                // batch's lease lapses and it is claimed again.
                warn!(domain = %batch.domain, "no worker free for a claimed batch");
                continue;
            };
            let domain = batch.domain.clone();
            let hunger = {
                let mut counts = self.per_domain.lock().unwrap_or_else(|e| e.into_inner());
                let (running, hungry) = counts.entry(domain.clone()).or_default();
                *running += 1;
                Hunger::new(hungry.clone())
            };
            let per_domain = self.per_domain.clone();
            let shared = self.shared.clone();
            debug!(domain = %domain, messages = batch.messages.len(), "batch started");
            workers.spawn(async move {
                worker::run(shared, batch, hunger).await;
                let mut counts = per_domain.lock().unwrap_or_else(|e| e.into_inner());
                if let Some((n, _)) = counts.get_mut(&domain) {
                    *n -= 1;
                    if *n == 0 {
                        counts.remove(&domain);
                    }
                }
                drop(permit);
            });
        }
        Ok(started)
    }

    /// Runs passes until nothing is due now and no worker runs: everything
    /// that can be tried at the clock's current time has been tried once.
    pub async fn drain(&self) -> Result<(), StoreError> {
        let mut workers = JoinSet::new();
        loop {
            self.shared.store.release_lapsed().await?;
            // A finished worker's task is kept until it is joined.
            while workers.try_join_next().is_some() {}
            let started = self.pass(&mut workers).await?;
            if started == 0 && workers.join_next().await.is_none() {
                return Ok(());
            }
        }
    }

    /// The daemon's loop, until `shutdown` turns true; then waits for the
    /// running workers (each records its outcome or leaves its lease to
    /// lapse).
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut workers = JoinSet::new();
        let mut last_sts_refresh = None;
        let mut last_tls_reports = None;
        let mut last_dmarc_flush = None;
        let mut last_housekeeping = None;
        loop {
            if *shutdown.borrow() {
                break;
            }
            if let Err(e) = self.shared.store.release_lapsed().await {
                warn!(error = %e, "cannot release lapsed leases");
            }
            if let Err(e) = self.pass(&mut workers).await {
                warn!(error = %e, "cannot claim due recipients");
            }
            let now = self.shared.now();
            if last_sts_refresh
                .is_none_or(|t| now.duration_since(t).unwrap_or_default() >= STS_REFRESH_EVERY)
            {
                last_sts_refresh = Some(now);
                self.refresh_sts_policies().await;
            }
            if last_tls_reports
                .is_none_or(|t| now.duration_since(t).unwrap_or_default() >= TLS_REPORTS_EVERY)
            {
                last_tls_reports = Some(now);
                if let Err(e) = crate::tls_reports::send_due(&self.shared).await {
                    warn!(error = %e, "cannot send the TLS reports");
                }
                if let Err(e) = crate::dmarc_reports::send_due(&self.shared).await {
                    warn!(error = %e, "cannot send the DMARC reports");
                }
            }
            if last_housekeeping.is_none_or(|t| {
                now.duration_since(t).unwrap_or_default() >= crate::housekeeping::EVERY
            }) {
                last_housekeeping = Some(now);
                if let Err(e) = crate::housekeeping::run(&self.shared).await {
                    warn!(error = %e, "cannot delete finished messages past their retention");
                }
            }
            if last_dmarc_flush.is_none_or(|t| {
                now.duration_since(t).unwrap_or_default() >= crate::dmarc_counts::FLUSH_EVERY
            }) {
                last_dmarc_flush = Some(now);
                if let Err(e) = self.shared.dmarc_counts.flush(&*self.shared.store).await {
                    warn!(error = %e, "cannot write the DMARC report counts; kept for the next try");
                }
            }
            while workers.try_join_next().is_some() {}
            let wait = match self.shared.store.next_due().await {
                Ok(Some(due)) => due.duration_since(now).unwrap_or_default().min(IDLE_POLL),
                _ => IDLE_POLL,
            };
            tokio::select! {
                _ = self.shared.wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
                Some(_) = workers.join_next(), if !workers.is_empty() => {}
                _ = shutdown.changed() => {}
            }
        }
        while workers.join_next().await.is_some() {}
    }

    async fn refresh_sts_policies(&self) {
        let due = match self.shared.sts.refresh_due().await {
            Ok(due) => due,
            Err(e) => {
                warn!(error = %e, "cannot read the MTA-STS policy cache");
                return;
            }
        };
        for domain in due {
            let Ok(name) = dns::Resolver::parse_name(&domain) else {
                continue;
            };
            if let Err(e) = self.shared.sts.refresh(&name).await {
                warn!(domain = %domain, error = %e, "MTA-STS policy refresh failed");
            }
        }
    }
}
