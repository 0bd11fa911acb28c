//! `sealane check`: the posture of one or many domains — MX, DNSSEC, DANE,
//! MTA-STS, TLS-RPT, SPF, DKIM selectors given, DMARC and the delivery verdict `sealane route`
//! would give — as a readable report or JSON Lines (`docs/check-json.md`).
//!
//! Exit status: 0 when nothing worse than `info` was found, 3 when the
//! worst finding is a `warning`, 4 when it is an `error`; 2 for bad input
//! (a bad domain name, an unreadable file) and 1 when the check could not
//! run.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, anyhow};
use check::{Checker, DomainReport, Severity};
use dns::{Name, Resolver};
use policy::sts::FetchOptions;

use super::deliver::TransportArgs;
use super::resolver::ResolverArgs;
use crate::exit::Failure;

/// Exit status when the worst finding is a warning.
const EXIT_WARNING: u8 = 3;
/// Exit status when the worst finding is an error.
const EXIT_ERROR: u8 = 4;

/// Arguments of `sealane check`.
#[derive(clap::Args)]
pub struct Args {
    /// Domains to check.
    domains: Vec<String>,
    /// A file of domains to check, one per line; `#` starts a comment.
    #[arg(long, value_name = "LIST")]
    file: Option<PathBuf>,
    /// Print one JSON object per domain, one per line (see docs/check-json.md).
    #[arg(long)]
    json: bool,
    /// A DKIM selector whose key record to check for each domain (at
    /// SELECTOR._domainkey.DOMAIN); repeat for several.
    #[arg(long, value_name = "SELECTOR")]
    dkim_selector: Vec<String>,
    /// How many domains to check at once.
    #[arg(long, value_name = "N", default_value_t = check::batch::DEFAULT_CONCURRENCY)]
    concurrency: usize,
    #[command(flatten)]
    resolver: ResolverArgs,
    #[command(flatten)]
    transport: TransportArgs,
}

/// Checks every domain given and prints the reports in the order given.
pub async fn run(args: Args) -> Result<ExitCode, Failure> {
    let domains = domains(&args)?;
    let config = args.resolver.config()?;
    let delivery = args.transport.options()?;
    let fetch = FetchOptions::new(delivery.roots.clone())
        .with_port(args.transport.https_port)
        .with_time(delivery.time.clone());
    let json = args.json;
    let concurrency = args.concurrency;
    let selectors = args.dkim_selector.clone();
    // Batches are CPU-bound (TLS, DNSSEC): they run on a runtime with a
    // worker per core, built on a thread of its own.
    let worst = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("cannot start the runtime")
            .map_err(Failure::Setup)?;
        runtime.block_on(async move {
            let resolver = Resolver::new(config);
            let mut checker = Checker::new(resolver, delivery, fetch)
                .context("cannot open the MTA-STS policy cache")
                .map_err(Failure::Setup)?;
            checker.dkim_selectors = selectors;
            Ok::<_, Failure>(batch(Arc::new(checker), domains, concurrency, json).await)
        })
    })
    .join()
    .map_err(|_| Failure::Runtime(anyhow!("the check thread panicked")))??;
    Ok(match worst {
        Severity::Error => ExitCode::from(EXIT_ERROR),
        Severity::Warning => ExitCode::from(EXIT_WARNING),
        _ => ExitCode::SUCCESS,
    })
}

/// The domains of the command line, then those of `--file`.
fn domains(args: &Args) -> Result<Vec<Name>, Failure> {
    let mut texts: Vec<String> = args.domains.clone();
    if let Some(path) = &args.file {
        let list = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))
            .map_err(Failure::Input)?;
        texts.extend(
            list.lines()
                .map(|line| line.split('#').next().unwrap_or("").trim())
                .filter(|line| !line.is_empty())
                .map(str::to_owned),
        );
    }
    if texts.is_empty() {
        return Err(Failure::Input(anyhow!(
            "no domain to check: give domains or --file LIST"
        )));
    }
    texts
        .iter()
        .map(|text| Resolver::parse_name(text).map_err(|e| Failure::Input(e.into())))
        .collect()
}

/// Checks `domains` and prints each report in input order as soon as the
/// ones before it are printed; returns the worst severity.
async fn batch(
    checker: Arc<Checker>,
    domains: Vec<Name>,
    concurrency: usize,
    json: bool,
) -> Severity {
    let total = domains.len();
    let progress = total > 1 && std::io::stderr().is_terminal();
    let colour = !json && crate::output::colour();
    let started = Instant::now();
    let mut pending: BTreeMap<usize, DomainReport> = BTreeMap::new();
    let mut next = 0;
    let mut done = 0;
    let mut worst = Severity::Pass;
    let mut stdout = std::io::stdout().lock();
    check::batch::check_all(checker, domains, concurrency, |index, report| {
        done += 1;
        worst = worst.max(report.worst);
        pending.insert(index, report);
        while let Some(report) = pending.remove(&next) {
            next += 1;
            let text = if json {
                let line = serde_json::to_string(&check::JsonReport::new(&report))
                    .expect("a report always serializes: plain data, string keys");
                format!("{line}\n")
            } else {
                super::check_text::render(&report, colour)
            };
            // A closed pipe (`| head`) ends the output, not the checks.
            if json {
                let _ = stdout.write_all(text.as_bytes());
                let _ = stdout.flush();
            } else {
                crate::output::human(&text);
            }
        }
        if progress {
            let rate = done as f64 / started.elapsed().as_secs_f64().max(0.001);
            eprint!("\r[{done}/{total}] {rate:.1} domains/s ");
        }
    })
    .await;
    if progress {
        eprintln!();
    }
    let _ = stdout.flush();
    worst
}
