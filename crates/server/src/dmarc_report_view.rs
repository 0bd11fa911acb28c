//! Our DMARC aggregate report on one Domain Owner and day, with where it
//! stands: the rows counted so far (written by every node's daemon every
//! few seconds) or as the report was built. `sealane report dmarc sent
//! --json` and `GET /api/v1/reports/dmarc/sent` print this one shape.

use queue::{DmarcRowCount, Store, StoreError, UtcDay};
use report::tlsrpt;
use serde::Serialize;

use crate::tls_report_view::Standing;

/// Our report on one policy domain and UTC day.
#[derive(Debug, Clone, Serialize)]
pub struct DmarcSentView {
    /// The Domain Owner's policy domain.
    pub policy_domain: String,
    /// The UTC day, `YYYY-MM-DD`.
    pub date: String,
    /// `pending` (the day is not over), `due`, `sent`, `retry`, `abandoned`.
    pub state: &'static str,
    /// Tries so far.
    pub attempts: u32,
    /// When the next try is due (`retry`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt: Option<String>,
    /// Why the last try failed or the report was given up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Messages counted.
    pub messages: u64,
    /// Of them, those that passed DMARC.
    pub passed: u64,
    /// The report's rows, most messages first.
    pub rows: Vec<RowView>,
}

/// One row of the report.
#[derive(Debug, Clone, Serialize)]
pub struct RowView {
    /// The sending address.
    pub source_ip: String,
    /// Messages.
    pub count: u64,
    /// What we did: `none`, `quarantine` or `reject`.
    pub disposition: String,
    /// DKIM aligned: `pass` or `fail`.
    pub dkim: &'static str,
    /// SPF aligned: `pass` or `fail`.
    pub spf: &'static str,
    /// The RFC5322.From domain.
    pub header_from: String,
    /// The RFC5321.MailFrom domain (or HELO name).
    pub envelope_from: String,
    /// Why what we did is not what the policy asked (`type: comment`).
    pub overrides: Vec<String>,
}

fn row(counted: &DmarcRowCount) -> RowView {
    let verdict = |pass: bool| if pass { "pass" } else { "fail" };
    let r = &counted.row;
    RowView {
        source_ip: r.source_ip.to_string(),
        count: counted.count,
        disposition: r.disposition.clone(),
        dkim: verdict(r.dkim_aligned),
        spf: verdict(r.spf_aligned),
        header_from: r.header_from.clone(),
        envelope_from: r.envelope_from.clone(),
        overrides: r
            .overrides
            .iter()
            .map(|o| match &o.comment {
                Some(comment) => format!("{}: {comment}", o.kind),
                None => o.kind.clone(),
            })
            .collect(),
    }
}

/// Reads our report on `domain` for `day` and where it stands (`today`
/// tells a day still running from one that is over).
pub async fn dmarc_sent_view(
    store: &dyn Store,
    domain: &str,
    day: UtcDay,
    today: UtcDay,
) -> Result<DmarcSentView, StoreError> {
    let counted = store.dmarc_rows(domain, day).await?;
    let standing = Standing::of(store.dmarc_report_status(domain, day).await?, day, today);
    let mut rows: Vec<RowView> = counted.iter().map(row).collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.count));
    let messages = rows.iter().map(|r| r.count).sum();
    let passed = rows
        .iter()
        .filter(|r| r.dkim == "pass" || r.spf == "pass")
        .map(|r| r.count)
        .sum();
    Ok(DmarcSentView {
        policy_domain: domain.to_owned(),
        date: tlsrpt::day_text(day),
        state: standing.state,
        attempts: standing.attempts,
        next_attempt: standing.next_attempt,
        reason: standing.reason,
        messages,
        passed,
        rows,
    })
}
