//! `sealane demo`: the newcomer's first command. It starts the test world
//! of `testworld::demo` on loopback (one destination per security situation
//! of DESIGN §2), runs the real daemon against it with a clock it moves,
//! submits one message to each destination over SMTP, moves the clock
//! through the retry schedule to expiry, and shows per destination what
//! happened and why, with the notices that reached the sender's Maildir.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use anyhow::{Context, anyhow};
use dns::clock::{Clock, ManualClock};
use queue::{AttemptRecord, EventKind, MessageDetail, TroubleRecord};
use serde::Serialize;
use server::config::Config;
use server::{Daemon, Scheduling};
use testworld::demo::{DemoWorld, SENDER_DOMAIN, submit};

use super::demo_text;
use crate::exit::Failure;

/// Arguments of `sealane demo`.
#[derive(clap::Args)]
pub struct Args {
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// Steps of the clock the demo takes at most; the schedule needs about 30.
const MAX_STEPS: usize = 200;

/// What the demo shows.
#[derive(Serialize)]
pub(super) struct Report {
    pub version: u32,
    pub sender: String,
    /// Simulated time from submission to the last step.
    pub simulated_seconds: u64,
    /// Clock steps taken.
    pub steps: usize,
    pub destinations: Vec<DestinationReport>,
}

/// What happened to the message for one destination.
#[derive(Serialize)]
pub(super) struct DestinationReport {
    pub domain: String,
    pub setup: String,
    pub recipient: String,
    pub queue_id: String,
    /// `delivered`, `bounced`, `expired` or, if the schedule did not end
    /// it, the state it was left in.
    pub outcome: String,
    pub attempts: u32,
    /// The remote reply to the data for a delivery; the final code otherwise.
    pub code: Option<String>,
    pub cause: Option<String>,
    pub detail: Option<String>,
    /// The security line of the last connection made for it.
    pub security: Option<Security>,
    /// The notices that reached the sender's Maildir about this recipient.
    pub notices: Vec<Notice>,
    /// Messages the destination's MX host recorded, by its own account.
    pub received_by_mx: usize,
}

/// The trace's security line of one attempt.
#[derive(Serialize)]
pub(super) struct Security {
    pub mx: String,
    pub address: String,
    pub requirement: String,
    pub tls: Option<String>,
    pub verification: Option<String>,
    pub tlsa: Option<String>,
    pub sts_policy_id: Option<String>,
    pub result_type: Option<String>,
}

/// The first lines of one notice.
#[derive(Clone, Serialize)]
pub(super) struct Notice {
    pub subject: String,
    pub status: Option<String>,
    pub what_happened: Option<String>,
}

/// Runs the demo. Exit 0 when it ran to the end.
pub async fn run(args: Args) -> Result<ExitCode, Failure> {
    let started = Instant::now();
    let dir = tempfile::Builder::new()
        .prefix("sealane-demo-")
        .tempdir()
        .context("cannot create a temporary directory")
        .map_err(Failure::Setup)?;
    let report = demo(dir.path()).await.map_err(Failure::Runtime)?;
    dir.close()
        .context("cannot remove the temporary directory")
        .map_err(Failure::Runtime)?;
    if args.json {
        let text = serde_json::to_string_pretty(&report)
            .expect("the report is plain data and always serialises");
        crate::output::json(&text);
    } else {
        crate::output::human(&demo_text::render(&report, started.elapsed()));
    }
    Ok(ExitCode::SUCCESS)
}

async fn demo(dir: &Path) -> anyhow::Result<Report> {
    let world = DemoWorld::start()
        .await
        .context("cannot start the demo world")?;
    let anchor = dir.join("trust-anchor.txt");
    world.dns.write_trust_anchor(&anchor)?;
    let roots = dir.join("demo-root.pem");
    world.ca.write_root_pem(&roots)?;
    let maildir = dir.join("mail");
    let text = format!(
        r#"[server]
hostname = "mail.{SENDER_DOMAIN}"
data_dir = "{data}"

[[listener]]
role = "submission"
address = "127.0.0.1:0"

[dns]
servers = ["{dns}"]
trust_anchor = "{anchor}"

[webpki]
extra_roots = "{roots}"

[domain."{SENDER_DOMAIN}"]
maildir = "{maildir}"

[retry]
schedule = ["15m", "1h"]
expire = "24h"

[outbound]
ehlo = "mail.{SENDER_DOMAIN}"
smtp_port = {smtp}
https_port = {https}
"#,
        data = dir.join("data").display(),
        dns = world.dns.addr(),
        anchor = anchor.display(),
        roots = roots.display(),
        maildir = maildir.display(),
        smtp = world.smtp_port,
        https = world.https_port,
    );
    let config = Config::parse(&text, Path::new("demo.toml"))
        .map_err(|e| anyhow!("the demo's own configuration is invalid: {e}"))?;
    let start = SystemTime::now();
    let clock = Arc::new(ManualClock::new(start));
    let daemon = Daemon::start(config, clock.clone(), Scheduling::Manual).await?;
    let submission = daemon
        .listening()
        .first()
        .map(|(_, addr)| *addr)
        .ok_or_else(|| anyhow!("the daemon listens nowhere"))?;

    let sender = format!("demo@{SENDER_DOMAIN}");
    let recipients: Vec<String> = world
        .destinations
        .iter()
        .map(|d| format!("someone@{}", d.domain))
        .collect();
    let replies = submit(
        submission,
        &format!("client.{SENDER_DOMAIN}"),
        &sender,
        &recipients,
    )
    .await?;

    let store = &daemon.shared().store;
    daemon.drain().await?;
    let mut steps = 0;
    while let Some(due) = store.next_due().await? {
        if steps == MAX_STEPS {
            break;
        }
        steps += 1;
        let now = clock.now();
        if let Ok(ahead) = due.duration_since(now) {
            clock.advance(ahead);
        }
        daemon.drain().await?;
    }
    let simulated = clock.now().duration_since(start).unwrap_or_default();

    let notices = read_notices(&maildir.join(&sender));
    let mut destinations = Vec::new();
    for ((destination, recipient), reply) in
        world.destinations.iter().zip(&recipients).zip(&replies)
    {
        let queue_id = reply.rsplit(' ').next().unwrap_or_default().to_owned();
        let detail = store
            .show(
                queue_id
                    .parse()
                    .map_err(|e| anyhow!("queue id {}: {e}", smtp::quoted(&queue_id)))?,
            )
            .await?
            .ok_or_else(|| anyhow!("message {queue_id} is not in the queue"))?;
        let mut report = describe(&detail, recipient);
        report.domain = destination.domain.clone();
        report.setup = destination.setup.to_owned();
        report.queue_id = queue_id;
        report.received_by_mx = world.received(&format!("mx.{}", destination.domain));
        report.notices = notices
            .iter()
            .filter(|(about, _)| about.eq_ignore_ascii_case(recipient))
            .map(|(_, n)| n.clone())
            .collect();
        destinations.push(report);
    }
    daemon.stop().await;
    drop(world);
    Ok(Report {
        version: 1,
        sender,
        simulated_seconds: simulated.as_secs(),
        steps,
        destinations,
    })
}

/// What the trace says about `recipient`.
fn describe(detail: &MessageDetail, recipient: &str) -> DestinationReport {
    let view = detail
        .recipients
        .iter()
        .find(|r| r.recipient.address.eq_ignore_ascii_case(recipient));
    let mine = |e: &&queue::Event| {
        e.recipient
            .as_deref()
            .is_none_or(|r| r.eq_ignore_ascii_case(recipient))
    };
    let mut code = None;
    let mut last_trouble: Option<&TroubleRecord> = view.and_then(|v| v.last_trouble.as_ref());
    let mut last_attempt: Option<&AttemptRecord> = None;
    for event in detail.events.iter().filter(mine) {
        match &event.kind {
            EventKind::Attempt(a) => last_attempt = Some(a),
            EventKind::Delivered { reply, .. } => {
                code = reply.as_ref().map(|r| r.to_string().trim_end().to_owned());
            }
            EventKind::Bounced { trouble } | EventKind::Expired { trouble } => {
                code = Some(trouble.code.to_string());
                last_trouble = Some(trouble);
            }
            _ => {}
        }
    }
    DestinationReport {
        domain: String::new(),
        setup: String::new(),
        recipient: recipient.to_owned(),
        queue_id: String::new(),
        outcome: view.map_or("unknown", |v| v.state.name()).to_owned(),
        attempts: view.map_or(0, |v| v.attempts),
        code,
        cause: last_trouble.map(|t| t.cause.clone()),
        detail: last_trouble.map(|t| t.detail.clone()),
        security: last_attempt.map(|a| Security {
            mx: a.mx.clone(),
            address: a.address.to_string(),
            requirement: a.requirement.clone(),
            tls: a
                .tls
                .as_ref()
                .map(|t| format!("{} {}", t.version, t.cipher)),
            verification: a.verification.clone(),
            tlsa: a.tlsa.clone(),
            sts_policy_id: a.sts_policy_id.clone(),
            result_type: a.result_type.clone(),
        }),
        notices: Vec::new(),
        received_by_mx: 0,
    }
}

/// Every notice in the Maildir `dir`, with the recipient it is about
/// (RFC 3464 §2.3.2 `Final-Recipient`), oldest first.
fn read_notices(dir: &Path) -> Vec<(String, Notice)> {
    let Ok(entries) = std::fs::read_dir(dir.join("new")) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    files.sort();
    files
        .iter()
        .filter_map(|path| std::fs::read(path).ok())
        .filter_map(|raw| demo_text::notice(&raw))
        .collect()
}
