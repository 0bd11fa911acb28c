//! The store contract on the PostgreSQL backend, each test on a fresh
//! database of the private test cluster (`testworld::postgres`), plus what
//! only PostgreSQL has: migrations applied once by nodes starting
//! together, a schema newer than the binary refused, several stores (nodes)
//! on one database, and a password never accepted in the URL.

#[macro_use]
mod contract;

use std::sync::Arc;

use contract::{message, request, start};
use dns::clock::ManualClock;
use queue::postgres::SCHEMA_VERSION;
use queue::{PgOptions, PgStore, PgUrlError, RecipientState, Store, StoreError};
use testworld::postgres::TestDatabase;

async fn connect(db: &TestDatabase, clock: &Arc<ManualClock>) -> PgStore {
    let options = PgOptions::from_url(&db.url).expect("test URL");
    PgStore::connect(options, clock.clone())
        .await
        .expect("connect to the test database")
}

async fn fresh_store() -> (TestDatabase, Arc<ManualClock>, PgStore) {
    let db = TestDatabase::create().await;
    let clock = Arc::new(ManualClock::new(start()));
    let store = connect(&db, &clock).await;
    (db, clock, store)
}

contract_tests!(fresh_store);

async fn admin(db: &TestDatabase) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    client
}

/// Four nodes starting at once on an empty database apply the migrations
/// once, and each sees the others' messages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_starting_together_migrate_once_and_share_the_queue() {
    let db = TestDatabase::create().await;
    let clock = Arc::new(ManualClock::new(start()));
    let (a, b, c, d) = tokio::join!(
        connect(&db, &clock),
        connect(&db, &clock),
        connect(&db, &clock),
        connect(&db, &clock)
    );
    let versions: Vec<i64> = admin(&db)
        .await
        .query(
            "SELECT version FROM sealane_migrations ORDER BY version",
            &[],
        )
        .await
        .expect("migrations table")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(versions, (1..=SCHEMA_VERSION).collect::<Vec<_>>());

    let msg = message(&clock, &["b@example.net"]);
    let id = msg.id;
    a.insert(msg).await.expect("insert on node a");
    assert!(b.show(id).await.expect("show").is_some(), "node b sees it");
    let batches = c.claim(&request("node-c")).await.expect("claim");
    assert_eq!(batches.len(), 1);
    assert!(d.claim(&request("node-d")).await.expect("claim").is_empty());
    assert!(matches!(
        a.show(id).await.expect("show").expect("kept").recipients[0].state,
        RecipientState::InFlight { ref owner, .. } if owner == "node-c"
    ));
}

/// After a node goes away with recipients in flight, a new one finds
/// them, and claims them once the lease lapses.
#[tokio::test]
async fn reconnect_after_drop_resumes() {
    let (db, clock, store) = fresh_store().await;
    let msg = message(&clock, &["b@example.net"]);
    let id = msg.id;
    store.insert(msg).await.expect("insert");
    assert_eq!(store.claim(&request("old")).await.expect("claim").len(), 1);
    drop(store);

    let store = connect(&db, &clock).await;
    assert!(
        store
            .claim(&request("new"))
            .await
            .expect("claim")
            .is_empty()
    );
    clock.advance(contract::MIN * 6);
    assert_eq!(store.release_lapsed().await.expect("release"), 1);
    let batches = store.claim(&request("new")).await.expect("claim");
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0].messages[0].id, id);
}

/// A database migrated by a newer Sealane is refused with a clear error.
#[tokio::test]
async fn schema_version_too_new_is_refused() {
    let (db, clock, store) = fresh_store().await;
    drop(store);
    admin(&db)
        .await
        .execute(
            "INSERT INTO sealane_migrations (version) VALUES ($1)",
            &[&(SCHEMA_VERSION + 1)],
        )
        .await
        .expect("add a version");
    let options = PgOptions::from_url(&db.url).expect("test URL");
    let err = PgStore::connect(options, clock.clone())
        .await
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

/// A password in the connection string is refused, and a password given
/// apart never shows in the options' debug output.
#[test]
fn password_in_url_is_refused_and_never_shown() {
    assert!(matches!(
        PgOptions::from_url("postgresql://sealane:s3cret@db.example.org/sealane"),
        Err(PgUrlError::PasswordInUrl)
    ));
    assert!(matches!(
        PgOptions::from_url("host=db.example.org password=s3cret"),
        Err(PgUrlError::PasswordInUrl)
    ));
    assert!(matches!(
        PgOptions::from_url("postgresql://db.example.org:notaport/x"),
        Err(PgUrlError::Invalid(_))
    ));
    let options = PgOptions::from_url("postgresql://sealane@db.example.org/sealane")
        .expect("valid")
        .with_password("s3cret");
    let shown = format!("{options:?}");
    assert!(!shown.contains("s3cret"), "{shown}");
    assert!(shown.contains("<hidden>"), "{shown}");
}

/// An unreachable server is a temporary failure.
#[tokio::test]
async fn unreachable_server_is_temporary() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!(
        "host={} port=1 user=nobody dbname=none",
        dir.path().display()
    );
    let clock = Arc::new(ManualClock::new(start()));
    let err = PgStore::connect(PgOptions::from_url(&url).expect("valid"), clock)
        .await
        .err()
        .expect("no server");
    assert!(matches!(err, StoreError::Postgres(_)), "{err}");
    assert!(err.is_temporary());
}

/// A command that only uses the queue connects without migrating: an
/// empty or older database is refused with an error saying what to do and
/// is left as it was; a database at this version is used as it is.
#[tokio::test]
async fn connecting_to_an_existing_queue_never_migrates() {
    let db = TestDatabase::create().await;
    let clock = Arc::new(ManualClock::new(start()));
    let options = PgOptions::from_url(&db.url).expect("test URL");
    let err = PgStore::connect_existing(options.clone(), clock.clone())
        .await
        .err()
        .expect("an empty database is refused");
    assert!(
        matches!(err, StoreError::SchemaTooOld { found: 0, supported } if supported == SCHEMA_VERSION),
        "{err}"
    );
    assert!(err.to_string().contains("sealane serve"), "{err}");
    let untouched: bool = admin(&db)
        .await
        .query_one("SELECT to_regclass('sealane_migrations') IS NULL", &[])
        .await
        .expect("query")
        .get(0);
    assert!(untouched, "nothing was created");

    let daemon = connect(&db, &clock).await;
    let m = message(&clock, &["b@example.net"]);
    daemon.insert(m.clone()).await.expect("insert");
    let cli = PgStore::connect_existing(options.clone(), clock.clone())
        .await
        .expect("a migrated database is used");
    assert_eq!(cli.list(10).await.expect("list")[0].id, m.id);

    admin(&db)
        .await
        .execute(
            "DELETE FROM sealane_migrations WHERE version = $1",
            &[&SCHEMA_VERSION],
        )
        .await
        .expect("pretend an older layout");
    let err = PgStore::connect_existing(options, clock.clone())
        .await
        .err()
        .expect("an older layout is refused");
    assert!(
        matches!(err, StoreError::SchemaTooOld { found, .. } if found == SCHEMA_VERSION - 1),
        "{err}"
    );
}

/// Two nodes on one database share sending counts and blocks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sending_counts_are_shared_by_two_nodes() {
    let (db, clock, a) = fresh_store().await;
    let b = connect(&db, &clock).await;
    contract::sending::sending_counts_are_shared(&a, &b, &clock).await;
}
