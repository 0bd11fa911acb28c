//! A dry run of delivery: every host of the plan is connected to and
//! verified exactly as [`crate::deliver`] would, and the session ends with
//! QUIT before MAIL. `sealane route` and the posture checker use it.

use std::net::SocketAddr;

use policy::{DeliveryPlan, Trouble};
use serde::Serialize;

use crate::attempt::{self, Work};
use crate::limits::Deadline;
use crate::options::DeliveryOptions;
use crate::report::HostAttempt;

/// Connects to every address of every usable host of `plan`, does
/// STARTTLS and the certificate check the plan requires, and QUITs. Each
/// connection has the deadline of [`crate::AttemptLimits::connection`];
/// the limits on addresses and sessions do not apply: every host is shown.
pub async fn probe(plan: &DeliveryPlan, options: &DeliveryOptions) -> Vec<HostAttempt> {
    let mut probes = Vec::new();
    for host in plan.usable_hosts() {
        for ip in &host.addresses {
            let address = SocketAddr::new(*ip, options.smtp_port);
            let deadline = Deadline::connection(&options.limits);
            let result =
                attempt::run(host, address, &Work::Probe, options, false, deadline, None).await;
            let retry = result.opportunistic_tls_failed;
            probes.push(result.record);
            if retry {
                // As delivery would: plaintext where nothing demands TLS.
                probes.push(
                    attempt::run(host, address, &Work::Probe, options, true, deadline, None)
                        .await
                        .record,
                );
            }
        }
    }
    probes
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
