//! `sealane report dmarc read FILE...`: DMARC aggregate reports (RFC 7489
//! §7.2) that reached an administrator — XML, `.xml.gz`, `.zip` or a whole
//! report mail — summarised per source address with the receiver's
//! disposition and DKIM/SPF alignment (or as JSON).
//!
//! `sealane report dmarc received [--domain D] [--since DATE] [--json]`:
//! the reports the server kept from its report address, summed per
//! policy domain and source address. `sealane report dmarc sent --domain D
//! [--date DATE]`: our report on a Domain Owner for a day, and where it
//! stands.

use std::fmt::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::anyhow;
use std::time::SystemTime;

use queue::{day_start, utc_day};
use report::dmarc::{self, DmarcSummary, ReceivedDmarcSummary};
use server::dmarc_report_view::{DmarcSentView, dmarc_sent_view};
use smtp::untrusted as shown;

use crate::cmd::queue::{load_config, open_store};
use crate::cmd::report::{ReadArgs, failed};
use crate::cmd::report_store::{ReceivedArgs, SentArgs, day_arg, domain_arg, print_json, runtime};
use crate::exit::Failure;

fn read_file(path: &PathBuf) -> Result<DmarcSummary, Failure> {
    let data = std::fs::read(path).map_err(|e| {
        Failure::Input(anyhow!(
            "cannot read {}: {}",
            path.display(),
            smtp::io_text(&e)
        ))
    })?;
    dmarc::read(&data)
        .map(|report| dmarc::summarise(&report))
        .map_err(|e| Failure::Input(anyhow!("{}: {e}", path.display())))
}

/// Runs `report dmarc read`.
pub(crate) fn read(args: ReadArgs) -> Result<ExitCode, Failure> {
    let summaries = args
        .files
        .iter()
        .map(read_file)
        .collect::<Result<Vec<_>, _>>()?;
    if args.json {
        let text = serde_json::to_string_pretty(&summaries)
            .map_err(|e| Failure::Runtime(anyhow!("cannot write JSON: {e}")))?;
        crate::output::json(&text);
    } else {
        let text: String = summaries.iter().map(summary).collect();
        crate::output::human(&text);
    }
    Ok(ExitCode::SUCCESS)
}

/// What a report says, for a person; every text in it came from the
/// reporter, and is shown escaped.
fn summary(s: &DmarcSummary) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({}), {} to {}, report {}",
        shown(&s.organization),
        shown(&s.contact),
        s.begin,
        s.end,
        shown(&s.report_id)
    );
    let _ = writeln!(
        out,
        "  {} p={}: {}",
        shown(&s.domain),
        s.policy,
        tally(s.messages, s.passed)
    );
    for row in &s.sources {
        let _ = writeln!(
            out,
            "    {} x{}: {}, dkim {}, spf {} (From {})",
            address(&row.source_ip),
            row.count,
            row.disposition,
            row.dkim,
            row.spf,
            shown(&row.header_from)
        );
    }
    out
}

/// Runs `report dmarc received`.
pub(crate) async fn received(args: ReceivedArgs) -> Result<ExitCode, Failure> {
    let since = match &args.since {
        Some(text) => Some(day_start(day_arg(text, "--since")?)),
        None => None,
    };
    let domain = args.domain.as_deref().map(domain_arg);
    let config = load_config(args.store.config.as_ref(), args.store.data_dir.as_ref())?;
    let store = open_store(&config).await?;
    let (reports, unreadable) = dmarc::received(store.as_ref(), domain.as_deref(), since)
        .await
        .map_err(runtime)?;
    let summary = dmarc::combine(&reports, unreadable);
    if args.store.json {
        print_json(&summary)?;
    } else {
        crate::output::human(&received_text(&summary));
    }
    Ok(ExitCode::SUCCESS)
}

/// The kept reports, for a person; every text from a reporter is shown
/// escaped.
fn received_text(summary: &ReceivedDmarcSummary) -> String {
    let mut out = String::new();
    if summary.reports == 0 {
        out.push_str("no DMARC aggregate reports received\n");
    } else {
        let _ = writeln!(
            out,
            "{}",
            smtp::count(
                summary.reports as u64,
                "DMARC aggregate report received",
                "DMARC aggregate reports received"
            )
        );
    }
    for domain in &summary.domains {
        let _ = writeln!(
            out,
            "{} ({}), {} to {}: {}",
            shown(&domain.domain),
            shown(&domain.reporters.join(", ")),
            domain.first,
            domain.last,
            tally(domain.messages, domain.passed)
        );
        for source in &domain.sources {
            let _ = writeln!(
                out,
                "  {} x{}: {}, dkim {}, spf {}",
                address(&source.source_ip),
                source.count,
                source.disposition,
                source.dkim,
                source.spf
            );
        }
    }
    for name in &summary.unreadable {
        let _ = writeln!(out, "a stored report could not be read: {}", shown(name));
    }
    out
}

/// Runs `report dmarc sent`.
pub(crate) async fn sent(args: SentArgs) -> Result<ExitCode, Failure> {
    let domain = domain_arg(&args.domain);
    let today = utc_day(SystemTime::now());
    let day = match &args.date {
        Some(text) => day_arg(text, "--date")?,
        None => today,
    };
    let config = load_config(args.store.config.as_ref(), args.store.data_dir.as_ref())?;
    let store = open_store(&config).await?;
    let view = dmarc_sent_view(store.as_ref(), &domain, day, today)
        .await
        .map_err(runtime)?;
    if args.store.json {
        print_json(&view)?;
    } else {
        crate::output::human(&sent_text(&view));
    }
    Ok(ExitCode::SUCCESS)
}

fn sent_text(view: &DmarcSentView) -> String {
    let mut out = String::new();
    if view.rows.is_empty() {
        let _ = writeln!(
            out,
            "no message from {} was counted on {}: there is no report",
            view.policy_domain, view.date
        );
        return out;
    }
    let state = match view.state {
        "pending" => "will be sent once the day is over (messages counted so far)".to_owned(),
        "due" => "due: goes at the next sending round".to_owned(),
        "sent" => format!("sent (attempts: {})", view.attempts),
        "retry" => format!(
            "not sent yet: next attempt {} (attempts: {}; {})",
            view.next_attempt.as_deref().unwrap_or("-"),
            view.attempts,
            shown(view.reason.as_deref().unwrap_or("-"))
        ),
        _ => format!("not sent: {}", shown(view.reason.as_deref().unwrap_or("-"))),
    };
    let _ = writeln!(
        out,
        "DMARC report on {} for {}: {state}",
        view.policy_domain, view.date
    );
    let _ = writeln!(out, "  {}", tally(view.messages, view.passed));
    for row in &view.rows {
        let _ = writeln!(
            out,
            "    {} x{}: {}, dkim {}, spf {} (From {}, MAIL FROM {}){}",
            row.source_ip,
            row.count,
            row.disposition,
            row.dkim,
            row.spf,
            shown(&row.header_from),
            shown(&row.envelope_from),
            if row.overrides.is_empty() {
                String::new()
            } else {
                format!("; {}", shown(&row.overrides.join("; ")))
            }
        );
    }
    out
}

/// `N messages, P passed DMARC, F failed`.
fn tally(messages: u64, passed: u64) -> String {
    format!(
        "{}, {passed} passed DMARC, {}",
        smtp::count(messages, "message", "messages"),
        failed(messages.saturating_sub(passed))
    )
}

/// A source address as reported, escaped; reporters may leave it out.
fn address(ip: &str) -> String {
    if ip.is_empty() {
        "(no address)".to_owned()
    } else {
        shown(ip).to_string()
    }
}
