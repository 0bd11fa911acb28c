//! `sealane report dmarc received` and `sent`, on a store written as the
//! server writes it: the aggregate reports others sent, summed per policy
//! domain and source address, by domain and period, in words or as JSON;
//! and ours on a Domain Owner and day, counted so far or sent.

use std::sync::Arc;
use std::time::SystemTime;

use dns::clock::ManualClock;
use queue::{
    DmarcObservation, DmarcOverride, DmarcRow, DmarcSpf, ReportState, SqliteStore, Store, utc_day,
};

mod support;
use support::{sealane, stdout};

const SAMPLE: &[u8] = include_bytes!("../../report/tests/fixtures/dmarc/sample-reporter.xml");
const GOOGLE: &[u8] = include_bytes!("../../report/tests/fixtures/dmarc/google-published.eml");
const MICROSOFT: &[u8] =
    include_bytes!("../../report/tests/fixtures/dmarc/microsoft-published.eml");

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

fn row(ip: &str, disposition: &str, spf_aligned: bool) -> DmarcRow {
    DmarcRow {
        source_ip: ip.parse().expect("address"),
        disposition: disposition.into(),
        dkim_aligned: false,
        spf_aligned,
        overrides: if disposition == "quarantine" {
            vec![DmarcOverride {
                kind: "local_policy".into(),
                comment: Some("the receiver's policy for reject is to quarantine".into()),
            }]
        } else {
            Vec::new()
        },
        header_from: "example.org".into(),
        envelope_from: "example.org".into(),
        dkim: Vec::new(),
        spf: vec![DmarcSpf {
            domain: "example.org".into(),
            scope: "mfrom".into(),
            result: if spf_aligned { "pass" } else { "fail" }.into(),
        }],
    }
}

#[tokio::test]
async fn sent_shows_todays_rows_to_come_and_a_past_report_as_sent() {
    let dir = tempfile::tempdir().unwrap();
    let today = utc_day(SystemTime::now());
    {
        let clock = Arc::new(ManualClock::new(SystemTime::now()));
        let store = SqliteStore::open(dir.path().join("queue.db"), clock).expect("store opens");
        let seen = |day, row, count| DmarcObservation {
            policy_domain: "example.org".into(),
            day,
            row,
            count,
        };
        store
            .record_dmarc(vec![
                seen(today, row("192.0.2.1", "none", true), 12),
                seen(today, row("203.0.113.9", "quarantine", false), 2),
                seen(today - 1, row("192.0.2.1", "none", true), 5),
            ])
            .await
            .unwrap();
        store
            .set_dmarc_report(
                "example.org",
                today - 1,
                ReportState::Sent {
                    report_id: "r".into(),
                },
            )
            .await
            .unwrap();
    }
    let data_dir = dir.path().to_str().unwrap();
    let now = stdout(&sealane(&[
        "report",
        "dmarc",
        "sent",
        "--domain",
        "Example.ORG",
        "--data-dir",
        data_dir,
    ]));
    assert!(
        now.contains("will be sent once the day is over (messages counted so far)"),
        "{now}"
    );
    assert!(now.contains("14 messages, 12 passed DMARC"), "{now}");
    assert!(
        now.contains("203.0.113.9 x2: quarantine, dkim fail, spf fail (From example.org, MAIL FROM example.org); local_policy: "),
        "{now}"
    );
    let yesterday = queue::day_start(today - 1);
    let date = report::tlsrpt::day_text(utc_day(yesterday));
    let past = stdout(&sealane(&[
        "report",
        "dmarc",
        "sent",
        "--domain",
        "example.org",
        "--date",
        &date,
        "--data-dir",
        data_dir,
        "--json",
    ]));
    let json: serde_json::Value = serde_json::from_str(&past).expect("JSON");
    assert_eq!(json["state"], "sent", "{json}");
    assert_eq!(json["messages"], 5, "{json}");
    let none = stdout(&sealane(&[
        "report",
        "dmarc",
        "sent",
        "--domain",
        "nobody.example",
        "--data-dir",
        data_dir,
    ]));
    assert!(
        none.starts_with("no message from nobody.example was counted"),
        "{none}"
    );
}
