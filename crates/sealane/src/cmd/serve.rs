//! `sealane serve`: run the daemon, and the admin console when `[admin]`
//! asks for it, until SIGTERM or Ctrl-C.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use server::config::Config;
use server::{Daemon, Scheduling};
use tokio::signal::unix::{SignalKind, signal};

use crate::exit::{self, Failure};

/// How log lines are written.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum LogFormat {
    /// One readable line per event.
    Human,
    /// One JSON object per line.
    Json,
}

/// Arguments of `sealane serve`.
#[derive(clap::Args)]
pub struct Args {
    /// The configuration file; without it, the embedded defaults (data in
    /// ./sealane-data, submission on 127.0.0.1:2525, loopback may relay).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// How log lines are written to standard error.
    #[arg(long, value_enum, default_value = "human")]
    log_format: LogFormat,
}

/// Runs the daemon on its own multi-thread runtime; returns the exit status.
pub fn main(args: Args) -> ExitCode {
    let config = match &args.config {
        Some(path) => Config::load(path),
        None => Ok(Config::embedded()),
    };
    let config = match config {
        Ok(config) => config,
        Err(e) => return exit::fail(Failure::Input(e.into())),
    };
    init_logging(args.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return exit::fail(Failure::Setup(e.into())),
    };
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => exit::fail(failure),
    }
}

async fn run(config: Config) -> Result<(), Failure> {
    let mut terminate = signal(SignalKind::terminate())
        .context("cannot watch for SIGTERM")
        .map_err(Failure::Setup)?;
    let daemon = Daemon::start(
        config,
        Arc::new(dns::clock::SystemClock),
        Scheduling::Automatic,
    )
    .await
    .map_err(|e| Failure::Runtime(e.into()))?;
    let console = match admin::Console::start(daemon.shared().clone()).await {
        Ok(console) => console,
        Err(e) => {
            daemon.stop().await;
            return Err(Failure::Runtime(e.into()));
        }
    };
    tokio::select! {
        _ = terminate.recv() => tracing::info!(signal = "SIGTERM", "stopping"),
        _ = tokio::signal::ctrl_c() => tracing::info!(signal = "SIGINT", "stopping"),
    }
    if let Some(console) = console {
        console.stop().await;
    }
    daemon.stop().await;
    Ok(())
}

fn init_logging(format: LogFormat) {
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO);
    match format {
        LogFormat::Human => builder.with_target(false).init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}
