//! Group commit: one thread owns the writing connection; it takes every
//! write request waiting for it, runs them in one transaction (each in its
//! own savepoint, so one failing does not undo the others), commits once —
//! one sync of the log for all of them — and only then answers each.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::error::StoreError;

/// The most requests one transaction takes; bounds the time a request
/// waits behind others.
const MAX_BATCH: usize = 512;

/// What runs inside the transaction (given `None` when the transaction
/// could not begin); it returns what answers the caller once the
/// commit's outcome is known.
type Op = Box<dyn FnOnce(Option<&Connection>) -> Answer + Send>;
type Answer = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

/// The handle on the writer thread. Dropping it lets the thread finish
/// the requests already sent, then joins it.
pub struct Writer {
    sender: Option<mpsc::Sender<Op>>,
    thread: Option<JoinHandle<()>>,
    stats: Arc<Counters>,
}

/// How much work the writer has done, and in how many commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteStats {
    /// Transactions committed (each one sync of the log).
    pub commits: u64,
    /// Write requests carried by those commits.
    pub operations: u64,
}

#[derive(Default)]
struct Counters {
    commits: AtomicU64,
    operations: AtomicU64,
}

impl Writer {
    /// Starts the thread on `conn`.
    pub fn start(conn: Connection) -> Result<Writer, StoreError> {
        let (sender, receiver) = mpsc::channel::<Op>();
        let stats = Arc::new(Counters::default());
        let counters = Arc::clone(&stats);
        let thread = std::thread::Builder::new()
            .name("queue-writer".into())
            .spawn(move || run(conn, receiver, &counters))?;
        Ok(Writer {
            sender: Some(sender),
            thread: Some(thread),
            stats,
        })
    }

    /// The work done so far.
    pub fn stats(&self) -> WriteStats {
        WriteStats {
            commits: self.stats.commits.load(Ordering::Relaxed),
            operations: self.stats.operations.load(Ordering::Relaxed),
        }
    }

    /// Runs `work` in the next group transaction; resolves after COMMIT.
    pub async fn write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let op: Op = Box::new(move |conn| {
            // Without a connection the commit result carries the error.
            let result = conn.map_or(Err(StoreError::Closed), |conn| in_savepoint(conn, work));
            Box::new(move |commit: Result<(), StoreError>| {
                // The caller may have gone away; nothing to tell then.
                let _ = tx.send(commit.and(result));
            })
        });
        self.sender
            .as_ref()
            .ok_or(StoreError::Closed)?
            .send(op)
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.sender.take();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("queue writer thread panicked");
        }
    }
}

fn in_savepoint<T>(
    conn: &Connection,
    work: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    conn.prepare_cached("SAVEPOINT op")?.execute([])?;
    let result = work(conn);
    if result.is_err() {
        conn.prepare_cached("ROLLBACK TO op")?.execute([])?;
    }
    conn.prepare_cached("RELEASE op")?.execute([])?;
    result
}

fn run(conn: Connection, receiver: mpsc::Receiver<Op>, counters: &Counters) {
    while let Ok(first) = receiver.recv() {
        let mut ops = vec![first];
        while ops.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(op) => ops.push(op),
                Err(_) => break,
            }
        }
        let commit = match conn.execute_batch("BEGIN IMMEDIATE") {
            Ok(()) => {
                let answers: Vec<Answer> = ops.into_iter().map(|op| op(Some(&conn))).collect();
                let commit = conn.execute_batch("COMMIT").map_err(StoreError::from);
                if commit.is_err() {
                    // A failed COMMIT may leave the transaction open.
                    let _ = conn.execute_batch("ROLLBACK");
                } else {
                    counters.commits.fetch_add(1, Ordering::Relaxed);
                    counters
                        .operations
                        .fetch_add(answers.len() as u64, Ordering::Relaxed);
                }
                (answers, commit)
            }
            Err(error) => {
                tracing::error!(%error, "queue database: cannot begin a transaction");
                let answers = ops.into_iter().map(|op| op(None)).collect();
                (answers, Err(StoreError::from(error)))
            }
        };
        let (answers, commit) = commit;
        for answer in answers {
            answer(commit.clone());
        }
    }
}
