//! The `sealane` command line: parses arguments and wires the crates
//! together. Behaviour lives in the library crates; this binary only reads
//! options, calls them, and prints.

mod cmd;
mod exit;

use clap::{Parser, Subcommand};

/// Sealane: a mail transfer agent that delivers securely by default.
#[derive(Parser)]
#[command(name = "sealane", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start a simulated internet on loopback, run a real daemon against it,
    /// send one message to each kind of destination (DANE, MTA-STS, bogus
    /// DNSSEC, stripped STARTTLS, null MX...) and show what happened and why.
    Demo(cmd::demo::Args),
    /// Look up DNS records and show their DNSSEC status, validated by Sealane
    /// from its own trust anchors.
    Dns(cmd::dns::Args),
    /// Generate TLSA records for a certificate, or check a certificate chain
    /// against TLSA records as delivery would.
    #[command(subcommand)]
    Tlsa(cmd::tlsa::Command),
    /// Deliver one message now with the full security policy, and show what
    /// happened to each recipient and on each host.
    Deliver(cmd::deliver::Args),
    /// Dry run for a destination: what DNS, DANE and MTA-STS say, a STARTTLS
    /// handshake with every MX host, and what would happen to a message now.
    Route(cmd::route::Args),
    /// Print the DNS records (MTA-STS, TLS-RPT, TLSA, SPF) and the MTA-STS
    /// policy file to publish for a domain, with the order to roll them out.
    Publish(cmd::publish::Args),
    /// Serve a domain's MTA-STS policy over HTTPS.
    #[command(subcommand, name = "mta-sts")]
    MtaSts(cmd::mta_sts::Command),
    /// Check the posture of domains: MX, DNSSEC, DANE, MTA-STS, TLS-RPT,
    /// SPF, DMARC and the delivery verdict, with a remedy for each finding.
    Check(cmd::check::Args),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return exit::fail(exit::Failure::Setup(e.into())),
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Demo(args) => cmd::demo::run(args).await,
            Command::Dns(args) => cmd::dns::run(args).await,
            Command::Tlsa(command) => cmd::tlsa::run(command),
            Command::Deliver(args) => cmd::deliver::run(args).await,
            Command::Route(args) => cmd::route::run(args).await,
            Command::Publish(args) => cmd::publish::run(args),
            Command::MtaSts(command) => cmd::mta_sts::run(command).await,
            Command::Check(args) => cmd::check::run(args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(failure) => exit::fail(failure),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn every_subcommand_has_unique_well_formed_options() {
        super::Cli::command().debug_assert();
    }
}
