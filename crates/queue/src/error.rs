//! What can go wrong in the store, and whether to try again.

use std::sync::Arc;

use crate::id::QueueId;

/// A store failure.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database refused or failed (disk full, I/O error, locked).
    #[error("queue database: {0}")]
    Sqlite(#[source] Arc<rusqlite::Error>),
    /// The PostgreSQL server refused or failed (unreachable, connection
    /// lost, serialization failure, disk full on the server).
    #[error("queue database (PostgreSQL): {0}")]
    Postgres(#[source] Arc<tokio_postgres::Error>),
    /// A file operation on the data directory failed.
    #[error("queue data directory: {}", smtp::io_text(.0))]
    Io(#[source] Arc<std::io::Error>),
    /// The database was written by a newer Sealane.
    #[error(
        "the queue database has schema version {found}, this sealane knows up to {supported}: \
         run the newer sealane, or restore a backup"
    )]
    SchemaTooNew {
        /// The version in the file.
        found: i64,
        /// The newest this binary knows.
        supported: i64,
    },
    /// The database has not been brought to this Sealane's layout (a
    /// command that only uses the queue never migrates it).
    #[error(
        "the queue database has schema version {found}, this sealane needs {supported}: \
         start `sealane serve` of this version once (it migrates the database), then try again"
    )]
    SchemaTooOld {
        /// The version found (0: no Sealane queue there).
        found: i64,
        /// The version this binary needs.
        supported: i64,
    },
    /// A stored value could not be read back.
    #[error("queue database holds an unreadable {what}: {source}")]
    Corrupt {
        /// Which column.
        what: &'static str,
        /// The decoding error.
        #[source]
        source: Arc<serde_json::Error>,
    },
    /// The lease is no longer ours: it ran out, or another worker claimed
    /// the recipients. The result was not recorded.
    #[error("the lease on message {0} is no longer ours; result not recorded")]
    LeaseLost(QueueId),
    /// No such message.
    #[error("no message {0} in the queue")]
    NotFound(QueueId),
    /// A message with this id is already queued.
    #[error("message {0} is already queued")]
    Duplicate(QueueId),
    /// The store is shutting down.
    #[error("the queue store is closed")]
    Closed,
}

impl StoreError {
    /// Whether the same request may succeed later (a 4xx to the client,
    /// not a 5xx).
    pub fn is_temporary(&self) -> bool {
        match self {
            StoreError::Sqlite(_)
            | StoreError::Postgres(_)
            | StoreError::Io(_)
            | StoreError::Closed => true,
            StoreError::SchemaTooNew { .. }
            | StoreError::SchemaTooOld { .. }
            | StoreError::Corrupt { .. }
            | StoreError::LeaseLost(_)
            | StoreError::NotFound(_)
            | StoreError::Duplicate(_) => false,
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        StoreError::Sqlite(Arc::new(error))
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(error: tokio_postgres::Error) -> Self {
        StoreError::Postgres(Arc::new(error))
    }
}

impl From<std::io::Error> for StoreError {
    fn from(error: std::io::Error) -> Self {
        StoreError::Io(Arc::new(error))
    }
}
