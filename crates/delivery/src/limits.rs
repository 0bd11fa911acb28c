//! What one delivery attempt may cost: a deadline for the attempt and for
//! each connection, a minimum data rate, and how many addresses and
//! sessions it may use. Each step's RFC 5321 limit holds on its own, but
//! they add up: without these a server that answers each step just before
//! its limit holds a recipient for most of an hour, and a domain with 50 MX
//! hosts that never greet holds it for hours.

use std::num::NonZeroU32;
use std::time::Duration;

use policy::{AttemptLimit, Cause, Trouble};
use tokio::time::Instant;

use crate::report::HostAttempt;

const MINUTE: Duration = Duration::from_secs(60);

/// The limits of one delivery attempt. The defaults follow Postfix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptLimits {
    /// The whole attempt, every host and address of the plan: hosts left
    /// when it passes are not tried, and a connection under way is cut.
    /// Default 30 minutes: five addresses that never greet (5 × 5 minutes,
    /// RFC 5321 §4.5.3.2.1) fit in it.
    pub attempt: Duration,
    /// One connection, from connecting to QUIT. Default 15 minutes: the
    /// 10 minutes RFC 5321 §4.5.3.2.6 grants the reply to the final dot,
    /// and the rest of a session that goes at a normal pace.
    pub connection: Duration,
    /// The slowest the server may take the message data, in octets per
    /// second, beyond the data block limit (Postfix `smtp_min_data_rate`,
    /// default 500). `None`: the per-block limit only.
    pub min_data_rate: Option<NonZeroU32>,
    /// Addresses connected to per attempt, over all hosts (Postfix
    /// `smtp_mx_address_limit`, default 5). Addresses skipped because they
    /// failed recently do not count.
    pub addresses: usize,
    /// SMTP sessions per attempt: connections that got through the greeting,
    /// EHLO and the TLS handshake, whatever happened next (Postfix
    /// `smtp_mx_session_limit`, default 2).
    pub sessions: usize,
}

impl Default for AttemptLimits {
    fn default() -> Self {
        Self {
            attempt: 30 * MINUTE,
            connection: 15 * MINUTE,
            min_data_rate: NonZeroU32::new(500),
            addresses: 5,
            sessions: 2,
        }
    }
}

/// What an attempt has spent so far.
pub(crate) struct Budget {
    limits: AttemptLimits,
    deadline: Instant,
    addresses: usize,
    sessions: usize,
}

/// When a connection must end, and which limit that is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    pub(crate) at: Instant,
    pub(crate) limit: AttemptLimit,
    /// The configured length of that limit, for the diagnostic.
    pub(crate) length: Duration,
}

impl Deadline {
    /// The deadline of a connection opened now, alone (a dry run).
    pub(crate) fn connection(limits: &AttemptLimits) -> Self {
        Self {
            at: Instant::now() + limits.connection,
            limit: AttemptLimit::ConnectionDeadline,
            length: limits.connection,
        }
    }

    /// Names the limit that cut a connection, and its length: the
    /// attempt's deadline when that was the one that passed.
    pub(crate) fn name(&self, trouble: Trouble) -> Trouble {
        match trouble.cause {
            Cause::LimitReached {
                limit: AttemptLimit::ConnectionDeadline,
            } => {
                let which = match self.limit {
                    AttemptLimit::AttemptDeadline => "the attempt's deadline",
                    _ => "the connection's deadline",
                };
                let named = format!("{which} of {} passed", smtp::duration(self.length));
                Trouble {
                    cause: Cause::LimitReached { limit: self.limit },
                    detail: Some(match trouble.detail {
                        Some(seen) => format!("{named} ({seen})"),
                        None => named,
                    }),
                }
            }
            _ => trouble,
        }
    }
}

impl Budget {
    /// An attempt starting now.
    pub(crate) fn start(limits: AttemptLimits) -> Self {
        Self {
            limits,
            deadline: Instant::now() + limits.attempt,
            addresses: 0,
            sessions: 0,
        }
    }

    /// Why no further address may be tried, if none may: the trouble names
    /// the limit and what was seen last.
    pub(crate) fn spent(&self, last: Option<&Trouble>) -> Option<Trouble> {
        let (limit, what) = if Instant::now() >= self.deadline {
            (
                AttemptLimit::AttemptDeadline,
                format!(
                    "the attempt's deadline of {} passed",
                    smtp::duration(self.limits.attempt)
                ),
            )
        } else if self.addresses >= self.limits.addresses {
            (
                AttemptLimit::Addresses,
                format!("{} addresses tried, the limit per attempt", self.addresses),
            )
        } else if self.sessions >= self.limits.sessions {
            (
                AttemptLimit::Sessions,
                format!("{} SMTP sessions had, the limit per attempt", self.sessions),
            )
        } else {
            return None;
        };
        let detail = match last {
            Some(last) => format!("{what}; the others were not tried; last: {last}"),
            None => format!("{what}; the others were not tried"),
        };
        Some(Trouble::with_detail(Cause::LimitReached { limit }, detail))
    }

    /// The deadline of a connection opened now.
    pub(crate) fn connection(&self) -> Deadline {
        let own = Instant::now() + self.limits.connection;
        if own < self.deadline {
            Deadline {
                at: own,
                limit: AttemptLimit::ConnectionDeadline,
                length: self.limits.connection,
            }
        } else {
            Deadline {
                at: self.deadline,
                limit: AttemptLimit::AttemptDeadline,
                length: self.limits.attempt,
            }
        }
    }

    /// Counts a connection made: a new address unless it is the plaintext
    /// retry of the last one, and a session if it got through EHLO (and
    /// TLS).
    pub(crate) fn count(&mut self, attempt: &HostAttempt) {
        if !attempt.plaintext_retry {
            self.addresses += 1;
        }
        let had_session = attempt
            .session
            .as_ref()
            .is_some_and(|s| s.capabilities.is_some());
        if had_session {
            self.sessions += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_postfix_like() {
        let limits = AttemptLimits::default();
        assert_eq!(limits.addresses, 5);
        assert_eq!(limits.sessions, 2);
        assert_eq!(limits.min_data_rate.map(NonZeroU32::get), Some(500));
        assert!(limits.connection > smtp::Timeouts::default().data_termination);
        assert!(limits.attempt >= 5 * smtp::Timeouts::default().greeting);
    }

    #[test]
    fn the_earlier_deadline_binds_and_is_named() {
        let limits = AttemptLimits {
            attempt: Duration::from_secs(1),
            connection: Duration::from_secs(60),
            ..AttemptLimits::default()
        };
        let deadline = Budget::start(limits).connection();
        assert_eq!(deadline.limit, AttemptLimit::AttemptDeadline);
        let cut = Trouble::new(Cause::LimitReached {
            limit: AttemptLimit::ConnectionDeadline,
        });
        let named = deadline.name(cut);
        assert_eq!(
            named.cause,
            Cause::LimitReached {
                limit: AttemptLimit::AttemptDeadline
            }
        );
        assert_eq!(
            named.detail.as_deref(),
            Some("the attempt's deadline of 1s passed")
        );
    }

    #[test]
    fn no_address_may_be_tried_once_the_limit_is_spent() {
        let limits = AttemptLimits {
            addresses: 0,
            ..AttemptLimits::default()
        };
        let spent = Budget::start(limits).spent(None).expect("spent");
        assert_eq!(
            spent.cause,
            Cause::LimitReached {
                limit: AttemptLimit::Addresses
            }
        );
        assert!(spent.is_temporary());
        assert!(
            Budget::start(AttemptLimits::default())
                .spent(None)
                .is_none()
        );
    }
}
