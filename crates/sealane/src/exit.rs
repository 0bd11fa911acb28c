//! Exit statuses and the one-line error every command prints on failure.

use std::process::ExitCode;

/// Why a command could not do its job.
pub enum Failure {
    /// The user gave something unusable (a bad name, type, file or address): exit 2.
    Input(anyhow::Error),
    /// The work was attempted and failed (no answer from DNS, ...): exit 1.
    Runtime(anyhow::Error),
    /// The process could not start its runtime: exit 1.
    Setup(anyhow::Error),
}

/// Prints `sealane: <error>` on one line and returns the exit status.
pub fn fail(failure: Failure) -> ExitCode {
    let (error, code) = match failure {
        Failure::Input(e) => (e, 2),
        Failure::Runtime(e) | Failure::Setup(e) => (e, 1),
    };
    // `{:#}` joins the context chain on one line.
    eprintln!("sealane: {error:#}");
    ExitCode::from(code)
}
