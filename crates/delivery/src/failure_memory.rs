//! Addresses that failed to connect or timed out a moment ago (DESIGN §7:
//! "a destination's recent connection failures are remembered briefly so a
//! dead host costs a few attempts, not one per message").
//!
//! Each [`crate::HostAttempt`] says whether it failed at the connection
//! level ([`ConnectionFailure`]); a [`HostFailureMemory`] shared by the
//! delivery workers keeps the addresses that could not be connected to or
//! timed out, for a configured time read from a [`Clock`], and
//! [`crate::deliver`] skips them until then.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use dns::clock::Clock;
use serde::Serialize;
use smtp::Stage;

use crate::report::{DeliveryReport, HostAttempt};

/// How a connection failed below SMTP replies: the address could not be
/// reached, did not answer in time, broke off, or failed TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ConnectionFailure {
    /// The TCP connection could not be opened (refused, unreachable).
    Connect,
    /// The server did not answer in time: a step's limit, the deadline of
    /// the connection or attempt, or the minimum data rate.
    Timeout {
        /// Where in the session.
        stage: Stage,
    },
    /// The connection was closed or broke during the session.
    Lost {
        /// Where in the session.
        stage: Stage,
    },
    /// The TLS handshake failed.
    Tls,
}

impl std::fmt::Display for ConnectionFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Connect => f.write_str("could not connect"),
            Self::Timeout { stage } => write!(f, "no answer in time at {stage}"),
            Self::Lost { stage } => write!(f, "connection lost at {stage}"),
            Self::Tls => f.write_str("TLS handshake failed"),
        }
    }
}

impl ConnectionFailure {
    /// The connection-level failure behind an SMTP error, if it is one.
    pub fn of(error: &smtp::Error) -> Option<Self> {
        match error {
            smtp::Error::Connect { .. } => Some(Self::Connect),
            smtp::Error::Timeout { stage, .. } | smtp::Error::Deadline { stage } => {
                Some(Self::Timeout { stage: *stage })
            }
            smtp::Error::TooSlow { .. } => Some(Self::Timeout {
                stage: Stage::DataBlock,
            }),
            smtp::Error::Io { stage, .. } | smtp::Error::Closed { stage } => {
                Some(Self::Lost { stage: *stage })
            }
            smtp::Error::TlsHandshake { .. } | smtp::Error::DataBeforeHandshake => Some(Self::Tls),
            _ => None,
        }
    }

    /// Whether the address is worth skipping for a while: it could not be
    /// reached or did not answer in time. A broken-off session or a failed
    /// handshake is left to the next attempt.
    pub fn marks_dead(self) -> bool {
        matches!(self, Self::Connect | Self::Timeout { .. })
    }
}

/// One remembered failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RememberedFailure {
    /// How it failed.
    pub failure: ConnectionFailure,
    /// When (by the memory's clock).
    pub at: SystemTime,
}

/// The addresses that recently failed to connect or timed out, shared by
/// every delivery (cloning shares the memory).
#[derive(Clone)]
pub struct HostFailureMemory {
    clock: Arc<dyn Clock>,
    remember_for: Duration,
    failures: Arc<Mutex<HashMap<IpAddr, RememberedFailure>>>,
}

impl std::fmt::Debug for HostFailureMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostFailureMemory")
            .field("remember_for", &self.remember_for)
            .finish_non_exhaustive()
    }
}

impl HostFailureMemory {
    /// An empty memory that keeps each failure for `remember_for` by `clock`.
    pub fn new(clock: Arc<dyn Clock>, remember_for: Duration) -> Self {
        Self {
            clock,
            remember_for,
            failures: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Takes in what one attempt saw: addresses that could not be reached
    /// or timed out are remembered from now; addresses that answered are
    /// forgotten.
    pub fn record(&self, report: &DeliveryReport) {
        for attempt in &report.attempts {
            self.record_attempt(attempt);
        }
    }

    /// [`HostFailureMemory::record`] for one connection.
    pub fn record_attempt(&self, attempt: &HostAttempt) {
        let ip = attempt.address.ip();
        let mut failures = self.lock();
        match attempt.connection_failure {
            Some(failure) if failure.marks_dead() => {
                let at = self.clock.now();
                failures.insert(ip, RememberedFailure { failure, at });
            }
            Some(_) => {}
            None => {
                failures.remove(&ip);
            }
        }
    }

    /// The failure of `ip` if it is still remembered.
    pub fn recent(&self, ip: IpAddr) -> Option<RememberedFailure> {
        let now = self.clock.now();
        let mut failures = self.lock();
        let found = *failures.get(&ip)?;
        let age = now.duration_since(found.at).unwrap_or_default();
        if age >= self.remember_for {
            failures.remove(&ip);
            return None;
        }
        Some(found)
    }

    /// How long a failure is kept.
    pub fn remember_for(&self) -> Duration {
        self.remember_for
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, RememberedFailure>> {
        // The map stays consistent whatever a panicking holder did: every
        // change is one insert or remove.
        self.failures.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, SocketAddr};

    use dns::clock::ManualClock;
    use policy::Requirement;

    use super::*;

    fn attempt(last: u8, failure: Option<ConnectionFailure>) -> HostAttempt {
        HostAttempt {
            host: "mx.example.test.".into(),
            address: SocketAddr::new(Ipv4Addr::new(127, 0, 0, last).into(), 25),
            requirement: Requirement::Opportunistic,
            plaintext_retry: false,
            starttls_refused: None,
            session: None,
            verification: None,
            trouble: None,
            sts_testing_failure: None,
            delivered: Vec::new(),
            connection_failure: failure,
            transaction: 1,
        }
    }

    fn ip(last: u8) -> IpAddr {
        Ipv4Addr::new(127, 0, 0, last).into()
    }

    #[test]
    fn timeouts_are_remembered_until_their_time_is_up() {
        let clock = Arc::new(ManualClock::new(SystemTime::UNIX_EPOCH));
        let memory = HostFailureMemory::new(clock.clone(), Duration::from_secs(300));
        let timeout = ConnectionFailure::Timeout {
            stage: Stage::Greeting,
        };
        memory.record_attempt(&attempt(1, Some(timeout)));
        memory.record_attempt(&attempt(2, Some(ConnectionFailure::Tls)));
        memory.record_attempt(&attempt(3, None));
        assert_eq!(memory.recent(ip(1)).map(|r| r.failure), Some(timeout));
        assert_eq!(
            memory.recent(ip(2)),
            None,
            "a TLS failure is not a dead host"
        );
        assert_eq!(memory.recent(ip(3)), None);
        clock.advance(Duration::from_secs(299));
        assert!(memory.recent(ip(1)).is_some());
        clock.advance(Duration::from_secs(1));
        assert_eq!(memory.recent(ip(1)), None);
    }

    #[test]
    fn an_answer_forgets_the_failure_and_clones_share() {
        let clock = Arc::new(ManualClock::new(SystemTime::UNIX_EPOCH));
        let memory = HostFailureMemory::new(clock, Duration::from_secs(300));
        let shared = memory.clone();
        memory.record_attempt(&attempt(1, Some(ConnectionFailure::Connect)));
        assert!(shared.recent(ip(1)).is_some());
        shared.record_attempt(&attempt(1, None));
        assert_eq!(memory.recent(ip(1)), None);
    }

    #[test]
    fn a_failure_is_said_in_words_not_as_a_type() {
        let failure = ConnectionFailure::Timeout {
            stage: Stage::Greeting,
        };
        assert_eq!(failure.to_string(), "no answer in time at greeting");
        assert_eq!(ConnectionFailure::Connect.to_string(), "could not connect");
    }
}
