//! The notice as a MIME message (RFC 3462 `multipart/report`).

use std::fmt::Write;

use mail_builder::MessageBuilder;
use mail_builder::headers::content_type::ContentType;
use mail_builder::headers::raw::Raw;
use mail_builder::mime::MimePart;
use smtp::DsnReturn;

use super::fields::{self, date, printable};
use super::texts;
use super::{Notice, NoticeKind};

/// The `From:` address of our notices: `MAILER-DAEMON@` the reporting MTA
/// (its domain picks the DKIM key they are signed with).
pub fn from_address(reporting_mta: &str) -> String {
    format!("{}@{reporting_mta}", texts::FROM_LOCAL)
}

/// Writes the notice: a human part, the `message/delivery-status` part and
/// the original (its header for `RET=HDRS` or no `RET`, all of it for
/// `RET=FULL`; none for a success notice's header-only default). Lines end
/// in CRLF; the result is ready to queue with the null sender.
pub fn build(notice: &Notice<'_>) -> Vec<u8> {
    let header_end = header_end(notice.original);
    let original_header = &notice.original[..header_end];
    let parsed = mail_parser::MessageParser::default().parse_headers(original_header);
    let subject = parsed.as_ref().and_then(|m| m.subject()).map(printable);

    let mut human = String::new();
    let _ = write!(human, "{}\r\n\r\n", texts::opening(notice.kind));
    let _ = write!(
        human,
        "{}: {}queued as {}, received {}.\r\n\r\n",
        texts::ORIGINAL,
        subject
            .as_deref()
            .map(|s| format!("\"{s}\", "))
            .unwrap_or_default(),
        notice.queue_id,
        date(notice.arrival_date)
    );
    for r in &notice.recipients {
        let _ = write!(
            human,
            "<{}>: {}\r\n",
            printable(&r.final_recipient),
            r.status
        );
        let _ = write!(human, "  {}: {}\r\n", texts::WHAT_HAPPENED, r.cause_text);
        if let Some(detail) = &r.detail {
            let _ = write!(
                human,
                "  {}: {}\r\n",
                texts::WHAT_WAS_SEEN,
                printable(detail)
            );
        }
        if let Some(mta) = &r.remote_mta {
            let _ = write!(human, "  {}: {}\r\n", texts::SERVER, printable(mta));
        }
        if let Some(diagnostic) = &r.diagnostic {
            let _ = write!(
                human,
                "  {}: {}\r\n",
                texts::SERVER_SAID,
                printable(diagnostic)
            );
        }
        if let Some(at) = r.last_attempt {
            let _ = write!(human, "  {}: {}\r\n", texts::LAST_TRIED, date(at));
        }
        if let Some(until) = r.will_retry_until {
            let _ = write!(human, "  {}: {}\r\n", texts::RETRY_UNTIL, date(until));
        }
        human.push_str("\r\n");
    }
    let closing = texts::closing(notice.kind);
    if !closing.is_empty() {
        let _ = write!(human, "{closing}\r\n");
    }

    let mut status = fields::per_message(notice);
    for r in &notice.recipients {
        status.push_str("\r\n");
        status.push_str(&fields::per_recipient(notice.kind, r));
    }

    let mut parts = vec![
        MimePart::new("text/plain", human).transfer_encoding("8bit"),
        MimePart::new(
            ContentType::new("message/delivery-status"),
            status.into_bytes(),
        )
        .transfer_encoding("7bit"),
    ];
    let full = notice.ret == Some(DsnReturn::Full) && notice.kind != NoticeKind::Success;
    if full {
        parts.push(
            MimePart::new(ContentType::new("message/rfc822"), notice.original.to_vec())
                .transfer_encoding("8bit"),
        );
    } else {
        parts.push(
            MimePart::new(
                ContentType::new("text/rfc822-headers"),
                original_header.to_vec(),
            )
            .transfer_encoding("8bit"),
        );
    }

    let from = from_address(notice.reporting_mta);
    let message_id = format!("{}.notice@{}", notice.queue_id, notice.reporting_mta);
    let builder = MessageBuilder::new()
        .from((texts::FROM_NAME, from.as_str()))
        .to(notice.to)
        .subject(texts::subject(notice.kind))
        .date(mail_builder::headers::date::Date::new(unix_seconds(
            notice.now,
        )))
        .message_id(message_id)
        .header("Auto-Submitted", Raw::new("auto-replied"))
        .body(MimePart::new(
            ContentType::new("multipart/report").attribute("report-type", "delivery-status"),
            parts,
        ));
    // Writing into a Vec cannot fail.
    builder
        .write_to_vec()
        .expect("writing a message into memory does not fail")
}

/// Where the original's header ends (after the blank line), or its length
/// when it has no body.
fn header_end(message: &[u8]) -> usize {
    let crlf = message
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4);
    let lf = message.windows(2).position(|w| w == b"\n\n").map(|p| p + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) => a,
        (None, Some(b)) => b,
        (None, None) => message.len(),
    }
}

fn unix_seconds(at: std::time::SystemTime) -> i64 {
    at.duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
