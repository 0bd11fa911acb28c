//! Reports others send us, on receipt: the RFC 8460 §4.8 example, reports
//! Microsoft and Google sent and others published (`fixtures/tlsrpt/README.md`
//! says where from), and reports we wrote in their styles (a domainless
//! `no-policy-found`, `<date>_<domain>` report ids, a whole report mail
//! with failures on a TLSA policy) are read, split per policy domain, kept
//! once in the store and summarised; reading is lenient where reporters
//! differ and strict on sizes and compression.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dns::clock::ManualClock;
use queue::{SqliteStore, Store};
use report::tlsrpt::{self, ReceiveError};

const RFC_EXAMPLE: &[u8] = include_bytes!("fixtures/tlsrpt/rfc8460-example.json");
const GOOGLE_STYLE: &[u8] = include_bytes!("fixtures/tlsrpt/google-style.json");
const MICROSOFT_STYLE: &[u8] = include_bytes!("fixtures/tlsrpt/microsoft-style.eml");
const MICROSOFT_PUBLISHED: &[u8] = include_bytes!("fixtures/tlsrpt/microsoft-published.json");
const MICROSOFT_NO_ADDRESSES: &[u8] =
    include_bytes!("fixtures/tlsrpt/microsoft-published-no-addresses.json");
const GOOGLE_PUBLISHED: &[u8] = include_bytes!("fixtures/tlsrpt/google-published.eml");

/// 2026-11-30 06:00 UTC.
fn morning() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_796_018_400)
}

fn store(dir: &tempfile::TempDir) -> SqliteStore {
    let clock = Arc::new(ManualClock::new(morning()));
    SqliteStore::open(dir.path().join("queue.db"), clock).expect("store opens")
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

#[tokio::test]
async fn reports_microsoft_and_google_sent_are_received_and_summarised() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);

    let google = tlsrpt::receive_mail(&store, GOOGLE_PUBLISHED, morning())
        .await
        .expect("Google's report mail");
    assert_eq!(google.domains, ["cardinalhealth.ca"]);
    assert_eq!(google.report.organization_name, "Google Inc.");

    // Microsoft mails its reports as gzip attachments; the JSON published
    // is what the attachment holds.
    let microsoft = tlsrpt::receive_post(
        &store,
        Some("application/tlsrpt+gzip"),
        &gzip(MICROSOFT_PUBLISHED),
        morning(),
    )
    .await
    .expect("Microsoft's report");
    assert_eq!(microsoft.domains, ["random.net"]);
    let tlsa = &microsoft.report.policies[1].policy;
    assert_eq!(tlsa.policy_type, tlsrpt::PolicyType::Tlsa);
    assert_eq!(
        tlsa.policy_string,
        [
            "3 1 1 6007EEE553E85D8DF007A845D19EC343283D4E416E9A33F9EF3040C8B7C285BC",
            "3 1 1 837C773D54C2E2BD71871A3FC352BE8214D5646CBAE5E3091401A7274717998B",
        ],
        "the records inside Microsoft's one-string JSON array"
    );

    let failed = tlsrpt::receive_post(
        &store,
        Some("application/tlsrpt+json"),
        MICROSOFT_NO_ADDRESSES,
        morning(),
    )
    .await
    .expect("Microsoft's report without addresses");
    assert_eq!(failed.domains, ["xxxxxxxx.xx"]);
    let detail = &failed.report.policies[0].failure_details[0];
    assert_eq!(
        (
            detail.sending_mta_ip.as_deref(),
            detail.failed_session_count
        ),
        (None, 3)
    );

    let summary = tlsrpt::summarise(&store.received_tls_reports(None, None).await.unwrap());
    assert_eq!(summary.reports, 3);
    assert_eq!(summary.unreadable, 0);
    let rows: Vec<(&str, &str, &str, u64, u64)> = summary
        .policies
        .iter()
        .map(|p| {
            (
                p.policy_domain.as_str(),
                p.reporter.as_str(),
                p.policy_type.as_str(),
                p.successful,
                p.failed,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("cardinalhealth.ca", "Google Inc.", "no-policy-found", 48, 0),
            ("random.net", "Microsoft Corporation", "sts", 2, 0),
            ("random.net", "Microsoft Corporation", "tlsa", 2, 0),
            ("xxxxxxxx.xx", "Microsoft Corporation", "sts", 0, 3),
        ]
    );
    let fetch = &summary.policies[3].result_types;
    assert_eq!(
        (fetch[0].result_type.as_str(), fetch[0].sessions),
        ("sts-policy-fetch-error", 3)
    );
    assert_eq!(summary.days_with_failures.len(), 1);
    let day = &summary.days_with_failures[0];
    assert_eq!(
        (day.day.as_str(), day.policy_domain.as_str(), day.failed),
        ("2025-06-14", "xxxxxxxx.xx", 3)
    );
}

#[tokio::test]
async fn the_rfc_example_and_two_large_receivers_styles_are_kept_and_summarised() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);

    let rfc = tlsrpt::receive_post(
        &store,
        Some("application/tlsrpt+json"),
        RFC_EXAMPLE,
        morning(),
    )
    .await
    .expect("the RFC example");
    assert_eq!(rfc.domains, ["company-y.example"]);
    assert_eq!(rfc.report.policies[0].failure_details.len(), 3);

    let google = tlsrpt::receive_post(
        &store,
        Some("application/tlsrpt+gzip"),
        &gzip(GOOGLE_STYLE),
        morning(),
    )
    .await
    .expect("Google's style");
    assert_eq!(
        google.domains,
        ["example.net"],
        "the no-policy-found joins its domain"
    );
    assert_eq!(google.duplicates, 0);

    let microsoft = tlsrpt::receive_mail(&store, MICROSOFT_STYLE, morning())
        .await
        .expect("Microsoft's style");
    assert_eq!(microsoft.domains, ["example.net"]);
    assert_eq!(microsoft.report.organization_name, "Microsoft Corporation");
    assert_eq!(
        microsoft.report.policies[0].policy.policy_type,
        tlsrpt::PolicyType::Tlsa
    );

    // The same report again (by mail after HTTPS, say) is kept once.
    let again = tlsrpt::receive_mail(&store, MICROSOFT_STYLE, morning() + Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(again.duplicates, 1);

    let kept = store
        .received_tls_reports(Some("example.net"), None)
        .await
        .unwrap();
    assert_eq!(kept.len(), 2);
    let summary = tlsrpt::summarise(&kept);
    assert_eq!(summary.reports, 2);
    let rows: Vec<(&str, &str, u64, u64)> = summary
        .policies
        .iter()
        .map(|p| {
            (
                p.reporter.as_str(),
                p.policy_type.as_str(),
                p.successful,
                p.failed,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("Google Inc.", "no-policy-found", 2, 0),
            ("Google Inc.", "sts", 23, 4),
            ("Microsoft Corporation", "tlsa", 118, 2),
        ]
    );
    let sts = &summary.policies[1];
    let types: Vec<(&str, u64)> = sts
        .result_types
        .iter()
        .map(|r| (r.result_type.as_str(), r.sessions))
        .collect();
    assert_eq!(
        types,
        [("certificate-host-mismatch", 3), ("certificate-expired", 1)]
    );
    assert_eq!(summary.days_with_failures.len(), 1);
    let day = &summary.days_with_failures[0];
    assert_eq!((day.day.as_str(), day.failed), ("2026-11-29", 6));
    assert_eq!(day.reporters, ["Google Inc.", "Microsoft Corporation"]);

    // Only what ends since a date.
    let since = UNIX_EPOCH + Duration::from_secs(1_795_996_800 + 86_400);
    assert!(
        store
            .received_tls_reports(None, Some(since))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.received_tls_reports(None, None).await.unwrap().len(),
        3
    );
}

#[tokio::test]
async fn received_reports_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = store(&dir);
        tlsrpt::receive_mail(&store, MICROSOFT_STYLE, morning())
            .await
            .unwrap();
    }
    let store = store(&dir);
    let kept = store.received_tls_reports(None, None).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].organization_name, "Microsoft Corporation");
    assert_eq!(tlsrpt::summarise(&kept).policies[0].successful, 118);
}

#[tokio::test]
async fn reading_is_lenient_where_reporters_differ() {
    // No time zone on the date-times, no policy-string, fields of the
    // reporter's own, a count missing, mx-host one string.
    let loose = br#"{"organization-name":"Loose Reporter","date-range":{"start-datetime":"2026-11-29T00:00:00","end-datetime":"2026-11-29T23:59:59.999"},"contact-info":"tlsrpt@loose.example","report-id":"loose-1","x-reporter-version":"7.1","policies":[{"policy":{"policy-type":"sts","policy-domain":"example.net","mx-host":"mx1.example.net","x-note":1},"summary":{"total-failure-session-count":1},"failure-details":[{"result-type":"sts-webpki-invalid","failed-session-count":1,"x-more":[]}]}]}"#;
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let received = tlsrpt::receive_post(&store, Some("application/json"), loose, morning())
        .await
        .expect("lenient");
    let policy = &received.report.policies[0];
    assert!(policy.policy.policy_string.is_empty());
    assert_eq!(policy.policy.mx_host, ["mx1.example.net"]);
    assert_eq!(policy.summary.total_successful_session_count, 0);
    assert_eq!(
        tlsrpt::datetime::format(received.report.date_range.start_datetime),
        "2026-11-29T00:00:00Z"
    );
    // A report mail whose attachment is labelled application/gzip.
    let mail = String::from_utf8(MICROSOFT_STYLE.to_vec())
        .unwrap()
        .replace("application/tlsrpt+gzip", "application/gzip");
    let (report, domain) = tlsrpt::parse_mail(mail.as_bytes()).expect("gzip attachment");
    assert_eq!(report.report_id, "134089632000000000+example.net");
    assert_eq!(domain.as_deref(), Some("example.net"));
    // A published report whose contact-info is written as null.
    let nulled = String::from_utf8(MICROSOFT_PUBLISHED.to_vec())
        .unwrap()
        .replace("\"tlsrpt-noreply@microsoft.com\"", "null");
    assert!(nulled.contains("null"), "the sample names its contact");
    let report = tlsrpt::parse_post(Some("application/tlsrpt+json"), nulled.as_bytes())
        .expect("a null contact-info is read as none");
    assert!(report.contact_info.is_empty());
}

#[tokio::test]
async fn sizes_and_compression_bombs_are_refused_and_nothing_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    // 21 MiB of spaces compress to about 21 KiB.
    let bomb = gzip(&vec![b' '; tlsrpt::MAX_REPORT_SIZE + 1024 * 1024]);
    assert!(bomb.len() < 100_000);
    let error = tlsrpt::receive_post(&store, Some("application/tlsrpt+gzip"), &bomb, morning())
        .await
        .unwrap_err();
    assert!(matches!(error, ReceiveError::TooLarge), "{error}");
    assert_eq!(error.http_status(), 413);

    let mail = String::from_utf8(MICROSOFT_STYLE.to_vec()).unwrap();
    let start = mail.find("base64\r\n\r\n").unwrap() + 10;
    let end = mail.rfind("\r\n--_003").unwrap();
    let encoded = base64_lines(&bomb);
    let bomb_mail = format!("{}{}{}", &mail[..start], encoded, &mail[end..]);
    let error = tlsrpt::receive_mail(&store, bomb_mail.as_bytes(), morning())
        .await
        .unwrap_err();
    assert!(matches!(error, ReceiveError::TooLarge), "{error}");

    let huge = vec![b'a'; tlsrpt::MAX_MAIL_SIZE + 1];
    let error = tlsrpt::receive_mail(&store, &huge, morning())
        .await
        .unwrap_err();
    assert!(matches!(error, ReceiveError::TooLarge), "{error}");

    let error = tlsrpt::receive_mail(&store, b"Subject: hello\r\n\r\nhi\r\n", morning())
        .await
        .unwrap_err();
    assert_eq!(error.http_status(), 400);
    assert!(!error.is_temporary());
    assert!(
        store
            .received_tls_reports(None, None)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Base64 (RFC 2045) in lines of 76 characters.
fn base64_lines(data: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out.as_bytes()
        .chunks(76)
        .map(|l| std::str::from_utf8(l).unwrap())
        .collect::<Vec<_>>()
        .join("\r\n")
}
