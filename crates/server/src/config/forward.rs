//! `[srs]` and `[forward]`: forwarding rules for accepted addresses (a
//! local address to one or more external ones) and the Sender Rewriting
//! Scheme their mail is sent with (DESIGN §3).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::error::{ConfigError, line_of};
use super::period::Period;

/// `[srs]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSrs {
    pub secrets: Spanned<Vec<String>>,
    pub domain: Option<String>,
    pub max_age: Option<Period>,
}

/// The Sender Rewriting Scheme as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrsSettings {
    /// The rewriter, holding the secrets (never printed): the first signs,
    /// every one verifies (key rotation).
    pub srs: auth::Srs,
    /// The domain of our SRS addresses (default: the host name); bounces
    /// to it are verified and sent back.
    pub domain: String,
}

/// Forwarding rules and SRS.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Forwarding {
    /// `[srs]`; `None`: forwarded mail keeps its sender (and takes the
    /// `relay` pool), and no bounce is taken back.
    pub srs: Option<SrsSettings>,
    /// Lowercased local address → where its mail is forwarded.
    rules: BTreeMap<String, Vec<String>>,
}

impl Forwarding {
    /// Where mail to `address` is forwarded, if a rule says so.
    pub fn targets(&self, address: &str) -> Option<&[String]> {
        self.rules
            .get(&address.to_ascii_lowercase())
            .map(Vec::as_slice)
    }
}

/// Validates `[srs]` and `[forward]`; `accepts` says whether a domain is
/// ours (a rule forwards an address we accept).
pub(super) fn parse(
    srs: Option<Spanned<RawSrs>>,
    rules: BTreeMap<String, Spanned<Vec<String>>>,
    hostname: &str,
    accepts: impl Fn(&str) -> bool,
    text: &str,
    path: &Path,
) -> Result<Forwarding, ConfigError> {
    let invalid = |key: String, offset: usize, reason: String| ConfigError::Invalid {
        path: path.to_owned(),
        key,
        line: Some(line_of(text, offset)),
        reason,
    };
    let srs = match srs {
        None => None,
        Some(raw) => {
            let offset = raw.span().start;
            let raw = raw.into_inner();
            let max_age = raw.max_age.map_or(auth::srs::DEFAULT_MAX_AGE_DAYS, |p| {
                p.0.as_secs().div_ceil(86_400)
            });
            let srs = auth::Srs::new(raw.secrets.get_ref(), max_age).map_err(|_| {
                invalid(
                    "srs.secrets".into(),
                    raw.secrets.span().start,
                    "give at least one secret, none empty: the first signs, the others still verify"
                        .into(),
                )
            })?;
            let domain = raw.domain.unwrap_or_else(|| hostname.to_owned());
            if domain.is_empty() || domain.contains(['@', ' ']) {
                return Err(invalid(
                    "srs.domain".into(),
                    offset,
                    format!("{} is not a domain", smtp::quoted(&domain)),
                ));
            }
            Some(SrsSettings {
                srs,
                domain: domain.trim_end_matches('.').to_ascii_lowercase(),
            })
        }
    };
    let mut parsed = BTreeMap::new();
    for (address, targets) in rules {
        let offset = targets.span().start;
        let key = format!("forward.\"{address}\"");
        let lower = address.to_ascii_lowercase();
        match lower.rsplit_once('@') {
            Some((local, domain)) if !local.is_empty() && accepts(domain) => {}
            _ => {
                return Err(invalid(
                    key,
                    offset,
                    format!(
                        "{} is not an address in one of our [domain] sections",
                        smtp::quoted(&address)
                    ),
                ));
            }
        }
        let targets = targets.into_inner();
        if targets.is_empty()
            || targets.iter().any(|t| {
                !t.rsplit_once('@')
                    .is_some_and(|(l, d)| !l.is_empty() && !d.is_empty())
            })
        {
            return Err(invalid(
                key,
                offset,
                "give one or more addresses to forward to".into(),
            ));
        }
        parsed.insert(lower, targets);
    }
    Ok(Forwarding { srs, rules: parsed })
}
