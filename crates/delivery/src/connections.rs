//! Connections kept open between messages, each under the security context
//! it was opened with.
//!
//! A connection opened under one plan carries a later message only when
//! that message's plan asks exactly the same of the same host: same
//! destination domain, MX host, address, source address and EHLO name
//! (so a connection never carries another outbound pool's mail), requirement
//! (DANE with the same usable TLSA records, MTA-STS `enforce` under the
//! same policy id, mandatory or opportunistic TLS) — so a message never
//! rides a connection verified for less than its own plan demands (a
//! competitor's connection pool shipped exactly that downgrade). A message
//! with REQUIRETLS (RFC 8689) rides only an authenticated TLS connection
//! whose server offered REQUIRETLS after the handshake.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use policy::{DeliveryPlan, HostPlan, Requirement};
use smtp::Client;
use tokio::time::Instant;

use crate::options::DeliveryOptions;
use crate::report::HostAttempt;

/// How long a connection may be reused after it was opened (Postfix
/// `smtp_connection_reuse_time_limit`, default 300 s).
const REUSE_TIME_LIMIT: Duration = Duration::from_secs(300);

/// Transactions per connection at most (Postfix's default is unlimited;
/// a bound keeps one connection from carrying a whole queue).
const REUSE_COUNT_LIMIT: u32 = 100;

/// Connections kept at once; a worker delivers to one destination, so a
/// few suffice.
const KEPT: usize = 4;

/// What a connection was opened under: everything a later message's plan
/// must match exactly to ride it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityContext {
    /// The recipient domain the plan was made for.
    pub domain: String,
    /// The MX host name.
    pub host: String,
    /// The address and port connected to.
    pub address: SocketAddr,
    /// The local address connected from.
    pub source: Option<IpAddr>,
    /// The name given in EHLO: with the source address, the outbound pool
    /// the receiver sees.
    pub ehlo: String,
    /// What the plan required of the host, TLSA records included.
    pub requirement: Requirement,
    /// The MTA-STS policy id in force for the host, when a policy applied.
    pub sts_policy_id: Option<String>,
}

impl SecurityContext {
    /// The context of a connection to `address` of `host` under `plan`,
    /// from the source address and EHLO name of `options`.
    pub fn of(
        plan: &DeliveryPlan,
        host: &HostPlan,
        address: SocketAddr,
        options: &DeliveryOptions,
    ) -> Self {
        Self {
            domain: plan.domain.to_string(),
            host: host.name.to_string(),
            address,
            source: options.source.for_remote(address.ip()),
            ehlo: options.ehlo_name.clone(),
            requirement: host.requirement.clone(),
            sts_policy_id: plan
                .sts
                .as_ref()
                .and_then(|s| s.active())
                .map(|p| p.id.clone()),
        }
    }
}

/// An open connection, idle between transactions.
struct Kept {
    context: SecurityContext,
    client: Client,
    /// The record of the session as it was secured: verification, TLS,
    /// MTA-STS `testing` findings; each reuse starts from it.
    template: HostAttempt,
    /// The session is under TLS whose certificate was authenticated (DANE
    /// or WebPKI) and the server offered REQUIRETLS after the handshake.
    requiretls: bool,
    opened: Instant,
    transactions: u32,
}

/// A connection taken for reuse: the session and the record to continue.
pub(crate) struct Reused {
    pub(crate) client: Client,
    pub(crate) template: HostAttempt,
    pub(crate) transactions: u32,
    pub(crate) opened: Instant,
}

/// Open connections between messages of one worker. [`crate::deliver`]
/// uses none; [`crate::deliver_reusing`] takes and returns them here.
/// [`Connections::close`] ends them politely (QUIT); dropping them closes
/// the sockets.
#[derive(Default)]
pub struct Connections {
    kept: Vec<Kept>,
    opened: u64,
    reused: u64,
}

impl Connections {
    /// No connection kept yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Connections opened through this set so far.
    pub fn opened(&self) -> u64 {
        self.opened
    }

    /// Transactions that rode a connection opened earlier.
    pub fn reused(&self) -> u64 {
        self.reused
    }

    /// Takes a kept connection that may carry a message wanting `context`
    /// (`require_tls`: the message carries REQUIRETLS).
    pub(crate) fn take(&mut self, context: &SecurityContext, require_tls: bool) -> Option<Reused> {
        let now = Instant::now();
        self.kept
            .retain(|k| now.duration_since(k.opened) < REUSE_TIME_LIMIT && k.client.is_usable());
        let index = self
            .kept
            .iter()
            .position(|k| k.context == *context && (!require_tls || k.requiretls))?;
        let kept = self.kept.swap_remove(index);
        self.reused += 1;
        Some(Reused {
            client: kept.client,
            template: kept.template,
            transactions: kept.transactions,
            opened: kept.opened,
        })
    }

    /// Counts a connection opened for a transaction.
    pub(crate) fn count_opened(&mut self) {
        self.opened += 1;
    }

    /// Keeps `client` for the next message wanting `context`, unless it is
    /// spent; returns it when it is not kept, to be closed.
    pub(crate) fn keep(
        &mut self,
        context: SecurityContext,
        client: Client,
        template: HostAttempt,
        transactions: u32,
        opened: Instant,
    ) -> Option<Client> {
        let spent = transactions >= REUSE_COUNT_LIMIT
            || Instant::now().duration_since(opened) >= REUSE_TIME_LIMIT
            || !client.is_idle();
        if spent {
            return Some(client);
        }
        let requiretls = client.tls().is_some()
            && client.capabilities().requiretls
            && authenticated(&context.requirement);
        self.kept.retain(|k| k.context != context);
        let evicted = if self.kept.len() >= KEPT {
            Some(self.kept.remove(0).client)
        } else {
            None
        };
        self.kept.push(Kept {
            context,
            client,
            template,
            requiretls,
            opened,
            transactions,
        });
        evicted
    }

    /// Ends every kept connection with QUIT.
    pub async fn close(&mut self) {
        for mut kept in self.kept.drain(..) {
            // The transactions are settled; a failed QUIT changes nothing.
            let _ = kept.client.quit().await;
        }
    }
}

/// Whether the requirement authenticates the server's certificate: DANE,
/// or WebPKI under an MTA-STS policy.
pub(crate) fn authenticated(requirement: &Requirement) -> bool {
    matches!(
        requirement.tls_requirement(),
        Some(tls::TlsRequirement::Dane { .. } | tls::TlsRequirement::WebPki { .. })
    )
}
