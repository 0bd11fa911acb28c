//! Login rate limiting: an address that failed `limit` logins within the
//! window is refused (429, with `Retry-After`) until the window has passed
//! since its first counted failure. Counted per client address, so one
//! guesser does not lock the administrator out from elsewhere.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed logins per client address.
pub(crate) struct LoginLimiter {
    failures: Mutex<HashMap<IpAddr, (Instant, u32)>>,
    limit: u32,
    window: Duration,
}

impl LoginLimiter {
    pub(crate) fn new(limit: u32, window: Duration) -> Self {
        Self {
            failures: Mutex::new(HashMap::new()),
            limit,
            window,
        }
    }

    /// How long `client` must wait before it may try again, if it must.
    pub(crate) fn refused(&self, client: IpAddr) -> Option<Duration> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let (first, count) = *map.get(&client)?;
        let elapsed = now.duration_since(first);
        if elapsed >= self.window {
            map.remove(&client);
            return None;
        }
        (count >= self.limit).then(|| self.window - elapsed)
    }

    /// Counts a failed login from `client`.
    pub(crate) fn failed(&self, client: IpAddr) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, (first, _)| now.duration_since(*first) < self.window);
        let entry = map.entry(client).or_insert((now, 0));
        entry.1 = entry.1.saturating_add(1);
    }

    /// Forgets `client`'s failures after a successful login.
    pub(crate) fn succeeded(&self, client: IpAddr) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&client);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_after_the_limit_and_per_address() {
        let limiter = LoginLimiter::new(3, Duration::from_secs(60));
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..2 {
            limiter.failed(a);
            assert!(limiter.refused(a).is_none());
        }
        limiter.failed(a);
        assert!(limiter.refused(a).is_some());
        assert!(limiter.refused(b).is_none());
    }

    #[test]
    fn the_window_passes() {
        let limiter = LoginLimiter::new(1, Duration::ZERO);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        limiter.failed(a);
        assert!(limiter.refused(a).is_none());
    }
}
