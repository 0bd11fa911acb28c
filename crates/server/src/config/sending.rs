//! `[sending_limits]`: how much each authenticated user and each sender
//! domain may send (DESIGN §3), with defaults like a hosted service's and
//! overrides per user or domain.
//!
//! ```toml
//! [sending_limits.user]             # every authenticated user
//! recipients_per_day = 10000
//! [sending_limits.users."newsletter"] # one user; unset keys from [sending_limits.user]
//! recipients_per_day = 50000
//! [sending_limits.domains."example.org"]
//! messages_per_minute = 600
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use queue::SendingLimits;
use serde::Deserialize;
use toml::Spanned;

use super::error::{ConfigError, line_of};

/// Every user's limits by default: Microsoft 365's recipient rate limit
/// (10,000 recipients a day) and message rate limit (30 messages a
/// minute), and a fifth of the day in any hour, so a stolen password is
/// stopped within the hour.
pub const USER_DEFAULT: SendingLimits = SendingLimits {
    recipients_per_hour: 2_000,
    recipients_per_day: 10_000,
    messages_per_minute: 30,
};

/// Every sender domain's limits by default: ten users' worth.
pub const DOMAIN_DEFAULT: SendingLimits = SendingLimits {
    recipients_per_hour: 20_000,
    recipients_per_day: 100_000,
    messages_per_minute: 300,
};

/// `[sending_limits]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSendingLimits {
    pub user: Option<Spanned<RawLimitSet>>,
    pub domain: Option<Spanned<RawLimitSet>>,
    #[serde(default)]
    pub users: BTreeMap<String, Spanned<RawLimitSet>>,
    #[serde(default)]
    pub domains: BTreeMap<String, Spanned<RawLimitSet>>,
}

/// One set of limits as written; a key left out keeps the default.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLimitSet {
    pub recipients_per_hour: Option<u64>,
    pub recipients_per_day: Option<u64>,
    pub messages_per_minute: Option<u64>,
}

/// The sending limits as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendingLimitSettings {
    /// Every authenticated user's, unless overridden.
    pub user: SendingLimits,
    /// Every sender domain's, unless overridden.
    pub domain: SendingLimits,
    users: BTreeMap<String, SendingLimits>,
    domains: BTreeMap<String, SendingLimits>,
}

impl Default for SendingLimitSettings {
    fn default() -> Self {
        Self {
            user: USER_DEFAULT,
            domain: DOMAIN_DEFAULT,
            users: BTreeMap::new(),
            domains: BTreeMap::new(),
        }
    }
}

impl SendingLimitSettings {
    /// The limits of the user who logged in as `name`.
    pub fn for_user(&self, name: &str) -> SendingLimits {
        self.users.get(name).copied().unwrap_or(self.user)
    }

    /// The limits of sender domain `domain`.
    pub fn for_domain(&self, domain: &str) -> SendingLimits {
        self.domains
            .get(&domain.trim_end_matches('.').to_ascii_lowercase())
            .copied()
            .unwrap_or(self.domain)
    }
}

/// Validates `[sending_limits]`: every limit at least 1.
pub(super) fn parse(
    raw: RawSendingLimits,
    text: &str,
    path: &Path,
) -> Result<SendingLimitSettings, ConfigError> {
    let apply = |set: &Spanned<RawLimitSet>, key: &str, base: SendingLimits| {
        let r = set.get_ref();
        let limits = SendingLimits {
            recipients_per_hour: r.recipients_per_hour.unwrap_or(base.recipients_per_hour),
            recipients_per_day: r.recipients_per_day.unwrap_or(base.recipients_per_day),
            messages_per_minute: r.messages_per_minute.unwrap_or(base.messages_per_minute),
        };
        if limits.recipients_per_hour == 0
            || limits.recipients_per_day == 0
            || limits.messages_per_minute == 0
        {
            return Err(ConfigError::Invalid {
                path: path.to_owned(),
                key: key.to_owned(),
                line: Some(line_of(text, set.span().start)),
                reason: "every limit must be at least 1".into(),
            });
        }
        Ok(limits)
    };
    let mut settings = SendingLimitSettings::default();
    if let Some(user) = &raw.user {
        settings.user = apply(user, "sending_limits.user", USER_DEFAULT)?;
    }
    if let Some(domain) = &raw.domain {
        settings.domain = apply(domain, "sending_limits.domain", DOMAIN_DEFAULT)?;
    }
    for (name, set) in &raw.users {
        let limits = apply(set, &format!("sending_limits.users.{name}"), settings.user)?;
        settings.users.insert(name.clone(), limits);
    }
    for (name, set) in &raw.domains {
        let limits = apply(
            set,
            &format!("sending_limits.domains.{name}"),
            settings.domain,
        )?;
        settings
            .domains
            .insert(name.trim_end_matches('.').to_ascii_lowercase(), limits);
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::Config;

    #[test]
    fn overrides_keep_the_defaults_they_leave_out() {
        let config = Config::parse(
            "[sending_limits.user]\nmessages_per_minute = 10\n\
             [sending_limits.users.bulk]\nrecipients_per_day = 50000\n\
             [sending_limits.domains.\"Example.ORG\"]\nrecipients_per_hour = 5\n",
            Path::new("t.toml"),
        )
        .unwrap();
        let limits = &config.sending_limits;
        assert_eq!(limits.for_user("alice").messages_per_minute, 10);
        assert_eq!(limits.for_user("alice").recipients_per_day, 10_000);
        let bulk = limits.for_user("bulk");
        assert_eq!(
            (bulk.recipients_per_day, bulk.messages_per_minute),
            (50_000, 10)
        );
        assert_eq!(limits.for_domain("example.org.").recipients_per_hour, 5);
        assert_eq!(
            limits.for_domain("other.example").recipients_per_hour,
            20_000
        );
        let zero = Config::parse(
            "[sending_limits.user]\nrecipients_per_day = 0\n",
            Path::new("t.toml"),
        );
        assert!(zero.is_err());
    }
}
