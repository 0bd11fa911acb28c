//! Aggregate reports others send about our domains, by mail to the
//! configured address (`[dmarc_report] receive_address`): read with
//! [`super::read`] (bounded, any of the forms receivers send), kept in
//! the store once however often they arrive, and read back for
//! `sealane report dmarc received` and the console.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mail_auth::report::Report;
use queue::{ReceivedDmarcReport, Store, StoreError};

use super::read::{DmarcReadError, read};

/// Why a received report was not kept.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DmarcReceiveError {
    /// The message holds no readable aggregate report.
    #[error(transparent)]
    Read(#[from] DmarcReadError),
    /// The report names no policy domain we could key it by.
    #[error("the report names no policy domain")]
    NoPolicyDomain,
    /// The store could not keep it.
    #[error("cannot keep the report: {0}")]
    Store(#[from] StoreError),
}

impl DmarcReceiveError {
    /// Whether the sender should try again later: only when the store
    /// failed for now.
    pub fn is_temporary(&self) -> bool {
        matches!(self, Self::Store(e) if e.is_temporary())
    }
}

/// A report that was kept (or was kept already).
#[derive(Debug, Clone)]
pub struct ReceivedDmarc {
    /// The report.
    pub report: Report,
    /// Its policy domain, as keyed.
    pub domain: String,
    /// It had arrived before and was left as it was.
    pub duplicate: bool,
}

/// Reads the aggregate report in `message` and keeps it.
pub async fn receive_mail(
    store: &dyn Store,
    message: &[u8],
    now: SystemTime,
) -> Result<ReceivedDmarc, DmarcReceiveError> {
    let message = message.to_vec();
    let report = tokio::task::spawn_blocking(move || read(&message))
        .await
        .map_err(|_| DmarcReadError::NoReportInMail)??;
    let kept = to_store(&report, now)?;
    let domain = kept.policy_domain.clone();
    let duplicate = !store.store_received_dmarc_report(kept).await?;
    Ok(ReceivedDmarc {
        report,
        domain,
        duplicate,
    })
}

/// The store's record of `report`, received at `received_at`: keyed by
/// its policy domain, reporter and id, the XML rewritten from what was
/// read.
pub fn to_store(
    report: &Report,
    received_at: SystemTime,
) -> Result<ReceivedDmarcReport, DmarcReceiveError> {
    let domain = report
        .domain()
        .trim()
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let plausible = !domain.is_empty()
        && domain.len() <= 253
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
    if !plausible {
        return Err(DmarcReceiveError::NoPolicyDomain);
    }
    let at = |seconds: u64| UNIX_EPOCH + Duration::from_secs(seconds.min(i64::MAX as u64 / 1000));
    Ok(ReceivedDmarcReport {
        policy_domain: domain,
        organization_name: key_text(report.org_name()),
        report_id: key_text(report.report_id()),
        begin: at(report.date_range_begin()),
        end: at(report.date_range_end()),
        received_at,
        xml: report.to_xml(),
    })
}

/// Longest reporter name or report id kept, in characters: with the
/// domain they key the report, and keys stay short in every store.
const MAX_KEY_TEXT: usize = 255;

/// A reporter's name or report id as kept: controls dropped, at most
/// [`MAX_KEY_TEXT`] characters.
fn key_text(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(MAX_KEY_TEXT)
        .collect()
}

/// The reports kept, read back: those of `domain` only if given, covering
/// time at or after `since` if given. A stored report that no longer
/// parses is skipped and named in the second list.
pub async fn received(
    store: &dyn Store,
    domain: Option<&str>,
    since: Option<SystemTime>,
) -> Result<(Vec<Report>, Vec<String>), StoreError> {
    let mut reports = Vec::new();
    let mut unreadable = Vec::new();
    for kept in store.received_dmarc_reports(domain, since).await? {
        match Report::parse_xml(kept.xml.as_bytes()) {
            Ok(report) => reports.push(report),
            Err(why) => unreadable.push(format!(
                "{} from {}: {why}",
                kept.report_id, kept.organization_name
            )),
        }
    }
    Ok((reports, unreadable))
}
