//! `sealane tlsa generate` and `sealane tlsa verify`: TLSA records for a
//! certificate, and an offline check of a chain against TLSA records with
//! the same code the delivery path uses.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tls::pki_types::UnixTime;
use tls::{DaneError, DaneMatch, Matching, Selector, Tlsa, Usage};

use crate::exit::Failure;

/// The `tlsa` subcommands.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Print the TLSA record data for a PEM certificate or public key.
    Generate(GenerateArgs),
    /// Check a PEM chain (leaf first) against TLSA records, without a network.
    #[command(after_help = crate::exit::statuses::TLSA)]
    Verify(VerifyArgs),
}

/// Arguments of `sealane tlsa generate`.
#[derive(clap::Args)]
pub struct GenerateArgs {
    /// PEM file holding a certificate (the first one is used) or a public key.
    #[arg(long, value_name = "FILE")]
    cert: PathBuf,
    /// Certificate usage: 3 (DANE-EE) or 2 (DANE-TA).
    #[arg(long, default_value_t = 3)]
    usage: u8,
    /// Selector: 1 (public key) or 0 (full certificate).
    #[arg(long, default_value_t = 1)]
    selector: u8,
    /// Matching type: 1 (SHA-256), 2 (SHA-512) or 0 (exact).
    #[arg(long, default_value_t = 1)]
    matching: u8,
}

/// Arguments of `sealane tlsa verify`.
#[derive(clap::Args)]
pub struct VerifyArgs {
    /// PEM file with the certificate chain, leaf first.
    #[arg(long, value_name = "FILE")]
    chain: PathBuf,
    /// A TLSA record as "USAGE SELECTOR MATCHING HEX"; repeat for several.
    #[arg(long = "tlsa", value_name = "RECORD", required = true)]
    tlsa: Vec<String>,
    /// The MX host name the certificate must be valid for (usage 2); without
    /// it, no name checks are made.
    #[arg(long, value_name = "HOST")]
    name: Vec<String>,
    /// Judge validity dates at this time (RFC 3339) instead of now.
    #[arg(long, value_name = "RFC3339-TIME")]
    at: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs a `tlsa` subcommand.
pub fn run(command: Command) -> Result<ExitCode, Failure> {
    match command {
        Command::Generate(args) => generate(args),
        Command::Verify(args) => verify(args),
    }
}

fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path)
        .with_context(|| format!("cannot read {}", path.display()))
        .map_err(Failure::Input)
}

fn generate(args: GenerateArgs) -> Result<ExitCode, Failure> {
    // RFC 7672 §3: only these make sense for SMTP; usages 0 and 1 are unusable.
    if !matches!(args.usage, 2 | 3) || args.selector > 1 || args.matching > 2 {
        return Err(Failure::Input(anyhow!(
            "TLSA {} {} {} is not usable for SMTP: usage must be 2 or 3, selector 0 or 1, matching type 0, 1 or 2 (RFC 7672 §3)",
            args.usage,
            args.selector,
            args.matching
        )));
    }
    let (usage, selector, matching) = (
        Usage::from(args.usage),
        Selector::from(args.selector),
        Matching::from(args.matching),
    );
    let pem = read(&args.cert)?;
    let record = tls::tlsa_from_pem(&pem, usage, selector, matching)
        .with_context(|| format!("{}", args.cert.display()))
        .map_err(Failure::Input)?;
    crate::output::verbatim(&format!("{record}\n"));
    Ok(ExitCode::SUCCESS)
}

/// What `verify --json` prints.
#[derive(Serialize)]
struct Verdict<'a> {
    matched: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    r#match: Option<&'a DaneMatch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a DaneError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    result_type: Option<&'static str>,
}

fn verify(args: VerifyArgs) -> Result<ExitCode, Failure> {
    let pem = read(&args.chain)?;
    let chain = tls::certificates_from_pem(&pem)
        .with_context(|| format!("{}", args.chain.display()))
        .map_err(Failure::Input)?;
    if chain.is_empty() {
        return Err(Failure::Input(anyhow!(
            "{} holds no certificate",
            args.chain.display()
        )));
    }
    let records = args
        .tlsa
        .iter()
        .map(|text| {
            text.parse::<Tlsa>()
                .map_err(|e| Failure::Input(anyhow!("--tlsa {}: {e}", smtp::quoted(text))))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let now = match &args.at {
        None => UnixTime::now(),
        Some(text) => {
            let at = OffsetDateTime::parse(text, &Rfc3339).map_err(|e| {
                Failure::Input(anyhow!(
                    "--at {} is not an RFC 3339 time: {e}",
                    smtp::quoted(text)
                ))
            })?;
            let seconds = u64::try_from(at.unix_timestamp()).map_err(|_| {
                Failure::Input(anyhow!("--at {} is before 1970", smtp::quoted(text)))
            })?;
            UnixTime::since_unix_epoch(std::time::Duration::from_secs(seconds))
        }
    };
    let names: Vec<&str> = args.name.iter().map(String::as_str).collect();
    let result = tls::verify_chain(&chain, &records, &names, now);
    let verdict = match &result {
        Ok(found) => Verdict {
            matched: true,
            r#match: Some(found),
            error: None,
            reason: None,
            result_type: None,
        },
        Err(error) => Verdict {
            matched: false,
            r#match: None,
            error: Some(error),
            reason: Some(error.to_string()),
            result_type: Some(error.result_type().as_str()),
        },
    };
    if args.json {
        let text =
            serde_json::to_string_pretty(&verdict).map_err(|e| Failure::Runtime(e.into()))?;
        crate::output::json(&text);
    } else {
        match &result {
            Ok(found) => crate::output::human(&format!(
                "match: TLSA {} at depth {}{}\n",
                found.record,
                found.depth,
                found
                    .name
                    .as_deref()
                    .map(|n| format!(", valid for {n}"))
                    .unwrap_or_default()
            )),
            Err(error) => crate::output::human(&format!(
                "no match: {error} (TLS-RPT result type {})\n",
                error.result_type().as_str()
            )),
        }
    }
    Ok(if result.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
