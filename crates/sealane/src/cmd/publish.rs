//! `sealane publish`: the DNS records and MTA-STS policy file a domain
//! publishes to be reached securely (and the DKIM key record of a signing
//! key), and the order to roll them out in.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use check::publish::{DkimInput, Publication, Request};
use policy::sts::Mode;

use crate::exit::Failure;

/// The MTA-STS mode to publish.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ModeArg {
    /// Senders report failures but deliver anyway: the first step.
    Testing,
    /// Senders deliver only over authenticated TLS to the listed MX hosts.
    Enforce,
}

/// Arguments of `sealane publish`.
#[derive(clap::Args)]
pub struct Args {
    /// The mail domain.
    domain: String,
    /// An MX host name; repeat for each.
    #[arg(long = "mx", value_name = "HOST", required = true)]
    mx: Vec<String>,
    /// PEM file with the MX hosts' current certificate (or public key), for
    /// TLSA records.
    #[arg(long, value_name = "FILE")]
    cert: Option<PathBuf>,
    /// PEM file with the next certificate or public key, for a rollover
    /// TLSA record.
    #[arg(long, value_name = "FILE")]
    next_key: Option<PathBuf>,
    /// TLS-RPT report destination (mailto: or https:); repeat for several.
    /// Default: mailto:tlsrpt@DOMAIN.
    #[arg(long, value_name = "URI")]
    report_to: Vec<String>,
    /// The MTA-STS mode.
    #[arg(long, value_enum, default_value = "testing")]
    mode: ModeArg,
    /// A DKIM selector to publish the key record of (with --dkim-key).
    #[arg(long, value_name = "SELECTOR", requires = "dkim_key")]
    dkim_selector: Option<String>,
    /// The PEM private key of that selector (as [[dkim.sign]] key_file or
    /// `sealane dkim keygen` has it); only its public half is printed.
    #[arg(long, value_name = "FILE", requires = "dkim_selector")]
    dkim_key: Option<PathBuf>,
    /// Print the publication as JSON.
    #[arg(long)]
    json: bool,
}

fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path)
        .with_context(|| format!("cannot read {}", path.display()))
        .map_err(Failure::Input)
}

/// Runs `sealane publish`.
pub fn run(args: Args) -> Result<ExitCode, Failure> {
    let request = Request {
        domain: args.domain,
        mx: args.mx,
        cert_pem: args.cert.as_deref().map(read).transpose()?,
        next_key_pem: args.next_key.as_deref().map(read).transpose()?,
        report_to: args.report_to,
        mode: match args.mode {
            ModeArg::Testing => Mode::Testing,
            ModeArg::Enforce => Mode::Enforce,
        },
        dkim: match (args.dkim_selector, args.dkim_key.as_deref()) {
            (Some(selector), Some(path)) => Some(DkimInput {
                selector,
                key_pem: read(path)?,
            }),
            _ => None,
        },
    };
    let publication = Publication::new(&request).map_err(|e| Failure::Input(e.into()))?;
    if args.json {
        let text =
            serde_json::to_string_pretty(&publication).map_err(|e| Failure::Runtime(e.into()))?;
        crate::output::json(&text);
    } else {
        crate::output::verbatim(&publication.to_zone_text());
    }
    Ok(ExitCode::SUCCESS)
}
