//! A fresh PostgreSQL database for each test, on the private cluster that
//! `scripts/pg-test-cluster.sh` runs.
//!
//! The cluster is named by `SEALANE_TEST_POSTGRES_URL` (`.ci/run` starts
//! one and sets it). Without it, the script's `ensure` starts one private
//! cluster per user in the temporary directory and leaves it running for
//! the next tests (`scripts/pg-test-cluster.sh stop DIR` stops it). When
//! neither works — no PostgreSQL installed, the server refusing — the test
//! fails: a PostgreSQL test never passes without a database.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use tokio_postgres::NoTls;
use tokio_postgres::config::Host;

/// The environment variable naming the test cluster's connection string.
pub const URL_VARIABLE: &str = "SEALANE_TEST_POSTGRES_URL";

/// A database made for one test, dropped with it.
pub struct TestDatabase {
    /// The connection string of the new database (`key=value` form, no
    /// password: the cluster trusts local connections).
    pub url: String,
    /// Its name.
    pub name: String,
    admin: String,
}

/// The cluster's connection string: the variable, or the shared private
/// cluster started on first use.
fn cluster_url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var(URL_VARIABLE) {
            return url;
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/pg-test-cluster.sh");
        let output = Command::new("bash")
            .arg(&script)
            .arg("ensure")
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        assert!(
            output.status.success(),
            "no PostgreSQL for the tests: {URL_VARIABLE} is unset and `{} ensure` failed: {}",
            script.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let prefix = format!("export {URL_VARIABLE}='");
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .find_map(|l| {
                l.strip_prefix(&prefix)?
                    .strip_suffix('\'')
                    .map(str::to_owned)
            })
            .expect("pg-test-cluster.sh ensure prints the URL")
    })
    .clone()
}

/// `url` with its database replaced by `dbname`, as `key=value` pairs.
fn with_dbname(url: &str, dbname: &str) -> String {
    let config: tokio_postgres::Config = url
        .parse()
        .unwrap_or_else(|e| panic!("{URL_VARIABLE} is not a connection string: {e}"));
    let quote = |v: &str| format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"));
    let mut parts = Vec::new();
    for host in config.get_hosts() {
        match host {
            Host::Tcp(name) => parts.push(format!("host={}", quote(name))),
            Host::Unix(path) => parts.push(format!("host={}", quote(&path.to_string_lossy()))),
        }
    }
    if let Some(port) = config.get_ports().first() {
        parts.push(format!("port={port}"));
    }
    if let Some(user) = config.get_user() {
        parts.push(format!("user={}", quote(user)));
    }
    parts.push(format!("dbname={}", quote(dbname)));
    parts.join(" ")
}

async fn admin_client(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the test cluster ({url}): {e}"));
    tokio::spawn(connection);
    client
}

impl TestDatabase {
    /// Creates an empty database on the test cluster.
    pub async fn create() -> TestDatabase {
        let admin = cluster_url();
        let name = format!("sealane_test_{:016x}", rand_u64());
        admin_client(&admin)
            .await
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e}"));
        TestDatabase {
            url: with_dbname(&admin, &name),
            name,
            admin,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        // Drop runs outside any runtime, or inside one that must not block:
        // a thread of its own with its own runtime.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let (client, connection) = tokio_postgres::connect(&admin, NoTls).await.ok()?;
                tokio::spawn(connection);
                client.batch_execute(&sql).await.ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(()))) {
            eprintln!("could not drop the test database {}", self.name);
        }
    }
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.write_u32(std::process::id());
    hasher.finish()
}
