//! `sealane completions SHELL` and `sealane man DIR`: shell completions and
//! manual pages generated from the command line's own definitions, so that
//! they never disagree with `--help`. A page per command, each with its
//! options, its exit statuses and examples from [`EXAMPLES`].

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, roman};

use crate::exit::Failure;

/// Arguments of `sealane completions`.
#[derive(clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// Arguments of `sealane man`.
#[derive(clap::Args)]
pub struct ManArgs {
    /// Directory to write the pages into (sealane.1, sealane-dns.1, ...);
    /// created if missing.
    dir: PathBuf,
}

/// Examples per command, by the command's full name: what to type, and
/// what it does.
pub const EXAMPLES: &[(&str, &[(&str, &str)])] = &[
    (
        "sealane",
        &[
            (
                "sealane demo",
                "Watch deliveries, deferrals and bounces on a simulated internet.",
            ),
            (
                "sealane route user@example.com",
                "How mail to a destination would go now.",
            ),
        ],
    ),
    (
        "sealane demo",
        &[
            (
                "sealane demo",
                "Run the demonstration and print what happened to each domain.",
            ),
            ("sealane demo --json", "The same as JSON."),
        ],
    ),
    (
        "sealane dns",
        &[
            (
                "sealane dns example.com MX",
                "The MX records of example.com and their DNSSEC status.",
            ),
            (
                "sealane dns _25._tcp.mx.example.com TLSA --dns-server 127.0.0.1",
                "TLSA records, asking a local resolver on port 53.",
            ),
        ],
    ),
    (
        "sealane tlsa",
        &[(
            "sealane tlsa generate --cert /etc/ssl/mail.pem",
            "The \"3 1 1\" record data for a certificate.",
        )],
    ),
    (
        "sealane tlsa generate",
        &[
            (
                "sealane tlsa generate --cert /etc/ssl/mail.pem",
                "The \"3 1 1\" record data for a certificate.",
            ),
            (
                "sealane tlsa generate --cert ca.pem --usage 2",
                "A \"2 1 1\" record for an issuing CA.",
            ),
        ],
    ),
    (
        "sealane tlsa verify",
        &[(
            "sealane tlsa verify --chain chain.pem --tlsa \"3 1 1 HEX\"",
            "Whether a chain matches a record, as delivery would judge it.",
        )],
    ),
    (
        "sealane deliver",
        &[(
            "sealane deliver --from me@example.org --to you@example.com --message mail.eml",
            "Deliver one message now, with the full security policy; nothing is queued.",
        )],
    ),
    (
        "sealane route",
        &[
            (
                "sealane route example.com",
                "MX hosts, TLSA, MTA-STS, a STARTTLS handshake with each host, and the verdict.",
            ),
            (
                "sealane route user@example.com --json",
                "The same as JSON (docs/route-json.md).",
            ),
        ],
    ),
    (
        "sealane publish",
        &[
            (
                "sealane publish example.com --mx mx.example.com --cert mail.pem",
                "The records and MTA-STS policy to publish, in the order to roll them out.",
            ),
            (
                "sealane publish example.com --mx mx.example.com --dkim-selector s1 --dkim-key dkim.pem",
                "The same with the DKIM key record of selector s1.",
            ),
        ],
    ),
    (
        "sealane auth",
        &[(
            "sealane auth verify message.eml --ip 192.0.2.1 --sender alice@example.org",
            "SPF, DKIM, ARC and DMARC of a message, as an Authentication-Results header.",
        )],
    ),
    (
        "sealane auth spf",
        &[
            (
                "sealane auth spf --ip 192.0.2.1 --sender alice@example.org",
                "May 192.0.2.1 send for example.org? The result and every DNS question asked.",
            ),
            (
                "sealane auth spf --ip 2001:db8::1 --sender '' --helo mail.example.org --json",
                "The null sender (checked as postmaster@mail.example.org) and the HELO name, as JSON.",
            ),
        ],
    ),
    (
        "sealane auth verify",
        &[
            (
                "sealane auth verify message.eml",
                "DKIM, ARC and DMARC of a saved message.",
            ),
            (
                "sealane auth verify message.eml --ip 192.0.2.1 --sender alice@example.org --helo mail.example.org --json",
                "With SPF too, every result as JSON.",
            ),
        ],
    ),
    (
        "sealane auth sign",
        &[
            (
                "sealane auth sign message.eml --domain example.org --selector s1 --key s1.pem > signed.eml",
                "Sign a message; the signed message goes to standard output.",
            ),
            (
                "sealane auth sign message.eml --domain example.org --selector s1 --key s1.pem --check --dns-server 127.0.0.1",
                "Sign, and check the signature against the key published in DNS.",
            ),
        ],
    ),
    (
        "sealane dkim",
        &[(
            "sealane dkim keygen --domain example.com --selector s1",
            "A new RSA-2048 key in example.com.s1.pem and its record.",
        )],
    ),
    (
        "sealane dkim keygen",
        &[
            (
                "sealane dkim keygen --domain example.com --selector s1",
                "A new RSA-2048 key in example.com.s1.pem and the TXT record to publish.",
            ),
            (
                "sealane dkim keygen --domain example.com --selector e1 --algorithm ed25519 --out /etc/sealane/e1.pem",
                "An Ed25519 key (RFC 8463) beside it, written where the server reads it.",
            ),
        ],
    ),
    (
        "sealane mta-sts",
        &[(
            "sealane mta-sts serve --domain example.com --policy mta-sts.txt --cert cert.pem --key key.pem",
            "Serve the policy over HTTPS.",
        )],
    ),
    (
        "sealane mta-sts serve",
        &[(
            "sealane mta-sts serve --domain example.com --policy mta-sts.txt --cert cert.pem --key key.pem",
            "Serve the policy over HTTPS, reloading the files when they change.",
        )],
    ),
    (
        "sealane check",
        &[
            (
                "sealane check example.com",
                "The posture of a domain, with a remedy for each finding.",
            ),
            (
                "sealane check --file domains.txt --json",
                "Many domains, one JSON object per line (docs/check-json.md).",
            ),
            (
                "sealane check example.com --dkim-selector s1",
                "Also the DKIM key record of selector s1: present, well formed, long enough.",
            ),
        ],
    ),
    (
        "sealane serve",
        &[(
            "sealane serve --config /etc/sealane/sealane.toml",
            "Run the mail server until SIGTERM.",
        )],
    ),
    (
        "sealane queue",
        &[(
            "sealane queue list",
            "Pending recipients by destination and cause, like mailq.",
        )],
    ),
    (
        "sealane queue list",
        &[(
            "sealane queue list --config /etc/sealane/sealane.toml",
            "Pending recipients by destination and cause, like mailq.",
        )],
    ),
    (
        "sealane queue show",
        &[(
            "sealane queue show 01KBF3M2QZ7N4XA8",
            "One message and every event of its trace.",
        )],
    ),
    (
        "sealane queue retry",
        &[(
            "sealane queue retry --domain example.com",
            "Make the deferred recipients at example.com due now.",
        )],
    ),
    (
        "sealane queue drop",
        &[(
            "sealane queue drop 01KBF3M2QZ7N4XA8",
            "Delete one message with its body and trace.",
        )],
    ),
    (
        "sealane queue hold",
        &[(
            "sealane queue hold --domain example.com",
            "Hold everything queued for example.com.",
        )],
    ),
    (
        "sealane queue quarantine",
        &[(
            "sealane queue quarantine 01KBF3M2QZ7N4XA8",
            "Keep one message from delivery until it is released.",
        )],
    ),
    (
        "sealane queue release",
        &[(
            "sealane queue release --all",
            "Release every held recipient, due now.",
        )],
    ),
    (
        "sealane trace",
        &[
            (
                "sealane trace you@example.com",
                "Every event of the messages to a recipient.",
            ),
            (
                "sealane trace '<id@example.org>' --json",
                "By Message-ID, as JSON.",
            ),
            (
                "sealane trace --sender alice@example.org --since 2026-12-01",
                "What alice sent since 1 December, delivered or not.",
            ),
        ],
    ),
    (
        "sealane limits",
        &[(
            "sealane limits list",
            "Users and sender domains blocked for going over a sending limit.",
        )],
    ),
    (
        "sealane limits list",
        &[(
            "sealane limits list --json --config /etc/sealane/sealane.toml",
            "The blocks as JSON: who, which limit, the count and since when.",
        )],
    ),
    (
        "sealane limits release",
        &[(
            "sealane limits release alice",
            "Let alice send again, her counts starting from zero.",
        )],
    ),
    (
        "sealane report",
        &[(
            "sealane report tls read report.json.gz",
            "Summarise an SMTP TLS report.",
        )],
    ),
    (
        "sealane report tls",
        &[(
            "sealane report tls read report.json.gz",
            "Summarise an SMTP TLS report.",
        )],
    ),
    (
        "sealane report tls read",
        &[(
            "sealane report tls read report.json.gz report.eml",
            "Summarise report files or report mails.",
        )],
    ),
    (
        "sealane report tls sent",
        &[(
            "sealane report tls sent --domain example.com --date 2026-12-01",
            "The report for example.com of 1 December, and whether it went out.",
        )],
    ),
    (
        "sealane report tls received",
        &[(
            "sealane report tls received --domain example.org --since 2026-11-01",
            "What reporters said about example.org since 1 November.",
        )],
    ),
    (
        "sealane report dmarc",
        &[(
            "sealane report dmarc read google.com!example.org!1764633600!1764719999.zip",
            "Summarise a DMARC aggregate report.",
        )],
    ),
    (
        "sealane report dmarc read",
        &[(
            "sealane report dmarc read report.xml.gz report.eml --json",
            "Report files or report mails as JSON: per source address, the disposition and DKIM/SPF alignment.",
        )],
    ),
    (
        "sealane report dmarc sent",
        &[(
            "sealane report dmarc sent --domain example.org --date 2026-12-01",
            "What our report on example.org for 1 December says, and whether it went.",
        )],
    ),
    (
        "sealane report dmarc received",
        &[(
            "sealane report dmarc received --domain example.org --since 2026-11-01",
            "What receivers reported about mail from example.org since 1 November, per source address.",
        )],
    ),
    (
        "sealane config",
        &[(
            "sealane config check /etc/sealane/sealane.toml",
            "Check a configuration file.",
        )],
    ),
    (
        "sealane config check",
        &[(
            "sealane config check /etc/sealane/sealane.toml",
            "FILE: ok, or the first error with its line and key.",
        )],
    ),
    (
        "sealane user",
        &[(
            "sealane user add alice",
            "Read a password and print the [[user]] block.",
        )],
    ),
    (
        "sealane user add",
        &[(
            "sealane user add alice >> /etc/sealane/sealane.toml",
            "Read a password and append the [[user]] block with its hash.",
        )],
    ),
    (
        "sealane sendmail",
        &[
            (
                "sealane sendmail -t < mail.eml",
                "Submit a message, recipients taken from its headers.",
            ),
            (
                "echo 'Subject: hi' | sealane sendmail you@example.com",
                "Submit to a recipient.",
            ),
        ],
    ),
    (
        "sealane completions",
        &[
            (
                "sealane completions bash > /etc/bash_completion.d/sealane",
                "Install completions for bash.",
            ),
            (
                "sealane completions zsh > \"${fpath[1]}/_sealane\"",
                "Install completions for zsh.",
            ),
        ],
    ),
    (
        "sealane man",
        &[(
            "sealane man /usr/local/share/man/man1",
            "Write a manual page per command.",
        )],
    ),
];

/// Writes completions for `shell` to standard output.
pub fn completions(args: CompletionsArgs, mut command: clap::Command) -> Result<ExitCode, Failure> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "sealane", &mut out);
    crate::output::verbatim(&String::from_utf8_lossy(&out));
    Ok(ExitCode::SUCCESS)
}

/// Writes a manual page per command into `args.dir` and names them.
pub fn man(args: ManArgs, command: clap::Command) -> Result<ExitCode, Failure> {
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create {}", args.dir.display()))
        .map_err(Failure::Runtime)?;
    let written = write_pages(command, &args.dir).map_err(Failure::Runtime)?;
    crate::output::human(&format!(
        "{} manual pages written to {}\n",
        written.len(),
        args.dir.display()
    ));
    Ok(ExitCode::SUCCESS)
}

/// Writes the page of `command` and of every subcommand below it.
pub fn write_pages(command: clap::Command, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut command = command.disable_help_subcommand(true);
    command.build();
    let mut written = Vec::new();
    let name = command.get_name().to_owned();
    write_tree(&command, &name, dir, &mut written)?;
    Ok(written)
}

/// Writes the page of `command`, whose full name is `name`, and the pages
/// below it.
fn write_tree(
    command: &clap::Command,
    name: &str,
    dir: &Path,
    written: &mut Vec<PathBuf>,
) -> anyhow::Result<()> {
    let path = dir.join(format!("{}.1", page_name(command)));
    std::fs::write(&path, page(command, name)?)
        .with_context(|| format!("cannot write {}", path.display()))?;
    written.push(path);
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_tree(sub, &format!("{name} {}", sub.get_name()), dir, written)?;
    }
    Ok(())
}

/// `sealane-queue-list` for `sealane queue list`.
fn page_name(command: &clap::Command) -> String {
    command
        .get_display_name()
        .unwrap_or(command.get_name())
        .to_owned()
}

/// The roff text of the page of `command`, whose full name is `name`
/// (`sealane queue list`): clap's sections, then EXIT STATUS and EXAMPLES.
pub fn page(command: &clap::Command, name: &str) -> anyhow::Result<Vec<u8>> {
    let statuses = command.get_after_help().map(|s| s.to_string());
    let mut out = Vec::new();
    // Our statuses get a section of their own, not clap's "EXTRA".
    Man::new(command.clone().after_help(None::<&str>))
        .source("Sealane")
        .render(&mut out)?;
    let mut roff = Roff::new();
    if let Some(statuses) = statuses {
        roff.control("SH", ["EXIT STATUS"]);
        for line in statuses.lines().skip(1) {
            let (code, meaning) = line.trim().split_once(' ').unwrap_or((line.trim(), ""));
            roff.control("TP", [])
                .text([bold(code)])
                .text([roman(meaning.trim())]);
        }
    }
    if let Some((_, examples)) = EXAMPLES.iter().find(|(known, _)| *known == name) {
        roff.control("SH", ["EXAMPLES"]);
        for (line, what) in *examples {
            roff.control("TP", [])
                .text([bold(*line)])
                .text([roman(*what)]);
        }
    }
    roff.control("SH", ["SEE ALSO"]);
    roff.text([roman(
        "The README and docs/ of the Sealane repository: how a message flows, \
         the security decisions and the status codes.",
    )]);
    // Both halves start with the same preamble; it is said once.
    let preamble = Roff::new().render();
    let tail = roff.render();
    out.extend_from_slice(tail.strip_prefix(&preamble).unwrap_or(&tail).as_bytes());
    Ok(out)
}
