//! The persistent MTA-STS policy cache (RFC 8461 §5.1): one SQLite table
//! keyed by domain, so policies survive restarts. Each row holds the policy
//! last fetched (with its record id, fetch time and `max_age`) and the last
//! failed fetch, which rate-limits refetching.
//!
//! The daemon keeps its policies in the queue's store instead (shared by
//! every node); this file serves `sealane deliver`, `sealane check` and
//! tests. The schema is versioned with `PRAGMA user_version`. Every
//! operation touches one row and runs under a mutex on one connection.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

use super::policy::Policy;
use super::store::{
    CacheEntry, CacheError, CachedPolicy, FailedFetch, PolicyStore, domain_key as key, mx_column,
    policy_from_columns,
};

/// The schema this code reads and writes.
const SCHEMA_VERSION: i64 = 1;
/// How long a writer waits for another connection's lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sts_policy (
    domain        TEXT PRIMARY KEY NOT NULL,
    id            TEXT,
    mode          TEXT,
    mx            TEXT,
    max_age       INTEGER,
    fetched_at    INTEGER,
    last_checked  INTEGER,
    failed_at     INTEGER,
    failed_id     TEXT,
    failure       TEXT
);
";

/// The policy cache. Clones share the connection.
#[derive(Clone, Debug)]
pub struct PolicyCache {
    connection: Arc<Mutex<Connection>>,
}

impl PolicyCache {
    /// Opens (or creates) the cache in a file, in WAL mode.
    pub fn open(path: &Path) -> Result<Self, CacheError> {
        let connection = Connection::open(path)?;
        // `journal_mode` answers with the mode now in force.
        let _mode: String =
            connection.query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))?;
        Self::prepare(connection)
    }

    /// A cache that lives as long as this value and its clones.
    pub fn in_memory() -> Result<Self, CacheError> {
        Self::prepare(Connection::open_in_memory()?)
    }

    fn prepare(connection: Connection) -> Result<Self, CacheError> {
        connection.busy_timeout(BUSY_TIMEOUT)?;
        let version: i64 = connection.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(CacheError::NewerSchema { found: version });
        }
        if version < SCHEMA_VERSION {
            connection.execute_batch(&format!(
                "BEGIN; {SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
            ))?;
        }
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
        })
    }

    fn connection(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a half-done SQL
        // statement behind: each statement is atomic in SQLite.
        self.connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// What is cached for `domain`.
    pub fn get(&self, domain: &str) -> Result<CacheEntry, CacheError> {
        let domain = key(domain);
        let row = self
            .connection()
            .query_row(
                "SELECT id, mode, mx, max_age, fetched_at, last_checked, failed_at, failed_id, failure
                 FROM sts_policy WHERE domain = ?1",
                params![domain],
                |row| {
                    Ok(Row {
                        id: row.get(0)?,
                        mode: row.get(1)?,
                        mx: row.get(2)?,
                        max_age: row.get(3)?,
                        fetched_at: row.get(4)?,
                        last_checked: row.get(5)?,
                        failed_at: row.get(6)?,
                        failed_id: row.get(7)?,
                        failure: row.get(8)?,
                    })
                },
            )
            .optional()?;
        row.map_or(Ok(CacheEntry::default()), |row| row.entry(&domain))
    }

    /// Stores a freshly fetched policy for record `id`, replacing whatever
    /// was cached and clearing the failure mark.
    pub fn store(
        &self,
        domain: &str,
        id: &str,
        policy: &Policy,
        now: SystemTime,
    ) -> Result<(), CacheError> {
        self.connection().execute(
            "INSERT OR REPLACE INTO sts_policy
                 (domain, id, mode, mx, max_age, fetched_at, last_checked, failed_at, failed_id, failure)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, NULL, NULL, NULL)",
            params![key(domain), id, policy.mode.as_str(), mx_column(policy), policy.max_age, secs(now)],
        )?;
        Ok(())
    }

    /// Notes that the TXT record still carries the cached id.
    pub fn touch(&self, domain: &str, now: SystemTime) -> Result<(), CacheError> {
        self.connection().execute(
            "UPDATE sts_policy SET last_checked = ?2 WHERE domain = ?1",
            params![key(domain), secs(now)],
        )?;
        Ok(())
    }

    /// Records a failed fetch for record `id`, keeping any cached policy.
    pub fn record_failure(
        &self,
        domain: &str,
        id: &str,
        now: SystemTime,
        reason: &str,
    ) -> Result<(), CacheError> {
        self.connection().execute(
            "INSERT INTO sts_policy (domain, failed_at, failed_id, failure) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (domain) DO UPDATE SET failed_at = ?2, failed_id = ?3, failure = ?4",
            params![key(domain), secs(now), id, reason],
        )?;
        Ok(())
    }

    /// Forgets everything about `domain`.
    pub fn remove(&self, domain: &str) -> Result<(), CacheError> {
        self.connection().execute(
            "DELETE FROM sts_policy WHERE domain = ?1",
            params![key(domain)],
        )?;
        Ok(())
    }

    /// Every domain with a row, in order (to move the cache elsewhere).
    pub fn domains(&self) -> Result<Vec<String>, CacheError> {
        let connection = self.connection();
        let mut statement = connection.prepare("SELECT domain FROM sts_policy ORDER BY domain")?;
        let domains = statement
            .query_map([], |row| row.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(domains)
    }

    /// Domains whose `enforce` or `testing` policy is unexpired at `now`
    /// but expires before `deadline`, soonest first.
    pub fn expiring(
        &self,
        now: SystemTime,
        deadline: SystemTime,
    ) -> Result<Vec<String>, CacheError> {
        let connection = self.connection();
        let mut statement = connection.prepare(
            "SELECT domain FROM sts_policy
             WHERE mode IN ('enforce', 'testing')
               AND fetched_at + max_age > ?1 AND fetched_at + max_age <= ?2
             ORDER BY fetched_at + max_age, domain",
        )?;
        let domains = statement
            .query_map(params![secs(now), secs(deadline)], |row| row.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(domains)
    }
}

/// Seconds since the epoch; times before it count as the epoch.
fn secs(time: SystemTime) -> i64 {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    i64::try_from(secs).unwrap_or(i64::MAX)
}

fn time(secs: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).unwrap_or(0))
}

struct Row {
    id: Option<String>,
    mode: Option<String>,
    mx: Option<String>,
    max_age: Option<u32>,
    fetched_at: Option<i64>,
    last_checked: Option<i64>,
    failed_at: Option<i64>,
    failed_id: Option<String>,
    failure: Option<String>,
}

impl Row {
    fn entry(self, domain: &str) -> Result<CacheEntry, CacheError> {
        let policy = match (self.id, self.mode, self.max_age, self.fetched_at) {
            (Some(id), Some(mode), Some(max_age), Some(fetched_at)) => {
                let mx = self.mx.unwrap_or_default();
                Some(CachedPolicy {
                    id,
                    policy: policy_from_columns(domain, &mode, &mx, max_age.into())?,
                    fetched_at: time(fetched_at),
                    last_checked: time(self.last_checked.unwrap_or(fetched_at)),
                })
            }
            (None, None, None, None) => None,
            _ => {
                return Err(CacheError::Damaged {
                    domain: domain.to_owned(),
                    reason: "policy columns partly empty".into(),
                });
            }
        };
        let failure = match (self.failed_at, self.failed_id) {
            (Some(at), Some(id)) => Some(FailedFetch {
                at: time(at),
                id,
                reason: self.failure.unwrap_or_default(),
            }),
            _ => None,
        };
        Ok(CacheEntry { policy, failure })
    }
}

#[async_trait]
impl PolicyStore for PolicyCache {
    async fn sts_entry(&self, domain: &str) -> Result<CacheEntry, CacheError> {
        self.get(domain)
    }

    async fn store_sts_policy(
        &self,
        domain: &str,
        id: &str,
        policy: &Policy,
        now: SystemTime,
    ) -> Result<(), CacheError> {
        self.store(domain, id, policy, now)
    }

    async fn touch_sts_policy(&self, domain: &str, now: SystemTime) -> Result<(), CacheError> {
        self.touch(domain, now)
    }

    async fn record_sts_failure(
        &self,
        domain: &str,
        id: &str,
        now: SystemTime,
        reason: &str,
    ) -> Result<(), CacheError> {
        self.record_failure(domain, id, now, reason)
    }

    async fn remove_sts_policy(&self, domain: &str) -> Result<(), CacheError> {
        self.remove(domain)
    }

    async fn expiring_sts_policies(
        &self,
        now: SystemTime,
        deadline: SystemTime,
    ) -> Result<Vec<String>, CacheError> {
        self.expiring(now, deadline)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sts::{Mode, MxPattern};

    fn policy(mode: Mode, max_age: u32, mx: &[&str]) -> Policy {
        Policy {
            mode,
            max_age,
            mx: mx.iter().map(|p| MxPattern::parse(p).unwrap()).collect(),
        }
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn empty_cache_has_nothing() {
        let cache = PolicyCache::in_memory().unwrap();
        assert_eq!(cache.get("example.com").unwrap(), CacheEntry::default());
    }

    #[test]
    fn stored_policy_reads_back_with_key_normalised() {
        let cache = PolicyCache::in_memory().unwrap();
        let enforce = policy(Mode::Enforce, 86_400, &["mx.example.com", "*.example.net"]);
        cache
            .store("Example.COM.", "id1", &enforce, at(1_000))
            .unwrap();
        let cached = cache.get("example.com").unwrap().policy.unwrap();
        assert_eq!(cached.id, "id1");
        assert_eq!(cached.policy, enforce);
        assert_eq!(cached.fetched_at, at(1_000));
        assert_eq!(cached.expires_at(), at(87_400));
        assert!(!cached.is_expired(at(87_399)));
        assert!(cached.is_expired(at(87_400)));
    }

    #[test]
    fn failure_keeps_policy_and_success_clears_failure() {
        let cache = PolicyCache::in_memory().unwrap();
        let testing = policy(Mode::Testing, 100, &["mx.example.com"]);
        cache.store("example.com", "a", &testing, at(10)).unwrap();
        cache
            .record_failure("example.com", "b", at(20), "HTTP status 404")
            .unwrap();
        let entry = cache.get("example.com").unwrap();
        assert_eq!(entry.policy.unwrap().id, "a");
        assert_eq!(
            entry.failure,
            Some(FailedFetch {
                at: at(20),
                id: "b".into(),
                reason: "HTTP status 404".into()
            })
        );
        cache.store("example.com", "b", &testing, at(30)).unwrap();
        assert_eq!(cache.get("example.com").unwrap().failure, None);
    }

    #[test]
    fn failure_without_policy_is_kept() {
        let cache = PolicyCache::in_memory().unwrap();
        cache
            .record_failure("example.com", "a", at(20), "timeout")
            .unwrap();
        let entry = cache.get("example.com").unwrap();
        assert_eq!(entry.policy, None);
        assert_eq!(entry.failure.unwrap().at, at(20));
        cache.remove("example.com").unwrap();
        assert_eq!(cache.get("example.com").unwrap(), CacheEntry::default());
    }

    #[test]
    fn touch_moves_last_checked_only() {
        let cache = PolicyCache::in_memory().unwrap();
        cache
            .store("example.com", "a", &policy(Mode::None, 100, &[]), at(10))
            .unwrap();
        cache.touch("example.com", at(50)).unwrap();
        let cached = cache.get("example.com").unwrap().policy.unwrap();
        assert_eq!((cached.fetched_at, cached.last_checked), (at(10), at(50)));
        assert!(cached.policy.mx.is_empty());
    }

    #[test]
    fn expiring_lists_active_policies_due_soon() {
        let cache = PolicyCache::in_memory().unwrap();
        cache
            .store(
                "soon.example",
                "a",
                &policy(Mode::Enforce, 100, &["mx.soon.example"]),
                at(0),
            )
            .unwrap();
        cache
            .store(
                "sooner.example",
                "a",
                &policy(Mode::Testing, 50, &["mx.sooner.example"]),
                at(0),
            )
            .unwrap();
        cache
            .store(
                "late.example",
                "a",
                &policy(Mode::Enforce, 10_000, &["mx.late.example"]),
                at(0),
            )
            .unwrap();
        cache
            .store(
                "gone.example",
                "a",
                &policy(Mode::Enforce, 5, &["mx.gone.example"]),
                at(0),
            )
            .unwrap();
        cache
            .store("none.example", "a", &policy(Mode::None, 100, &[]), at(0))
            .unwrap();
        assert_eq!(
            cache.expiring(at(10), at(200)).unwrap(),
            ["sooner.example", "soon.example"]
        );
    }

    #[test]
    fn survives_reopening_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sts.sqlite");
        let enforce = policy(Mode::Enforce, 604_800, &["*.example.com"]);
        {
            let cache = PolicyCache::open(&path).unwrap();
            cache
                .store("example.com", "20240101", &enforce, at(5))
                .unwrap();
        }
        let cache = PolicyCache::open(&path).unwrap();
        let cached = cache.get("example.com").unwrap().policy.unwrap();
        assert_eq!((cached.id.as_str(), cached.policy), ("20240101", enforce));
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sts.sqlite");
        Connection::open(&path)
            .unwrap()
            .execute_batch("PRAGMA user_version = 99;")
            .unwrap();
        assert!(matches!(
            PolicyCache::open(&path),
            Err(CacheError::NewerSchema { found: 99 })
        ));
    }

    #[test]
    fn damaged_rows_are_reported() {
        let cache = PolicyCache::in_memory().unwrap();
        cache.connection().execute(
            "INSERT INTO sts_policy (domain, id, mode, mx, max_age, fetched_at) VALUES ('x.example', 'a', 'bogus', '', 1, 1)",
            [],
        ).unwrap();
        assert!(matches!(
            cache.get("x.example"),
            Err(CacheError::Damaged { .. })
        ));
    }
}
