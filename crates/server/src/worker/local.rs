//! Mail for the accepted domains: into a Maildir (labs and the demo), or
//! on to an internal relay host.

use std::io::Write;
use std::path::Path;

use policy::{Cause, Trouble};
use queue::{ClaimedMessage, Outcome};

use super::settle::{self, Settled};
use crate::config::{LocalDomain, RelayTls};
use crate::shared::Shared;

/// Delivers `message` to the accepted domain's target.
pub(crate) async fn deliver(
    shared: &Shared,
    target: &LocalDomain,
    message: &ClaimedMessage,
) -> Settled {
    match target {
        LocalDomain::Maildir(dir) => {
            let body = match shared.store.body(message.id).await {
                Ok(body) => body,
                Err(e) => {
                    let trouble = Trouble::with_detail(Cause::LocalSoftware, e.to_string());
                    return settle::all(shared, message, &trouble);
                }
            };
            let mut settled = Settled::default();
            for claimed in &message.recipients {
                let address = &claimed.recipient.address;
                let dir = dir.join(mailbox_name(address));
                let name = format!("{}.{}.sealane", message.id, mailbox_name(address));
                let written = tokio::task::spawn_blocking({
                    let body = body.clone();
                    move || write_maildir(&dir, &name, &body)
                })
                .await;
                match written {
                    Ok(Ok(())) => settled.outcomes.push((
                        address.clone(),
                        Outcome::Delivered {
                            mx: None,
                            reply: None,
                        },
                    )),
                    Ok(Err(e)) => {
                        let trouble =
                            Trouble::with_detail(Cause::LocalSoftware, format!("maildir: {e}"));
                        let one = settle::all(shared, &only(message, claimed), &trouble);
                        settled.outcomes.extend(one.outcomes);
                        settled.notices.extend(one.notices);
                    }
                    Err(e) => {
                        let trouble =
                            Trouble::with_detail(Cause::LocalSoftware, format!("maildir: {e}"));
                        let one = settle::all(shared, &only(message, claimed), &trouble);
                        settled.outcomes.extend(one.outcomes);
                    }
                }
            }
            settled
        }
        LocalDomain::Relay { target, tls } => {
            // The configuration checked the form host:port.
            let (host, port) = target.rsplit_once(':').unwrap_or((target.as_str(), "25"));
            let port = port.parse().unwrap_or(25);
            let Ok(domain) = dns::Resolver::parse_name(&domain_of(message)) else {
                let trouble = Trouble::with_detail(
                    Cause::InvalidAddress,
                    "recipient domain is not a DNS name",
                );
                return settle::all(shared, message, &trouble);
            };
            let plan =
                policy::relay_plan(&shared.resolver, &domain, host, *tls == RelayTls::Require)
                    .await;
            let body = match shared.store.body(message.id).await {
                Ok(body) => body,
                Err(e) => {
                    let trouble = Trouble::with_detail(Cause::LocalSoftware, e.to_string());
                    return settle::all(shared, message, &trouble);
                }
            };
            let wire = delivery::Message {
                sender: message.envelope.sender.clone(),
                recipients: message
                    .recipients
                    .iter()
                    .map(|r| r.recipient.address.clone())
                    .collect(),
                data: body,
                require_tls: message.envelope.require_tls,
            };
            let mut options = shared.delivery.clone();
            options.smtp_port = port;
            let report = delivery::deliver(&plan, &wire, &options).await;
            if let Some(memory) = &options.failure_memory {
                memory.record(&report);
            }
            settle::report(shared, message, &report)
        }
    }
}

fn domain_of(message: &ClaimedMessage) -> String {
    message
        .recipients
        .first()
        .map(|r| queue::domain_of(&r.recipient.address))
        .unwrap_or_default()
}

fn only(message: &ClaimedMessage, claimed: &queue::ClaimedRecipient) -> ClaimedMessage {
    ClaimedMessage {
        recipients: vec![claimed.clone()],
        ..message.clone()
    }
}

/// The mailbox directory for an address: the lowercased address with
/// path separators and dots at the start made harmless.
fn mailbox_name(address: &str) -> String {
    address
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect::<String>()
        .trim_start_matches('.')
        .to_owned()
}

/// Maildir delivery: write into `tmp/`, sync, rename into `new/`, sync
/// the directory.
fn write_maildir(dir: &Path, name: &str, body: &[u8]) -> std::io::Result<()> {
    for sub in ["tmp", "new", "cur"] {
        std::fs::create_dir_all(dir.join(sub))?;
    }
    let tmp = dir.join("tmp").join(name);
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(body)?;
    file.sync_all()?;
    std::fs::rename(&tmp, dir.join("new").join(name))?;
    std::fs::File::open(dir.join("new"))?.sync_all()
}
