//! What the CLI tests share: running the built `sealane` binary and reading
//! what a successful run printed.

#![allow(dead_code)]

use std::process::{Command, Output};

/// Runs the `sealane` binary built for these tests with `args`.
pub fn sealane(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sealane"))
        .args(args)
        .output()
        .expect("sealane runs")
}

/// The standard output of a run that must have exited 0 (its standard
/// error is shown when it did not).
pub fn stdout(output: &Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
