//! The one place that turns `[store]` into a queue store: the daemon opens
//! (and migrates) it here, the `sealane queue` and `trace` commands open it
//! as it is, and everything after sees only `dyn Store`.

use std::path::PathBuf;
use std::sync::Arc;

use dns::clock::Clock;
use queue::{PgOptions, PgStore, SqliteStore, Store};

use crate::config::{Config, PasswordSource, StoreSettings};

/// Why the queue store could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The store refused: unreachable server, newer schema, unreadable file.
    #[error("cannot open the queue in {location}: {source}")]
    Store {
        /// The SQLite file or the PostgreSQL connection string (which
        /// never holds a password).
        location: String,
        /// Why.
        source: queue::StoreError,
    },
    /// The password file could not be read.
    #[error(
        "cannot read the queue database password from {}: {}",
        path.display(),
        smtp::io_text(.source)
    )]
    PasswordFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The password variable is not set.
    #[error("the queue database password variable {name} is not set")]
    PasswordEnv {
        /// The variable.
        name: String,
    },
    /// The connection string was refused (checked with the configuration).
    #[error("the queue database connection string: {0}")]
    Url(#[from] queue::PgUrlError),
}

impl OpenError {
    /// Whether starting again later may succeed (the server was
    /// unreachable, say), rather than the configuration having to change.
    pub fn is_temporary(&self) -> bool {
        matches!(self, OpenError::Store { source, .. } if source.is_temporary())
    }
}

/// Where the queue of `config` lives, for messages.
pub fn location(config: &Config) -> String {
    match &config.store {
        StoreSettings::Sqlite => sqlite_path(config).display().to_string(),
        StoreSettings::Postgres { url, .. } => format!("PostgreSQL {url}"),
    }
}

/// The SQLite file of `config`'s data directory.
pub fn sqlite_path(config: &Config) -> PathBuf {
    config.data_dir.join("queue.db")
}

/// Opens (creating or migrating if needed) the queue `config` names.
pub async fn open(config: &Config, clock: Arc<dyn Clock>) -> Result<Arc<dyn Store>, OpenError> {
    let failed = |source| OpenError::Store {
        location: location(config),
        source,
    };
    match &config.store {
        StoreSettings::Sqlite => {
            let store = SqliteStore::open(sqlite_path(config), clock).map_err(failed)?;
            Ok(Arc::new(store))
        }
        StoreSettings::Postgres { url, password } => {
            let mut options = PgOptions::from_url(url)?;
            if let Some(source) = password {
                options = options.with_password(read_password(source)?);
            }
            let store = PgStore::connect(options, clock).await.map_err(failed)?;
            Ok(Arc::new(store))
        }
    }
}

/// Opens the queue `config` names as a daemon of this version left it,
/// without creating or migrating anything: for the commands that use the
/// queue beside the daemons (`sealane queue`, `sealane trace`). A queue at
/// another schema version is refused with an error saying which.
pub async fn open_existing(
    config: &Config,
    clock: Arc<dyn Clock>,
) -> Result<Arc<dyn Store>, OpenError> {
    let failed = |source| OpenError::Store {
        location: location(config),
        source,
    };
    match &config.store {
        StoreSettings::Sqlite => {
            let store = SqliteStore::open_existing(sqlite_path(config), clock).map_err(failed)?;
            Ok(Arc::new(store))
        }
        StoreSettings::Postgres { url, password } => {
            let mut options = PgOptions::from_url(url)?;
            if let Some(source) = password {
                options = options.with_password(read_password(source)?);
            }
            let store = PgStore::connect_existing(options, clock)
                .await
                .map_err(failed)?;
            Ok(Arc::new(store))
        }
    }
}

fn read_password(source: &PasswordSource) -> Result<String, OpenError> {
    match source {
        PasswordSource::File(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| OpenError::PasswordFile {
                path: path.clone(),
                source,
            })?;
            Ok(text.lines().next().unwrap_or_default().to_owned())
        }
        PasswordSource::Env(name) => {
            std::env::var(name).map_err(|_| OpenError::PasswordEnv { name: name.clone() })
        }
    }
}
