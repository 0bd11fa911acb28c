//! `sealane dkim keygen`: a new DKIM signing key in a file only its owner
//! reads, and the TXT record to publish for it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use auth::dkim::KeyAlgorithm;
use serde::Serialize;

use super::user::toml_string;
use crate::exit::Failure;

/// The `dkim` subcommands.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Make a new DKIM key, write it to a file readable only by its owner
    /// (mode 0600; an existing file is never overwritten), and print the
    /// TXT record to publish and the [[dkim.sign]] entry that signs with it.
    Keygen(KeygenArgs),
}

/// The kind of key.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum AlgorithmArg {
    /// Ed25519-SHA256 (RFC 8463): short, fast; publish an RSA key beside it
    /// for verifiers that do not know Ed25519 yet.
    Ed25519,
    /// RSA-SHA256, 2048 bits (RFC 8301): every verifier knows it.
    Rsa,
}

/// Arguments of `sealane dkim keygen`.
#[derive(clap::Args)]
pub struct KeygenArgs {
    /// The signing domain (`d=`).
    #[arg(long, value_name = "DOMAIN")]
    domain: String,
    /// The selector (`s=`): the key is published at
    /// SELECTOR._domainkey.DOMAIN.
    #[arg(long, value_name = "SELECTOR")]
    selector: String,
    /// The kind of key.
    #[arg(long, value_enum, default_value = "rsa")]
    algorithm: AlgorithmArg,
    /// Where to write the private key (default: DOMAIN.SELECTOR.pem in the
    /// current directory).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Print what was made as JSON.
    #[arg(long)]
    json: bool,
}

/// What `keygen --json` prints.
#[derive(Serialize)]
struct Made<'a> {
    domain: &'a str,
    selector: &'a str,
    algorithm: &'static str,
    key_file: String,
    record: &'a check::publish::DnsRecord,
}

/// Runs a `dkim` subcommand.
pub fn run(command: Command) -> Result<ExitCode, Failure> {
    match command {
        Command::Keygen(args) => keygen(args),
    }
}

fn keygen(args: KeygenArgs) -> Result<ExitCode, Failure> {
    let domain = args.domain.trim_end_matches('.').to_ascii_lowercase();
    dns::Resolver::parse_name(&domain)
        .map_err(|e| Failure::Input(anyhow!("--domain {}: {e}", smtp::quoted(&args.domain))))?;
    let algorithm = match args.algorithm {
        AlgorithmArg::Ed25519 => KeyAlgorithm::Ed25519,
        AlgorithmArg::Rsa => KeyAlgorithm::Rsa,
    };
    let new = auth::dkim::generate(algorithm).map_err(|e| Failure::Runtime(e.into()))?;
    // The record is made (and checked) before anything is written, so a
    // bad selector leaves no file behind.
    let record = check::publish::dkim_txt(&domain, &args.selector, new.pem.as_bytes())
        .map_err(|e| Failure::Input(e.into()))?;
    let path = args
        .out
        .unwrap_or_else(|| PathBuf::from(format!("{domain}.{}.pem", args.selector)));
    write_private(&path, &new.pem)?;
    let shown = std::path::absolute(&path).unwrap_or_else(|_| path.clone());
    let shown = shown.display().to_string();
    if args.json {
        let made = Made {
            domain: &domain,
            selector: &args.selector,
            algorithm: new.key.key_type(),
            key_file: shown,
            record: &record,
        };
        let text = serde_json::to_string_pretty(&made).map_err(|e| Failure::Runtime(e.into()))?;
        crate::output::json(&text);
    } else {
        crate::output::verbatim(&format!(
            "; {} DKIM key for {domain}, selector {}, written to {shown}\n\
             ; publish this record, then check it: sealane check {domain} --dkim-selector {}\n\
             {}\n\n\
             # sign with it (sealane.toml):\n\
             [[dkim.sign]]\n\
             domain = {}\n\
             selector = {}\n\
             key_file = {}\n",
            new.key.key_type(),
            args.selector,
            args.selector,
            record.zone_line(),
            toml_string(&domain),
            toml_string(&args.selector),
            toml_string(&shown),
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes a private key to a new file with mode 0600 (never an existing
/// one: a key in use is not replaced by accident).
fn write_private(path: &Path, pem: &str) -> Result<(), Failure> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))
        .map_err(
            |e| match e.downcast_ref::<std::io::Error>().map(|io| io.kind()) {
                Some(std::io::ErrorKind::AlreadyExists) => Failure::Input(e),
                _ => Failure::Runtime(e),
            },
        )?;
    file.write_all(pem.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
        .map_err(Failure::Runtime)
}
