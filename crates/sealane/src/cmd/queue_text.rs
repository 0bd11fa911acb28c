//! The human form of `sealane queue list|show` and `sealane trace`. Every
//! text that came from the network (addresses, host names, replies, EHLO
//! names, Message-IDs, diagnostics) goes through [`shown`].

use std::fmt::Write;
use std::time::{Duration, SystemTime};

use queue::{
    AttemptRecord, Event, EventKind, MessageDetail, MessageSummary, QueueSummary, RecipientState,
    RecipientView, TroubleRecord,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use smtp::untrusted as shown;

/// `queue list`: the summary by destination and by cause, then messages.
pub fn listing(summary: &QueueSummary, messages: &[MessageSummary], now: SystemTime) -> String {
    let mut out = String::new();
    let pending: usize = messages.len();
    let _ = writeln!(
        out,
        "{} pending",
        smtp::count(pending as u64, "message", "messages")
    );
    if !summary.by_domain.is_empty() {
        let _ = writeln!(out, "\nBy destination:");
        let _ = writeln!(
            out,
            "  {:<32} {:>7} {:>9} {:>8} {:>5}  oldest",
            "domain", "queued", "in-flight", "deferred", "held"
        );
        for d in &summary.by_domain {
            let _ = writeln!(
                out,
                "  {:<32} {:>7} {:>9} {:>8} {:>5}  {}",
                shown(&d.domain).to_string(),
                d.queued,
                d.in_flight,
                d.deferred,
                d.held,
                d.oldest.map_or_else(|| "-".to_owned(), |t| age(now, t)),
            );
        }
    }
    if !summary.by_cause.is_empty() {
        let _ = writeln!(out, "\nBy cause:");
        for c in &summary.by_cause {
            let _ = writeln!(
                out,
                "  {:>6}  {:<8} {}",
                c.recipients,
                c.code.to_string(),
                shown(&c.cause)
            );
        }
    }
    if !messages.is_empty() {
        let _ = writeln!(out, "\nMessages:");
    }
    for m in messages {
        let _ = writeln!(
            out,
            "{}  {:>6}  {:>9}  {:<10}  <{}>",
            m.id,
            age(now, m.received_at),
            m.size,
            shown(&m.pool).to_string(),
            shown(&m.sender)
        );
        for r in &m.recipients {
            let _ = writeln!(out, "    {}", recipient(r));
        }
    }
    out
}

/// `queue show` and each message of `trace`: the envelope, how it arrived,
/// each recipient, then every event with its security line.
pub fn detail(d: &MessageDetail) -> String {
    let mut out = String::new();
    let meta = &d.meta;
    let _ = writeln!(out, "message {}", d.id);
    let _ = writeln!(out, "  received   {}", timestamp(meta.received_at));
    let _ = writeln!(out, "  from       <{}>", shown(&d.envelope.sender));
    if let Some(id) = &meta.message_id {
        let _ = writeln!(out, "  message-id {}", shown(id));
    }
    let _ = writeln!(out, "  size       {} octets", meta.size);
    if meta.pool.is_empty() {
        out.push_str("  outbound_pool none");
    } else {
        let _ = write!(out, "  outbound_pool {}", shown(&meta.pool));
    }
    if !meta.pool_reason.is_empty() {
        let _ = write!(out, " ({})", shown(&meta.pool_reason));
    }
    out.push('\n');
    let mut via = Vec::new();
    if let Some(client) = meta.client {
        via.push(format!("client {client}"));
    }
    if let Some(ehlo) = &meta.ehlo {
        via.push(format!("ehlo {}", shown(ehlo)));
    }
    if let Some(tls) = &meta.tls {
        via.push(format!(
            "tls {} {}",
            shown(&tls.version),
            shown(&tls.cipher)
        ));
    }
    if let Some(user) = &meta.authenticated {
        via.push(format!("user {}", shown(user)));
    }
    if !via.is_empty() {
        let _ = writeln!(out, "  via        {}", via.join(", "));
    }
    let _ = writeln!(out, "  recipients");
    for r in &d.recipients {
        let _ = writeln!(out, "    {}", recipient(r));
    }
    let _ = writeln!(out, "  events");
    for e in &d.events {
        event(&mut out, e);
    }
    out
}

fn recipient(r: &RecipientView) -> String {
    let mut line = format!(
        "{}  {}  attempts {}",
        shown(&r.recipient.address),
        r.state.name(),
        r.attempts
    );
    if let RecipientState::Deferred { next_attempt, .. } = &r.state {
        let _ = write!(line, ", next {}", timestamp(*next_attempt));
    }
    if let Some(t) = &r.last_trouble {
        let _ = write!(line, "  last: {}", trouble(t));
    }
    line
}

/// A trouble as `code cause: detail`, the code said once when the
/// detail starts with it too.
fn trouble(t: &TroubleRecord) -> String {
    let code = t.code.to_string();
    let detail = t
        .detail
        .strip_prefix(&code)
        .map_or(t.detail.as_str(), str::trim_start);
    let mut text = format!("{code} {}: {}", shown(&t.cause), shown(detail));
    if let Some(mx) = &t.mx {
        let _ = write!(text, " (on {})", shown(mx));
    }
    text
}

fn event(out: &mut String, e: &Event) {
    let who = e
        .recipient
        .as_deref()
        .map_or_else(String::new, |r| format!(" {}", shown(r)));
    let at = timestamp(e.at);
    let what = match &e.kind {
        EventKind::Received(meta) => {
            let _ = writeln!(
                out,
                "    {at}{who} received{}",
                meta.client
                    .map_or_else(String::new, |c| format!(" from {c}"))
            );
            if let Some(record) = &meta.auth {
                super::auth_text::lines(out, record);
            }
            if let Some(why) = &meta.quarantine {
                let _ = writeln!(out, "      quarantined on arrival: {}", shown(why));
            }
            if let Some(sealed) = &meta.arc_sealed {
                let _ = writeln!(
                    out,
                    "      arc set added i={} cv={} d={} s={}",
                    sealed.instance,
                    shown(&sealed.cv),
                    shown(&sealed.domain),
                    shown(&sealed.selector)
                );
            }
            return;
        }
        EventKind::Attempt(a) => {
            let _ = writeln!(out, "    {at}{who} attempt");
            attempt(out, a);
            return;
        }
        EventKind::Deferred {
            trouble: t,
            next_attempt,
        } => format!(
            "deferred until {}: {}",
            timestamp(*next_attempt),
            trouble(t)
        ),
        EventKind::Delivered { mx, reply } => format!(
            "delivered{}{}",
            mx.as_deref().map_or_else(String::new, |m| {
                format!(" by {}", shown(m.trim_end_matches('.')))
            }),
            reply
                .as_ref()
                .map_or_else(String::new, |r| format!(": {}", shown(&r.to_string())))
        ),
        EventKind::Bounced { trouble: t } => format!("bounced: {}", trouble(t)),
        EventKind::Expired { trouble: t } => format!("expired: {}", trouble(t)),
        EventKind::NoticeSent { kind, notice } => {
            format!("{} notice sent as {notice}", notice_kind(*kind))
        }
        EventKind::Held => "held".to_owned(),
        EventKind::Quarantined => "quarantined".to_owned(),
        EventKind::Released => "released".to_owned(),
        EventKind::RetryRequested => "retry requested".to_owned(),
        EventKind::LeaseLapsed { owner } => format!("lease of {} lapsed", shown(owner)),
        EventKind::SpamRefused { action, score } => format!(
            "refused by the spam filter: action {}, score {}",
            shown(action),
            shown(score)
        ),
        EventKind::SendingLimit(block) => format!(
            "refused: {}; {} blocked until released (sealane limits release {})",
            shown(&block.to_string()),
            block.subject.kind.as_str(),
            shown(&block.subject.name)
        ),
    };
    let _ = writeln!(out, "    {at}{who} {what}");
}

fn notice_kind(kind: queue::NoticeKind) -> &'static str {
    match kind {
        queue::NoticeKind::Failure => "failure",
        queue::NoticeKind::Delay => "delay",
        queue::NoticeKind::Success => "success",
    }
}

/// The security line of one connection: MX, address, TLS, verification,
/// TLSA or MTA-STS policy id, DNSSEC notes, result type and reply.
fn attempt(out: &mut String, a: &AttemptRecord) {
    let _ = write!(
        out,
        "      mx {}",
        super::endpoint::endpoint(&shown(&a.mx).to_string(), &a.address)
    );
    if let Some(source) = a.source {
        let _ = write!(out, " from {source}");
    }
    let _ = write!(out, ", required {}", shown(&a.requirement));
    if a.transaction > 1 {
        // The verification below is the connection's, made when it opened.
        let _ = write!(out, ", connection reused (transaction {})", a.transaction);
    }
    let _ = writeln!(out);
    let tls = a.tls.as_ref().map_or_else(
        || "none".to_owned(),
        |t| format!("{} {}", shown(&t.version), shown(&t.cipher)),
    );
    let _ = write!(out, "      tls {tls}");
    if let Some(v) = &a.verification {
        let _ = write!(out, ", verified {}", shown(v));
    }
    if let Some(t) = &a.tlsa {
        let _ = write!(out, ", tlsa {}", shown(t));
    }
    if let Some(id) = &a.sts_policy_id {
        let _ = write!(out, ", mta-sts id {}", shown(id));
    }
    let _ = writeln!(out);
    if !a.dnssec.is_empty() {
        let notes: Vec<String> = a
            .dnssec
            .iter()
            .map(|n| format!("{} {}", shown(&n.question), shown(&n.status)))
            .collect();
        let _ = writeln!(out, "      dnssec {}", notes.join("; "));
    }
    if let Some(result) = &a.result_type {
        let _ = writeln!(out, "      result-type {}", shown(result));
    }
    if let Some(reply) = &a.reply {
        let _ = writeln!(out, "      reply {}", shown(&reply.to_string()));
    }
    if let Some(t) = &a.trouble {
        let _ = writeln!(out, "      trouble {}", trouble(t));
    }
    if !a.recipients.is_empty() {
        let rcpts: Vec<String> = a.recipients.iter().map(|r| shown(r).to_string()).collect();
        let _ = writeln!(out, "      for {}", rcpts.join(", "));
    }
}

pub(crate) fn timestamp(at: SystemTime) -> String {
    OffsetDateTime::from(at)
        .replace_millisecond(0)
        .unwrap_or(OffsetDateTime::from(at))
        .format(&Rfc3339)
        .unwrap_or_else(|_| "(time out of range)".to_owned())
}

/// Compact age: `42s`, `17m`, `5h`, `3d`.
fn age(now: SystemTime, then: SystemTime) -> String {
    let s = now.duration_since(then).unwrap_or(Duration::ZERO).as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_are_compact() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let ago = |s| now - Duration::from_secs(s);
        assert_eq!(age(now, ago(42)), "42s");
        assert_eq!(age(now, ago(17 * 60)), "17m");
        assert_eq!(age(now, ago(5 * 3600 + 7)), "5h");
        assert_eq!(age(now, ago(3 * 86_400)), "3d");
        assert_eq!(age(now, now + Duration::from_secs(5)), "0s");
    }

    #[test]
    fn the_arc_set_added_on_arrival_is_shown_under_the_received_event() {
        let mut meta = queue::MessageMeta::new(SystemTime::UNIX_EPOCH);
        meta.arc_sealed = Some(Box::new(queue::ArcSealRecord {
            domain: "sender.test".into(),
            selector: "arc".into(),
            instance: 2,
            cv: "pass".into(),
        }));
        let mut out = String::new();
        event(
            &mut out,
            &Event {
                at: SystemTime::UNIX_EPOCH,
                recipient: None,
                kind: EventKind::Received(meta),
            },
        );
        assert!(
            out.contains("      arc set added i=2 cv=pass d=sender.test s=arc\n"),
            "{out}"
        );
    }

    #[test]
    fn network_text_in_a_trouble_is_escaped() {
        let t = TroubleRecord {
            code: "4.4.1".parse().expect("valid enhanced code"),
            cause: "connection-refused".into(),
            detail: "refused\r\n250 ok \x1b[2J".into(),
            mx: Some("mx\u{202e}.example".into()),
        };
        let text = trouble(&t);
        assert!(!text.chars().any(char::is_control), "{text:?}");
        assert!(text.contains("\\r\\n250 ok \\x1b[2J"), "{text}");
        assert!(text.contains("mx\\u{202e}.example"), "{text}");
    }
}
