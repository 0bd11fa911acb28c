//! The aggregate reports we send (RFC 7489 §7.2): the XML is valid
//! against RFC 7489 Appendix C's schema by `xmllint` (libxml2, another
//! implementation than ours), reads back through mail-auth's parser with
//! every count and result, and travels in the mail §7.2.1.1 describes.

use std::process::Command;

use queue::{DmarcDkim, DmarcOverride, DmarcRow, DmarcRowCount, DmarcSpf};
use report::dmarc::{self, DmarcReportMail, DmarcReporter, PublishedPolicy};

const SCHEMA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/dmarc/rfc7489-appendix-c.xsd"
);

/// 2026-12-01 (UTC), as days since the epoch.
const DAY: i64 = 20_788;

fn reporter() -> DmarcReporter {
    DmarcReporter {
        org_name: "Sealane Test".into(),
        email: "postmaster@mx.sealane.test".into(),
        extra_contact_info: Some("https://mx.sealane.test/dmarc".into()),
        submitter: "mx.sealane.test".into(),
    }
}

fn rows() -> Vec<DmarcRowCount> {
    let pass = DmarcRow {
        source_ip: "192.0.2.1".parse().expect("address"),
        disposition: "none".into(),
        dkim_aligned: true,
        spf_aligned: true,
        overrides: Vec::new(),
        header_from: "example.org".into(),
        envelope_from: "example.org".into(),
        dkim: vec![
            DmarcDkim {
                domain: "example.org".into(),
                selector: "ed".into(),
                result: "pass".into(),
            },
            DmarcDkim {
                domain: "esp.example".into(),
                selector: "rsa".into(),
                result: "fail".into(),
            },
        ],
        spf: vec![
            DmarcSpf {
                domain: "example.org".into(),
                scope: "mfrom".into(),
                result: "pass".into(),
            },
            DmarcSpf {
                domain: "out.example.org".into(),
                scope: "helo".into(),
                result: "none".into(),
            },
        ],
    };
    let rejected = DmarcRow {
        source_ip: "2001:db8::25".parse().expect("address"),
        disposition: "reject".into(),
        dkim_aligned: false,
        spf_aligned: false,
        overrides: Vec::new(),
        header_from: "example.org".into(),
        envelope_from: "forger.example".into(),
        dkim: Vec::new(),
        spf: vec![DmarcSpf {
            domain: "forger.example".into(),
            scope: "mfrom".into(),
            result: "softfail".into(),
        }],
    };
    let forwarded = DmarcRow {
        source_ip: "198.51.100.7".parse().expect("address"),
        disposition: "none".into(),
        dkim_aligned: false,
        spf_aligned: false,
        overrides: vec![
            DmarcOverride {
                kind: "trusted_forwarder".into(),
                comment: Some("ARC chain sealed by lists.example passed".into()),
            },
            DmarcOverride {
                kind: "sampled_out".into(),
                comment: None,
            },
        ],
        header_from: "mail.example.org".into(),
        envelope_from: "lists.example".into(),
        dkim: vec![DmarcDkim {
            domain: "example.org".into(),
            selector: "ed".into(),
            result: "fail".into(),
        }],
        spf: vec![DmarcSpf {
            domain: "lists.example".into(),
            scope: "mfrom".into(),
            result: "pass".into(),
        }],
    };
    vec![
        DmarcRowCount {
            row: pass,
            count: 41,
        },
        DmarcRowCount {
            row: rejected,
            count: 3,
        },
        DmarcRowCount {
            row: forwarded,
            count: 1,
        },
    ]
}

fn policy() -> PublishedPolicy {
    PublishedPolicy::from_record(
        "example.org",
        "v=DMARC1; p=reject; sp=quarantine; adkim=s; pct=50; rua=mailto:d@example.org",
    )
}

fn xmllint(xml: &str) -> std::process::Output {
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join("report.xml");
    std::fs::write(&file, xml).expect("write the report");
    Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(SCHEMA)
        .arg(&file)
        .output()
        .expect("xmllint runs (libxml2-utils; .ci/run installs it)")
}

#[test]
fn our_report_is_valid_against_the_rfc_7489_schema() {
    let reporter = DmarcReporter {
        org_name: "Sealane & Co <test> \"quoted\"".into(),
        ..reporter()
    };
    let xml = dmarc::to_xml(&reporter, &policy(), DAY, &rows());
    let out = xmllint(&xml);
    assert!(
        out.status.success(),
        "xmllint refused our report:\n{}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_schema_check_can_fail() {
    // An IPv6 source written with `::` is outside Appendix C's pattern,
    // and a row without its count is incomplete: xmllint must say so, or
    // the test above proves nothing.
    let xml = dmarc::to_xml(&reporter(), &policy(), DAY, &rows());
    let broken = xml.replace("2001:db8:0:0:0:0:0:25", "2001:db8::25");
    assert!(!xmllint(&broken).status.success());
    let broken = xml.replacen("<count>41</count>", "", 1);
    assert!(!xmllint(&broken).status.success());
}

#[test]
fn our_report_reads_back_through_mail_auth() {
    let xml = dmarc::to_xml(&reporter(), &policy(), DAY, &rows());
    let report = dmarc::Report::parse_xml(xml.as_bytes()).expect("mail-auth reads it");
    assert_eq!(report.org_name(), "Sealane Test");
    assert_eq!(report.report_id(), "2026-12-01.example.org@mx.sealane.test");
    assert_eq!(report.date_range_begin(), 1_796_083_200);
    assert_eq!(report.date_range_end(), 1_796_083_200 + 86_399);
    assert_eq!(report.domain(), "example.org");
    let summary = dmarc::summarise(&report);
    assert_eq!((summary.messages, summary.passed), (45, 41));
    assert_eq!(summary.policy, "reject");
    let rows: Vec<(String, u64, &str, &str, &str)> = summary
        .sources
        .iter()
        .map(|s| (s.source_ip.clone(), s.count, s.disposition, s.dkim, s.spf))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("192.0.2.1".into(), 41, "none", "pass", "pass"),
            ("2001:db8::25".into(), 3, "reject", "fail", "fail"),
            ("198.51.100.7".into(), 1, "none", "fail", "fail"),
        ]
    );
    let forwarded = &report.records()[2];
    assert_eq!(forwarded.policy_override_reason().len(), 2);
    assert_eq!(forwarded.dkim_auth_result().len(), 1);
}

#[test]
fn the_report_mail_has_the_subject_and_attachment_of_7_2_1_1() {
    let xml = dmarc::to_xml(&reporter(), &policy(), DAY, &rows());
    let gzip = dmarc::compress(&xml);
    let to = vec!["d@example.org".to_owned(), "agg@reports.example".to_owned()];
    let mail = dmarc::build_mail(
        gzip,
        &DmarcReportMail {
            from: "dmarc-noreply@mx.sealane.test",
            to: &to,
            submitter: "mx.sealane.test",
            policy_domain: "example.org",
            report_id: "2026-12-01.example.org@mx.sealane.test",
            date_range: dmarc::date_range(DAY),
            now: std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_796_176_000),
        },
    );
    // Header fields as read after unfolding (RFC 5322 §2.2.3).
    let text = String::from_utf8_lossy(&mail).replace("\r\n ", " ");
    assert!(
        text.contains(
            "\r\nSubject: Report Domain: example.org Submitter: mx.sealane.test Report-ID: <2026-12-01.example.org@mx.sealane.test>\r\n"
        ),
        "{text}"
    );
    assert!(text.contains("Content-Type: application/gzip"), "{text}");
    assert!(
        text.contains("mx.sealane.test!example.org!1796083200!1796169599.xml.gz"),
        "{text}"
    );
    // The mail reads back as the same report (mail-auth's mail reader).
    let report = dmarc::read(&mail).expect("the mail carries the report");
    assert_eq!(dmarc::summarise(&report).messages, 45);
}
