//! The human output of `queue list`, `queue show`, `trace`, `report tls
//! sent|received` and `report dmarc sent|received` as snapshots (`tests/snapshots/`). The queue is the one
//! the real daemon left after one delivery round against the demo's test
//! world: one message delivered over DANE, one deferred because STARTTLS
//! was stripped. What changes from run to run is masked: ports, times,
//! queue ids, digests.

mod masks;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;
use std::time::SystemTime;

use dns::clock::ManualClock;
use masks::{mask_dates, mask_hex, mask_queue_ids, mask_times};
use server::config::Config;
use server::{Daemon, Scheduling};
use testworld::demo::{DemoWorld, SENDER_DOMAIN, submit};

const RFC_EXAMPLE: &[u8] =
    include_bytes!("../../report/tests/fixtures/tlsrpt/rfc8460-example.json");
const MICROSOFT_PUBLISHED: &[u8] =
    include_bytes!("../../report/tests/fixtures/tlsrpt/microsoft-published-no-addresses.json");
const GOOGLE_PUBLISHED: &[u8] =
    include_bytes!("../../report/tests/fixtures/tlsrpt/google-published.eml");
const GOOGLE_DMARC: &[u8] =
    include_bytes!("../../report/tests/fixtures/dmarc/google-published.eml");
const MICROSOFT_DMARC: &[u8] =
    include_bytes!("../../report/tests/fixtures/dmarc/microsoft-published.eml");

/// Writes the configuration of `sealane demo` for `world` to
/// `dir/sealane.toml`, keeping its data in `dir/data`.
fn write_config(world: &DemoWorld, dir: &Path) -> PathBuf {
    let anchor = dir.join("trust-anchor.txt");
    world
        .dns
        .write_trust_anchor(&anchor)
        .expect("anchor written");
    let roots = dir.join("demo-root.pem");
    world.ca.write_root_pem(&roots).expect("root written");
    let text = format!(
        "[server]\nhostname = \"mail.{SENDER_DOMAIN}\"\ndata_dir = \"{data}\"\n\n\
         [[listener]]\nrole = \"submission\"\naddress = \"127.0.0.1:0\"\n\n\
         [dns]\nservers = [\"{dns}\"]\ntrust_anchor = \"{anchor}\"\n\n\
         [webpki]\nextra_roots = \"{roots}\"\n\n\
         [outbound]\nehlo = \"mail.{SENDER_DOMAIN}\"\nsmtp_port = {smtp}\nhttps_port = {https}\n",
        data = dir.join("data").display(),
        dns = world.dns.addr(),
        anchor = anchor.display(),
        roots = roots.display(),
        smtp = world.smtp_port,
        https = world.https_port,
    );
    let path = dir.join("sealane.toml");
    std::fs::write(&path, text).expect("configuration written");
    path
}

fn sealane(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_sealane"))
        .args(args)
        .output()
        .expect("sealane runs")
}

/// Exit status, standard output and standard error, masked.
fn shown(world: &DemoWorld, dir: &Path, output: &Output) -> String {
    let text = format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        output
            .status
            .code()
            .map_or("signal".into(), |c| c.to_string()),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    let text = text
        .replace(&format!(":{}", world.smtp_port), ":[SMTP-PORT]")
        .replace(&dir.to_string_lossy().into_owned(), "[DIR]");
    mask_hex(&mask_times(&mask_queue_ids(&mask_client_ports(&text))))
}

/// The ports our side of each connection had (`127.0.0.1:52912`) become
/// `127.0.0.1:[PORT]`.
fn mask_client_ports(text: &str) -> String {
    let mut parts = text.split("127.0.0.1:");
    let mut out = parts.next().unwrap_or_default().to_owned();
    for part in parts {
        out.push_str("127.0.0.1:");
        let digits = part.len() - part.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 {
            out.push_str("[PORT]");
        }
        out.push_str(&part[digits..]);
    }
    out
}

/// The ages of `queue list` (`0s`, `3m`) become `[AGE]`.
fn mask_ages(text: &str) -> String {
    text.lines()
        .map(|line| {
            line.split(' ')
                .map(|word| {
                    let number = word.trim_end_matches(['s', 'm', 'h', 'd']);
                    if !number.is_empty()
                        && number.len() < word.len()
                        && number.chars().all(|c| c.is_ascii_digit())
                    {
                        "[AGE]"
                    } else {
                        word
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_trace_and_report_human_output() {
    let world = DemoWorld::start().await.expect("the demo world starts");
    let dir = tempfile::tempdir().expect("temporary directory");
    let clock = Arc::new(ManualClock::new(SystemTime::now()));
    let config_path = write_config(&world, dir.path());
    let config = Config::load(&config_path).expect("a valid configuration");
    let daemon = Daemon::start(config.clone(), clock, Scheduling::Manual)
        .await
        .expect("the daemon starts");
    let submission = daemon.listening()[0].1;
    let replies = submit(
        submission,
        &format!("client.{SENDER_DOMAIN}"),
        &format!("demo@{SENDER_DOMAIN}"),
        &["someone@dane.demo".into(), "someone@stripped.demo".into()],
    )
    .await
    .expect("both messages queued");
    let deferred_id = replies[1]
        .rsplit(' ')
        .next()
        .expect("a queue id in the reply")
        .to_owned();
    daemon.drain().await.expect("one delivery round");
    daemon.stop().await;

    let config_arg = config_path.to_str().expect("a UTF-8 path");
    let list = sealane(&["queue", "list", "--config", config_arg]);
    insta::assert_snapshot!("queue_list", mask_ages(&shown(&world, dir.path(), &list)));
    let show = sealane(&["queue", "show", &deferred_id, "--config", config_arg]);
    insta::assert_snapshot!("queue_show_deferred", shown(&world, dir.path(), &show));
    let trace = sealane(&["trace", "someone@dane.demo", "--config", config_arg]);
    insta::assert_snapshot!("trace_delivered", shown(&world, dir.path(), &trace));
    // By sender: the delivered message and the deferred one.
    let sender = format!("Demo@{SENDER_DOMAIN}");
    let by_sender = sealane(&[
        "trace",
        "--sender",
        &sender,
        "--since",
        "2020-01-01",
        "--json",
        "--config",
        config_arg,
    ]);
    assert!(by_sender.status.success(), "{by_sender:?}");
    let found: serde_json::Value = serde_json::from_slice(&by_sender.stdout).unwrap();
    assert_eq!(found.as_array().map(Vec::len), Some(2), "{found}");
    let none = sealane(&[
        "trace",
        "--sender",
        &sender,
        "--until",
        "2020-01-01",
        "--config",
        config_arg,
    ]);
    assert_eq!(none.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&none.stderr)
            .contains("no message in the queue matches the sender"),
        "{none:?}"
    );

    let sent = sealane(&[
        "report",
        "tls",
        "sent",
        "--domain",
        "dane.demo",
        "--config",
        config_arg,
    ]);
    insta::assert_snapshot!(
        "report_tls_sent",
        mask_dates(&shown(&world, dir.path(), &sent))
    );

    {
        let store = server::store::open_existing(&config, Arc::new(dns::clock::SystemClock))
            .await
            .expect("the queue opens");
        let now = SystemTime::now();
        let rfc: report::tlsrpt::Report = serde_json::from_slice(RFC_EXAMPLE).unwrap();
        report::tlsrpt::keep(store.as_ref(), &rfc, None, now)
            .await
            .unwrap();
        let microsoft: report::tlsrpt::Report =
            serde_json::from_slice(MICROSOFT_PUBLISHED).unwrap();
        report::tlsrpt::keep(store.as_ref(), &microsoft, None, now)
            .await
            .unwrap();
        report::tlsrpt::receive_mail(store.as_ref(), GOOGLE_PUBLISHED, now)
            .await
            .unwrap();
    }
    let received = sealane(&["report", "tls", "received", "--config", config_arg]);
    insta::assert_snapshot!("report_tls_received", shown(&world, dir.path(), &received));

    {
        let store = server::store::open_existing(&config, Arc::new(dns::clock::SystemClock))
            .await
            .expect("the queue opens");
        let now = SystemTime::now();
        for mail in [GOOGLE_DMARC, MICROSOFT_DMARC] {
            report::dmarc::receive_mail(store.as_ref(), mail, now)
                .await
                .unwrap();
        }
        let today = queue::utc_day(now);
        let row = |ip: &str, disposition: &str, pass: bool| queue::DmarcRow {
            source_ip: ip.parse().unwrap(),
            disposition: disposition.into(),
            dkim_aligned: pass,
            spf_aligned: pass,
            overrides: Vec::new(),
            header_from: "dane.demo".into(),
            envelope_from: "dane.demo".into(),
            dkim: Vec::new(),
            spf: vec![queue::DmarcSpf {
                domain: "dane.demo".into(),
                scope: "mfrom".into(),
                result: if pass { "pass" } else { "fail" }.into(),
            }],
        };
        let seen = |row, count| queue::DmarcObservation {
            policy_domain: "dane.demo".into(),
            day: today,
            row,
            count,
        };
        store
            .record_dmarc(vec![
                seen(row("192.0.2.10", "none", true), 7),
                seen(row("2001:db8::66", "reject", false), 2),
            ])
            .await
            .unwrap();
    }
    let received = sealane(&["report", "dmarc", "received", "--config", config_arg]);
    insta::assert_snapshot!(
        "report_dmarc_received",
        shown(&world, dir.path(), &received)
    );
    let sent = sealane(&[
        "report",
        "dmarc",
        "sent",
        "--domain",
        "dane.demo",
        "--config",
        config_arg,
    ]);
    insta::assert_snapshot!(
        "report_dmarc_sent",
        mask_dates(&shown(&world, dir.path(), &sent))
    );
}
