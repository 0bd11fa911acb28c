//! `sealane mta-sts serve`: the HTTPS host of a domain's MTA-STS policy.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::anyhow;
use check::sts_host::{DEFAULT_POLL, HostConfig, PolicyHost};

use crate::exit::Failure;

/// The `mta-sts` subcommands.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Serve a domain's MTA-STS policy at /.well-known/mta-sts.txt over
    /// HTTPS, reloading the policy, certificate and key when they change.
    Serve(ServeArgs),
}

/// Arguments of `sealane mta-sts serve`.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// The mail domain; the certificate must be valid for mta-sts.DOMAIN.
    #[arg(long)]
    domain: String,
    /// The MTA-STS policy file.
    #[arg(long, value_name = "FILE")]
    policy: PathBuf,
    /// PEM certificate chain, leaf first.
    #[arg(long, value_name = "FILE")]
    cert: PathBuf,
    /// PEM private key of the certificate.
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0:443")]
    listen: SocketAddr,
}

/// Runs an `mta-sts` subcommand.
pub async fn run(command: Command) -> Result<ExitCode, Failure> {
    match command {
        Command::Serve(args) => serve(args).await,
    }
}

async fn serve(args: ServeArgs) -> Result<ExitCode, Failure> {
    let failure = |e: check::sts_host::HostError| {
        if e.is_input() {
            Failure::Input(e.into())
        } else {
            Failure::Runtime(e.into())
        }
    };
    let host = PolicyHost::load(HostConfig {
        domain: args.domain,
        policy: args.policy,
        cert: args.cert,
        key: args.key,
        poll: DEFAULT_POLL,
    })
    .map_err(failure)?;
    let listener = PolicyHost::bind(args.listen).await.map_err(failure)?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::Runtime(anyhow!("cannot read the listening address: {e}")))?;
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false)
        .init();
    crate::output::human(&format!(
        "serving https://{}{} on {addr}\n",
        host.host(),
        policy::sts::WELL_KNOWN_PATH
    ));
    host.serve(listener).await;
    Ok(ExitCode::SUCCESS)
}
