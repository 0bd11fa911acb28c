//! `sealane serve` as an administrator runs it: it starts from a config
//! file, takes a message from `sealane sendmail`, `sealane queue list` and
//! `sealane trace` read the queue while it runs, and SIGTERM stops it
//! cleanly. Also `config check` and `user add`.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_sealane");

/// A running `sealane serve`, killed when dropped.
struct Served {
    child: Child,
    submission: SocketAddr,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A config whose only domain relays to a closed loopback port, so that
/// the message stays in the queue (deferred).
fn write_config(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("sealane.toml");
    let text = format!(
        "[server]\nhostname = \"mx.example.test\"\ndata_dir = {data:?}\n\n\
         [[listener]]\nrole = \"submission\"\naddress = \"127.0.0.1:0\"\n\n\
         [dns]\nservers = [\"127.0.0.1:9\"]\n\n\
         [domain.\"example.test\"]\nrelay = \"127.0.0.1:9\"\n",
        data = dir.join("data").display().to_string()
    );
    std::fs::write(&path, text).expect("config written");
    path
}

/// Starts the server with JSON logs and reads its port from the
/// `listening` line.
fn serve(config: &Path) -> Served {
    let mut child = Command::new(BIN)
        .args(["serve", "--log-format", "json", "--config"])
        .arg(config)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sealane runs");
    let stderr = child.stderr.take().expect("stderr is piped");
    let mut lines = BufReader::new(stderr).lines();
    let line = lines
        .next()
        .expect("a first log line")
        .expect("readable log");
    let event: serde_json::Value = serde_json::from_str(&line).expect("a JSON log line");
    assert_eq!(event["message"], "listening", "{line}");
    let listener = event["listener"].as_str().expect("listener field");
    let submission = listener
        .strip_prefix("submission on ")
        .expect("a submission listener")
        .parse()
        .expect("an address");
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.by_ref() {});
    Served { child, submission }
}

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sealane runs");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin)
        .expect("stdin written");
    child.wait_with_output().expect("sealane finishes")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn serve_takes_sendmail_and_the_queue_and_trace_read_it_until_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path());
    let config_arg = config.to_str().unwrap();
    let mut served = serve(&config);
    let server = served.submission.to_string();

    let message = b"To: Ann <ann@example.test>\nBcc: bob@example.test\n\
        Message-ID: <cli-serve-1@client.test>\nSubject: hello\n\nbody\n.\nnot sent\n";
    let sent = run(
        &[
            "sendmail",
            "-t",
            "-f",
            "me@client.test",
            "--server",
            &server,
        ],
        message,
    );
    assert!(sent.status.success(), "{}", text(&sent.stderr));

    // The message shows up, with both recipients, as soon as it is queued.
    let deadline = Instant::now() + Duration::from_secs(20);
    let listing = loop {
        let out = run(&["queue", "list", "--json", "--config", config_arg], b"");
        assert!(out.status.success(), "{}", text(&out.stderr));
        let listing: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        if listing["messages"]
            .as_array()
            .is_some_and(|m| !m.is_empty())
        {
            break listing;
        }
        assert!(Instant::now() < deadline, "never listed: {listing}");
        std::thread::sleep(Duration::from_millis(50));
    };
    let m = &listing["messages"][0];
    assert_eq!(m["sender"], "me@client.test");
    assert_eq!(m["message_id"], "cli-serve-1@client.test");
    assert_eq!(m["outbound_pool"], "normal");
    let mut rcpts: Vec<&str> = m["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["recipient"]["address"].as_str().unwrap())
        .collect();
    rcpts.sort_unstable();
    assert_eq!(rcpts, ["ann@example.test", "bob@example.test"]);
    let id = m["id"].as_str().unwrap().to_owned();

    let data_dir = dir.path().join("data");
    let data_arg = data_dir.to_str().unwrap();
    let traced = run(
        &["trace", "<cli-serve-1@client.test>", "--data-dir", data_arg],
        b"",
    );
    assert!(traced.status.success(), "{}", text(&traced.stderr));
    let traced = text(&traced.stdout);
    assert!(traced.contains(&format!("message {id}")), "{traced}");
    assert!(traced.contains("received from 127.0.0.1:"), "{traced}");
    assert!(
        traced.contains("outbound_pool normal (no rule applied)"),
        "{traced}"
    );

    let shown = run(
        &["queue", "show", &id, "--json", "--data-dir", data_arg],
        b"",
    );
    let detail: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(detail["events"][0]["kind"]["event"], "received", "{detail}");
    let body_size = detail["meta"]["size"].as_u64().unwrap();
    assert!(body_size > 0);

    let text_list = run(&["queue", "list", "--data-dir", data_arg], b"");
    let text_list = text(&text_list.stdout);
    assert!(text_list.contains("By destination:"), "{text_list}");
    assert!(text_list.contains(&id), "{text_list}");
    assert!(text_list.contains(" normal "), "{text_list}");

    let held = run(&["queue", "hold", "--all", "--data-dir", data_arg], b"");
    assert!(held.status.success(), "{}", text(&held.stderr));
    let quarantined = run(&["queue", "quarantine", &id, "--data-dir", data_arg], b"");
    assert_eq!(
        text(&quarantined.stdout).trim(),
        "2 recipients quarantined",
        "{}",
        text(&quarantined.stderr)
    );
    let listed = text(&run(&["queue", "list", "--data-dir", data_arg], b"").stdout);
    assert!(listed.contains("  quarantined  "), "{listed}");
    let released = run(&["queue", "release", &id, "--data-dir", data_arg], b"");
    assert_eq!(text(&released.stdout).trim(), "2 recipients released");
    let dropped = run(&["queue", "drop", &id, "--data-dir", data_arg], b"");
    assert_eq!(text(&dropped.stdout).trim(), "1 message deleted");

    let pid = served.child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = served.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
}

#[test]
fn sendmail_to_no_server_is_a_temporary_failure() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = free.local_addr().unwrap().to_string();
    drop(free);
    let out = run(
        &["sendmail", "--server", &addr, "ann@example.test"],
        b"Subject: x\n\nbody\n",
    );
    assert_eq!(out.status.code(), Some(75), "{}", text(&out.stderr));
}

#[test]
fn serve_with_a_port_in_use_fails_with_status_1() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(
        &path,
        format!(
            "[server]\ndata_dir = {:?}\n[dns]\nservers = [\"127.0.0.1:9\"]\n\
             [[listener]]\nrole = \"submission\"\naddress = \"{}\"\n",
            dir.path().join("data").display().to_string(),
            taken.local_addr().unwrap()
        ),
    )
    .unwrap();
    let out = run(&["serve", "--config", path.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("cannot listen on"));
}

#[test]
fn config_check_names_the_line_of_a_bad_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "[server]\nhostname = \"mx.test\"\n\n[retry]\njitter_percent = 90\n",
    )
    .unwrap();
    let file = path.to_str().unwrap();
    let out = run(&["config", "check", file], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("{file}:5: retry.jitter_percent")),
        "{err}"
    );
    let serve = run(&["serve", "--config", file], b"");
    assert_eq!(serve.status.code(), Some(2));
    assert_eq!(
        text(&serve.stderr).lines().count(),
        1,
        "{}",
        text(&serve.stderr)
    );

    std::fs::write(&path, "[server]\nhostname = \"mx.test\"\n").unwrap();
    let out = run(&["config", "check", file], b"");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), format!("{file}: ok\n"));
}

#[test]
fn user_add_prints_a_block_the_config_accepts() {
    let out = run(&["user", "add", "ann \"the\" admin"], b"s3cret pass\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let block = text(&out.stdout);
    assert!(block.starts_with("[[user]]\n"), "{block}");
    assert!(!block.contains("s3cret"), "{block}");
    let config = server::config::Config::parse(&block, Path::new("user.toml"))
        .expect("the printed block is valid configuration");
    assert_eq!(config.users.len(), 1);
    assert_eq!(config.users[0].name, "ann \"the\" admin");
    assert!(server::users::verify(
        &config.users[0].password_hash,
        "s3cret pass"
    ));
    assert!(!server::users::verify(
        &config.users[0].password_hash,
        "s3cret pass\n"
    ));
}

/// The example at the repository root documents every key; parsing it
/// keeps it from drifting from what the server accepts.
#[test]
fn the_example_configuration_is_valid_and_complete() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sealane.example.toml");
    let example = std::fs::read_to_string(&path).expect("sealane.example.toml exists");
    let config = server::config::Config::parse(&example, &path).expect("the example is valid");
    assert_eq!(config.listeners.len(), 3);
    assert_eq!(config.domains.len(), 2);
    assert_eq!(config.users.len(), 2);
    assert_eq!(config.admins().count(), 1);
    let admin = config.admin.as_ref().expect("the example has [admin]");
    assert!(admin.tls, "the console takes the [tls] certificate");
    assert!(config.tls.is_some() && config.webpki_extra_roots.is_some());
    assert!(config.dns.trust_anchor.is_some() && config.outbound.source.is_some());
    assert_eq!(config.local_policy.len(), 1);
    assert!(matches!(
        config.store,
        server::config::StoreSettings::Postgres {
            password: Some(_),
            ..
        }
    ));
    let out = run(&["config", "check", path.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

/// Issue 12: a local resolver that cannot serve DNSSEC is named at start,
/// in one line, after the listeners are up (the probe runs in the
/// background).
#[test]
fn serve_says_at_start_when_its_resolver_cannot_serve_dnssec() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path());
    let mut child = Command::new(BIN)
        .args(["serve", "--log-format", "json", "--config"])
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sealane runs");
    let stderr = child.stderr.take().expect("stderr is piped");
    let served = Served {
        child,
        submission: SocketAddr::from(([127, 0, 0, 1], 0)),
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let first = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("a first log line");
    assert!(first.contains("\"listening\""), "{first}");
    let deadline = Instant::now() + Duration::from_secs(60);
    let warning = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx
            .recv_timeout(left)
            .expect("a line about the resolver within a minute");
        if line.contains("cannot serve DNSSEC") {
            break line;
        }
    };
    let event: serde_json::Value = serde_json::from_str(&warning).expect("a JSON log line");
    assert_eq!(event["level"], "WARN", "{warning}");
    assert_eq!(event["anchor"], ".", "{warning}");
    assert!(event["seen"].is_string(), "{warning}");
    // One line: nothing repeats it.
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(2)) {
        assert!(!line.contains("DNSSEC"), "said twice: {line}");
    }
    drop(served);
}

/// `user add` prints through the shared output (nothing with `-q`, as
/// every command) and names a refused user name in our quotes, escaped.
#[test]
fn user_add_follows_quiet_and_quotes_a_refused_name() {
    let quiet = run(&["-q", "user", "add", "ann"], b"s3cret pass\n");
    assert_eq!(quiet.status.code(), Some(0), "{}", text(&quiet.stderr));
    assert!(quiet.stdout.is_empty(), "{}", text(&quiet.stdout));

    let refused = run(&["user", "add", "ann\x07"], b"s3cret pass\n");
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(
        text(&refused.stderr),
        "sealane: \"ann\\x07\" is not a user name (empty or with control characters)\n"
    );
}
