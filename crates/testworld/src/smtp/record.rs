//! What a receiver saw: its sessions and the messages it accepted, shared
//! between the receiver's thread and the test, with waiting.

use std::net::SocketAddr;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use smtp::{ReceivedMessage, TlsInfo};
use tokio::sync::watch;

/// How a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// The client sent QUIT.
    Quit,
    /// The receiver closed the connection, as its behaviour chose (a drop,
    /// a 421, or an aborted STARTTLS).
    Dropped,
    /// The session failed: the client closed without QUIT, a TLS handshake
    /// failed (e.g. the client rejected the certificate), a timeout.
    Failed {
        /// The step where it failed.
        stage: smtp::Stage,
        /// The error, as text.
        error: String,
    },
}

/// One connection to a receiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The client's address.
    pub peer: SocketAddr,
    /// The name in the client's latest EHLO or HELO.
    pub ehlo: Option<String>,
    /// The TLS parameters, once a STARTTLS handshake completed; the
    /// `server_name` is the SNI the client sent (empty when none).
    pub tls: Option<TlsInfo>,
    /// The commands received, in order, as `EHLO name`, `HELO name`,
    /// `STARTTLS`, `MAIL FROM:<a> PARAMS`, `RCPT TO:<b> PARAMS`, `DATA`, and
    /// `.` for a completed message.
    pub commands: Vec<String>,
    /// How the session ended; `None` while it runs.
    pub end: Option<Ended>,
}

impl Session {
    pub(crate) fn new(peer: SocketAddr) -> Session {
        Session {
            peer,
            ehlo: None,
            tls: None,
            commands: Vec::new(),
            end: None,
        }
    }

    /// Whether a STARTTLS handshake completed.
    pub fn starttls(&self) -> bool {
        self.tls.is_some()
    }

    /// The SNI the client sent, if a handshake completed with one.
    pub fn sni(&self) -> Option<&str> {
        self.tls
            .as_ref()
            .map(|tls| tls.server_name.as_str())
            .filter(|name| !name.is_empty())
    }

    /// The negotiated TLS version, e.g. `TLSv1_3`.
    pub fn tls_version(&self) -> Option<&str> {
        self.tls.as_ref().map(|tls| tls.version.as_str())
    }

    /// Whether a command starting with `prefix` (case-insensitive) arrived.
    pub fn received(&self, prefix: &str) -> bool {
        let prefix = prefix.to_ascii_uppercase();
        self.commands
            .iter()
            .any(|command| command.to_ascii_uppercase().starts_with(&prefix))
    }
}

/// A wait that ran out of time, with what had arrived.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("waited {waited:?} for {wanted} {what}, {got} arrived")]
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

/// Everything recorded so far.
#[derive(Debug, Default)]
pub(crate) struct Log {
    pub sessions: Vec<Session>,
    pub messages: Vec<ReceivedMessage>,
}

impl Log {
    pub fn ended(&self) -> usize {
        self.sessions.iter().filter(|s| s.end.is_some()).count()
    }
}

/// The log with its change signals: a condition variable for blocking
/// waits and a watch channel (a change counter) for async ones.
pub(crate) struct Recorder {
    log: Mutex<Log>,
    changed: Condvar,
    version: watch::Sender<u64>,
}

impl Recorder {
    pub fn new() -> Recorder {
        Recorder {
            log: Mutex::new(Log::default()),
            changed: Condvar::new(),
            version: watch::Sender::new(0),
        }
    }

    pub fn read(&self) -> MutexGuard<'_, Log> {
        self.log
            .lock()
            .expect("no thread panics holding the receiver log")
    }

    /// Changes the log and wakes every waiter.
    pub fn update<T>(&self, change: impl FnOnce(&mut Log) -> T) -> T {
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
        count: impl Fn(&Log) -> usize,
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
        count: impl Fn(&Log) -> usize,
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
                .expect("no thread panics holding the receiver log")
                .0;
        }
    }
}
