//! `sealane limits`: the users and sender domains blocked for going over a
//! sending limit, and their release, through the store every node shares.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::anyhow;
use queue::SendingBlock;

use crate::cmd::queue::{Common, open, print_json, runtime};
use crate::exit::Failure;

/// The `limits` subcommands.
#[derive(clap::Subcommand)]
pub enum Command {
    /// The users and sender domains blocked for going over a sending
    /// limit, with the limit and when.
    List(#[command(flatten)] Common),
    /// Lift the block of a user (or sender domain) and start its counts
    /// again from zero.
    Release {
        /// The user name as it logs in, or the sender domain.
        #[arg(value_name = "USER")]
        name: String,
        #[command(flatten)]
        common: Common,
    },
}

/// Runs a `limits` subcommand.
pub async fn run(command: Command) -> Result<ExitCode, Failure> {
    match command {
        Command::List(common) => {
            let store = open(&common).await?;
            let blocks = store.sending_blocks().await.map_err(runtime)?;
            if common.json {
                print_json(&blocks)?;
            } else {
                crate::output::human(&listing(&blocks));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Release { name, common } => {
            let store = open(&common).await?;
            let released = store.release_sending(&name).await.map_err(runtime)?;
            if common.json {
                print_json(&serde_json::json!({ "released": released }))?;
            } else if released == 0 {
                return Err(Failure::Input(anyhow!(
                    "{} is not blocked",
                    smtp::untrusted(&name)
                )));
            } else {
                crate::output::human(&format!("{} released\n", smtp::untrusted(&name)));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// One line per block: who, which limit, and since when.
fn listing(blocks: &[SendingBlock]) -> String {
    if blocks.is_empty() {
        return "nobody is blocked\n".to_owned();
    }
    let mut out = String::new();
    for b in blocks {
        let _ = writeln!(
            out,
            "{:<6} {}  {} {} > {}  since {}",
            b.subject.kind.as_str(),
            smtp::untrusted(&b.subject.name),
            b.limit,
            b.count,
            b.allowed,
            crate::cmd::queue_text::timestamp(b.blocked_at)
        );
    }
    out
}
