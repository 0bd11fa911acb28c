//! Reads: a fixed set of threads, each with its own read-only connection
//! (opened on its first read and kept), taking reads from one queue. The
//! number of threads and connections stays [`READERS`] however many reads
//! the daemon asks for at once; the runtime's blocking pool, which grows a
//! thread whenever none is idle at the instant of a request, is not used.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags};

use super::schema;
use crate::error::StoreError;

/// Reader threads (and connections) of a store.
pub(crate) const READERS: usize = 8;

/// One read, handed the thread's connection (or why it could not open).
type Job = Box<dyn FnOnce(Result<&Connection, StoreError>) + Send>;

/// The queue of reads and its threads. Dropping it lets every thread
/// finish its read and close its connection.
pub(crate) struct Readers {
    jobs: Sender<Job>,
}

impl Readers {
    /// Starts the threads for the database at `path`.
    pub(crate) fn start(path: PathBuf) -> Result<Readers, StoreError> {
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..READERS {
            let queue = Arc::clone(&queue);
            let path = path.clone();
            std::thread::Builder::new()
                .name(format!("sealane-read-{n}"))
                .spawn(move || serve(&path, &queue))?;
        }
        Ok(Readers { jobs })
    }

    /// Runs `work` on one of the reader connections.
    pub(crate) async fn read<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let _ = answer.send(conn.and_then(work));
        });
        self.jobs.send(job).map_err(|_| StoreError::Closed)?;
        answered.await.map_err(|_| StoreError::Closed)?
    }
}

/// One reader thread: takes reads until the store is dropped.
fn serve(path: &Path, queue: &Mutex<Receiver<Job>>) {
    let mut conn: Option<Connection> = None;
    loop {
        let job = match queue.lock().unwrap_or_else(|e| e.into_inner()).recv() {
            Ok(job) => job,
            Err(_) => return,
        };
        if conn.is_none() {
            match open(path) {
                Ok(opened) => conn = Some(opened),
                Err(e) => {
                    job(Err(e));
                    continue;
                }
            }
        }
        if let Some(conn) = &conn {
            job(Ok(conn));
        }
    }
}

fn open(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    schema::configure_reader(&conn)?;
    Ok(conn)
}
