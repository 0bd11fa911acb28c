//! `sealane user add`: hash a password for the `[[user]]` table.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use anyhow::{Context, anyhow};

use crate::exit::Failure;

/// The `user` subcommands.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Read a password (without echo on a terminal, else one line of
    /// standard input) and print the `[[user]]` block to paste into the
    /// configuration.
    Add {
        /// The login name.
        name: String,
        /// An administrator of the web console and API (`admin = true`),
        /// who may not use SMTP AUTH.
        #[arg(long)]
        admin: bool,
    },
}

/// Runs a `user` subcommand.
pub fn run(command: Command) -> Result<ExitCode, Failure> {
    match command {
        Command::Add { name, admin } => add(&name, admin),
    }
}

fn add(name: &str, admin: bool) -> Result<ExitCode, Failure> {
    if name.is_empty() || name.chars().any(char::is_control) {
        return Err(Failure::Input(anyhow!(
            "{} is not a user name (empty or with control characters)",
            smtp::quoted(name)
        )));
    }
    let password = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("Password for {name}: "))
            .context("cannot read the password")
            .map_err(Failure::Runtime)?
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")
            .map_err(Failure::Input)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    if password.is_empty() {
        return Err(Failure::Input(anyhow!("the password is empty")));
    }
    let hash = server::users::hash(&password)
        .map_err(|e| Failure::Runtime(anyhow!("cannot hash the password: {e}")))?;
    // A block to paste: never wrapped or coloured.
    crate::output::verbatim(&format!(
        "[[user]]\nname = {}\npassword_hash = {}\n{}",
        toml_string(name),
        toml_string(&hash),
        if admin { "admin = true\n" } else { "" }
    ));
    Ok(ExitCode::SUCCESS)
}

/// A TOML basic string. JSON string syntax as serde_json writes it (`\"`,
/// `\\`, `\n`, `\uXXXX`) is a subset of TOML's (TOML 1.0 "String").
pub(crate) fn toml_string(text: &str) -> String {
    serde_json::to_string(text).expect("a str always serialises to JSON")
}
