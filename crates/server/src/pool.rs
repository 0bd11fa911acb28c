//! Outbound pool routing (DESIGN §3): the one place that decides which
//! pool a message leaves from, and why. Risk rules come first — a sender's
//! own pool never takes a risky message out of `high-risk` or `relay` —
//! then the pool given to the sender's address or domain, then `normal`.
//!
//! Messages over a sender's sending limits are blocked elsewhere, never
//! moved to a pool.

use std::fmt;

use dns::{DnsError, Resolver};
use queue::MessageMeta;
use tracing::debug;

use crate::config::{HIGH_RISK, NORMAL, Pools, RELAY};
use crate::shared::Shared;

/// Where a message comes from, as far as routing cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Received from a client for our own domains, or a bounce to one of
    /// our SRS addresses sent back.
    Received,
    /// Received from a client we relay for, to other domains; `validated`:
    /// its sender is in one of our domains (or SPF or its domain's DKIM
    /// passed on arrival).
    Relayed {
        /// Whether the sender could be validated.
        validated: bool,
    },
    /// A non-delivery report, DSN or delay notice we generated.
    Notice,
    /// A report we generated (TLS-RPT).
    Report,
    /// Forwarded by one of our aliases or forwarding rules; `validated`:
    /// its original sender was validated on arrival (accepted domain, SPF
    /// pass, or DKIM pass of the sender's domain), so it is sent with an
    /// SRS sender instead.
    Forwarded {
        /// Whether the original sender could be validated.
        validated: bool,
        /// Whether its sender was rewritten with SRS (`[srs]` configured).
        rewritten: bool,
    },
}

/// Whether the sender's domain can receive mail back (RFC 5321 §5.1: MX,
/// else A/AAAA), looked up at acceptance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SenderDomain {
    /// It has an MX or an address record.
    Resolves,
    /// It has neither (NXDOMAIN or no data for MX, A and AAAA).
    Unresolvable,
    /// Not looked up (null sender, no domain) or the lookup failed.
    Unknown,
}

/// What routing knows of a message.
#[derive(Debug, Clone)]
pub(crate) struct Facts<'a> {
    /// The envelope sender; empty for `<>`.
    pub sender: &'a str,
    /// Where it comes from.
    pub origin: Origin,
    /// A spam filter gave it a spam verdict.
    pub spam: bool,
    /// The state of the sender's domain.
    pub sender_domain: SenderDomain,
}

/// Why a pool was chosen: what the trace says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reason {
    /// A notice we generated.
    Notice,
    /// The spam filter's verdict.
    Spam,
    /// The sender's domain has neither A/AAAA nor MX.
    SenderDomainUnresolvable(String),
    /// Forwarded, and the original sender could not be validated.
    UnvalidatedForward,
    /// Forwarded with its sender kept, since no SRS is configured.
    ForwardWithoutSrs,
    /// Relayed, and the sender could not be validated.
    UnvalidatedRelay,
    /// A report we generated.
    Report,
    /// The pool given to this sender address.
    SenderAssigned(String),
    /// The pool given to the sender's domain.
    DomainAssigned(String),
    /// No rule applied.
    Default,
    /// No pool: the sender went over a sending limit and the message was
    /// refused (DESIGN §3: blocked, not moved to a pool).
    Blocked(String),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Notice => f.write_str("a notice (NDR, DSN or delay) we generated"),
            Reason::Spam => f.write_str("spam verdict"),
            Reason::SenderDomainUnresolvable(d) => {
                write!(f, "sender domain {d} has neither A/AAAA nor MX")
            }
            Reason::UnvalidatedForward => f.write_str(
                "forwarded; the original sender could not be validated (not ours, no SPF or DKIM pass)",
            ),
            Reason::ForwardWithoutSrs => {
                f.write_str("forwarded with the original sender kept ([srs] not configured)")
            }
            Reason::UnvalidatedRelay => f.write_str(
                "relayed; the sender could not be validated (not ours, no SPF or DKIM pass)",
            ),
            Reason::Report => f.write_str("a report we generated"),
            Reason::SenderAssigned(s) => write!(f, "pool given to sender {s}"),
            Reason::DomainAssigned(d) => write!(f, "pool given to sender domain {d}"),
            Reason::Default => f.write_str("no rule applied"),
            Reason::Blocked(why) => write!(f, "none: blocked, {why}"),
        }
    }
}

/// The chosen pool and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Route {
    /// The pool's name.
    pub pool: String,
    /// Why.
    pub reason: Reason,
}

impl Route {
    /// No pool, for a message refused for a sending limit.
    pub(crate) fn blocked(why: String) -> Route {
        Route {
            pool: String::new(),
            reason: Reason::Blocked(why),
        }
    }

    /// Writes the choice into the message's metadata (and so its trace).
    pub(crate) fn record(self, meta: &mut MessageMeta) {
        meta.pool = self.pool;
        meta.pool_reason = self.reason.to_string();
    }
}

/// Chooses the pool of a message.
pub(crate) fn route(pools: &Pools, facts: &Facts<'_>) -> Route {
    let to = |pool: &str, reason| Route {
        pool: pool.to_owned(),
        reason,
    };
    if facts.origin == Origin::Notice {
        return to(HIGH_RISK, Reason::Notice);
    }
    if facts.spam {
        return to(HIGH_RISK, Reason::Spam);
    }
    let sender = facts.sender.to_ascii_lowercase();
    let domain = sender.rsplit_once('@').map(|(_, d)| d.to_owned());
    if facts.sender_domain == SenderDomain::Unresolvable {
        return to(
            HIGH_RISK,
            Reason::SenderDomainUnresolvable(domain.clone().unwrap_or_default()),
        );
    }
    if let Origin::Forwarded {
        validated,
        rewritten,
    } = facts.origin
    {
        if !validated {
            return to(RELAY, Reason::UnvalidatedForward);
        }
        if !rewritten {
            return to(RELAY, Reason::ForwardWithoutSrs);
        }
    }
    if facts.origin == (Origin::Relayed { validated: false }) {
        return to(RELAY, Reason::UnvalidatedRelay);
    }
    if facts.origin == Origin::Report {
        return to(NORMAL, Reason::Report);
    }
    if let Some(pool) = pools.assigned(&sender) {
        return to(pool, Reason::SenderAssigned(sender.clone()));
    }
    if let Some(domain) = domain
        && let Some(pool) = pools.assigned(&domain)
    {
        return to(pool, Reason::DomainAssigned(domain));
    }
    to(NORMAL, Reason::Default)
}

/// Whether the domain of `sender` has an MX or an address record, looked
/// up through the shared resolver and its cache; one of our accepted
/// domains is taken as it is configured. A failed lookup is `Unknown`: a
/// resolver's trouble is no evidence against the sender.
pub(crate) async fn sender_domain(shared: &Shared, sender: &str) -> SenderDomain {
    let Some((_, domain)) = sender.rsplit_once('@') else {
        return SenderDomain::Unknown;
    };
    if shared.config.accepts(domain) {
        return SenderDomain::Resolves;
    }
    let resolver = &shared.resolver;
    let Ok(name) = Resolver::parse_name(domain) else {
        return SenderDomain::Unresolvable;
    };
    let (mx, addresses) = tokio::join!(
        resolver.lookup(&name, dns::RecordType::MX),
        resolver.addresses(&name)
    );
    let found = |answer: Result<bool, DnsError>| match answer {
        Ok(true) => Some(true),
        Ok(false) => Some(false),
        Err(e) => {
            debug!(domain, error = %e, "sender domain lookup failed");
            None
        }
    };
    let mx = found(mx.map(|l| !l.records.is_empty()));
    let addresses = found(addresses.map(|l| !l.records.is_empty()));
    match (mx, addresses) {
        (Some(true), _) | (_, Some(true)) => SenderDomain::Resolves,
        (Some(false), Some(false)) => SenderDomain::Unresolvable,
        _ => SenderDomain::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::Config;

    fn pools() -> Pools {
        Config::parse(
            "[pools.bulk]\nsenders = [\"news.example\"]\n[pools.vip]\nsenders = [\"ceo@news.example\"]\n",
            Path::new("t.toml"),
        )
        .unwrap()
        .pools
    }

    fn facts(sender: &str) -> Facts<'_> {
        Facts {
            sender,
            origin: Origin::Received,
            spam: false,
            sender_domain: SenderDomain::Resolves,
        }
    }

    #[test]
    fn risk_rules_come_before_a_senders_own_pool() {
        let pools = pools();
        let route = |f: Facts<'_>| route(&pools, &f).pool;
        assert_eq!(route(facts("a@other.example")), NORMAL);
        assert_eq!(route(facts("a@News.Example")), "bulk");
        assert_eq!(route(facts("CEO@news.example")), "vip");
        assert_eq!(
            route(Facts {
                spam: true,
                ..facts("a@news.example")
            }),
            HIGH_RISK
        );
        assert_eq!(
            route(Facts {
                sender_domain: SenderDomain::Unresolvable,
                ..facts("a@news.example")
            }),
            HIGH_RISK
        );
        assert_eq!(
            route(Facts {
                origin: Origin::Notice,
                ..facts("")
            }),
            HIGH_RISK
        );
        assert_eq!(
            route(Facts {
                origin: Origin::Forwarded {
                    validated: false,
                    rewritten: false,
                },
                ..facts("a@news.example")
            }),
            RELAY
        );
        assert_eq!(
            route(Facts {
                origin: Origin::Forwarded {
                    validated: true,
                    rewritten: true,
                },
                ..facts("a@news.example")
            }),
            "bulk"
        );
        assert_eq!(
            route(Facts {
                origin: Origin::Forwarded {
                    validated: true,
                    rewritten: false,
                },
                ..facts("a@news.example")
            }),
            RELAY
        );
    }
}
