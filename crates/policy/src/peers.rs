//! Politeness towards one peer: at most so many connections at once to the
//! same address, however many domains share it. Five hundred domains whose
//! MX (or `mta-sts` host) is one provider's address become a queue of
//! connections to it, not five hundred at once. The MTA-STS fetch and the
//! delivery probe take a permit for the address they connect to.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The default number of connections at once to one peer address: a
/// little under Postfix's default `smtpd_client_connection_count_limit`
/// (50), far under its default `default_process_limit` (100).
pub const DEFAULT_PER_PEER: usize = 16;

/// Connections at once per peer address, shared by clones.
#[derive(Clone, Debug)]
pub struct PeerLimits {
    per_peer: usize,
    peers: Arc<Mutex<Peers>>,
}

#[derive(Debug, Default)]
struct Peers {
    by_address: HashMap<IpAddr, Weak<Semaphore>>,
    /// The map's size after the last sweep of addresses no one holds.
    swept: usize,
}

/// A connection's place with its peer; dropping it frees the place.
#[must_use = "the place is given up when the permit is dropped"]
#[derive(Debug)]
pub struct PeerPermit {
    _permit: OwnedSemaphorePermit,
}

impl PeerLimits {
    /// At most `per_peer` connections at once to one address (at least one).
    pub fn new(per_peer: usize) -> Self {
        Self {
            per_peer: per_peer.max(1),
            peers: Arc::default(),
        }
    }

    /// The limit per address.
    pub fn per_peer(&self) -> usize {
        self.per_peer
    }

    /// Waits for a place with `address`.
    pub async fn acquire(&self, address: IpAddr) -> PeerPermit {
        let semaphore = self.semaphore(address);
        let permit = semaphore
            .acquire_owned()
            .await
            .expect("the semaphore of a peer is never closed");
        PeerPermit { _permit: permit }
    }

    /// The semaphore of `address`, shared while anyone holds or waits for
    /// one of its places; addresses no one holds are forgotten now and then.
    fn semaphore(&self, address: IpAddr) -> Arc<Semaphore> {
        let mut peers = self.peers.lock().expect("the peer map is never poisoned");
        if let Some(live) = peers.by_address.get(&address).and_then(Weak::upgrade) {
            return live;
        }
        let semaphore = Arc::new(Semaphore::new(self.per_peer));
        peers.by_address.insert(address, Arc::downgrade(&semaphore));
        if peers.by_address.len() > 2 * peers.swept.max(512) {
            peers.by_address.retain(|_, s| s.strong_count() > 0);
            peers.swept = peers.by_address.len();
        }
        semaphore
    }
}

impl Default for PeerLimits {
    /// [`DEFAULT_PER_PEER`] connections per address.
    fn default() -> Self {
        Self::new(DEFAULT_PER_PEER)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn one_address_waits_others_do_not() {
        let limits = PeerLimits::new(2);
        let a: IpAddr = [192, 0, 2, 1].into();
        let b: IpAddr = [192, 0, 2, 2].into();
        let first = limits.acquire(a).await;
        let _second = limits.acquire(a).await;
        let third = tokio::time::timeout(Duration::from_millis(20), limits.acquire(a)).await;
        assert!(third.is_err(), "a third connection to one address waits");
        let _other = tokio::time::timeout(Duration::from_millis(20), limits.acquire(b))
            .await
            .expect("another address has its own places");
        drop(first);
        let _third = tokio::time::timeout(Duration::from_millis(20), limits.acquire(a))
            .await
            .expect("a place given up is taken");
    }

    #[tokio::test]
    async fn addresses_no_one_holds_are_forgotten() {
        let limits = PeerLimits::new(1);
        for i in 0..2000u32 {
            drop(limits.acquire(IpAddr::from(i.to_be_bytes())).await);
        }
        let peers = limits.peers.lock().unwrap();
        assert!(peers.by_address.len() <= 1025, "{}", peers.by_address.len());
    }
}
