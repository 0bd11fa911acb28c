//! Sending limits (DESIGN §3): what each authenticated user and each
//! sender domain has sent, counted in the store so that every node sharing
//! it sees the same counts, and who is blocked for going over.
//!
//! Counts are kept per subject and per minute (schema version 6 for
//! SQLite, 5 for PostgreSQL): messages per minute read the current
//! minute, recipients per hour the last 60 minutes, recipients per day the
//! last 1,440. A subject that would go over a limit is blocked, and stays
//! blocked until an administrator releases it (`sealane limits release`);
//! its counts start again from zero then. Checking and counting is one
//! transaction per message, serialised per subject, so two nodes never
//! both let through the message that crosses a limit.

use std::fmt;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

/// Minutes of counts kept: the longest window (a day).
pub(crate) const DAY_MINUTES: i64 = 24 * 60;

/// Whose sending is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SubjectKind {
    /// A user who authenticated (SMTP AUTH).
    User,
    /// The domain of the envelope sender.
    Domain,
}

impl SubjectKind {
    /// The name stored and printed: `user` or `domain`.
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::User => "user",
            SubjectKind::Domain => "domain",
        }
    }

    pub(crate) fn parse(stored: &str) -> Option<SubjectKind> {
        match stored {
            "user" => Some(SubjectKind::User),
            "domain" => Some(SubjectKind::Domain),
            _ => None,
        }
    }
}

/// One user or sender domain whose sending is counted.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Subject {
    /// User or domain.
    pub kind: SubjectKind,
    /// The user's name as it authenticated, or the domain, lowercased.
    pub name: String,
}

impl Subject {
    /// An authenticated user, named as it logged in.
    pub fn user(name: &str) -> Subject {
        Subject {
            kind: SubjectKind::User,
            name: name.to_owned(),
        }
    }

    /// A sender domain (lowercased, without a final dot).
    pub fn domain(name: &str) -> Subject {
        Subject {
            kind: SubjectKind::Domain,
            name: name.trim_end_matches('.').to_ascii_lowercase(),
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.as_str(), self.name)
    }
}

/// One of the limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LimitKind {
    /// Recipients in the last 60 minutes.
    RecipientsPerHour,
    /// Recipients in the last 24 hours.
    RecipientsPerDay,
    /// Messages in the current minute.
    MessagesPerMinute,
}

impl LimitKind {
    /// The stored name (`recipients-per-hour`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            LimitKind::RecipientsPerHour => "recipients-per-hour",
            LimitKind::RecipientsPerDay => "recipients-per-day",
            LimitKind::MessagesPerMinute => "messages-per-minute",
        }
    }

    pub(crate) fn parse(stored: &str) -> Option<LimitKind> {
        [
            LimitKind::RecipientsPerHour,
            LimitKind::RecipientsPerDay,
            LimitKind::MessagesPerMinute,
        ]
        .into_iter()
        .find(|k| k.as_str() == stored)
    }
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LimitKind::RecipientsPerHour => "recipients per hour",
            LimitKind::RecipientsPerDay => "recipients per day",
            LimitKind::MessagesPerMinute => "messages per minute",
        })
    }
}

/// The limits of one subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendingLimits {
    /// Recipients in any 60 minutes.
    pub recipients_per_hour: u64,
    /// Recipients in any 24 hours.
    pub recipients_per_day: u64,
    /// Messages in one minute.
    pub messages_per_minute: u64,
}

/// What a subject has sent, in each window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SendingCounts {
    /// Messages in the current minute.
    pub messages_this_minute: u64,
    /// Recipients in the last 60 minutes.
    pub recipients_last_hour: u64,
    /// Recipients in the last 24 hours.
    pub recipients_last_day: u64,
}

impl SendingLimits {
    /// The first limit that one more message to `recipients` would take
    /// past, with the count it would reach and the limit.
    pub fn exceeded(
        &self,
        counts: &SendingCounts,
        recipients: u64,
    ) -> Option<(LimitKind, u64, u64)> {
        let checks = [
            (
                LimitKind::MessagesPerMinute,
                counts.messages_this_minute + 1,
                self.messages_per_minute,
            ),
            (
                LimitKind::RecipientsPerHour,
                counts.recipients_last_hour + recipients,
                self.recipients_per_hour,
            ),
            (
                LimitKind::RecipientsPerDay,
                counts.recipients_last_day + recipients,
                self.recipients_per_day,
            ),
        ];
        checks
            .into_iter()
            .find(|(_, would_be, allowed)| would_be > allowed)
    }
}

/// One message to count: every subject it is counted under, with that
/// subject's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendingRequest {
    /// The subjects (an authenticated user, the sender domain), each with
    /// its limits.
    pub subjects: Vec<(Subject, SendingLimits)>,
    /// How many recipients the message has.
    pub recipients: u64,
}

/// A subject blocked for going over a limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendingBlock {
    /// Who.
    pub subject: Subject,
    /// Which limit.
    pub limit: LimitKind,
    /// The limit's value.
    pub allowed: u64,
    /// The count the refused message would have reached.
    pub count: u64,
    /// When the block began (the store's clock).
    #[serde(with = "crate::time::millis")]
    pub blocked_at: SystemTime,
}

impl fmt::Display for SendingBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} ({}) reached",
            self.limit, self.subject, self.allowed
        )
    }
}

/// What counting a message decided.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum SendingVerdict {
    /// Within every limit: the message is counted.
    Within,
    /// A subject is blocked (now, or since earlier): the message is not
    /// counted and must be refused.
    Blocked(SendingBlock),
}

/// A block read back from its stored columns.
pub(crate) fn block_from_columns(
    kind: &str,
    name: String,
    limit: &str,
    allowed: i64,
    count: i64,
    blocked_at: i64,
) -> Result<SendingBlock, crate::StoreError> {
    let damaged = |what: &str| {
        crate::columns::corrupt(
            "sending block",
            format!("unknown {what} in {kind} {name}: {limit}"),
        )
    };
    let kind = SubjectKind::parse(kind).ok_or_else(|| damaged("subject kind"))?;
    let limit = LimitKind::parse(limit).ok_or_else(|| damaged("limit"))?;
    Ok(SendingBlock {
        subject: Subject { kind, name },
        limit,
        allowed: u64::try_from(allowed).unwrap_or(0),
        count: u64::try_from(count).unwrap_or(0),
        blocked_at: crate::time::from_millis(blocked_at),
    })
}

/// The minute `now` (milliseconds) falls in.
pub(crate) fn minute_of(now: i64) -> i64 {
    now.div_euclid(60_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_limit_crossed_is_named_and_reaching_a_limit_is_allowed() {
        let limits = SendingLimits {
            recipients_per_hour: 10,
            recipients_per_day: 20,
            messages_per_minute: 3,
        };
        let mut counts = SendingCounts {
            messages_this_minute: 2,
            recipients_last_hour: 7,
            recipients_last_day: 7,
        };
        assert_eq!(limits.exceeded(&counts, 3), None);
        assert_eq!(
            limits.exceeded(&counts, 4),
            Some((LimitKind::RecipientsPerHour, 11, 10))
        );
        counts.messages_this_minute = 3;
        assert_eq!(
            limits.exceeded(&counts, 1),
            Some((LimitKind::MessagesPerMinute, 4, 3))
        );
    }
}
