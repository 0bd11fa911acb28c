//! The human form of `sealane demo`'s report, and the reading of the
//! notices it shows.

use std::fmt::Write;
use std::time::Duration;

use super::demo::{DestinationReport, Notice, Report};

/// The report as text, one block per destination.
pub(super) fn render(report: &Report, took: Duration) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Sealane demo: one message from <{}> to each test domain, through a real \
         daemon,\nwith the clock moved {} in {} steps through the retry schedule \
         (15 min, then hourly, expiry 24 h).\n",
        report.sender,
        hours(report.simulated_seconds),
        report.steps,
    );
    for d in &report.destinations {
        destination(&mut out, d);
    }
    let _ = writeln!(
        out,
        "Done in {:.1} s of real time; nothing left the loopback interface.",
        took.as_secs_f64()
    );
    out
}

fn destination(out: &mut String, d: &DestinationReport) {
    let _ = writeln!(out, "{}  ({})", d.domain, d.setup);
    let attempts = match d.attempts {
        1 => "1 attempt".to_owned(),
        n => format!("{n} attempts"),
    };
    let outcome = match d.outcome.as_str() {
        "delivered" => format!("delivered after {attempts}"),
        "bounced" => format!("bounced after {attempts}"),
        "expired" => format!("expired after {attempts}"),
        other => format!("{other} ({attempts})"),
    };
    let _ = writeln!(
        out,
        "  outcome   {outcome}{}",
        d.code
            .as_deref()
            .map(|c| format!(" — {c}"))
            .unwrap_or_default()
    );
    if d.outcome != "delivered"
        && let Some(cause) = &d.cause
    {
        let _ = writeln!(
            out,
            "  why       {cause}: {}",
            d.detail.as_deref().unwrap_or_default()
        );
    }
    match &d.security {
        Some(s) => {
            let mut line = format!("MX {} ({})", s.mx, s.address);
            let _ = write!(line, ", {}", s.tls.as_deref().unwrap_or("no TLS"));
            let _ = write!(line, ", required {}", s.requirement);
            if let Some(v) = &s.verification {
                let _ = write!(line, ", verified {v}");
            }
            if let Some(t) = &s.tlsa {
                let _ = write!(line, ", TLSA {}", short(t));
            }
            if let Some(id) = &s.sts_policy_id {
                let _ = write!(line, ", MTA-STS policy id {id}");
            }
            if let Some(r) = &s.result_type {
                let _ = write!(line, ", TLS-RPT {r}");
            }
            let _ = writeln!(out, "  security  {line}");
        }
        None => {
            let _ = writeln!(out, "  security  no connection was made");
        }
    }
    for n in &d.notices {
        let _ = writeln!(out, "  notice    Subject: {}", n.subject);
        if let Some(status) = &n.status {
            let _ = writeln!(out, "            Status: {status}");
        }
        if let Some(what) = &n.what_happened {
            let _ = writeln!(out, "            What happened: {what}");
        }
    }
    out.push('\n');
}

/// A TLSA record with its association data cut to 16 hex digits.
fn short(tlsa: &str) -> String {
    match tlsa.rsplit_once(' ') {
        Some((head, data)) if data.len() > 16 => format!("{head} {}…", &data[..16]),
        _ => tlsa.to_owned(),
    }
}

fn hours(seconds: u64) -> String {
    format!("{}h{:02}", seconds / 3600, seconds % 3600 / 60)
}

/// The recipient a notice is about and its first lines: the subject, the
/// RFC 3464 §2.3.4 `Status` and the human part's "What happened". The
/// human part is 8bit text and the status part 7bit, so lines are read as
/// they are; the first occurrence of each wins (the returned headers
/// follow them).
pub(super) fn notice(raw: &[u8]) -> Option<(String, Notice)> {
    let text = String::from_utf8_lossy(raw);
    let field = |name: &str| {
        text.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_owned())
    };
    let recipient = field("Final-Recipient:")?;
    let recipient = recipient
        .split_once(';')
        .map_or(recipient.as_str(), |(_, a)| a.trim())
        .to_owned();
    Some((
        recipient,
        Notice {
            subject: field("Subject:").unwrap_or_default(),
            status: field("Status:"),
            what_happened: field("What happened:"),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_gives_its_recipient_and_first_lines() {
        let raw = "Subject: Undelivered Mail Returned to Sender\r\n\r\n\
                   <a@x.demo>: 5.7.323\r\n  What happened: no record matched\r\n\r\n\
                   Reporting-MTA: dns; mail.sender.demo\r\n\r\n\
                   Final-Recipient: rfc822; a@x.demo\r\nAction: failed\r\nStatus: 5.7.323\r\n\r\n\
                   Subject: the original\r\n";
        let (to, n) = notice(raw.as_bytes()).unwrap();
        assert_eq!(to, "a@x.demo");
        assert_eq!(n.subject, "Undelivered Mail Returned to Sender");
        assert_eq!(n.status.as_deref(), Some("5.7.323"));
        assert_eq!(n.what_happened.as_deref(), Some("no record matched"));
    }

    #[test]
    fn a_message_without_a_final_recipient_is_no_notice() {
        assert!(notice(b"Subject: hello\r\n\r\nHi.\r\n").is_none());
    }

    #[test]
    fn long_tlsa_data_is_cut() {
        assert_eq!(
            short("3 0 1 0123456789abcdef0123"),
            "3 0 1 0123456789abcdef…"
        );
        assert_eq!(short("3 0 1 abcd"), "3 0 1 abcd");
    }
}
