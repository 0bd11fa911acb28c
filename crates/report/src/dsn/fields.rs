//! RFC 3464 §2.2 and §2.3 fields, and the RFC 5322 date they use.

use std::fmt::Write;
use std::time::SystemTime;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

use super::{Notice, NoticeKind, RecipientNotice};

/// `date-time` of RFC 5322 §3.3.
pub(super) fn date(at: SystemTime) -> String {
    OffsetDateTime::from(at)
        .format(&Rfc2822)
        .unwrap_or_else(|_| "Thu, 01 Jan 1970 00:00:00 +0000".into())
}

/// Text from the network or a client shown to people: escaped on one line
/// (the smtp crate's rules), so it can rewrite neither a terminal nor a header.
pub(super) fn printable(text: &str) -> String {
    smtp::untrusted(text).to_string()
}

/// The per-message fields (RFC 3464 §2.2).
pub(super) fn per_message(notice: &Notice<'_>) -> String {
    let mut out = String::new();
    if let Some(envid) = notice.envelope_id {
        let _ = write!(out, "Original-Envelope-Id: {}\r\n", printable(envid));
    }
    let _ = write!(out, "Reporting-MTA: dns; {}\r\n", notice.reporting_mta);
    let _ = write!(out, "X-Sealane-Queue-ID: {}\r\n", notice.queue_id);
    let _ = write!(out, "Arrival-Date: {}\r\n", date(notice.arrival_date));
    out
}

/// The per-recipient fields (RFC 3464 §2.3).
pub(super) fn per_recipient(kind: NoticeKind, r: &RecipientNotice) -> String {
    let mut out = String::new();
    if let Some(original) = &r.original_recipient {
        let _ = write!(
            out,
            "Original-Recipient: rfc822; {}\r\n",
            printable(original)
        );
    }
    let _ = write!(
        out,
        "Final-Recipient: rfc822; {}\r\n",
        printable(&r.final_recipient)
    );
    let action = match kind {
        NoticeKind::Failure => "failed",
        NoticeKind::Delay => "delayed",
        NoticeKind::Success => "delivered",
    };
    let _ = write!(out, "Action: {action}\r\n");
    let _ = write!(out, "Status: {}\r\n", r.status);
    if let Some(mta) = &r.remote_mta {
        let _ = write!(out, "Remote-MTA: dns; {}\r\n", printable(mta));
    }
    if let Some(diagnostic) = &r.diagnostic {
        let _ = write!(out, "Diagnostic-Code: smtp; {}\r\n", printable(diagnostic));
    }
    if let Some(at) = r.last_attempt {
        let _ = write!(out, "Last-Attempt-Date: {}\r\n", date(at));
    }
    if let Some(until) = r.will_retry_until {
        let _ = write!(out, "Will-Retry-Until: {}\r\n", date(until));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_on_one_line() {
        assert_eq!(
            printable("ok\x1b[2J\r\nfake\u{7}"),
            "ok\\x1b[2J\\r\\nfake\\x07"
        );
        assert_eq!(printable("a\u{202e}b"), "a\\u{202e}b");
        assert_eq!(printable("plain text é"), "plain text é");
    }

    #[test]
    fn dates_are_rfc5322() {
        assert_eq!(
            date(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(86_400)),
            "Fri, 02 Jan 1970 00:00:00 +0000"
        );
    }
}
