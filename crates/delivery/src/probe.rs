//! A dry run of delivery: every host of the plan is connected to and
//! verified exactly as [`crate::deliver`] would, and the session ends with
//! QUIT before MAIL. `sealane route` and the posture checker use it.
//!
//! The QUITs can wait: [`probe_detached`] returns the findings as soon as
//! the last certificate is judged, with the sessions still open in a
//! [`Teardown`] that the caller runs beside its other work. With
//! [`DeliveryOptions::peers`], each connection first takes a place with
//! its address and gives it up when the certificate is judged: a place is
//! never held while another is awaited, so probes cannot wait on each
//! other in a circle.

use std::net::SocketAddr;

use policy::{DeliveryPlan, Trouble};
use serde::Serialize;
use smtp::Client;
use tracing::{Instrument, debug_span};

use crate::attempt::{self, Work};
use crate::limits::Deadline;
use crate::options::DeliveryOptions;
use crate::report::HostAttempt;

/// Connects to every address of every usable host of `plan`, does
/// STARTTLS and the certificate check the plan requires, and QUITs. Each
/// connection has the deadline of [`crate::AttemptLimits::connection`];
/// the limits on addresses and sessions do not apply: every host is shown.
pub async fn probe(plan: &DeliveryPlan, options: &DeliveryOptions) -> Vec<HostAttempt> {
    let (probes, teardown) = probe_detached(plan, options).await;
    teardown.run().await;
    probes
}

/// [`probe`], returning before the QUITs: the sessions are left to the
/// [`Teardown`].
pub async fn probe_detached(
    plan: &DeliveryPlan,
    options: &DeliveryOptions,
) -> (Vec<HostAttempt>, Teardown) {
    let mut probes = Vec::new();
    let mut teardown = Teardown::default();
    for host in plan.usable_hosts() {
        for ip in &host.addresses {
            let address = SocketAddr::new(*ip, options.smtp_port);
            let place = match &options.peers {
                Some(peers) => Some(
                    peers
                        .acquire(*ip)
                        .instrument(debug_span!("peer-wait"))
                        .await,
                ),
                None => None,
            };
            // The deadline starts once the address has a place for us.
            let deadline = Deadline::connection(&options.limits);
            let mut result =
                attempt::run(host, address, &Work::Probe, options, false, deadline, None).await;
            drop(place);
            teardown.open.extend(result.open.take());
            let retry = result.opportunistic_tls_failed;
            probes.push(result.record);
            if retry {
                // As delivery would: plaintext where nothing demands TLS.
                let place = match &options.peers {
                    Some(peers) => Some(peers.acquire(*ip).await),
                    None => None,
                };
                let mut result =
                    attempt::run(host, address, &Work::Probe, options, true, deadline, None).await;
                drop(place);
                teardown.open.extend(result.open.take());
                probes.push(result.record);
            }
        }
    }
    (probes, teardown)
}

/// The sessions a dry run left open.
#[must_use = "open sessions are ended by running the teardown"]
#[derive(Default)]
pub struct Teardown {
    open: Vec<Client>,
}

impl Teardown {
    /// QUITs every session (RFC 5321 §4.1.1.10: the client waits for the
    /// reply before it closes), all at once. A failed QUIT changes nothing.
    pub async fn run(self) {
        let quits = self.open.into_iter().map(|mut client| async move {
            let _ = client.quit().await;
        });
        futures_util::future::join_all(quits)
            .instrument(debug_span!("smtp-quit"))
            .await;
    }
}

/// What would happen to a message now.
#[must_use]
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "lowercase")]
pub enum Verdict {
    /// It would go to this host.
    Deliver {
        /// The MX host.
        host: String,
        /// The address that answered.
        address: SocketAddr,
        /// How its certificate would be checked (`dane`, `web-pki`,
        /// `opportunistic`, ...) — `plaintext` when there would be no TLS.
        security: String,
    },
    /// It would wait and be retried.
    Defer {
        /// Why.
        trouble: Trouble,
    },
    /// It would be returned to the sender.
    Bounce {
        /// Why.
        trouble: Trouble,
    },
}

impl Verdict {
    /// The verdict from a plan and the probes of its hosts, in order: the
    /// first host that passed gets the message; when none did, the last
    /// trouble decides (the plan's own when no host could be tried).
    pub fn of(plan: &DeliveryPlan, probes: &[HostAttempt]) -> Self {
        if let Some(passed) = probes.iter().find(|p| p.trouble.is_none()) {
            let security = passed
                .verification
                .as_ref()
                .map(|v| v.method.as_str().to_owned())
                .unwrap_or_else(|| "plaintext".to_owned());
            return Self::Deliver {
                host: passed.host.clone(),
                address: passed.address,
                security,
            };
        }
        let trouble = probes
            .iter()
            .rev()
            .find_map(|p| p.trouble.clone())
            .or_else(|| plan.trouble())
            .unwrap_or_else(|| Trouble::new(policy::Cause::NoAddresses));
        if trouble.is_temporary() {
            Self::Defer { trouble }
        } else {
            Self::Bounce { trouble }
        }
    }
}
