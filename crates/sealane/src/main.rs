//! The `sealane` command line: parses arguments and wires the crates
//! together. Behaviour lives in the library crates; this binary only reads
//! options, calls them, and prints.

mod cmd;
mod exit;
mod manual;
mod output;

use clap::{CommandFactory, FromArgMatches, Subcommand};

/// jemalloc instead of glibc's malloc: the daemon and `check --file` are
/// many small tasks that allocate on one thread and free on another, where
/// glibc's per-thread arenas grow, trim and lock. In the checker world
/// (issue 19) `check` ran 7-12 % more domains per second with it; mimalloc
/// gave about half of that.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Sealane: a mail transfer agent that delivers securely by default.
#[derive(clap::Parser)]
#[command(name = "sealane", version, about, long_about = None)]
struct Cli {
    #[command(flatten)]
    output: output::Options,
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
    #[command(after_help = exit::statuses::DNS)]
    Dns(cmd::dns::Args),
    /// Generate TLSA records for a certificate, or check a certificate chain
    /// against TLSA records as delivery would.
    #[command(subcommand)]
    Tlsa(cmd::tlsa::Command),
    /// Deliver one message now with the full security policy, and show what
    /// happened to each recipient and on each host.
    #[command(after_help = exit::statuses::DELIVER)]
    Deliver(cmd::deliver::Args),
    /// Dry run for a destination: what DNS, DANE and MTA-STS say, a STARTTLS
    /// handshake with every MX host, and what would happen to a message now.
    #[command(after_help = exit::statuses::ROUTE)]
    Route(cmd::route::Args),
    /// Print the DNS records (MTA-STS, TLS-RPT, TLSA, SPF, DKIM) and the
    /// MTA-STS policy file to publish for a domain, with the order to roll
    /// them out.
    Publish(cmd::publish::Args),
    /// Sender authentication now, like spfquery and dkimverify: SPF for an
    /// address, a message file's DKIM, ARC and DMARC, DKIM signing.
    #[command(subcommand)]
    Auth(cmd::auth::Command),
    /// DKIM keys: make one and print the record to publish.
    #[command(subcommand)]
    Dkim(cmd::dkim::Command),
    /// Serve a domain's MTA-STS policy over HTTPS.
    #[command(subcommand, name = "mta-sts")]
    MtaSts(cmd::mta_sts::Command),
    /// Check the posture of domains: MX, DNSSEC, DANE, MTA-STS, TLS-RPT,
    /// SPF, DKIM selectors, DMARC and the delivery verdict, with a remedy for
    /// each finding.
    #[command(after_help = exit::statuses::CHECK)]
    Check(cmd::check::Args),
    /// Run the mail server: SMTP listeners, queue and delivery, until
    /// SIGTERM or Ctrl-C.
    Serve(cmd::serve::Args),
    /// Look at the queue and act on it: list, show, retry, drop, hold,
    /// release.
    #[command(subcommand)]
    Queue(cmd::queue::Command),
    /// Every event of a message, found by queue id, Message-ID or
    /// recipient, with the security line of each attempt.
    Trace(cmd::queue::TraceArgs),
    /// Users and sender domains blocked for going over a sending limit:
    /// list them, release one.
    #[command(subcommand)]
    Limits(cmd::limits::Command),
    /// SMTP TLS reports (RFC 8460): ours as sent, and those others send us.
    #[command(subcommand)]
    Report(cmd::report::Command),
    /// Check a configuration file.
    #[command(subcommand)]
    Config(cmd::config::Command),
    /// Make a `[[user]]` entry with a password hash.
    #[command(subcommand)]
    User(cmd::user::Command),
    /// Submit a message from standard input to the running server, like
    /// sendmail(8).
    #[command(after_help = exit::statuses::SENDMAIL)]
    Sendmail(cmd::sendmail::Args),
    /// Print shell completions for bash, zsh, fish, elvish or PowerShell.
    Completions(manual::CompletionsArgs),
    /// Write a manual page per command into a directory.
    Man(manual::ManArgs),
}

/// The command line, every command's help ending with its exit statuses.
fn cli() -> clap::Command {
    with_exit_statuses(Cli::command().after_help(exit::statuses::GENERAL))
}

/// Gives every subcommand without exit statuses of its own the general
/// ones, at every depth.
fn with_exit_statuses(command: clap::Command) -> clap::Command {
    command.mut_subcommands(|sub| {
        let sub = if sub.get_after_help().is_none() {
            sub.after_help(exit::statuses::GENERAL)
        } else {
            sub
        };
        with_exit_statuses(sub)
    })
}

/// With `-v`, what the libraries log (connections, TLS, DNSSEC anchors)
/// goes to standard error, with the time each step took when its span
/// closes (`check`'s per-domain timeline); `-vv` adds every SMTP command
/// and reply.
/// `serve` and `mta-sts serve` keep their own logs.
fn log_when_verbose(verbose: u8) {
    let level = match verbose {
        0 => return,
        1 => tracing::Level::DEBUG,
        _ => tracing::Level::TRACE,
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false)
        .with_max_level(level)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .init();
}

fn main() -> std::process::ExitCode {
    let parsed = match Cli::from_arg_matches(&cli().get_matches()) {
        Ok(parsed) => parsed,
        Err(e) => e.exit(),
    };
    output::init(&parsed.output);
    let command = match parsed.command {
        Command::Serve(args) => return cmd::serve::main(args),
        Command::MtaSts(command) => Command::MtaSts(command),
        other => {
            log_when_verbose(parsed.output.verbose);
            other
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return exit::fail(exit::Failure::Setup(e.into())),
    };
    let result = runtime.block_on(async {
        match command {
            Command::Demo(args) => cmd::demo::run(args).await,
            Command::Dns(args) => cmd::dns::run(args).await,
            Command::Tlsa(command) => cmd::tlsa::run(command),
            Command::Deliver(args) => cmd::deliver::run(args).await,
            Command::Route(args) => cmd::route::run(args).await,
            Command::Publish(args) => cmd::publish::run(args),
            Command::Auth(command) => cmd::auth::run(command).await,
            Command::Dkim(command) => cmd::dkim::run(command),
            Command::MtaSts(command) => cmd::mta_sts::run(command).await,
            Command::Check(args) => cmd::check::run(args).await,
            Command::Serve(_) => unreachable!("serve runs on its own runtime"),
            Command::Queue(command) => cmd::queue::run(command).await,
            Command::Trace(args) => cmd::queue::trace(args).await,
            Command::Limits(command) => cmd::limits::run(command).await,
            Command::Report(command) => cmd::report::run(command).await,
            Command::Config(command) => cmd::config::run(command),
            Command::User(command) => cmd::user::run(command),
            Command::Sendmail(args) => cmd::sendmail::run(args).await,
            Command::Completions(args) => manual::completions(args, cli()),
            Command::Man(args) => manual::man(args, cli()),
        }
    });
    match result {
        Ok(code) => code,
        Err(failure) => exit::fail(failure),
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn every_subcommand_has_unique_well_formed_options() {
        super::cli().debug_assert();
    }

    #[test]
    fn every_command_help_ends_with_its_exit_statuses() {
        fn walk(command: &mut clap::Command, path: &str) {
            // clap's own `help` subcommand only prints other help.
            for sub in command
                .get_subcommands_mut()
                .filter(|sub| sub.get_name() != "help")
            {
                let path = format!("{path} {}", sub.get_name());
                let help = sub.render_long_help().to_string();
                let tail = help.trim_end().rsplit("Exit status:").next().unwrap_or("");
                assert!(
                    help.contains("Exit status:") && tail.contains("  0  "),
                    "{path}: {help}"
                );
                walk(sub, &path);
            }
        }
        walk(&mut super::cli(), "sealane");
    }

    #[test]
    fn every_command_has_a_manual_page_with_options_statuses_and_examples() {
        fn walk(command: &clap::Command, path: &str, dir: &std::path::Path) {
            let page = dir.join(format!("{}.1", path.replace(' ', "-")));
            let text = std::fs::read_to_string(&page)
                .unwrap_or_else(|e| panic!("{path}: no page {}: {e}", page.display()));
            for section in [".SH OPTIONS", ".SH \"EXIT STATUS\"", ".SH EXAMPLES"] {
                assert!(
                    text.contains(section),
                    "{path}: no {section} (examples are in manual::EXAMPLES)"
                );
            }
            for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
                walk(sub, &format!("{path} {}", sub.get_name()), dir);
            }
        }
        let dir = tempfile::tempdir().expect("temporary directory");
        crate::manual::write_pages(super::cli(), dir.path()).expect("pages written");
        walk(&super::cli(), "sealane", dir.path());
    }

    #[test]
    fn every_example_names_a_command() {
        fn names(command: &clap::Command, path: &str, into: &mut Vec<String>) {
            into.push(path.to_owned());
            for sub in command.get_subcommands() {
                names(sub, &format!("{path} {}", sub.get_name()), into);
            }
        }
        let mut known = Vec::new();
        names(&super::cli(), "sealane", &mut known);
        for (name, _) in crate::manual::EXAMPLES {
            assert!(known.iter().any(|k| k == name), "no command {name}");
        }
    }

    #[test]
    fn the_readme_lists_every_command_and_the_docs_stay_in_the_repository() {
        let readme = include_str!("../../../README.md");
        for sub in super::cli().get_subcommands() {
            let name = sub.get_name();
            if name != "help" {
                assert!(
                    readme.contains(&format!("`sealane {name}")),
                    "README: no {name}"
                );
            }
        }
        for newcomer in ["cargo run -p sealane -- demo", "bash .ci/run"] {
            assert!(readme.contains(newcomer), "README: no {newcomer}");
        }
        let architecture = include_str!("../../../ARCHITECTURE.md");
        assert!(
            !architecture.contains("../"),
            "ARCHITECTURE.md points outside"
        );
        assert!(architecture.contains("docs/design.md"));
    }

    #[test]
    fn dns_help_names_the_bogus_status() {
        let mut cli = super::cli();
        let dns = cli.find_subcommand_mut("dns").expect("dns command");
        let help = dns.render_long_help().to_string();
        assert!(help.contains("3  an answer that is DNSSEC bogus"), "{help}");
    }
}
