//! `sealane report tls read`: the RFC 8460 §4.8 example and reports in the
//! styles two large receivers send (one writes date-times without a time
//! zone and extra fields, the other omits `failure-details`) parse, as
//! JSON, gzip or mail; a file that is not a report exits 2 with one line.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

mod support;
use support::sealane;

fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, data).expect("temp file written");
    path
}

/// RFC 8460 §4.8, with `mx-host` a single string as the RFC printed it
/// before erratum 6241.
const RFC_EXAMPLE: &str = r#"{
  "organization-name": "Company-X",
  "date-range": {
    "start-datetime": "2016-04-01T00:00:00Z",
    "end-datetime": "2016-04-01T23:59:59Z"
  },
  "contact-info": "sts-reporting@company-x.example",
  "report-id": "5065427c-23d3-47ca-b6e0-946ea0e8c4be",
  "policies": [{
    "policy": {
      "policy-type": "sts",
      "policy-string": ["version: STSv1","mode: testing",
            "mx: *.mail.company-y.example","max_age: 86400"],
      "policy-domain": "company-y.example",
      "mx-host": "*.mail.company-y.example"
    },
    "summary": {
      "total-successful-session-count": 5326,
      "total-failure-session-count": 303
    },
    "failure-details": [{
      "result-type": "certificate-expired",
      "sending-mta-ip": "2001:db8:abcd:0012::1",
      "receiving-mx-hostname": "mx1.mail.company-y.example",
      "failed-session-count": 100
    }, {
      "result-type": "starttls-not-supported",
      "sending-mta-ip": "2001:db8:abcd:0013::1",
      "receiving-mx-hostname": "mx2.mail.company-y.example",
      "receiving-ip": "203.0.113.56",
      "failed-session-count": 200,
      "additional-information": "https://reports.company-x.example/report_info?id=5065427c-23d3#StarttlsNotSupported"
    }, {
      "result-type": "validation-failure",
      "sending-mta-ip": "198.51.100.62",
      "receiving-ip": "203.0.113.58",
      "receiving-mx-hostname": "mx-backup.mail.company-y.example",
      "failed-session-count": 3,
      "failure-reason-code": "X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED"
    }]
  }]
}"#;

/// In the style of a large receiver that writes date-times without a time
/// zone, adds fields of its own, and reports `no-policy-found` with an
/// empty `failure-details`.
const NO_ZONE_STYLE: &str = r#"{"organization-name":"Large Receiver One","date-range":{"start-datetime":"2026-11-30T00:00:00","end-datetime":"2026-11-30T23:59:59"},"contact-info":"tlsrpt-noreply@receiver-one.example","report-id":"133770000000000000+example.org","policies":[{"policy":{"policy-type":"no-policy-found","policy-domain":"example.org"},"summary":{"total-successful-session-count":12,"total-failure-session-count":0},"failure-details":[],"x-extra":{"anything":true}}]}"#;

/// In the style of a large receiver that omits `failure-details` when
/// there is none and lists the policy in full.
const COMPACT_STYLE: &str = r#"{"organization-name":"Large Receiver Two","date-range":{"start-datetime":"2026-11-30T00:00:00Z","end-datetime":"2026-11-30T23:59:59Z"},"contact-info":"smtp-tls-reporting@receiver-two.example","report-id":"2026-11-30T00:00:00Z_example.org","policies":[{"policy":{"policy-type":"sts","policy-string":["version: STSv1","mode: enforce","mx: mx.example.org","max_age: 604800"],"policy-domain":"example.org","mx-host":["mx.example.org"]},"summary":{"total-successful-session-count":40}}]}"#;

#[test]
fn the_rfc_example_and_two_receiver_styles_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let rfc = write(dir.path(), "rfc.json", RFC_EXAMPLE.as_bytes());
    let one = write(dir.path(), "one.json", NO_ZONE_STYLE.as_bytes());
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(COMPACT_STYLE.as_bytes()).unwrap();
    let two = write(dir.path(), "two.json.gz", &gz.finish().unwrap());
    let paths = [&rfc, &one, &two].map(|p| p.to_str().unwrap().to_owned());

    let output = sealane(&["report", "tls", "read", &paths[0], &paths[1], &paths[2]]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        text.contains("Company-X (sts-reporting@company-x.example), 2016-04-01T00:00:00Z"),
        "{text}"
    );
    assert!(
        text.contains(
            "company-y.example sts (mx *.mail.company-y.example): 5326 successful, 303 failed"
        ),
        "{text}"
    );
    assert!(
        text.contains("starttls-not-supported x200 at mx2.mail.company-y.example (203.0.113.56)"),
        "{text}"
    );
    assert!(text.contains("Large Receiver One"), "{text}");
    assert!(
        text.contains("2026-11-30T00:00:00Z to 2026-11-30T23:59:59Z"),
        "{text}"
    );
    assert!(
        text.contains("example.org sts (mx mx.example.org): 40 successful, 0 failed"),
        "{text}"
    );

    let output = sealane(&["report", "tls", "read", "--json", &paths[0]]);
    assert_eq!(output.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let failures = &json[0]["policies"][0]["failure-details"];
    assert_eq!(failures.as_array().unwrap().len(), 3);
    assert_eq!(
        failures[2]["failure-reason-code"],
        "X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED"
    );
    assert_eq!(
        json[0]["policies"][0]["policy"]["mx-host"][0],
        "*.mail.company-y.example"
    );
}

#[test]
fn a_report_mail_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let report: report::tlsrpt::Report = serde_json::from_str(COMPACT_STYLE).unwrap();
    let mail = report::tlsrpt::build_mail(
        &report,
        &report::tlsrpt::ReportMail {
            from: "tlsrpt@receiver-two.example",
            to: &["tlsrpt@example.org".to_owned()],
            submitter: "receiver-two.example",
            policy_domain: "example.org",
            now: std::time::SystemTime::now(),
        },
    );
    let path = write(dir.path(), "report.eml", &mail);
    let output = sealane(&["report", "tls", "read", path.to_str().unwrap()]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("Large Receiver Two"));
}

#[test]
fn a_file_that_is_not_a_report_exits_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    for (name, data) in [
        ("notes.txt", &b"Subject: hello\r\n\r\nnot a report\r\n"[..]),
        (
            "other.json",
            &br#"{"feedback": {"report_metadata": {}}}"#[..],
        ),
    ] {
        let path = write(dir.path(), name, data);
        let output = sealane(&["report", "tls", "read", path.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("sealane: ") && stderr.contains(name),
            "{stderr}"
        );
        assert!(output.stdout.is_empty());
    }
}

/// `report tls read` prints through the shared output: nothing with `-q`,
/// a failure count in colour only when colour is asked for, and the
/// reporter's own text escaped.
#[test]
fn read_follows_quiet_and_colour_and_escapes_the_reporters_text() {
    let dir = tempfile::tempdir().unwrap();
    let rfc = write(dir.path(), "rfc.json", RFC_EXAMPLE.as_bytes());
    let rfc = rfc.to_str().unwrap();

    let quiet = sealane(&["-q", "report", "tls", "read", rfc]);
    assert_eq!(quiet.status.code(), Some(0));
    assert!(
        quiet.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&quiet.stdout)
    );

    let coloured = |output: &Output| output.stdout.windows(2).any(|w| w == b"\x1b[");
    let plain = sealane(&["report", "tls", "read", rfc]);
    assert!(!coloured(&plain));
    let forced = sealane(&["--color", "always", "report", "tls", "read", rfc]);
    assert!(
        coloured(&forced),
        "{}",
        String::from_utf8_lossy(&forced.stdout)
    );

    let forged = RFC_EXAMPLE.replace("Company-X", "Company-X\\u001b[2J\\r\\nforged");
    let forged = write(dir.path(), "forged.json", forged.as_bytes());
    let output = sealane(&["report", "tls", "read", forged.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("Company-X\\x1b[2J\\r\\nforged ("), "{text}");
}
