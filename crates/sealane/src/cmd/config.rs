//! `sealane config check`: validate a configuration file as `serve` would.

use std::path::PathBuf;
use std::process::ExitCode;

use server::config::Config;

use crate::exit::Failure;

/// The `config` subcommands.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Check a configuration file: prints `FILE: ok`, or the first error
    /// with its key and line (exit 2).
    Check {
        /// The configuration file.
        file: PathBuf,
    },
}

/// Runs a `config` subcommand.
pub fn run(command: Command) -> Result<ExitCode, Failure> {
    match command {
        Command::Check { file } => {
            Config::load(&file).map_err(|e| Failure::Input(e.into()))?;
            crate::output::human(&format!("{}: ok\n", file.display()));
            Ok(ExitCode::SUCCESS)
        }
    }
}
