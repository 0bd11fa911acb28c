//! The order of attempts: hosts by preference, every address of each, until
//! every recipient is settled.

use std::net::SocketAddr;

use policy::{Cause, DeliveryPlan, Scope, Trouble};
use smtp::RecipientStatus as WireStatus;

use crate::attempt;
use crate::connections::{Connections, SecurityContext, authenticated};
use crate::limits::Budget;
use crate::message::Message;
use crate::options::DeliveryOptions;
use crate::report::{DeliveryReport, RecipientOutcome, RecipientStatus, naming_every_host};

/// Delivers `message` by following `plan` once.
///
/// Hosts are tried in plan order and each of their addresses in turn; a
/// failure scoped to a host (a security failure, a lost connection, a 4xx
/// greeting) moves on to the next address and host, and when none is left
/// the remaining recipients are deferred with the last trouble (DESIGN §2).
/// Nothing here bounces on a security failure: the trouble table makes
/// those temporary, and only the queue turns an expired deferral into a
/// non-delivery report.
///
/// MTA-STS (RFC 8461 §5) arrives through the plan: an `enforce` host is a
/// [`Requirement::StsEnforce`] (STARTTLS and a WebPKI-valid certificate for
/// the MX name, or on to the next host), and counts as authenticated for
/// REQUIRETLS; a host under a `testing` policy is delivered to as its
/// requirement allows, with what `enforce` would have refused recorded in
/// [`crate::HostAttempt::sts_testing_failure`].
///
/// One attempt costs bounded time ([`crate::AttemptLimits`]): each
/// connection has a deadline, the message data a minimum rate, and the
/// attempt a deadline and a number of addresses and sessions; when one is
/// spent the addresses left are not tried and the recipients are deferred
/// with a trouble naming the limit. Addresses that the
/// [`crate::HostFailureMemory`] of the options remembers as dead are
/// skipped.
pub async fn deliver(
    plan: &DeliveryPlan,
    message: &Message,
    options: &DeliveryOptions,
) -> DeliveryReport {
    let mut connections = Connections::new();
    let report = deliver_reusing(plan, message, options, &mut connections).await;
    connections.close().await;
    report
}

/// [`deliver`], reusing a connection from `connections` that was opened
/// under the same security context ([`crate::SecurityContext`]) and leaving
/// the connections that end their transaction cleanly there for the next
/// message. The caller ends them with [`Connections::close`].
pub async fn deliver_reusing(
    plan: &DeliveryPlan,
    message: &Message,
    options: &DeliveryOptions,
    connections: &mut Connections,
) -> DeliveryReport {
    let mut report = DeliveryReport {
        plan: plan.clone(),
        recipients: Vec::new(),
        attempts: Vec::new(),
    };
    let mut pending: Vec<String> = message.recipients.clone();
    let mut last = plan.trouble();
    let mut budget = Budget::start(options.limits);
    if last.is_none() {
        'hosts: for host in plan.usable_hosts() {
            if message.require_tls && !authenticated(&host.requirement) {
                // RFC 8689 §4.2: only to a host whose certificate is authenticated.
                last = Some(Trouble::with_detail(
                    Cause::RequireTlsUnavailable,
                    format!("{} has no authenticated TLS (DANE or MTA-STS)", host.name),
                ));
                continue;
            }
            for ip in &host.addresses {
                if pending.is_empty() {
                    break 'hosts;
                }
                if let Some(spent) = budget.spent(last.as_ref()) {
                    last = Some(spent);
                    break 'hosts;
                }
                if let Some(skipped) = recently_failed(options, *ip) {
                    last = Some(skipped);
                    continue;
                }
                let address = SocketAddr::new(*ip, options.smtp_port);
                let deadline = budget.connection();
                let context = SecurityContext::of(plan, host, address, options);
                let mut result = attempt::run(
                    host,
                    address,
                    &attempt::Work::Deliver {
                        message,
                        pending: &pending,
                    },
                    options,
                    false,
                    deadline,
                    Some((connections, &context)),
                )
                .await;
                budget.count(&result.record);
                if result.opportunistic_tls_failed {
                    report.attempts.push(result.record);
                    result = attempt::run(
                        host,
                        address,
                        &attempt::Work::Deliver {
                            message,
                            pending: &pending,
                        },
                        options,
                        true,
                        deadline,
                        Some((connections, &context)),
                    )
                    .await;
                    budget.count(&result.record);
                }
                for outcome in &result.results {
                    let settled = settle(outcome, &host.name.to_string());
                    pending.retain(|p| p != &outcome.address);
                    report.recipients.push(settled);
                }
                if let Some(trouble) = &result.record.trouble {
                    match trouble.scope() {
                        Scope::Host => last = Some(trouble.clone()),
                        Scope::Recipient => {
                            for address in pending.drain(..) {
                                report.recipients.push(RecipientOutcome::from_trouble(
                                    &address,
                                    trouble,
                                    Some(host.name.to_string()),
                                ));
                            }
                        }
                        Scope::Domain => {
                            last = Some(trouble.clone());
                            report.attempts.push(result.record);
                            break 'hosts;
                        }
                    }
                }
                report.attempts.push(result.record);
            }
        }
    }
    let trouble = last
        .unwrap_or_else(|| Trouble::with_detail(Cause::NoAddresses, "no MX host could be tried"));
    let trouble = naming_every_host(trouble, &report.attempts);
    for address in pending {
        report
            .recipients
            .push(RecipientOutcome::from_trouble(&address, &trouble, None));
    }
    let order = |address: &str| message.recipients.iter().position(|r| r == address);
    report.recipients.sort_by_key(|r| order(&r.address));
    report
}

/// The trouble of an address skipped because it failed a moment ago.
fn recently_failed(options: &DeliveryOptions, ip: std::net::IpAddr) -> Option<Trouble> {
    let memory = options.failure_memory.as_ref()?;
    let recent = memory.recent(ip)?;
    Some(Trouble::with_detail(
        Cause::ConnectionFailed,
        format!(
            "{ip} not tried: it failed ({}) less than {} ago",
            recent.failure,
            smtp::duration(memory.remember_for())
        ),
    ))
}

/// A recipient's fate from the server's reply to it.
fn settle(result: &smtp::RecipientResult, host: &str) -> RecipientOutcome {
    match result.status {
        WireStatus::Accepted => RecipientOutcome {
            address: result.address.clone(),
            status: RecipientStatus::Delivered,
            code: result.reply.enhanced,
            host: Some(host.to_owned()),
            reply: Some(result.reply.clone()),
            trouble: None,
        },
        _ => {
            let trouble = Trouble::from_reply(smtp::Stage::Rcpt, &result.reply);
            let mut outcome =
                RecipientOutcome::from_trouble(&result.address, &trouble, Some(host.to_owned()));
            outcome.reply = Some(result.reply.clone());
            outcome
        }
    }
}
