//! Sending the daily DMARC aggregate reports (RFC 7489 §7.2): once a UTC
//! day is over, each Domain Owner with counted messages whose `_dmarc`
//! record asks for reports (`rua`) gets one report for the day, by mail
//! to the addresses that take it (§7.1: an address outside the owner's
//! organizational domain only when that domain authorizes it; none whose
//! `!` size the report exceeds), DKIM-signed when `[[dkim.sign]]` has a
//! key for our report sender's domain. The mail has a null envelope
//! sender, so it never causes a notice, and expires when the report's
//! day plus one is over. A lookup that fails for now is tried again with
//! back-off until then (an outside address whose authorization cannot be
//! looked up is left out, unless it was the only one); a domain that asks
//! for no report gets none, and the log says why. Nodes sharing a store
//! claim each report before sending it, so it goes once. The policy in
//! the report (`policy_published`) is the record as read when the report
//! is written, which RFC 7489 §7.2 allows.

use std::time::{Duration, SystemTime};

use auth::dmarc_rua::RuaDestination;
use queue::{
    Envelope, MessageMeta, NewMessage, QueueId, ReportDue, ReportKind, ReportState, StoreError,
    UtcDay, utc_day,
};
use report::dmarc::{self as aggregate, DmarcReportMail, DmarcReporter, PublishedPolicy};
use tracing::{info, warn};

use crate::config::DmarcReportSettings;
use crate::pool;
use crate::shared::Shared;
use crate::tls_reports::{backoff, deadline};
use smtp::untrusted;

/// How long after midnight (UTC) a day's reports wait: every node writes
/// its last counts of the day within [`crate::dmarc_counts::FLUSH_EVERY`].
const SETTLE: Duration = Duration::from_secs(60);

/// Writes the pending counts, then sends every report that is due: days
/// that ended at least [`SETTLE`] ago, not yet sent, given up, or waiting
/// for a retry. Returns how many were queued.
pub async fn send_due(shared: &Shared) -> Result<usize, StoreError> {
    shared.dmarc_counts.flush(&*shared.store).await?;
    if !shared.config.dmarc_report.enabled {
        return Ok(0);
    }
    let now = shared.now();
    let settled = now.checked_sub(SETTLE).unwrap_or(now);
    let due = shared.store.dmarc_reports_due(utc_day(settled) - 1).await?;
    let mut sent = 0;
    for report in due {
        if send_one(shared, &report, now).await? {
            sent += 1;
        }
    }
    Ok(sent)
}

/// Who our reports say they are from, as configured.
pub fn reporter(settings: &DmarcReportSettings) -> DmarcReporter {
    DmarcReporter {
        org_name: settings.organization_name.clone(),
        email: settings.email.clone(),
        extra_contact_info: settings.extra_contact_info.clone(),
        submitter: settings.submitter.clone(),
    }
}

async fn send_one(shared: &Shared, due: &ReportDue, now: SystemTime) -> Result<bool, StoreError> {
    let domain = &due.policy_domain;
    let day = due.day;
    let settings = &shared.config.dmarc_report;
    if !shared
        .store
        .claim_dmarc_report(domain, day, crate::tls_reports::CLAIM_LEASE)
        .await?
    {
        return Ok(false);
    }
    let set = |state: ReportState| shared.store.set_dmarc_report(domain, day, state);
    let abandon = |reason: String| ReportState::Abandoned { reason };
    if now >= deadline(day) {
        warn!(domain = %domain, day = %report::tlsrpt::day_text(day), "DMARC report given up: its day plus one has passed");
        set(abandon("the report's day plus one has passed".into())).await?;
        return Ok(false);
    }
    let destinations = match auth::dmarc_rua::report_destinations(&shared.resolver, domain).await {
        Ok(found) => found,
        Err(error) if error.is_temporary() => {
            warn!(domain = %domain, error = %untrusted(&error.to_string()), "DMARC report postponed");
            let state = ReportState::Retry {
                next_attempt: now + backoff(due.attempts),
                reason: error.to_string(),
            };
            set(state).await?;
            return Ok(false);
        }
        Err(error) => {
            info!(domain = %domain, reason = %untrusted(&error.to_string()), "no DMARC report: the domain asks for none");
            set(abandon(error.to_string())).await?;
            return Ok(false);
        }
    };
    for (address, why) in destinations.refused.iter().chain(&destinations.unverified) {
        info!(domain = %domain, to = %untrusted(address), reason = %untrusted(why), "DMARC report not sent to this address");
    }
    let rows = shared.store.dmarc_rows(domain, day).await?;
    let policy = PublishedPolicy::from_record(domain, &destinations.record);
    let xml = aggregate::to_xml(&reporter(settings), &policy, day, &rows);
    let gzip = aggregate::compress(&xml);
    let report_id = aggregate::report_id(domain, day, &settings.submitter);
    let mut chosen: Vec<_> = destinations
        .accepted
        .iter()
        .take(settings.max_destinations)
        .collect();
    let addresses = |chosen: &[&RuaDestination]| -> Vec<String> {
        chosen.iter().map(|d| d.address.clone()).collect()
    };
    let mut to = addresses(&chosen);
    // RFC 7489 §7.2.1.1: a size limit counts the report as sent, after
    // compression and transfer encoding: the mail's size bounds it.
    let mut data = build(shared, gzip.clone(), domain, day, &report_id, &to, now);
    let size = data.len();
    chosen.retain(|d| {
        let fits = d.max_size.is_none_or(|max| size <= max);
        if !fits {
            info!(domain = %domain, to = %untrusted(&d.address), size, max = d.max_size.unwrap_or(0),
                "DMARC report not sent to this address: larger than it takes");
        }
        fits
    });
    if chosen.len() != to.len() {
        to = addresses(&chosen);
        if !to.is_empty() {
            data = build(shared, gzip, domain, day, &report_id, &to, now);
        }
    }
    if to.is_empty() {
        let reason = if destinations.accepted.is_empty() && destinations.refused.is_empty() {
            format!("{domain} lists no rua address")
        } else {
            format!("no rua address of {domain} takes the report")
        };
        info!(domain = %domain, reason = %untrusted(&reason), "no DMARC report");
        set(abandon(reason)).await?;
        return Ok(false);
    }
    queue_mail(shared, data, domain, day, report_id, &to, now).await?;
    Ok(true)
}

/// The report mail, DKIM-signed when `[[dkim.sign]]` has a key for our
/// report sender's domain.
fn build(
    shared: &Shared,
    gzip: Vec<u8>,
    domain: &str,
    day: UtcDay,
    report_id: &str,
    to: &[String],
    now: SystemTime,
) -> Vec<u8> {
    let settings = &shared.config.dmarc_report;
    let data = aggregate::build_mail(
        gzip,
        &DmarcReportMail {
            from: &settings.sender,
            to,
            submitter: &settings.submitter,
            policy_domain: domain,
            report_id,
            date_range: aggregate::date_range(day),
            now,
        },
    );
    crate::signing::sign(
        &shared.config.dkim_sign,
        &settings.sender,
        data,
        "DMARC report",
    )
}

/// Queues the report mail `data`, with a null envelope sender (so it
/// never causes a notice), expiring when the report's day plus one is
/// over, and marks the report sent in the same transaction.
async fn queue_mail(
    shared: &Shared,
    data: Vec<u8>,
    domain: &str,
    day: UtcDay,
    report_id: String,
    to: &[String],
    now: SystemTime,
) -> Result<(), StoreError> {
    let settings = &shared.config.dmarc_report;
    let mut meta = MessageMeta::new(now);
    meta.size = data.len() as u64;
    let facts = pool::Facts {
        sender: &settings.sender,
        origin: pool::Origin::Report,
        spam: false,
        sender_domain: pool::SenderDomain::Unknown,
    };
    pool::route(&shared.config.pools, &facts).record(&mut meta);
    meta.message_id = Some(format!("<{report_id}>"));
    meta.expires_at = Some(deadline(day));
    let id = QueueId::generate(now);
    let mail = NewMessage {
        id,
        envelope: Envelope::new(String::new()),
        recipients: to.iter().cloned().map(smtp::Recipient::new).collect(),
        meta,
        body: data,
    };
    shared
        .store
        .queue_report_mail(ReportKind::Dmarc, domain, day, report_id.clone(), mail)
        .await?;
    info!(domain = %domain, queue_id = %id, to = %untrusted(&to.join(", ")), report_id = %report_id, "DMARC report queued");
    shared.wake.notify_one();
    Ok(())
}
