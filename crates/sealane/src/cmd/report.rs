//! `sealane report tls`: `sent` and `received` read the server's store
//! (`report_store.rs`); `read FILE...` reads TLS reports (RFC 8460) that
//! reached an administrator elsewhere — JSON, `.json.gz`, or a whole
//! report mail — without a running server, and prints a summary per
//! reporter, policy and result type (or the reports as JSON).
//! `sealane report dmarc read FILE...` does the same for DMARC aggregate
//! reports, and `report dmarc received` reads those kept by the server
//! (`report_dmarc.rs`).

use std::fmt::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::anyhow;
use report::tlsrpt::{self, Report};

use smtp::untrusted as shown;

use crate::exit::Failure;
use crate::output::Tone;

/// The `report` subcommands.
#[derive(clap::Subcommand)]
pub enum Command {
    /// SMTP TLS reports (RFC 8460).
    #[command(subcommand)]
    Tls(TlsCommand),
    /// DMARC aggregate reports (RFC 7489).
    #[command(subcommand)]
    Dmarc(DmarcCommand),
}

/// The `report dmarc` subcommands.
#[derive(clap::Subcommand)]
pub enum DmarcCommand {
    /// Read aggregate report files (XML, .xml.gz, .zip, or a report mail)
    /// and summarise them per source address, with the receiver's
    /// disposition and DKIM/SPF alignment; a file that is not a report is
    /// an error (exit 2).
    Read(ReadArgs),
    /// Aggregate reports others sent to our report address
    /// (`[dmarc_report] receive_address`), summed per policy domain and
    /// source address, with what receivers did and DKIM/SPF alignment.
    Received(crate::cmd::report_store::ReceivedArgs),
    /// Our report on a Domain Owner for a day: as it will be sent (today,
    /// from the messages counted so far) or as it was, and where it stands.
    Sent(crate::cmd::report_store::SentArgs),
}

/// The `report tls` subcommands.
#[derive(clap::Subcommand)]
pub enum TlsCommand {
    /// Read report files (JSON, .json.gz, or a report mail) and summarise
    /// them; a file that is not a report is an error (exit 2).
    Read(ReadArgs),
    /// Our report on a domain for a day: as it will be sent (today, from
    /// the sessions counted so far) or as it was, and where it stands.
    Sent(crate::cmd::report_store::SentArgs),
    /// Reports others sent to our report address, summarised per reporter,
    /// policy and result type, with the days that had failures.
    Received(crate::cmd::report_store::ReceivedArgs),
}

/// Arguments of `sealane report tls read`.
#[derive(clap::Args)]
pub struct ReadArgs {
    /// Report files.
    #[arg(value_name = "FILE", required = true)]
    pub(crate) files: Vec<PathBuf>,
    /// Print the reports as JSON (an array, in the order given).
    #[arg(long)]
    pub(crate) json: bool,
}

/// Runs a `report` subcommand.
pub async fn run(command: Command) -> Result<ExitCode, Failure> {
    match command {
        Command::Tls(TlsCommand::Read(args)) => read(args),
        Command::Tls(TlsCommand::Sent(args)) => crate::cmd::report_store::sent(args).await,
        Command::Tls(TlsCommand::Received(args)) => crate::cmd::report_store::received(args).await,
        Command::Dmarc(DmarcCommand::Read(args)) => crate::cmd::report_dmarc::read(args),
        Command::Dmarc(DmarcCommand::Received(args)) => {
            crate::cmd::report_dmarc::received(args).await
        }
        Command::Dmarc(DmarcCommand::Sent(args)) => crate::cmd::report_dmarc::sent(args).await,
    }
}

/// Reads one file: a report in JSON or gzip, or a mail carrying one.
fn read_file(path: &PathBuf) -> Result<Report, Failure> {
    let data = std::fs::read(path).map_err(|e| {
        Failure::Input(anyhow!(
            "cannot read {}: {}",
            path.display(),
            smtp::io_text(&e)
        ))
    })?;
    let first = data.iter().find(|b| !b.is_ascii_whitespace()).copied();
    let result = match first {
        Some(b'{') | Some(0x1f) => tlsrpt::read(&data),
        _ => tlsrpt::read_mail(&data),
    };
    result.map_err(|e| Failure::Input(anyhow!("{}: {e}", path.display())))
}

fn read(args: ReadArgs) -> Result<ExitCode, Failure> {
    let reports = args
        .files
        .iter()
        .map(read_file)
        .collect::<Result<Vec<_>, _>>()?;
    if args.json {
        let text = serde_json::to_string_pretty(&reports)
            .map_err(|e| Failure::Runtime(anyhow!("cannot write JSON: {e}")))?;
        crate::output::json(&text);
    } else {
        let text: String = reports.iter().map(summary).collect();
        crate::output::human(&text);
    }
    Ok(ExitCode::SUCCESS)
}

/// `N failed`, in the colour of a failure when N is not 0.
pub(crate) fn failed(count: u64) -> String {
    let text = format!("{count} failed");
    if count == 0 {
        text
    } else {
        crate::output::paint(Tone::Bad, &text)
    }
}

/// What a report says, for a person. Every text in it came from the
/// reporter, and is shown escaped.
pub(crate) fn summary(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({}), {} to {}, report {}",
        shown(&report.organization_name),
        shown(&report.contact_info),
        tlsrpt::datetime::format(report.date_range.start_datetime),
        tlsrpt::datetime::format(report.date_range.end_datetime),
        shown(&report.report_id)
    );
    for result in &report.policies {
        let policy = &result.policy;
        let _ = writeln!(
            out,
            "  {} {}{}: {} successful, {}",
            shown(&policy.policy_domain),
            policy.policy_type.as_str(),
            if policy.mx_host.is_empty() {
                String::new()
            } else {
                format!(" (mx {})", shown(&policy.mx_host.join(", ")))
            },
            result.summary.total_successful_session_count,
            failed(result.summary.total_failure_session_count)
        );
        for failure in &result.failure_details {
            let _ = writeln!(
                out,
                "    {} x{}{}{}",
                shown(&failure.result_type),
                failure.failed_session_count,
                failure
                    .receiving_mx_hostname
                    .as_deref()
                    .map(|h| format!(" at {}", shown(h)))
                    .unwrap_or_default(),
                failure
                    .receiving_ip
                    .as_deref()
                    .map(|ip| format!(" ({})", shown(ip)))
                    .unwrap_or_default()
            );
        }
    }
    out
}
