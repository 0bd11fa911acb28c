//! When to try again (DESIGN §2): 15 minutes after the first failure,
//! then hourly, until 24 hours after arrival; with jitter so that a
//! destination's deferred messages do not all come due at once.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::id::QueueId;

/// The retry schedule. A pure function of its inputs: the caller passes
/// the times and a seed ([`RetrySchedule::seed`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RetrySchedule {
    /// The wait after the first failure.
    pub first: Duration,
    /// The wait after each later failure.
    pub then: Duration,
    /// How long after arrival a message expires.
    pub expiry: Duration,
    /// The most that is added to a wait, as a fraction of it (`0.1` adds
    /// up to 10 %); never subtracted, so a wait is never shorter than set.
    pub jitter: f64,
}

impl Default for RetrySchedule {
    fn default() -> Self {
        RetrySchedule {
            first: Duration::from_secs(15 * 60),
            then: Duration::from_secs(60 * 60),
            expiry: Duration::from_secs(24 * 60 * 60),
            jitter: 0.1,
        }
    }
}

/// What to do with a recipient after a temporary failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Try again at this time.
    At(SystemTime),
    /// Give up: the message is past its expiry (NDR with 5.4.7 and the
    /// last cause).
    Expire,
}

impl RetrySchedule {
    /// What follows failure number `failures` (1 for the first) of a
    /// message received at `received_at`, failing at `now`.
    ///
    /// A retry that would fall after the expiry is moved to the expiry
    /// itself, so the last attempt happens then and the NDR names a
    /// fresh cause; a failure at or after the expiry expires.
    pub fn next(
        &self,
        received_at: SystemTime,
        failures: u32,
        now: SystemTime,
        seed: u64,
    ) -> Retry {
        let expires_at = received_at + self.expiry;
        if now >= expires_at {
            return Retry::Expire;
        }
        let wait = if failures <= 1 { self.first } else { self.then };
        let at = now + wait + self.jitter_for(wait, failures, seed);
        Retry::At(at.min(expires_at))
    }

    /// When a message received at `received_at` expires.
    pub fn expires_at(&self, received_at: SystemTime) -> SystemTime {
        received_at + self.expiry
    }

    fn jitter_for(&self, wait: Duration, failures: u32, seed: u64) -> Duration {
        if self.jitter.is_nan() || self.jitter <= 0.0 {
            return Duration::ZERO;
        }
        let spread = wait.mul_f64(self.jitter.min(1.0));
        let mixed = fnv1a(&[&seed.to_le_bytes(), &failures.to_le_bytes()]);
        // A fraction in [0, 1) from the top 53 bits.
        let fraction = (mixed >> 11) as f64 / (1u64 << 53) as f64;
        spread.mul_f64(fraction)
    }

    /// A seed that stays the same for one recipient of one message, so
    /// its jitter is reproducible and differs from its neighbours'.
    pub fn seed(id: QueueId, address: &str) -> u64 {
        fnv1a(&[id.to_string().as_bytes(), address.as_bytes()])
    }
}

/// FNV-1a over the parts: stable across runs and versions.
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &byte in *part {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    const MIN: Duration = Duration::from_secs(60);

    fn t0() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_800_000_000)
    }

    fn exact() -> RetrySchedule {
        RetrySchedule {
            jitter: 0.0,
            ..RetrySchedule::default()
        }
    }

    #[test]
    fn fifteen_minutes_then_hourly() {
        let s = exact();
        assert_eq!(s.next(t0(), 1, t0(), 7), Retry::At(t0() + 15 * MIN));
        let now = t0() + 15 * MIN;
        assert_eq!(s.next(t0(), 2, now, 7), Retry::At(now + 60 * MIN));
        let now = t0() + 75 * MIN;
        assert_eq!(s.next(t0(), 3, now, 7), Retry::At(now + 60 * MIN));
    }

    #[test]
    fn last_retry_lands_on_expiry_then_expires() {
        let s = exact();
        let now = t0() + 23 * 60 * MIN + 30 * MIN;
        let expiry = t0() + 24 * 60 * MIN;
        assert_eq!(s.next(t0(), 25, now, 7), Retry::At(expiry));
        assert_eq!(s.next(t0(), 26, expiry, 7), Retry::Expire);
        assert_eq!(s.next(t0(), 26, expiry + MIN, 7), Retry::Expire);
    }

    #[test]
    fn jitter_only_adds_and_stays_within_its_fraction() {
        let s = RetrySchedule::default();
        let mut distinct = std::collections::HashSet::new();
        for seed in 0..200u64 {
            let Retry::At(at) = s.next(t0(), 1, t0(), seed) else {
                panic!("first failure expired");
            };
            let wait = at.duration_since(t0()).unwrap();
            assert!(wait >= 15 * MIN && wait < 15 * MIN + 90 * Duration::from_secs(1));
            distinct.insert(wait);
        }
        assert!(distinct.len() > 100, "jitter spreads retries");
    }

    #[test]
    fn jitter_is_reproducible_per_recipient() {
        let s = RetrySchedule::default();
        let id = QueueId::generate(t0());
        let a = RetrySchedule::seed(id, "a@example.net");
        assert_eq!(a, RetrySchedule::seed(id, "a@example.net"));
        assert_ne!(a, RetrySchedule::seed(id, "b@example.net"));
        assert_eq!(s.next(t0(), 2, t0(), a), s.next(t0(), 2, t0(), a));
    }

    #[test]
    fn configurable() {
        let s = RetrySchedule {
            first: 5 * MIN,
            then: 30 * MIN,
            expiry: 60 * MIN,
            jitter: 0.0,
        };
        assert_eq!(s.next(t0(), 1, t0(), 0), Retry::At(t0() + 5 * MIN));
        assert_eq!(
            s.next(t0(), 2, t0() + 5 * MIN, 0),
            Retry::At(t0() + 35 * MIN)
        );
        assert_eq!(
            s.next(t0(), 3, t0() + 35 * MIN, 0),
            Retry::At(t0() + 60 * MIN)
        );
        assert_eq!(s.next(t0(), 4, t0() + 60 * MIN, 0), Retry::Expire);
    }
}
