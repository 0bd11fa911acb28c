//! Delivery status notifications as a mail reader and a parser see them.

use std::time::{Duration, SystemTime};

use mail_parser::{MessageParser, MimeHeaders, PartType};
use report::dsn::{Notice, NoticeKind, RecipientNotice, build};
use smtp::{DsnReturn, EnhancedCode};

const ORIGINAL: &[u8] = b"From: a@example.org\r\nTo: b@dane.example\r\nSubject: quarterly figures\r\nMessage-ID: <m1@example.org>\r\n\r\nthe body line\r\n";

fn notice(kind: NoticeKind, ret: Option<DsnReturn>) -> Notice<'static> {
    let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    Notice {
        kind,
        reporting_mta: "mail.example.org",
        to: "a@example.org",
        arrival_date: t,
        now: t + Duration::from_secs(86_400),
        envelope_id: Some("env-1"),
        ret,
        original: ORIGINAL,
        queue_id: "0ABCDEF",
        recipients: vec![RecipientNotice {
            final_recipient: "b@dane.example".into(),
            original_recipient: Some("B@dane.example".into()),
            status: "5.7.323".parse::<EnhancedCode>().unwrap(),
            remote_mta: Some("mx1.dane.example".into()),
            diagnostic: None,
            last_attempt: Some(t + Duration::from_secs(86_000)),
            will_retry_until: None,
            cause_text: "the receiving domain publishes DANE TLSA records, but no record matched".into(),
            detail: Some("mx1.dane.example [127.0.0.9]: presented a certificate matching no TLSA record\x1b[2J".into()),
        }],
    }
}

fn parts(raw: &[u8]) -> (String, String, String, String) {
    let message = MessageParser::default()
        .parse(raw)
        .expect("the notice parses");
    let ct = message.content_type().expect("a content type");
    assert_eq!(ct.ctype(), "multipart");
    assert_eq!(ct.subtype(), Some("report"));
    assert_eq!(ct.attribute("report-type"), Some("delivery-status"));
    let kids: Vec<_> = match &message.root_part().body {
        PartType::Multipart(ids) => ids.iter().map(|&i| &message.parts[i as usize]).collect(),
        other => panic!("not multipart: {other:?}"),
    };
    assert_eq!(kids.len(), 3);
    let text = |i: usize| String::from_utf8_lossy(kids[i].contents()).into_owned();
    let third = kids[2]
        .content_type()
        .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("")))
        .unwrap();
    (
        text(0),
        text(1),
        third,
        String::from_utf8_lossy(raw).into_owned(),
    )
}

#[test]
fn failure_notice_names_cause_host_and_code() {
    let raw = build(&notice(NoticeKind::Failure, None));
    let (human, status, third, whole) = parts(&raw);
    assert!(human.contains("no record matched"), "{human}");
    assert!(human.contains("mx1.dane.example"), "{human}");
    assert!(human.contains("5.7.323"), "{human}");
    assert!(human.contains("\"quarterly figures\""), "{human}");
    assert!(
        !human.contains('\x1b'),
        "control characters from the network are escaped"
    );
    for field in [
        "Reporting-MTA: dns; mail.example.org",
        "Original-Envelope-Id: env-1",
        "Original-Recipient: rfc822; B@dane.example",
        "Final-Recipient: rfc822; b@dane.example",
        "Action: failed",
        "Status: 5.7.323",
        "Remote-MTA: dns; mx1.dane.example",
        "Last-Attempt-Date: ",
        "Arrival-Date: ",
    ] {
        assert!(status.contains(field), "{field} missing in\n{status}");
    }
    assert_eq!(third, "text/rfc822-headers");
    assert!(whole.contains("Auto-Submitted: auto-replied"));
    assert!(whole.contains("Subject: Undelivered Mail Returned to Sender"));
    assert!(
        !whole.contains("the body line"),
        "RET=HDRS by default: no body"
    );
}

#[test]
fn ret_full_returns_the_whole_message() {
    let raw = build(&notice(NoticeKind::Failure, Some(DsnReturn::Full)));
    let (_, _, third, whole) = parts(&raw);
    assert_eq!(third, "message/rfc822");
    assert!(whole.contains("the body line"));
}

#[test]
fn delay_notice_says_until_when() {
    let mut n = notice(NoticeKind::Delay, None);
    n.recipients[0].status = "4.7.323".parse().unwrap();
    n.recipients[0].will_retry_until = Some(n.now + Duration::from_secs(3600));
    let (human, status, _, whole) = parts(&build(&n));
    assert!(status.contains("Action: delayed"));
    assert!(status.contains("Will-Retry-Until: "));
    assert!(human.contains("We keep trying until"));
    assert!(whole.contains("Subject: Delayed Mail"));
}
