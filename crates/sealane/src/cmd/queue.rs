//! `sealane queue` and `sealane trace`: read and steer the queue the server
//! runs on, through the same store (SQLite in WAL mode, where reading while
//! the server writes is fine, or the PostgreSQL database every node shares).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, anyhow};
use queue::{QueueId, Selector, Store};
use serde::Serialize;
use server::config::{Config, StoreSettings};

use crate::cmd::queue_text;
use crate::exit::Failure;

/// Most messages `queue list` shows.
const LIST_LIMIT: usize = 10_000;

/// Which queue to open, and how to print.
#[derive(clap::Args)]
pub(crate) struct Common {
    /// Print the queue's records as JSON (the admin API's shapes).
    #[arg(long)]
    pub(crate) json: bool,
    /// The data directory holding queue.db (SQLite).
    #[arg(long, value_name = "DIR", conflicts_with = "config")]
    data_dir: Option<PathBuf>,
    /// Take the store (`[store]`, or the data directory) from this
    /// configuration file.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

/// Which messages an operation applies to.
#[derive(clap::Args)]
#[group(required = true, multiple = false)]
pub struct Select {
    /// One message, by queue id.
    #[arg(value_name = "QUEUE-ID")]
    id: Option<String>,
    /// The recipients in this destination domain.
    #[arg(long, value_name = "DOMAIN")]
    domain: Option<String>,
    /// The whole queue.
    #[arg(long)]
    all: bool,
}

/// The `queue` subcommands.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Like mailq: pending recipients by destination and by cause, then
    /// each pending message.
    List(#[command(flatten)] Common),
    /// One message with every event of its trace.
    Show {
        /// The queue id.
        #[arg(value_name = "QUEUE-ID")]
        id: String,
        #[command(flatten)]
        common: Common,
    },
    /// Make deferred recipients due now (the server picks them up at its
    /// next scheduling round).
    Retry(Selected),
    /// Delete messages with their bodies and traces.
    Drop(Selected),
    /// Hold queued and deferred recipients.
    Hold(Selected),
    /// Quarantine queued, deferred and held recipients (messages the
    /// arrival policy quarantines start there): nothing is delivered until
    /// released.
    Quarantine(Selected),
    /// Release held and quarantined recipients, due now.
    Release(Selected),
}

/// An operation's selector and the queue to apply it to.
#[derive(clap::Args)]
pub struct Selected {
    #[command(flatten)]
    select: Select,
    #[command(flatten)]
    common: Common,
}

/// Arguments of `sealane trace`.
#[derive(clap::Args)]
pub struct TraceArgs {
    /// A queue id, a Message-ID (with or without angle brackets) or a
    /// recipient address.
    #[arg(required_unless_present = "sender", conflicts_with = "sender")]
    key: Option<String>,
    /// Instead: the messages from this envelope sender (`<>` for the null
    /// sender), delivered ones too, the last 200 to arrive.
    #[arg(long, value_name = "ADDR")]
    sender: Option<String>,
    /// With --sender: arrived on or after this day (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DATE", requires = "sender")]
    since: Option<String>,
    /// With --sender: arrived on or before this day (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DATE", requires = "sender")]
    until: Option<String>,
    #[command(flatten)]
    common: Common,
}

/// Messages found by `sealane trace --sender` at most.
const SENDER_TRACE_LIMIT: usize = 200;

/// Runs a `queue` subcommand.
pub async fn run(command: Command) -> Result<ExitCode, Failure> {
    match command {
        Command::List(common) => {
            let store = open(&common).await?;
            let summary = store.summary().await.map_err(runtime)?;
            let messages = store.list(LIST_LIMIT).await.map_err(runtime)?;
            if common.json {
                print_json(&queue::QueueListing { summary, messages })?;
            } else {
                crate::output::human(&queue_text::listing(&summary, &messages, now()));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Show { id, common } => {
            let id = queue_id(&id)?;
            let store = open(&common).await?;
            let Some(detail) = store.show(id).await.map_err(runtime)? else {
                return Err(Failure::Input(anyhow!("no message {id} in the queue")));
            };
            if common.json {
                print_json(&detail)?;
            } else {
                crate::output::human(&queue_text::detail(&detail));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Retry(s) => {
            operate(
                s,
                ("recipient made due now", "recipients made due now"),
                |st, sel| Box::pin(async move { st.retry_now(&sel).await }),
            )
            .await
        }
        Command::Drop(s) => {
            operate(s, ("message deleted", "messages deleted"), |st, sel| {
                Box::pin(async move { st.delete(&sel).await })
            })
            .await
        }
        Command::Hold(s) => {
            operate(s, ("recipient held", "recipients held"), |st, sel| {
                Box::pin(async move { st.hold(&sel).await })
            })
            .await
        }
        Command::Quarantine(s) => {
            operate(
                s,
                ("recipient quarantined", "recipients quarantined"),
                |st, sel| Box::pin(async move { st.quarantine(&sel).await }),
            )
            .await
        }
        Command::Release(s) => {
            operate(
                s,
                ("recipient released", "recipients released"),
                |st, sel| Box::pin(async move { st.release(&sel).await }),
            )
            .await
        }
    }
}

/// Runs `sealane trace`.
pub async fn trace(args: TraceArgs) -> Result<ExitCode, Failure> {
    use crate::cmd::report_store::day_arg;
    let day = |text: &Option<String>, what: &str| -> Result<Option<queue::UtcDay>, Failure> {
        text.as_deref().map(|t| day_arg(t, what)).transpose()
    };
    let since = day(&args.since, "--since")?.map(queue::day_start);
    // A day given as the end includes all of it.
    let until = day(&args.until, "--until")?
        .map(|d| queue::day_start(d + 1) - std::time::Duration::from_millis(1));
    let store = open(&args.common).await?;
    let (found, asked) = match (&args.sender, &args.key) {
        (Some(sender), _) => {
            let bare = if sender == "<>" { "" } else { sender.as_str() };
            let found = store
                .trace_sender(bare, since, until, SENDER_TRACE_LIMIT)
                .await
                .map_err(runtime)?;
            (found, format!("the sender {}", smtp::quoted(sender)))
        }
        // clap asks for one of the two.
        (None, key) => {
            let key = key.as_deref().unwrap_or_default();
            (
                store.trace(key).await.map_err(runtime)?,
                smtp::untrusted(key).to_string(),
            )
        }
    };
    if args.common.json {
        print_json(&found)?;
    } else if found.is_empty() {
        return Err(Failure::Input(anyhow!(
            "no message in the queue matches {asked}"
        )));
    } else {
        for (index, detail) in found.iter().enumerate() {
            if index > 0 {
                crate::output::human("\n");
            }
            crate::output::human(&queue_text::detail(detail));
        }
    }
    Ok(ExitCode::SUCCESS)
}

type Operation = fn(
    Arc<dyn Store>,
    Selector,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<u64, queue::StoreError>> + Send>,
>;

/// Applies `op` to the selected messages and says how many it touched,
/// `what` in the singular and the plural.
async fn operate(
    selected: Selected,
    what: (&str, &str),
    op: Operation,
) -> Result<ExitCode, Failure> {
    let selector = match (selected.select.id, selected.select.domain) {
        (Some(id), _) => Selector::Message(queue_id(&id)?),
        (None, Some(domain)) => Selector::Domain(domain.trim_end_matches('.').to_ascii_lowercase()),
        (None, None) => Selector::All,
    };
    let store = open(&selected.common).await?;
    let count = op(store, selector).await.map_err(runtime)?;
    if selected.common.json {
        print_json(&serde_json::json!({ "count": count }))?;
    } else {
        crate::output::human(&format!("{}\n", smtp::count(count, what.0, what.1)));
    }
    Ok(ExitCode::SUCCESS)
}

fn queue_id(text: &str) -> Result<QueueId, Failure> {
    text.parse()
        .with_context(|| format!("{} is not a queue id", smtp::quoted(text)))
        .map_err(Failure::Input)
}

/// Opens the queue the configuration names, as the daemons left it: it
/// must exist already (a wrong directory would otherwise show an empty
/// queue) and is never created or migrated here.
pub(crate) async fn open(common: &Common) -> Result<Arc<dyn Store>, Failure> {
    let config = load_config(common.config.as_ref(), common.data_dir.as_ref())?;
    open_store(&config).await
}

/// The configuration in `file` (the embedded one without), its data
/// directory replaced by `data_dir` if given.
pub(crate) fn load_config(
    file: Option<&PathBuf>,
    data_dir: Option<&PathBuf>,
) -> Result<Config, Failure> {
    let mut config = match file {
        Some(file) => Config::load(file).map_err(|e| Failure::Input(e.into()))?,
        None => Config::embedded(),
    };
    if let Some(dir) = data_dir {
        config.data_dir = dir.clone();
    }
    Ok(config)
}

/// Opens the store `config` names; an SQLite queue must exist already.
pub(crate) async fn open_store(config: &Config) -> Result<Arc<dyn Store>, Failure> {
    if config.store == StoreSettings::Sqlite {
        let path = server::store::sqlite_path(config);
        if !path.is_file() {
            return Err(Failure::Input(anyhow!(
                "no queue at {}: `sealane serve` has not run with this data directory \
                 (another is named with --data-dir DIR or --config FILE)",
                path.display()
            )));
        }
    }
    server::store::open_existing(config, Arc::new(dns::clock::SystemClock))
        .await
        .map_err(|e| Failure::Runtime(e.into()))
}

pub(crate) fn runtime(e: queue::StoreError) -> Failure {
    Failure::Runtime(anyhow::Error::new(e).context("queue"))
}

pub(crate) fn print_json<T: Serialize>(value: &T) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value)
        .context("cannot write JSON")
        .map_err(Failure::Runtime)?;
    crate::output::json(&text);
    Ok(())
}

fn now() -> std::time::SystemTime {
    std::time::SystemTime::now()
}
