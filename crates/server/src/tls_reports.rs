//! Sending the daily TLS reports (RFC 8460 §4.1, §5): once a UTC day is
//! over, each policy domain with counted sessions whose `_smtp._tls`
//! record asks for reports gets one report for the day, by mail (queued
//! like any message, marked so that its own delivery is not counted, and
//! DKIM-signed when `[[dkim.sign]]` has a key for the sender's domain) and
//! by HTTPS POST. A failed upload is tried again with back-off until the
//! report's day plus one has passed, and so is the mail (the queue's retry
//! schedule, cut at that deadline, with no notice on expiry); a domain
//! without exactly one valid record gets none, and the log says why.

use std::time::{Duration, SystemTime};

use policy::sts::FetchOptions;
use queue::{
    Envelope, MessageMeta, NewMessage, QueueId, ReportDue, ReportKind, ReportState, StoreError,
    UtcDay, day_start, utc_day,
};
use report::tlsrpt::{self, Report, ReportMail, Reporter};
use report::uri::{ReportUri, Scheme};
use tracing::{info, warn};

use crate::config::TlsReportSettings;
use crate::pool;
use crate::shared::Shared;

/// The first wait after a failed upload (or, for DMARC reports, lookup);
/// it doubles with each failure.
const FIRST_RETRY: Duration = Duration::from_secs(15 * 60);
/// How long a node keeps a report it claimed before another node may
/// take it over (RFC 8460 and RFC 7489 reports alike).
pub(crate) const CLAIM_LEASE: Duration = Duration::from_secs(10 * 60);
/// The longest wait between tries.
const MAX_RETRY: Duration = Duration::from_secs(4 * 3600);

/// Sends every report that is due: days before today (UTC) not yet sent,
/// given up, or waiting for a retry. Returns how many were sent.
pub async fn send_due(shared: &Shared) -> Result<usize, StoreError> {
    if !shared.config.tls_report.enabled {
        return Ok(0);
    }
    let now = shared.now();
    let due = shared.store.tls_reports_due(utc_day(now) - 1).await?;
    let mut sent = 0;
    for report in due {
        if send_one(shared, &report, now).await? {
            sent += 1;
        }
    }
    Ok(sent)
}

/// Who our reports say they are from, as configured.
pub fn reporter(settings: &TlsReportSettings) -> Reporter {
    Reporter {
        organization_name: settings.organization_name.clone(),
        contact_info: settings.contact_info.clone(),
        submitter: settings.submitter.clone(),
    }
}

/// When the report of `day` is given up: the end of the day after it
/// (DMARC reports keep the same deadline).
pub(crate) fn deadline(day: UtcDay) -> SystemTime {
    day_start(day + 2)
}

pub(crate) fn backoff(attempts: u32) -> Duration {
    FIRST_RETRY
        .saturating_mul(1 << attempts.min(8))
        .min(MAX_RETRY)
}

async fn send_one(shared: &Shared, due: &ReportDue, now: SystemTime) -> Result<bool, StoreError> {
    let domain = &due.policy_domain;
    let day = due.day;
    let settings = &shared.config.tls_report;
    if !shared
        .store
        .claim_tls_report(domain, day, CLAIM_LEASE)
        .await?
    {
        return Ok(false);
    }
    let abandon = |reason: String| ReportState::Abandoned { reason };
    if now >= deadline(day) {
        warn!(domain = %domain, day = %tlsrpt::day_text(day), "TLS report given up: its day plus one has passed");
        let state = abandon("the report's day plus one has passed".into());
        shared.store.set_tls_report(domain, day, state).await?;
        return Ok(false);
    }
    let destinations =
        match tlsrpt::discover(&shared.resolver, domain, settings.max_destinations).await {
            Ok(destinations) => destinations,
            Err(error) if error.is_temporary() => {
                warn!(domain = %domain, error = %error, "TLS report postponed");
                let state = retry(due, now, error.to_string());
                shared.store.set_tls_report(domain, day, state).await?;
                return Ok(false);
            }
            Err(error) => {
                info!(domain = %domain, reason = %error, "no TLS report: the domain asks for none");
                let state = abandon(error.to_string());
                shared.store.set_tls_report(domain, day, state).await?;
                return Ok(false);
            }
        };
    let counts = shared.store.tls_sessions(domain, day).await?;
    let report = tlsrpt::build(&reporter(settings), domain, day, &counts);
    let (mail, web): (Vec<&ReportUri>, Vec<&ReportUri>) = destinations
        .iter()
        .partition(|d| d.scheme == Scheme::Mailto);
    // The mail is queued once: a retry is for uploads, unless the mail is
    // not in the store yet (an earlier try stopped before it, at a failed
    // lookup say). With no upload to make, the mail is the whole report,
    // and the report is marked sent in the transaction that queues it.
    if !mail.is_empty() && !mail_queued(shared, &report.report_id).await? {
        let whole = web.is_empty();
        queue_mail(shared, &report, domain, day, &mail, now, whole).await?;
        if whole {
            return Ok(true);
        }
    }
    let mut failures = Vec::new();
    if !web.is_empty() {
        let options = FetchOptions::new(shared.delivery.roots.clone())
            .with_port(shared.config.outbound.https_port)
            .with_time(shared.delivery.time.clone());
        let gzip = tlsrpt::compress(&report);
        for uri in web {
            match tlsrpt::upload(&shared.resolver, &uri.uri, gzip.clone(), &options).await {
                Ok(()) => {
                    info!(domain = %domain, to = %uri.uri, report_id = %report.report_id, "TLS report uploaded")
                }
                Err(error) => {
                    warn!(domain = %domain, error = %error, "TLS report upload failed");
                    failures.push(error.to_string());
                }
            }
        }
    }
    let state = if failures.is_empty() {
        ReportState::Sent {
            report_id: report.report_id.clone(),
        }
    } else {
        retry(due, now, failures.join("; "))
    };
    let done = matches!(state, ReportState::Sent { .. });
    shared.store.set_tls_report(domain, day, state).await?;
    Ok(done)
}

fn retry(due: &ReportDue, now: SystemTime, reason: String) -> ReportState {
    ReportState::Retry {
        next_attempt: now + backoff(due.attempts),
        reason,
    }
}

/// Whether the mail of the report `report_id` is in the store already:
/// the report's id is its `Message-ID`, the same on every try.
async fn mail_queued(shared: &Shared, report_id: &str) -> Result<bool, StoreError> {
    let message_id = format!("<{report_id}>");
    Ok(shared
        .store
        .trace(report_id)
        .await?
        .iter()
        .any(|m| m.meta.tls_report && m.meta.message_id.as_deref() == Some(message_id.as_str())))
}

/// Queues the report mail to the `mailto:` destinations, marked as a TLS
/// report so that its delivery is not counted and no notice is ever
/// written about it, and expiring when the report's day plus one is over;
/// with `sent`, the report is marked sent in the same transaction.
async fn queue_mail(
    shared: &Shared,
    report: &Report,
    domain: &str,
    day: UtcDay,
    destinations: &[&ReportUri],
    now: SystemTime,
    sent: bool,
) -> Result<(), StoreError> {
    let settings = &shared.config.tls_report;
    let to: Vec<String> = destinations
        .iter()
        .map(|d| mailto_address(&d.uri))
        .collect();
    let data = tlsrpt::build_mail(
        report,
        &ReportMail {
            from: &settings.sender,
            to: &to,
            submitter: &settings.submitter,
            policy_domain: domain,
            now,
        },
    );
    // RFC 8460 §5.3: reports are signed.
    let data = crate::signing::sign(
        &shared.config.dkim_sign,
        &settings.sender,
        data,
        "TLS report",
    );
    let mut meta = MessageMeta::new(now);
    meta.size = data.len() as u64;
    let facts = pool::Facts {
        sender: &settings.sender,
        origin: pool::Origin::Report,
        spam: false,
        sender_domain: pool::SenderDomain::Unknown,
    };
    pool::route(&shared.config.pools, &facts).record(&mut meta);
    meta.message_id = Some(format!("<{}>", report.report_id));
    meta.tls_report = true;
    meta.expires_at = Some(deadline(day));
    let id = QueueId::generate(now);
    let mail = NewMessage {
        id,
        envelope: Envelope::new(settings.sender.clone()),
        recipients: to.iter().cloned().map(smtp::Recipient::new).collect(),
        meta,
        body: data,
    };
    if sent {
        let report_id = report.report_id.clone();
        shared
            .store
            .queue_report_mail(ReportKind::Tls, domain, day, report_id, mail)
            .await?;
    } else {
        shared.store.insert(mail).await?;
    }
    info!(domain = %domain, queue_id = %id, to = %to.join(", "), report_id = %report.report_id, "TLS report queued");
    shared.wake.notify_one();
    Ok(())
}

/// The address of a `mailto:` URI (RFC 6068): before any `?`, with
/// `%`-escapes decoded.
fn mailto_address(uri: &str) -> String {
    let rest = uri.get(7..).unwrap_or_default();
    let address = rest.split('?').next().unwrap_or_default();
    let bytes = address.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailto_uris_give_their_address() {
        assert_eq!(
            mailto_address("mailto:tlsrpt@example.net"),
            "tlsrpt@example.net"
        );
        assert_eq!(
            mailto_address("mailto:tls%2Brpt@example.net?subject=x"),
            "tls+rpt@example.net"
        );
    }

    #[test]
    fn retries_back_off_up_to_a_bound() {
        assert_eq!(backoff(0), FIRST_RETRY);
        assert_eq!(backoff(1), FIRST_RETRY * 2);
        assert_eq!(backoff(30), MAX_RETRY);
    }
}
