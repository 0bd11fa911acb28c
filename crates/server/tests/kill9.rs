//! Durability against `kill -9`: the daemon runs in a process of its own
//! (this test binary started again with `SEALANE_KILL9_CHILD` naming its
//! configuration), is killed with SIGKILL at random moments while clients
//! submit, and is started again on the same queue. Every message that got
//! a 250 must reach the receiver at least once; duplicates are allowed
//! (delivery is at-least-once) and counted. On PostgreSQL, a node killed
//! so leaves its recipients to another node of the same database.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use common::{Internet, internet};
use dns::clock::SystemClock;
use queue::{EventKind, SqliteStore, Store};
use server::config::Config;
use server::{Daemon, Scheduling};
use testworld::net::free_port;
use testworld::smtp::{Behaviour, Step};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// Names the configuration file of a child daemon.
const CHILD: &str = "SEALANE_KILL9_CHILD";

/// The header that tells messages apart at the receiver.
const ID_HEADER: &str = "X-Kill9-Id: ";

/// Rounds of load, kill and restart before the final drain.
const ROUNDS: usize = 5;

/// Concurrent submitting clients.
const CLIENTS: usize = 8;

/// Not a test: the daemon of a child process, run until it is killed.
/// Without `SEALANE_KILL9_CHILD` (the ordinary test run) it returns at once.
#[test]
fn child_daemon() {
    let Some(path) = std::env::var_os(CHILD) else {
        return;
    };
    let config = Config::load(Path::new(&path)).expect("the parent wrote a valid configuration");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let _daemon = Daemon::start(config, Arc::new(SystemClock), Scheduling::Automatic)
            .await
            .expect("the child daemon starts");
        std::future::pending::<()>().await;
    });
}

/// A daemon in a child process on a fixed submission port.
struct ChildDaemon {
    config: PathBuf,
    submission: SocketAddr,
    child: Option<Child>,
    starts: usize,
}

impl ChildDaemon {
    fn new(net: &Internet, extra: &str) -> ChildDaemon {
        let submission =
            SocketAddr::from(([127, 0, 0, 1], free_port(&["127.0.0.1".parse().unwrap()])));
        let config = net.dir.path().join("kill9.toml");
        std::fs::write(&config, net.config_text(extra, submission)).unwrap();
        ChildDaemon {
            config,
            submission,
            child: None,
            starts: 0,
        }
    }

    /// Starts the child and waits until its submission port answers.
    async fn start(&mut self) {
        assert!(self.child.is_none());
        let log = std::fs::File::create(
            self.config
                .with_file_name(format!("child-{}.log", self.starts)),
        )
        .unwrap();
        let child = Command::new(std::env::current_exe().unwrap())
            .args(["child_daemon", "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD, &self.config)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("the test binary starts again");
        self.child = Some(child);
        self.starts += 1;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("the child daemon exited: {status}");
            }
            if TcpStream::connect(self.submission).await.is_ok() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the child daemon does not listen"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGKILL, then reap.
    fn kill(&mut self) {
        let mut child = self.child.take().expect("a child runs");
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

impl Drop for ChildDaemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A small xorshift generator; the seed is printed so a run can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// One SMTP session that submits messages until it fails.
struct Session {
    reader: BufReader<tokio::io::ReadHalf<TcpStream>>,
    writer: tokio::io::WriteHalf<TcpStream>,
}

impl Session {
    async fn open(addr: SocketAddr) -> Option<Session> {
        let stream = timeout(Duration::from_secs(2), TcpStream::connect(addr))
            .await
            .ok()?
            .ok()?;
        let (r, w) = tokio::io::split(stream);
        let mut s = Session {
            reader: BufReader::new(r),
            writer: w,
        };
        s.expect("", "220").await?;
        s.expect("EHLO load.sender.test", "250").await?;
        Some(s)
    }

    /// Sends `line` (nothing if empty) and reads one whole reply; `None`
    /// on any failure or a reply not starting with `code`.
    async fn expect(&mut self, line: &str, code: &str) -> Option<String> {
        let reply = self.command(line).await?;
        reply.starts_with(code).then_some(reply)
    }

    async fn command(&mut self, line: &str) -> Option<String> {
        if !line.is_empty() {
            self.writer
                .write_all(format!("{line}\r\n").as_bytes())
                .await
                .ok()?;
        }
        let mut all = String::new();
        loop {
            let mut l = String::new();
            let n = timeout(Duration::from_secs(10), self.reader.read_line(&mut l))
                .await
                .ok()?
                .ok()?;
            if n == 0 {
                return None;
            }
            all.push_str(&l);
            if l.as_bytes().get(3) != Some(&b'-') {
                return Some(all);
            }
        }
    }

    /// One transaction with message `id`; the reply to the final dot.
    async fn submit(&mut self, id: u64) -> Option<String> {
        self.expect("MAIL FROM:<load@sender.test>", "250").await?;
        self.expect("RCPT TO:<bob@dane.test>", "250").await?;
        self.expect("DATA", "354").await?;
        self.command(&format!(
            "Subject: load {id}\r\nMessage-ID: <{id}@load.sender.test>\r\n{ID_HEADER}{id}\r\n\r\nMessage {id}.\r\n."
        ))
        .await
    }
}

/// What the load generator saw.
#[derive(Default)]
struct Ledger {
    /// Messages acknowledged with 250, and their queue ids.
    acknowledged: BTreeMap<u64, String>,
    /// Messages whose final dot got no reply (the daemon died first):
    /// they may or may not have been queued.
    unanswered: u64,
    /// Replies other than 250 to the final dot.
    refused: u64,
}

/// Submits distinct messages from `CLIENTS` sessions until `stop`,
/// reconnecting whenever the daemon goes away.
fn load(
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    ledger: Arc<Mutex<Ledger>>,
) -> tokio::task::JoinSet<()> {
    let next = Arc::new(AtomicU64::new(1));
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..CLIENTS {
        let (stop, ledger, next) = (stop.clone(), ledger.clone(), next.clone());
        clients.spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let Some(mut session) = Session::open(addr).await else {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                };
                while !stop.load(Ordering::Relaxed) {
                    let id = next.fetch_add(1, Ordering::Relaxed);
                    let reply = session.submit(id).await;
                    let mut ledger = ledger.lock().unwrap();
                    match reply {
                        Some(r) if r.starts_with("250") => {
                            let queue_id = r.trim_end().rsplit(' ').next().unwrap().to_owned();
                            ledger.acknowledged.insert(id, queue_id);
                        }
                        Some(_) => ledger.refused += 1,
                        None => {
                            ledger.unanswered += 1;
                            break;
                        }
                    }
                }
            }
        });
    }
    clients
}

/// How many times each message id arrived at the receiver.
fn arrivals(net: &Internet) -> BTreeMap<u64, usize> {
    let mut seen = BTreeMap::new();
    for message in net.receivers[0].messages() {
        let data = String::from_utf8_lossy(&message.data);
        let id = data
            .lines()
            .find_map(|l| l.strip_prefix(ID_HEADER))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .expect("every message the receiver got carries its id");
        *seen.entry(id).or_default() += 1;
    }
    seen
}

/// The configuration both tests add: a short lease, so leases of a killed
/// daemon lapse in seconds, and a short retry delay.
const SHORT: &str = r#"[queue]
lease = "3s"

[retry]
schedule = ["2s"]
jitter_percent = 0
"#;

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_under_load_loses_no_acknowledged_message() {
    let started = Instant::now();
    let net = internet().await;
    let mut daemon = ChildDaemon::new(&net, SHORT);
    let seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let mut rng = Rng(seed);
    let stop = Arc::new(AtomicBool::new(false));
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut kills = Vec::new();
    daemon.start().await;
    let mut clients = load(daemon.submission, stop.clone(), ledger.clone());
    for _ in 0..ROUNDS {
        let after = Duration::from_millis(300 + rng.below(1700));
        tokio::time::sleep(after).await;
        let before = ledger.lock().unwrap().acknowledged.len();
        daemon.kill();
        kills.push((after, before));
        daemon.start().await;
    }
    // A last stretch of load on the restarted daemon, then the drain.
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    while clients.join_next().await.is_some() {}
    let ledger = std::mem::take(&mut *ledger.lock().unwrap());
    let wanted: BTreeSet<u64> = ledger.acknowledged.keys().copied().collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    let seen = loop {
        let seen = arrivals(&net);
        if wanted.iter().all(|id| seen.contains_key(id)) || Instant::now() > deadline {
            break seen;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    daemon.kill();

    let lost: Vec<(u64, &String)> = ledger
        .acknowledged
        .iter()
        .filter(|(id, _)| !seen.contains_key(id))
        .map(|(id, q)| (*id, q))
        .collect();
    let delivered: usize = seen.values().sum();
    let duplicates = delivered - seen.len();
    let unacknowledged_delivered = seen.keys().filter(|id| !wanted.contains(id)).count();
    println!(
        "kill -9: seed {seed:#x}, {ROUNDS} rounds (killed after {:?}), {} acknowledged with 250, \
         {} final dots unanswered, {} refused; receiver got {delivered} messages: {} distinct, \
         {duplicates} duplicates, {unacknowledged_delivered} never acknowledged; lost {}; {:.1?} in all",
        kills,
        ledger.acknowledged.len(),
        ledger.unanswered,
        ledger.refused,
        seen.len(),
        lost.len(),
        started.elapsed(),
    );
    assert!(
        ledger.acknowledged.len() >= 50,
        "the load generator got too few messages through to test anything"
    );
    assert!(
        lost.is_empty(),
        "{} messages acknowledged with 250 never delivered; the first (id, queue id): {:?}",
        lost.len(),
        &lost[..lost.len().min(20)]
    );
    assert_eq!(ledger.refused, 0, "the daemon refused messages under load");
}

#[tokio::test(flavor = "multi_thread")]
async fn restart_resumes_in_flight_leases() {
    let net = internet().await;
    // The MX holds the DATA command, so the delivery is in flight, its
    // recipient leased, when the daemon dies.
    net.receivers[0].set_behaviour(
        Behaviour::starttls(&net.dane_identity).delay_at(Step::Data, Duration::from_secs(60)),
    );
    let mut daemon = ChildDaemon::new(&net, SHORT);
    daemon.start().await;
    let submitted = Instant::now();
    let mut session = Session::open(daemon.submission).await.unwrap();
    let reply = session.submit(1).await.unwrap();
    assert!(reply.starts_with("250"), "{reply}");
    let queue_id = reply.trim_end().rsplit(' ').next().unwrap().to_owned();
    drop(session);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !net.receivers[0]
        .sessions()
        .iter()
        .any(|s| s.received("DATA"))
    {
        assert!(Instant::now() < deadline, "the delivery never reached DATA");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    daemon.kill();
    assert!(net.receivers[0].messages().is_empty());

    net.receivers[0].set_behaviour(Behaviour::starttls(&net.dane_identity));
    daemon.start().await;
    let got = net.receivers[0]
        .wait_for_messages(1, Duration::from_secs(20))
        .await
        .expect("the restarted daemon delivers the message whose lease lapsed");
    let waited = submitted.elapsed();
    assert_eq!(got.len(), 1);
    assert!(
        String::from_utf8_lossy(&got[0].data).contains(&format!("{ID_HEADER}1")),
        "the same message"
    );
    assert!(
        waited >= Duration::from_secs(3),
        "delivered again only after the 3 s lease lapsed, not after {waited:?}"
    );

    // The trace, read while the daemon runs (as `sealane trace` does):
    // the lapsed lease of the killed daemon, then the delivery.
    let store = SqliteStore::open(net.data_dir().join("queue.db"), Arc::new(SystemClock)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let events = loop {
        let trace = store.trace(&queue_id).await.unwrap();
        let events = trace[0].events.clone();
        if events
            .iter()
            .any(|e| matches!(e.kind, EventKind::Delivered { .. }))
            || Instant::now() > deadline
        {
            break events;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    daemon.kill();
    assert!(
        events.iter().any(
            |e| matches!(&e.kind, EventKind::LeaseLapsed { owner } if owner.starts_with("mail.sender.test:"))
        ),
        "the trace records the lapsed lease: {events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e.kind, EventKind::Delivered { .. })),
        "the delivery is recorded: {events:?}"
    );
    assert_eq!(net.receivers[0].messages().len(), 1, "delivered once");
}

/// Issue 13 on PostgreSQL: a node in its own process, killed with SIGKILL
/// while it delivers, leaves its leased recipients to another node of the
/// same database, which delivers them once their leases lapse; only those
/// in flight at the kill may arrive twice.
#[tokio::test(flavor = "multi_thread")]
async fn a_node_killed_with_9_leaves_its_recipients_to_another_node() {
    const COUNT: u64 = 200;
    let net = internet().await;
    let db = testworld::postgres::TestDatabase::create().await;
    let extra = format!(
        "{SHORT}\n[limits]\nper_destination = 2\n\n[store]\nkind = \"postgres\"\nurl = \"{}\"\n",
        db.url
    );
    // Slow deliveries, two sessions at once: the node dies with batches
    // in flight and most of the queue still to do.
    net.receivers[0].set_behaviour(
        Behaviour::starttls(&net.dane_identity).delay_at(Step::Data, Duration::from_millis(100)),
    );
    let mut a = ChildDaemon::new(&net, &extra);
    a.start().await;
    let mut session = Session::open(a.submission).await.unwrap();
    for id in 0..COUNT {
        let reply = session.submit(id).await.unwrap();
        assert!(reply.starts_with("250"), "{reply}");
    }
    drop(session);
    net.receivers[0]
        .wait_for_messages(20, Duration::from_secs(60))
        .await
        .expect("node a delivers");
    a.kill();
    let delivered_by_a = net.receivers[0].messages().len();

    let text = net
        .config_text(&extra, SocketAddr::from(([127, 0, 0, 1], 0)))
        .replace("\"mail.sender.test\"", "\"node-b.sender.test\"");
    let config = Config::parse(&text, Path::new("node-b.toml")).expect("valid");
    let b = Daemon::start(config, Arc::new(SystemClock), Scheduling::Manual)
        .await
        .expect("node b starts");
    let in_flight: u64 = b
        .shared()
        .store
        .summary()
        .await
        .unwrap()
        .by_domain
        .iter()
        .map(|d| d.in_flight)
        .sum();
    assert!(in_flight > 0, "node a died holding leases");
    net.receivers[0].set_behaviour(Behaviour::starttls(&net.dane_identity));
    let deadline = Instant::now() + Duration::from_secs(60);
    let seen = loop {
        b.drain().await.expect("the store answers");
        let seen = arrivals(&net);
        if (0..COUNT).all(|id| seen.contains_key(&id)) || Instant::now() > deadline {
            break seen;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let missing: Vec<u64> = (0..COUNT).filter(|id| !seen.contains_key(id)).collect();
    let duplicates: usize = seen.values().map(|n| n - 1).sum();
    println!(
        "kill -9 on PostgreSQL: node a delivered {delivered_by_a} of {COUNT} and died with \
         {in_flight} recipients in flight; node b finished; {duplicates} delivered twice"
    );
    assert!(missing.is_empty(), "never delivered: {missing:?}");
    assert!(
        duplicates as u64 <= in_flight,
        "only recipients in flight when node a died may be delivered twice"
    );
    assert!(
        b.shared().store.list(10).await.unwrap().is_empty(),
        "nothing pending"
    );
    b.stop().await;
}
