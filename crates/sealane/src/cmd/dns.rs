//! `sealane dns <name> <type>`: one lookup, its records and DNSSEC status.

use std::process::ExitCode;
use std::str::FromStr;

use anyhow::anyhow;
use dns::{DnssecStatus, Lookup, RecordKind, RecordType, Resolver};

use super::resolver::ResolverArgs;
use crate::exit::Failure;

/// The record types `sealane dns` asks for.
const TYPES: &[&str] = &[
    "A", "AAAA", "MX", "TLSA", "TXT", "CNAME", "NS", "SOA", "DS", "DNSKEY", "PTR", "SRV", "CAA",
];

/// Arguments of `sealane dns`.
#[derive(clap::Args)]
pub struct Args {
    /// The name to look up, e.g. example.com or _25._tcp.mx.example.com.
    name: String,
    /// The record type: A, AAAA, MX, TLSA, TXT, CNAME, NS, SOA, DS, DNSKEY, PTR, SRV or CAA.
    #[arg(value_name = "TYPE")]
    rtype: String,
    #[command(flatten)]
    resolver: ResolverArgs,
    /// Print the answer as JSON.
    #[arg(long)]
    json: bool,
}

/// Looks up and prints. Exit 0 with a secure or insecure answer, 3 with a
/// bogus or unvalidated one, 1 when no answer could be had, 2 for bad
/// input ([`crate::exit::statuses::DNS`]).
pub async fn run(args: Args) -> Result<ExitCode, Failure> {
    let rtype = parse_type(&args.rtype)?;
    let name = Resolver::parse_name(&args.name).map_err(|e| Failure::Input(e.into()))?;
    let config = args.resolver.config()?;
    let asked: Vec<String> = config.servers.iter().map(ToString::to_string).collect();
    let resolver = Resolver::new(config);
    let answer = resolver
        .lookup_presentation(&name, rtype)
        .await
        .map_err(|e| {
            let e = anyhow::Error::from(e).context(format!("asked {}", asked.join(", ")));
            Failure::Runtime(e)
        })?;
    if args.json {
        let text = serde_json::to_string_pretty(&answer).map_err(|e| Failure::Runtime(e.into()))?;
        crate::output::json(&text);
    } else {
        crate::output::human(&human(&answer));
    }
    Ok(match answer.status {
        DnssecStatus::Secure | DnssecStatus::Insecure => ExitCode::SUCCESS,
        DnssecStatus::Bogus | DnssecStatus::Indeterminate => {
            ExitCode::from(crate::exit::DNS_NOT_VALIDATED)
        }
    })
}

fn parse_type(text: &str) -> Result<RecordType, Failure> {
    let upper = text.to_ascii_uppercase();
    if !TYPES.contains(&upper.as_str()) {
        return Err(Failure::Input(anyhow!(
            "unknown record type {}; expected one of {}",
            smtp::quoted(text),
            TYPES.join(", ")
        )));
    }
    RecordType::from_str(&upper).map_err(|e| Failure::Input(e.into()))
}

fn human(answer: &Lookup<RecordKind>) -> String {
    let mut out = format!(
        ";; {} {}  dnssec: {}{}\n",
        answer.name,
        answer.rtype,
        answer.status,
        if answer.cached { " (cached)" } else { "" }
    );
    for alias in &answer.aliases {
        out += &format!(
            ";; alias {} -> {}  dnssec: {}\n",
            alias.owner, alias.target, alias.status
        );
    }
    match answer.absence {
        Some(dns::Absence::NxDomain) => out += ";; no such name (NXDOMAIN)\n",
        Some(dns::Absence::NoData) => {
            out += &format!(";; the name has no {} records (NODATA)\n", answer.rtype)
        }
        None => {}
    }
    for record in &answer.records {
        out += &format!(
            "{}\t{}\tIN\t{}\t{}\n",
            record.owner, record.ttl, record.rtype, record.data
        );
    }
    out
}
