//! `sealane report tls sent` and `sealane report tls received`: our own
//! day's report as it will be (today, from the sessions counted so far) or
//! was sent, and the reports others sent to our report address, from the
//! store the server runs on.

use std::fmt::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::anyhow;
use queue::{day_start, utc_day};
use report::tlsrpt::{self, ReceivedSummary};
use serde::Serialize;
use server::config::Config;
use server::tls_report_view::{SentView, sent_view};

use crate::cmd::queue::{load_config, open_store};
use crate::cmd::report::failed;
use crate::exit::Failure;
use crate::output::{Tone, paint};

/// Which store to read.
#[derive(clap::Args)]
pub struct StoreArgs {
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
    /// The data directory holding queue.db (SQLite).
    #[arg(long, value_name = "DIR", conflicts_with = "config")]
    pub(crate) data_dir: Option<PathBuf>,
    /// Take the store (`[store]`, or the data directory) and our reporter
    /// name from this configuration file.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
}

/// Arguments of `sealane report tls sent` and `report dmarc sent`.
#[derive(clap::Args)]
pub struct SentArgs {
    /// The policy domain the report is about.
    #[arg(long, value_name = "DOMAIN")]
    pub(crate) domain: String,
    /// The UTC day (YYYY-MM-DD); today when not given.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub(crate) date: Option<String>,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
}

/// Arguments of `sealane report tls received` and `report dmarc received`.
#[derive(clap::Args)]
pub struct ReceivedArgs {
    /// Only reports about this policy domain.
    #[arg(long, value_name = "DOMAIN")]
    pub(crate) domain: Option<String>,
    /// Only reports covering this UTC day (YYYY-MM-DD) or later.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub(crate) since: Option<String>,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
}

pub(crate) fn day_arg(text: &str, what: &str) -> Result<queue::UtcDay, Failure> {
    tlsrpt::parse_day(text).ok_or_else(|| {
        Failure::Input(anyhow!(
            "{what} {} is not a date (YYYY-MM-DD)",
            smtp::untrusted(text)
        ))
    })
}

pub(crate) fn domain_arg(text: &str) -> String {
    text.trim().trim_end_matches('.').to_ascii_lowercase()
}

pub(crate) fn runtime(e: queue::StoreError) -> Failure {
    Failure::Runtime(anyhow::Error::new(e).context("queue"))
}

/// Runs `sealane report tls sent`.
pub async fn sent(args: SentArgs) -> Result<ExitCode, Failure> {
    let domain = domain_arg(&args.domain);
    let today = utc_day(SystemTime::now());
    let day = match &args.date {
        Some(text) => day_arg(text, "--date")?,
        None => today,
    };
    let config: Config = load_config(args.store.config.as_ref(), args.store.data_dir.as_ref())?;
    let store = open_store(&config).await?;
    let view = sent_view(store.as_ref(), &config.tls_report, &domain, day, today)
        .await
        .map_err(runtime)?;
    if args.store.json {
        print_json(&view)?;
    } else {
        crate::output::human(&sent_text(&view));
    }
    Ok(ExitCode::SUCCESS)
}

fn sent_text(view: &SentView) -> String {
    let mut out = String::new();
    let Some(report) = &view.report else {
        let _ = writeln!(
            out,
            "no session to {} was counted on {}: there is no report",
            view.policy_domain, view.date
        );
        return out;
    };
    let state = match view.state {
        "pending" => "will be sent once the day is over (sessions counted so far)".to_owned(),
        "due" => "due: goes at the next sending round".to_owned(),
        "sent" => format!("sent (attempts: {})", view.attempts),
        "retry" => format!(
            "not sent yet: next attempt {} (attempts: {}; {})",
            view.next_attempt.as_deref().unwrap_or("-"),
            view.attempts,
            smtp::untrusted(view.reason.as_deref().unwrap_or("-"))
        ),
        _ => format!(
            "not sent: {}",
            smtp::untrusted(view.reason.as_deref().unwrap_or("-"))
        ),
    };
    let _ = writeln!(
        out,
        "TLS report on {} for {}: {state}",
        view.policy_domain, view.date
    );
    out.push_str(&crate::cmd::report::summary(report));
    out
}

/// Runs `sealane report tls received`.
pub async fn received(args: ReceivedArgs) -> Result<ExitCode, Failure> {
    let since = match &args.since {
        Some(text) => Some(day_start(day_arg(text, "--since")?)),
        None => None,
    };
    let domain = args.domain.as_deref().map(domain_arg);
    let config = load_config(args.store.config.as_ref(), args.store.data_dir.as_ref())?;
    let store = open_store(&config).await?;
    let reports = store
        .received_tls_reports(domain.as_deref(), since)
        .await
        .map_err(runtime)?;
    let summary = tlsrpt::summarise(&reports);
    if args.store.json {
        print_json(&summary)?;
    } else {
        crate::output::human(&received_text(&summary));
    }
    Ok(ExitCode::SUCCESS)
}

fn counts(result_types: &[tlsrpt::ResultCount]) -> String {
    result_types
        .iter()
        .map(|r| format!("{} x{}", r.result_type, r.sessions))
        .collect::<Vec<_>>()
        .join(", ")
}

fn received_text(summary: &ReceivedSummary) -> String {
    let mut out = String::new();
    if summary.reports == 0 {
        out.push_str("no TLS reports received\n");
        return out;
    }
    let _ = writeln!(
        out,
        "{}",
        smtp::count(
            summary.reports as u64,
            "TLS report received",
            "TLS reports received"
        )
    );
    let mut domain = "";
    for policy in &summary.policies {
        if policy.policy_domain != domain {
            domain = &policy.policy_domain;
            let _ = writeln!(out, "{domain}");
        }
        let _ = writeln!(
            out,
            "  {} {}{}: {} {}..{}, {} successful, {}",
            smtp::untrusted(&policy.reporter),
            smtp::untrusted(&policy.policy_type),
            if policy.mx_host.is_empty() {
                String::new()
            } else {
                format!(" (mx {})", smtp::untrusted(&policy.mx_host.join(", ")))
            },
            smtp::count(policy.reports as u64, "report", "reports"),
            policy.first_day,
            policy.last_day,
            policy.successful,
            failed(policy.failed)
        );
        if !policy.result_types.is_empty() {
            let _ = writeln!(
                out,
                "    {}",
                smtp::untrusted(&counts(&policy.result_types))
            );
        }
    }
    if summary.days_with_failures.is_empty() {
        out.push_str("no day with failures\n");
    } else {
        let _ = writeln!(out, "{}", paint(Tone::Warning, "days with failures:"));
        for day in &summary.days_with_failures {
            let _ = writeln!(
                out,
                "  {} {}: {} ({}){}",
                day.day,
                smtp::untrusted(&day.policy_domain),
                failed(day.failed),
                smtp::untrusted(&day.reporters.join(", ")),
                if day.result_types.is_empty() {
                    String::new()
                } else {
                    format!(": {}", smtp::untrusted(&counts(&day.result_types)))
                }
            );
        }
    }
    if summary.unreadable > 0 {
        let _ = writeln!(
            out,
            "{} could not be read",
            smtp::count(summary.unreadable as u64, "stored report", "stored reports")
        );
    }
    out
}

pub(crate) fn print_json<T: Serialize>(value: &T) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::Runtime(anyhow!("cannot write JSON: {e}")))?;
    crate::output::json(&text);
    Ok(())
}
