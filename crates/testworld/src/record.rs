//! What a test-world server saw, shared between the server's thread and the
//! test, with waiting: a log behind a lock, and change signals for blocking
//! and async waiters.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::watch;

/// A wait that ran out of time, with what had arrived.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("waited {} for {wanted} {what}, {got} arrived", smtp::duration(.waited))]
pub struct WaitTimeout {
    /// What was waited for.
    pub what: &'static str,
    /// How many were wanted.
    pub wanted: usize,
    /// How many there were.
    pub got: usize,
    /// How long the wait lasted.
    pub waited: Duration,
}

/// A log `L` with its change signals: a condition variable for blocking
/// waits and a watch channel (a change counter) for async ones.
pub(crate) struct Recorder<L> {
    log: Mutex<L>,
    changed: Condvar,
    version: watch::Sender<u64>,
}

impl<L: Default> Recorder<L> {
    pub fn new() -> Recorder<L> {
        Recorder {
            log: Mutex::new(L::default()),
            changed: Condvar::new(),
            version: watch::Sender::new(0),
        }
    }
}

impl<L> Recorder<L> {
    pub fn read(&self) -> MutexGuard<'_, L> {
        self.log
            .lock()
            .expect("no thread panics holding a test-world log")
    }

    /// Changes the log and wakes every waiter.
    pub fn update<T>(&self, change: impl FnOnce(&mut L) -> T) -> T {
        let result = change(&mut self.read());
        self.changed.notify_all();
        self.version.send_modify(|v| *v += 1);
        result
    }

    /// Waits (async) until `count(log) >= wanted`.
    pub async fn wait(
        &self,
        what: &'static str,
        wanted: usize,
        limit: Duration,
        count: impl Fn(&L) -> usize,
    ) -> Result<(), WaitTimeout> {
        let mut version = self.version.subscribe();
        let wait = async {
            loop {
                if count(&self.read()) >= wanted {
                    return;
                }
                if version.changed().await.is_err() {
                    // The sender lives as long as the recorder.
                    return;
                }
            }
        };
        tokio::time::timeout(limit, wait)
            .await
            .map_err(|_| WaitTimeout {
                what,
                wanted,
                got: count(&self.read()),
                waited: limit,
            })
    }

    /// Waits (blocking the thread) until `count(log) >= wanted`.
    pub fn wait_blocking(
        &self,
        what: &'static str,
        wanted: usize,
        limit: Duration,
        count: impl Fn(&L) -> usize,
    ) -> Result<(), WaitTimeout> {
        let deadline = Instant::now() + limit;
        let mut log = self.read();
        loop {
            let got = count(&log);
            if got >= wanted {
                return Ok(());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(WaitTimeout {
                    what,
                    wanted,
                    got,
                    waited: limit,
                });
            }
            log = self
                .changed
                .wait_timeout(log, left)
                .expect("no thread panics holding a test-world log")
                .0;
        }
    }
}
