//! The MTA-STS policy cache lives in the queue's store (issue 13): a
//! policy one node fetched is used by every node of the same PostgreSQL
//! queue without another fetch, and the policies an older Sealane kept in
//! `mta-sts.db` move into the store rather than being forgotten.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use common::Talk;
use dns::clock::ManualClock;
use policy::sts::{Mode, MxPattern, Policy, PolicyCache};
use server::config::Config;
use server::{Daemon, Scheduling};
use testworld::ca::TestCa;
use testworld::dns::{DnsServer, DnsWorld};
use testworld::https::{PolicyBehaviour, PolicyHost, sts_domain};
use testworld::net::{free_port, loopback};
use testworld::postgres::TestDatabase;
use testworld::smtp::{Behaviour, Receiver};

const POLICY: &str = "version: STSv1\nmode: enforce\nmx: mx.sts.test\nmax_age: 604800\n";
const RECORD_ID: &str = "20261202";

/// `sts.test` with an `enforce` policy naming its one MX, the receiver
/// behind that MX, and the HTTPS host serving the policy.
struct StsWorld {
    dns: DnsServer,
    receiver: Receiver,
    policy_host: PolicyHost,
    dir: tempfile::TempDir,
    anchor: PathBuf,
    roots: PathBuf,
    smtp_port: u16,
    https_port: u16,
}

async fn sts_world(mx_octet: u8, policy_octet: u8) -> StsWorld {
    let ca = TestCa::new("sts shared ca");
    let mx_id = ca.issue(&["mx.sts.test"]);
    let policy_id = ca.issue(&["mta-sts.sts.test"]);
    let (mx_ip, policy_ip) = (loopback(mx_octet), loopback(policy_octet));
    let mut world = DnsWorld::new();
    sts_domain(&mut world, "sts.test", RECORD_ID, policy_ip)
        .mx(10, "mx.sts.test.")
        .a("mx.sts.test.", &mx_ip.to_string());
    let dns = world.serve().await.expect("DNS world starts");
    let smtp_port = free_port(&[mx_ip]);
    let https_port = free_port(&[policy_ip]);
    let receiver = Receiver::start(
        SocketAddr::new(mx_ip, smtp_port),
        Behaviour::starttls(&mx_id),
    )
    .unwrap();
    let policy_host = PolicyHost::start(
        SocketAddr::new(policy_ip, https_port),
        PolicyBehaviour::serving(&policy_id, POLICY),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let anchor = dir.path().join("anchor.txt");
    std::fs::write(&anchor, dns.trust_anchor_ds()).unwrap();
    let roots = dir.path().join("roots.pem");
    ca.write_root_pem(&roots).unwrap();
    StsWorld {
        dns,
        receiver,
        policy_host,
        dir,
        anchor,
        roots,
        smtp_port,
        https_port,
    }
}

impl StsWorld {
    /// A node named `name` with its own data directory; `store` is its
    /// `[store]` section (empty: SQLite in the data directory).
    async fn node(&self, name: &str, store: &str, clock: &Arc<ManualClock>) -> Daemon {
        let text = format!(
            r#"[server]
hostname = "{name}.sender.test"
data_dir = "{data}"

[[listener]]
role = "submission"
address = "127.0.0.1:0"

[dns]
servers = ["{dns}"]
trust_anchor = "{anchor}"

[webpki]
extra_roots = "{roots}"

[domain."sender.test"]
maildir = "{maildir}"

[outbound]
ehlo = "{name}.sender.test"
smtp_port = {smtp_port}
https_port = {https_port}

{store}
"#,
            data = self.data_dir(name).display(),
            dns = self.dns.addr(),
            anchor = self.anchor.display(),
            roots = self.roots.display(),
            maildir = self.dir.path().join("mail").display(),
            smtp_port = self.smtp_port,
            https_port = self.https_port,
        );
        let config = Config::parse(&text, Path::new("test.toml")).expect("valid");
        Daemon::start(config, clock.clone(), Scheduling::Manual)
            .await
            .expect("node starts")
    }

    fn data_dir(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// Submits one message to `to` through `node` and runs its scheduler.
async fn send_and_drain(node: &Daemon, to: &str) {
    let (mut talk, _) = Talk::connect(node.listening()[0].1).await;
    talk.send("EHLO client.sender.test").await;
    let reply = talk
        .mail("alice@sender.test", &[to], "Subject: policy\r\n\r\nHi.")
        .await;
    assert!(reply.starts_with("250"), "{reply}");
    talk.send("QUIT").await;
    node.drain().await.expect("the store answers");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_policy_fetched_by_one_node_serves_the_other_without_a_fetch() {
    let world = sts_world(61, 62).await;
    let db = TestDatabase::create().await;
    let store = format!("[store]\nkind = \"postgres\"\nurl = \"{}\"\n", db.url);
    let clock = Arc::new(ManualClock::new(SystemTime::now()));
    let a = world.node("a", &store, &clock).await;
    let b = world.node("b", &store, &clock).await;

    send_and_drain(&a, "bob@sts.test").await;
    assert_eq!(world.receiver.messages().len(), 1, "delivered by node a");
    assert_eq!(world.policy_host.fetches(), 1, "node a fetched the policy");

    send_and_drain(&b, "carol@sts.test").await;
    assert_eq!(world.receiver.messages().len(), 2, "delivered by node b");
    assert_eq!(
        world.policy_host.fetches(),
        1,
        "node b used the policy node a stored in the shared queue"
    );
    let trace = b.shared().store.trace("carol@sts.test").await.unwrap();
    assert!(
        format!("{trace:?}").contains("enforce"),
        "delivered under the policy: {trace:?}"
    );
    a.stop().await;
    b.stop().await;
    assert!(
        !world.data_dir("a").join("mta-sts.db").exists(),
        "no node-local policy cache any more"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn policies_of_an_older_mta_sts_db_move_into_the_store() {
    let world = sts_world(63, 64).await;
    let clock = Arc::new(ManualClock::new(SystemTime::now()));
    let data = world.data_dir("old");
    std::fs::create_dir_all(&data).unwrap();
    {
        let legacy = PolicyCache::open(&data.join("mta-sts.db")).unwrap();
        let policy = Policy {
            mode: Mode::Enforce,
            max_age: 604_800,
            mx: vec![MxPattern::parse("mx.sts.test").unwrap()],
        };
        legacy
            .store("sts.test", RECORD_ID, &policy, SystemTime::now())
            .unwrap();
    }
    let node = world.node("old", "", &clock).await;
    assert!(data.join("mta-sts.db.imported").exists());
    assert!(!data.join("mta-sts.db").exists());

    send_and_drain(&node, "bob@sts.test").await;
    assert_eq!(world.receiver.messages().len(), 1);
    assert_eq!(
        world.policy_host.fetches(),
        0,
        "the imported policy was used as cached"
    );
    node.stop().await;
}
