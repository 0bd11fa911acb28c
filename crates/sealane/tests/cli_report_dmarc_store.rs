//! `sealane report dmarc received`, on a store written as the server
//! writes it: the aggregate reports others sent, summed per policy domain
//! and source address, by domain and period, in words or as JSON.

use std::process::{Command, Output};
use std::sync::Arc;
use std::time::SystemTime;

use dns::clock::ManualClock;
use queue::{SqliteStore, Store};

const SAMPLE: &[u8] = include_bytes!("../../report/tests/fixtures/dmarc/sample-reporter.xml");
const GOOGLE: &[u8] = include_bytes!("../../report/tests/fixtures/dmarc/google-published.eml");
const MICROSOFT: &[u8] =
    include_bytes!("../../report/tests/fixtures/dmarc/microsoft-published.eml");

fn sealane(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sealane"))
        .args(args)
        .output()
        .expect("sealane runs")
}

fn stdout(output: &Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

async fn keep(store: &SqliteStore, data: &[u8]) -> String {
    let report = report::dmarc::read(data).expect("the fixture parses");
    let kept = report::dmarc::to_store(&report, SystemTime::now()).expect("keyed");
    let domain = kept.policy_domain.clone();
    assert!(store.store_received_dmarc_report(kept).await.expect("kept"));
    domain
}

#[tokio::test]
async fn received_sums_every_kept_report_per_domain_and_source() {
    let dir = tempfile::tempdir().unwrap();
    let domains = {
        let clock = Arc::new(ManualClock::new(SystemTime::now()));
        let store = SqliteStore::open(dir.path().join("queue.db"), clock).expect("store opens");
        vec![
            keep(&store, SAMPLE).await,
            keep(&store, GOOGLE).await,
            keep(&store, MICROSOFT).await,
        ]
    };
    let data_dir = dir.path().to_str().unwrap();
    let all = stdout(&sealane(&[
        "report",
        "dmarc",
        "received",
        "--data-dir",
        data_dir,
    ]));
    assert!(
        all.starts_with("3 DMARC aggregate reports received\n"),
        "{all}"
    );
    assert!(
        all.contains("example.com (Sample Reporter)"),
        "the sample's domain and reporter: {all}"
    );
    assert!(
        all.contains("  192.168.4.4 x123: quarantine, dkim pass, spf fail"),
        "{all}"
    );

    let one = stdout(&sealane(&[
        "report",
        "dmarc",
        "received",
        "--data-dir",
        data_dir,
        "--domain",
        &domains[1],
        "--json",
    ]));
    let json: serde_json::Value = serde_json::from_str(&one).expect("JSON");
    let reports = json["reports"].as_u64().expect("a count");
    assert!((1..=2).contains(&reports), "{json}");
    assert!(
        json["domains"]
            .as_array()
            .expect("domains")
            .iter()
            .all(|d| d["domain"] == domains[1].as_str()),
        "{json}"
    );

    let none = stdout(&sealane(&[
        "report",
        "dmarc",
        "received",
        "--data-dir",
        data_dir,
        "--domain",
        "nobody.example",
    ]));
    assert_eq!(none, "no DMARC aggregate reports received\n");

    let bad = sealane(&[
        "report",
        "dmarc",
        "received",
        "--data-dir",
        data_dir,
        "--since",
        "yesterday",
    ]);
    assert_eq!(bad.status.code(), Some(2));
}
