//! One connection: connect, EHLO, STARTTLS as the plan requires, the
//! transaction, QUIT.

use std::net::SocketAddr;

use policy::{Cause, HostPlan, Requirement, Trouble};
use smtp::{Client, ClientOptions, Envelope, MailOptions, Recipient, RecipientResult};
use tls::pki_types::ServerName;

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
}

/// Runs one session with `host` at `address`, ending it by `deadline`.
pub(crate) async fn run(
    host: &HostPlan,
    address: SocketAddr,
    work: &Work<'_>,
    options: &DeliveryOptions,
    plaintext_retry: bool,
    deadline: Deadline,
) -> Attempt {
    let mut attempt = Attempt {
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
        },
        results: Vec::new(),
        opportunistic_tls_failed: false,
    };
    let client_options = ClientOptions {
        source: options.source,
        timeouts: options.timeouts,
        deadline: Some(deadline.at),
        min_data_rate: options.limits.min_data_rate,
        ..ClientOptions::default()
    };
    let mut client = match Client::connect(address, client_options).await {
        Ok(client) => client,
        Err(e) => {
            let trouble = failed(&mut attempt, &e, None);
            attempt.record.trouble = Some(deadline.name(trouble));
            return attempt;
        }
    };
    let outcome = session(
        &mut client,
        host,
        work,
        options,
        plaintext_retry,
        &mut attempt,
    )
    .await;
    attempt.record.trouble = outcome.err().map(|trouble| deadline.name(trouble));
    attempt.record.delivered = attempt
        .results
        .iter()
        .filter(|r| r.status == smtp::RecipientStatus::Accepted)
        .map(|r| r.address.clone())
        .collect();
    if client.is_usable() {
        // The transaction is settled; a failed QUIT changes nothing.
        let _ = client.quit().await;
    }
    attempt.record.session = Some(client.into_record());
    attempt
}

/// The session after the greeting; the recipients' results go into
/// `attempt.results` as each transaction settles them.
async fn session(
    client: &mut Client,
    host: &HostPlan,
    work: &Work<'_>,
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
    let Work::Deliver { message, pending } = work else {
        return Ok(());
    };
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
