//! Many domains at once: bounded concurrency on tokio tasks that share one
//! [`Checker`] (one resolver cache, one set of MTA-STS policies).
//!
//! A domain's check spends most of its time waiting on its peers (name
//! server, policy host, MX host), so many are checked at once; politeness
//! towards each peer is not this number's job but the per-address limit
//! ([`policy::PeerLimits`]) that [`Checker::new`] gives the policy fetches
//! and the MX probes.

use std::sync::Arc;

use dns::Name;
use policy::sts::StsSource;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::posture::{Checker, DomainReport};

/// The default number of domains checked at once: enough that two cores
/// stay busy while most checks wait on the network.
pub const DEFAULT_CONCURRENCY: usize = 128;

/// Checks every domain of `domains`, at most `concurrency` at a time, and
/// calls `done` with each report as it completes (in completion order)
/// along with the domain's index in `domains`.
pub async fn check_all<S>(
    checker: Arc<Checker<S>>,
    domains: Vec<Name>,
    concurrency: usize,
    mut done: impl FnMut(usize, DomainReport),
) where
    S: StsSource + 'static,
{
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for (index, domain) in domains.into_iter().enumerate() {
        let permit = Arc::clone(&permits)
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let checker = Arc::clone(&checker);
        tasks.spawn(async move {
            let report = checker.check(&domain).await;
            drop(permit);
            (index, report)
        });
        while let Some(finished) = tasks.try_join_next() {
            let (index, report) = finished.expect("a check task panicked");
            done(index, report);
        }
    }
    while let Some(finished) = tasks.join_next().await {
        let (index, report) = finished.expect("a check task panicked");
        done(index, report);
    }
}
