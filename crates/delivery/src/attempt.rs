//! One connection: connect, EHLO, STARTTLS as the plan requires, the
//! transaction, QUIT.

use std::net::SocketAddr;

use policy::{Cause, HostPlan, Requirement, Trouble};
use smtp::{Client, ClientOptions, Envelope, MailOptions, Recipient, RecipientResult};
use tls::pki_types::ServerName;

use tokio::time::Instant;
use tracing::{Instrument, debug_span};

use crate::connections::{Connections, Reused, SecurityContext};
use crate::failure_memory::ConnectionFailure;
use crate::limits::Deadline;
use crate::message::Message;
use crate::options::DeliveryOptions;
use crate::report::HostAttempt;
use crate::sts_testing::{self, Seen};

/// What a connection is for.
pub(crate) enum Work<'a> {
    /// Send `message` to the `pending` recipients.
    Deliver {
        message: &'a Message,
        pending: &'a [String],
    },
    /// Stop after STARTTLS and verification: a dry run.
    Probe,
}

/// What one connection achieved.
pub(crate) struct Attempt {
    pub(crate) record: HostAttempt,
    /// Per-recipient results when the transaction ran.
    pub(crate) results: Vec<RecipientResult>,
    /// The STARTTLS handshake failed on a host that does not require TLS.
    pub(crate) opportunistic_tls_failed: bool,
    /// A dry run's session, still open: its QUIT is the caller's, so that
    /// the wait for the goodbye is off the probe's path.
    pub(crate) open: Option<Client>,
}

/// Runs one session with `host` at `address`, ending it by `deadline`.
///
/// With `reuse`, a connection kept under the same security context
/// carries the transaction when there is one, and a connection that ends
/// its transaction cleanly is kept for the next message instead of quit.
pub(crate) async fn run(
    host: &HostPlan,
    address: SocketAddr,
    work: &Work<'_>,
    options: &DeliveryOptions,
    plaintext_retry: bool,
    deadline: Deadline,
    mut reuse: Option<(&mut Connections, &SecurityContext)>,
) -> Attempt {
    if let (Some((connections, context)), Work::Deliver { message, .. }) = (&mut reuse, work)
        && let Some(kept) = connections.take(context, message.require_tls)
    {
        match on_kept(kept, work, deadline).await {
            Kept::Done(done) => {
                let Done {
                    mut attempt,
                    client,
                    transactions,
                    opened,
                } = *done;
                finish(
                    &mut attempt,
                    client,
                    work,
                    deadline,
                    None,
                    reuse,
                    transactions,
                    opened,
                )
                .await;
                return attempt;
            }
            Kept::Stale => {
                tracing::debug!(%address, "kept connection closed by the server; connecting again");
            }
        }
    }
    let mut attempt = Attempt::new(host, address, plaintext_retry);
    let client_options = ClientOptions {
        source: options.source.for_remote(address.ip()),
        timeouts: options.timeouts,
        deadline: Some(deadline.at),
        min_data_rate: options.limits.min_data_rate,
        ..ClientOptions::default()
    };
    let opened = Instant::now();
    let mut client = match Client::connect(address, client_options)
        .instrument(debug_span!("smtp-connect", %address))
        .await
    {
        Ok(client) => client,
        Err(e) => {
            let trouble = failed(&mut attempt, &e, None);
            attempt.record.trouble = Some(deadline.name(trouble));
            return attempt;
        }
    };
    if let Some((connections, _)) = &mut reuse {
        connections.count_opened();
    }
    let mut outcome = secure(&mut client, host, options, plaintext_retry, &mut attempt)
        .instrument(debug_span!("smtp-secure", %address))
        .await;
    if outcome.is_ok()
        && let Work::Deliver { message, pending } = work
    {
        outcome = transaction(&mut client, message, pending, &mut attempt).await;
    }
    finish(
        &mut attempt,
        client,
        work,
        deadline,
        Some(outcome),
        reuse,
        1,
        opened,
    )
    .await;
    attempt
}

impl Attempt {
    fn new(host: &HostPlan, address: SocketAddr, plaintext_retry: bool) -> Self {
        Attempt {
            record: HostAttempt {
                host: host.name.to_string(),
                address,
                requirement: host.requirement.clone(),
                plaintext_retry,
                starttls_refused: None,
                session: None,
                verification: None,
                trouble: None,
                sts_testing_failure: None,
                delivered: Vec::new(),
                connection_failure: None,
                transaction: 1,
            },
            results: Vec::new(),
            opportunistic_tls_failed: false,
            open: None,
        }
    }
}

/// What became of a transaction on a kept connection.
enum Kept {
    /// It ran, well or not.
    Done(Box<Done>),
    /// The server had closed the connection (or said 421) before our
    /// first command: nothing was transacted, connect again.
    Stale,
}

/// A transaction that ran on a kept connection.
struct Done {
    attempt: Attempt,
    client: Client,
    /// Transactions on the connection, this one included.
    transactions: u32,
    /// When the connection was opened.
    opened: Instant,
}

/// Runs the transaction of `work` on a kept connection.
async fn on_kept(kept: Reused, work: &Work<'_>, deadline: Deadline) -> Kept {
    let Work::Deliver { message, pending } = work else {
        return Kept::Stale;
    };
    let mut client = kept.client;
    client.set_deadline(Some(deadline.at));
    let transactions = kept.transactions + 1;
    let mut attempt = Attempt {
        record: HostAttempt {
            transaction: transactions,
            ..kept.template
        },
        results: Vec::new(),
        opportunistic_tls_failed: false,
        open: None,
    };
    let outcome = transaction(&mut client, message, pending, &mut attempt).await;
    // A server that closed the idle connection said nothing or 421 (RFC
    // 5321 §4.5.3.2.7 lets it) before our first command: connect again.
    let closed_while_kept = client
        .record()
        .commands
        .first()
        .is_none_or(|c| c.reply.as_ref().is_none_or(|r| r.code == 421));
    if outcome.is_err() && attempt.results.is_empty() && closed_while_kept {
        return Kept::Stale;
    }
    if let Err(trouble) = outcome {
        attempt.record.trouble = Some(trouble);
    }
    Kept::Done(Box::new(Done {
        attempt,
        client,
        transactions,
        opened: kept.opened,
    }))
}

/// Settles the attempt's record and either keeps the connection for the
/// next message or ends it with QUIT. `outcome` is the session's result;
/// `None` when it is already in the record.
#[allow(clippy::too_many_arguments)]
async fn finish(
    attempt: &mut Attempt,
    mut client: Client,
    work: &Work<'_>,
    deadline: Deadline,
    outcome: Option<Result<(), Trouble>>,
    reuse: Option<(&mut Connections, &SecurityContext)>,
    transactions: u32,
    opened: Instant,
) {
    if let Some(Err(trouble)) = outcome {
        attempt.record.trouble = Some(trouble);
    }
    attempt.record.trouble = attempt.record.trouble.take().map(|t| deadline.name(t));
    attempt.record.delivered = attempt
        .results
        .iter()
        .filter(|r| r.status == smtp::RecipientStatus::Accepted)
        .map(|r| r.address.clone())
        .collect();
    let reusable = attempt.record.trouble.is_none() && matches!(work, Work::Deliver { .. });
    if let (true, Some((connections, context))) = (reusable, reuse) {
        attempt.record.session = Some(client.take_transcript());
        let template = HostAttempt {
            session: None,
            trouble: None,
            delivered: Vec::new(),
            connection_failure: None,
            ..attempt.record.clone()
        };
        let Some(spent) = connections.keep(context.clone(), client, template, transactions, opened)
        else {
            return;
        };
        client = spent;
        if client.is_usable() {
            // The transaction is settled; a failed QUIT changes nothing.
            let _ = client.quit().await;
        }
        return;
    }
    if matches!(work, Work::Probe) && client.is_usable() {
        // The dry run is over: what follows is only QUIT.
        attempt.record.session = Some(client.record().clone());
        attempt.open = Some(client);
        return;
    }
    if client.is_usable() {
        // The transaction is settled; a failed QUIT changes nothing.
        let _ = client.quit().instrument(debug_span!("smtp-quit")).await;
    }
    attempt.record.session = Some(client.into_record());
}

/// The session after the greeting: EHLO, and STARTTLS as the host
/// requires.
async fn secure(
    client: &mut Client,
    host: &HostPlan,
    options: &DeliveryOptions,
    plaintext_retry: bool,
    attempt: &mut Attempt,
) -> Result<(), Trouble> {
    let offers_starttls = client
        .ehlo(&options.ehlo_name)
        .await
        .map_err(|e| failed(attempt, &e, None))?
        .starttls;
    let requirement = host
        .requirement
        .tls_requirement()
        .ok_or_else(|| Trouble::new(Cause::LocalSoftware))?;
    if offers_starttls && !plaintext_retry {
        let (config, handle) =
            tls::client_config(&requirement, &options.roots, options.time.clone())
                .map_err(|e| Trouble::with_detail(Cause::LocalSoftware, e.to_string()))?;
        let sni = server_name(host)?;
        let result = client.starttls(config, sni).await;
        attempt.record.verification = handle.take();
        match result {
            Ok(_) => {
                let chain = client.peer_certificates().unwrap_or_default();
                record_testing(host, Seen::Chain(chain), options, attempt);
            }
            Err(smtp::Error::Rejected { reply, .. })
                if client.is_usable() && !host.requirement.requires_tls() =>
            {
                // RFC 3207 §4: after a refused STARTTLS the session goes on
                // in plaintext; where nothing demands TLS, better
                // unencrypted than not at all (RFC 7435).
                let trouble = Trouble::from_reply(smtp::Stage::StartTls, &reply);
                record_testing(host, Seen::TlsFailed(&trouble), options, attempt);
                attempt.record.starttls_refused = Some(reply);
            }
            Err(e) => {
                if !host.requirement.requires_tls() && e.is_tls_failure() {
                    attempt.opportunistic_tls_failed = true;
                }
                let verification = attempt.record.verification.clone();
                let trouble = failed(attempt, &e, verification.as_ref());
                record_testing(host, Seen::TlsFailed(&trouble), options, attempt);
                return Err(trouble);
            }
        }
    } else {
        if !offers_starttls {
            record_testing(host, Seen::NoStarttls, options, attempt);
        } else if let Some(testing) = &host.sts_testing {
            // The plaintext retry after a failed handshake: that failure was
            // recorded on the attempt before; only the policy's MX list
            // still speaks here.
            attempt.record.sts_testing_failure = testing.mx_trouble();
        }
        if host.requirement.requires_tls() {
            // RFC 7672 §2.2, RFC 8461 §5: no plaintext where DANE or policy
            // demands TLS.
            return Err(Trouble::new(Cause::StarttlsNotSupported));
        }
    }
    Ok(())
}

/// The transaction for `pending`; the recipients' results go into
/// `attempt.results` as each transaction settles them.
async fn transaction(
    client: &mut Client,
    message: &Message,
    pending: &[String],
    attempt: &mut Attempt,
) -> Result<(), Trouble> {
    let mut batch: Vec<String> = pending.to_vec();
    while !batch.is_empty() {
        let envelope = Envelope {
            sender: message.sender.clone(),
            recipients: batch.iter().map(Recipient::new).collect(),
            options: MailOptions {
                requiretls: message.require_tls,
                ..MailOptions::default()
            },
        };
        let result = client
            .send(&envelope, &message.data)
            .await
            .map_err(|e| failed(attempt, &e, None))?;
        // RFC 5321 §4.5.3.1.10: recipients refused for lack of room go in
        // a new transaction at once. Each round delivers to someone, so
        // this ends; a round that delivers to none settles them as refused.
        batch = result
            .over_recipient_limit()
            .iter()
            .map(|r| r.address.clone())
            .collect();
        let settled = result
            .recipients
            .into_iter()
            .filter(|r| !batch.contains(&r.address));
        attempt.results.extend(settled);
    }
    Ok(())
}

/// The trouble of a session error; notes a connection-level failure.
fn failed(
    attempt: &mut Attempt,
    error: &smtp::Error,
    verification: Option<&tls::VerificationOutcome>,
) -> Trouble {
    attempt.record.connection_failure = ConnectionFailure::of(error);
    Trouble::from_smtp(error, verification)
}

/// Records what MTA-STS `testing` would have refused on this session.
fn record_testing(
    host: &HostPlan,
    seen: Seen<'_>,
    options: &DeliveryOptions,
    attempt: &mut Attempt,
) {
    if let Some(testing) = &host.sts_testing {
        attempt.record.sts_testing_failure = sts_testing::would_be_failure(testing, seen, options);
    }
}

/// The SNI name: the TLSA base domain for DANE (RFC 7672 §8.1), the MX
/// host name otherwise; without the trailing dot.
fn server_name(host: &HostPlan) -> Result<ServerName<'static>, Trouble> {
    let name = match &host.requirement {
        Requirement::Dane { base_domain, .. } => base_domain.to_string(),
        _ => host.name.to_string(),
    };
    let name = name.trim_end_matches('.').to_owned();
    // A name DNS allows but TLS does not (a label ending in a hyphen, say)
    // is this host's problem: move on to the next one, never bounce.
    ServerName::try_from(name.clone()).map_err(|e| {
        Trouble::with_detail(
            Cause::LocalSoftware,
            format!("{name} cannot be sent as a TLS server name: {e}"),
        )
    })
}
