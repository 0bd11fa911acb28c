//! The store contract on the SQLite backend, plus what only SQLite has:
//! group commit, reopening the file, and its schema version.

#[macro_use]
mod contract;

use std::sync::Arc;

use contract::{message, request, start};
use dns::clock::ManualClock;
use queue::sqlite::SCHEMA_VERSION;
use queue::{RecipientState, SqliteStore, Store, StoreError};
use tempfile::TempDir;

fn open(dir: &TempDir, clock: &Arc<ManualClock>) -> SqliteStore {
    SqliteStore::open(dir.path().join("queue.db"), clock.clone()).expect("open store")
}

fn fresh() -> (TempDir, Arc<ManualClock>, SqliteStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = Arc::new(ManualClock::new(start()));
    let store = open(&dir, &clock);
    (dir, clock, store)
}

async fn fresh_store() -> (TempDir, Arc<ManualClock>, SqliteStore) {
    fresh()
}

contract_tests!(fresh_store);

/// TLS session counts and report states are on disk: a restart loses
/// none of them.
#[tokio::test]
async fn tls_sessions_survive_a_restart() {
    let (dir, clock, store) = fresh();
    contract::tls_report::tls_sessions_are_counted(&store, &clock).await;
    drop(store);
    let store = open(&dir, &clock);
    let today = queue::utc_day(dns::clock::Clock::now(&*clock));
    let counts = store
        .tls_sessions("example.net", today)
        .await
        .expect("read");
    let total: u64 = counts.iter().map(|c| c.count).sum();
    assert_eq!((counts.len(), total), (2, 4));
    let due = store.tls_reports_due(today).await.expect("due");
    assert_eq!(due.len(), 2, "{due:?}");
}

/// Reports others sent us are on disk too.
#[tokio::test]
async fn received_tls_reports_survive_a_restart() {
    let (dir, clock, store) = fresh();
    contract::tls_report::received_tls_reports_are_kept_once_per_domain(&store, &clock).await;
    let before = store.received_tls_reports(None, None).await.expect("read");
    drop(store);
    let store = open(&dir, &clock);
    let after = store.received_tls_reports(None, None).await.expect("read");
    assert_eq!((after.len(), &after), (3, &before));
}

/// A version 2 file (before received reports) is brought to version 3
/// and keeps its session counts.
#[tokio::test]
async fn a_version_2_file_is_migrated() {
    let (dir, clock, store) = fresh();
    contract::tls_report::tls_sessions_are_counted(&store, &clock).await;
    drop(store);
    let path = dir.path().join("queue.db");
    let conn = rusqlite::Connection::open(&path).expect("open");
    conn.execute_batch(
        "DROP TABLE dmarc_rows; DROP TABLE dmarc_reports; DROP TABLE dmarc_received;
         DROP INDEX events_at; DROP INDEX messages_sender;
         DROP TABLE sending_counts; DROP TABLE sending_blocks;
         DROP INDEX recipients_leases; DROP TABLE tls_received; DROP TABLE sts_policies;
         PRAGMA user_version = 2;",
    )
    .expect("back to version 2");
    drop(conn);
    let store = open(&dir, &clock);
    let today = queue::utc_day(dns::clock::Clock::now(&*clock));
    assert_eq!(
        store
            .tls_sessions("example.net", today)
            .await
            .expect("read")
            .len(),
        2
    );
    contract::tls_report::received_tls_reports_are_kept_once_per_domain(&store, &clock).await;
    contract::sending::sender_domain_limit_counts_every_user(&store, &clock).await;
    contract::dmarc_report::received_dmarc_reports_are_kept_once(&store, &clock).await;
    let conn = rusqlite::Connection::open(&path).expect("open");
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .expect("version");
    assert_eq!(version, SCHEMA_VERSION);
    let indexes: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master
             WHERE type = 'index' AND name IN ('events_at', 'messages_sender')",
            [],
            |row| row.get(0),
        )
        .expect("indexes");
    assert_eq!(indexes, 2, "version 7's indexes");
}

/// 100 sessions inserting at once share commits, and every message is
/// there after the store is closed and reopened.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn group_commit_under_100_concurrent_inserts() {
    let (dir, clock, store) = fresh();
    let store = Arc::new(store);
    let barrier = Arc::new(tokio::sync::Barrier::new(100));
    let mut tasks = Vec::new();
    for i in 0..100 {
        let store = Arc::clone(&store);
        let barrier = Arc::clone(&barrier);
        let msg = message(&clock, &[&format!("r{i}@example.net")]);
        tasks.push(tokio::spawn(async move {
            let id = msg.id;
            barrier.wait().await;
            store.insert(msg).await.map(|()| id)
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.expect("task").expect("insert"));
    }
    let stats = store.write_stats();
    assert_eq!(stats.operations, 100);
    assert!(
        stats.commits < 50,
        "100 concurrent inserts took {} commits",
        stats.commits
    );
    drop(Arc::into_inner(store).expect("last handle"));

    let store = open(&dir, &clock);
    for id in ids {
        let detail = store.show(id).await.expect("show").expect("durable");
        assert_eq!(detail.recipients[0].state, RecipientState::Queued);
    }
}

/// After the process goes away with recipients in flight, a new store on
/// the same file finds them, and claims them once the lease lapses.
#[tokio::test]
async fn reopen_after_drop_resumes() {
    let (dir, clock, store) = fresh();
    let msg = message(&clock, &["b@example.net"]);
    let id = msg.id;
    store.insert(msg).await.expect("insert");
    let queued = message(&clock, &["c@example.org"]);
    store.insert(queued).await.expect("insert");
    let mut req = request("old-process");
    req.skip_domains = vec!["example.org".into()];
    assert_eq!(store.claim(&req).await.expect("claim").len(), 1);
    drop(store);

    let store = open(&dir, &clock);
    let batches = store.claim(&request("new-process")).await.expect("claim");
    assert_eq!(batches.len(), 1, "only the never-leased recipient is due");
    assert_eq!(batches[0].domain, "example.org");
    let other = &batches[0].messages[0];
    let report = queue::AttemptReport {
        id: other.id,
        outcomes: vec![(
            "c@example.org".into(),
            queue::Outcome::Delivered {
                mx: None,
                reply: None,
            },
        )],
        attempts: vec![],
        notices: vec![],
    };
    store
        .record(&batches[0].lease, report)
        .await
        .expect("record");
    clock.advance(contract::MIN * 6);
    assert_eq!(store.release_lapsed().await.expect("release"), 1);
    assert_eq!(
        store
            .show(id)
            .await
            .expect("show")
            .expect("kept")
            .recipients[0]
            .state,
        RecipientState::Queued
    );
    let batches = store.claim(&request("new-process")).await.expect("claim");
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0].messages[0].id, id);
}

/// A database written by a newer Sealane is refused with a clear error.
#[tokio::test]
async fn schema_version_too_new_is_refused() {
    let (dir, clock, store) = fresh();
    drop(store);
    let path = dir.path().join("queue.db");
    let conn = rusqlite::Connection::open(&path).expect("open");
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .expect("set version");
    drop(conn);
    let err = SqliteStore::open(&path, clock.clone())
        .err()
        .expect("refused");
    assert!(
        matches!(err, StoreError::SchemaTooNew { found, supported }
            if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION),
        "{err}"
    );
    assert!(!err.is_temporary());
    assert!(err.to_string().contains("newer sealane"), "{err}");
}

/// A command that only uses the queue opens it without migrating: a file
/// at another version is refused and left at that version.
#[tokio::test]
async fn opening_an_existing_queue_never_migrates() {
    let (dir, clock, store) = fresh();
    let m = message(&clock, &["b@example.net"]);
    store.insert(m.clone()).await.expect("insert");
    drop(store);
    let path = dir.path().join("queue.db");
    let existing = SqliteStore::open_existing(&path, clock.clone()).expect("same version");
    assert_eq!(existing.list(10).await.expect("list")[0].id, m.id);
    drop(existing);

    for (version, older) in [(SCHEMA_VERSION - 1, true), (SCHEMA_VERSION + 1, false)] {
        let conn = rusqlite::Connection::open(&path).expect("open");
        conn.pragma_update(None, "user_version", version)
            .expect("set version");
        drop(conn);
        let err = SqliteStore::open_existing(&path, clock.clone())
            .err()
            .expect("refused");
        match err {
            StoreError::SchemaTooOld { found, .. } => assert!(older && found == version),
            StoreError::SchemaTooNew { found, .. } => assert!(!older && found == version),
            other => panic!("{other}"),
        }
        let conn = rusqlite::Connection::open(&path).expect("open");
        let kept: i64 = conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .expect("version");
        assert_eq!(kept, version, "left as it was");
    }
}

/// Two stores on one file (two processes) share sending counts and
/// blocks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sending_counts_are_shared_by_two_handles() {
    let (dir, clock, a) = fresh();
    let b = open(&dir, &clock);
    contract::sending::sending_counts_are_shared(&a, &b, &clock).await;
}
