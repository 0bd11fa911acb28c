//! A small pool of connections, each with its prepared statements.
//!
//! A connection leaves the pool for one operation and comes back when the
//! operation is over. One that is dropped inside a transaction (the
//! caller's future was cancelled) or whose server went away is closed
//! instead of coming back, so no later operation inherits a half-done
//! transaction.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, NoTls, Row, Statement};

use crate::error::StoreError;

/// Connections open at once, at most.
pub const MAX_CONNECTIONS: usize = 16;

/// The connections of one store.
pub struct Pool {
    config: tokio_postgres::Config,
    idle: Mutex<Vec<Session>>,
    permits: Arc<Semaphore>,
}

/// A connection and the statements prepared on it.
struct Session {
    client: Client,
    statements: HashMap<String, Statement>,
}

/// A connection taken from the pool for one operation.
pub struct Conn<'a> {
    pool: &'a Pool,
    session: Option<Session>,
    in_transaction: bool,
    _permit: OwnedSemaphorePermit,
}

/// Parameters of one statement.
pub type Params<'p> = [&'p (dyn ToSql + Sync)];

impl Pool {
    /// A pool connecting with `config`; connects lazily.
    pub fn new(config: tokio_postgres::Config) -> Pool {
        Pool {
            config,
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(MAX_CONNECTIONS)),
        }
    }

    /// An idle connection, or a new one when none is idle, waiting while
    /// [`MAX_CONNECTIONS`] are in use.
    pub async fn get(&self) -> Result<Conn<'_>, StoreError> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Closed)?;
        let idle = loop {
            let next = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            match next {
                Some(session) if session.client.is_closed() => continue,
                other => break other,
            }
        };
        let session = match idle {
            Some(session) => session,
            None => {
                let (client, connection) = self.config.connect(NoTls).await?;
                tokio::spawn(async move {
                    if let Err(error) = connection.await {
                        tracing::warn!(%error, "queue database connection closed");
                    }
                });
                Session {
                    client,
                    statements: HashMap::new(),
                }
            }
        };
        Ok(Conn {
            pool: self,
            session: Some(session),
            in_transaction: false,
            _permit: permit,
        })
    }
}

impl Conn<'_> {
    fn session(&mut self) -> &mut Session {
        self.session
            .as_mut()
            .expect("a connection holds its session until it is dropped")
    }

    async fn statement(&mut self, sql: &str) -> Result<Statement, StoreError> {
        let session = self.session();
        if let Some(statement) = session.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = session.client.prepare(sql).await?;
        session.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    /// Runs a query and returns its rows.
    pub async fn query(&mut self, sql: &str, params: &Params<'_>) -> Result<Vec<Row>, StoreError> {
        let statement = self.statement(sql).await?;
        Ok(self.session().client.query(&statement, params).await?)
    }

    /// Runs a query that returns at most one row.
    pub async fn query_opt(
        &mut self,
        sql: &str,
        params: &Params<'_>,
    ) -> Result<Option<Row>, StoreError> {
        let statement = self.statement(sql).await?;
        Ok(self.session().client.query_opt(&statement, params).await?)
    }

    /// Runs a query that returns exactly one row.
    pub async fn query_one(&mut self, sql: &str, params: &Params<'_>) -> Result<Row, StoreError> {
        let statement = self.statement(sql).await?;
        Ok(self.session().client.query_one(&statement, params).await?)
    }

    /// Runs a statement and returns how many rows it changed.
    pub async fn execute(&mut self, sql: &str, params: &Params<'_>) -> Result<u64, StoreError> {
        let statement = self.statement(sql).await?;
        Ok(self.session().client.execute(&statement, params).await?)
    }

    /// Runs statements without parameters (the migrations).
    pub async fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        Ok(self.session().client.batch_execute(sql).await?)
    }

    /// Starts a transaction (READ COMMITTED, PostgreSQL's default).
    pub async fn begin(&mut self) -> Result<(), StoreError> {
        self.in_transaction = true;
        self.batch("BEGIN").await
    }

    /// Ends the transaction begun with [`Conn::begin`]: commits when
    /// `result` is a success — the commit is durable on the server
    /// (`synchronous_commit` on, its default) before this returns — and
    /// rolls back otherwise. Returns `result`, or the commit's failure.
    pub async fn finish<T>(&mut self, result: Result<T, StoreError>) -> Result<T, StoreError> {
        let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
        let ended = self.batch(end).await;
        if ended.is_ok() {
            self.in_transaction = false;
        }
        match (result, ended) {
            (Ok(value), Ok(())) => Ok(value),
            (Ok(_), Err(error)) => Err(error),
            (Err(error), _) => Err(error),
        }
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        if let Some(session) = self.session.take()
            && !self.in_transaction
            && !session.client.is_closed()
        {
            self.pool
                .idle
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(session);
        }
    }
}
