//! Where our TLS report of one policy domain and day stands, with the
//! report as it will be (today, from the sessions counted so far) or was
//! sent: `sealane report tls sent --json` and
//! `GET /api/v1/reports/tls/sent` print this one shape.

use queue::{ReportState, ReportStatus, Store, StoreError, UtcDay};
use report::tlsrpt::{self, Report};
use serde::Serialize;

use crate::config::TlsReportSettings;

/// Our report on one policy domain and UTC day.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct SentView {
    /// The policy domain the report is about.
    pub policy_domain: String,
    /// The UTC day, `YYYY-MM-DD`.
    pub date: String,
    /// `pending` (the day is not over), `due`, `sent`, `retry`, `abandoned`.
    pub state: &'static str,
    /// Deliveries of the report tried so far.
    pub attempts: u32,
    /// When the next try is due (`retry`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt: Option<String>,
    /// Why the last try failed or the report was given up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The report; `None` when no session was counted.
    pub report: Option<Report>,
}

/// Reads where the report of `domain` for `day` stands (`today` tells a
/// day still running from one that is over).
pub async fn sent_view(
    store: &dyn Store,
    settings: &TlsReportSettings,
    domain: &str,
    day: UtcDay,
    today: UtcDay,
) -> Result<SentView, StoreError> {
    let counts = store.tls_sessions(domain, day).await?;
    let status = store.tls_report_status(domain, day).await?;
    let report = (!counts.is_empty()).then(|| {
        let reporter = crate::tls_reports::reporter(settings);
        tlsrpt::build(&reporter, domain, day, &counts)
    });
    let standing = Standing::of(status, day, today);
    Ok(SentView {
        policy_domain: domain.to_owned(),
        date: tlsrpt::day_text(day),
        state: standing.state,
        attempts: standing.attempts,
        next_attempt: standing.next_attempt,
        reason: standing.reason,
        report,
    })
}

/// Where a daily report (TLS or DMARC) stands, in the words both views
/// print.
pub(crate) struct Standing {
    /// `pending` (the day is not over), `due`, `sent`, `retry`, `abandoned`.
    pub state: &'static str,
    /// Tries so far.
    pub attempts: u32,
    /// When the next try is due (`retry`), RFC 3339.
    pub next_attempt: Option<String>,
    /// Why the last try failed or the report was given up.
    pub reason: Option<String>,
}

impl Standing {
    /// The standing of the report of `day`, from its stored status
    /// (`today` tells a day still running from one that is over).
    pub(crate) fn of(status: Option<ReportStatus>, day: UtcDay, today: UtcDay) -> Self {
        let mut standing = Standing {
            state: if day >= today { "pending" } else { "due" },
            attempts: 0,
            next_attempt: None,
            reason: None,
        };
        let Some(status) = status else {
            return standing;
        };
        standing.attempts = status.attempts;
        match status.state {
            ReportState::Sent { .. } => standing.state = "sent",
            ReportState::Retry {
                next_attempt,
                reason,
            } => {
                standing.state = "retry";
                standing.next_attempt = Some(tlsrpt::datetime::format(next_attempt.into()));
                standing.reason = Some(reason);
            }
            ReportState::Abandoned { reason } => {
                standing.state = "abandoned";
                standing.reason = Some(reason);
            }
            _ => {}
        }
        standing
    }
}
