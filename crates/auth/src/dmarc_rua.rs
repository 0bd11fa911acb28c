//! Where a Domain Owner's aggregate reports go (RFC 7489 §6.3 `rua`,
//! §7.1): the `mailto:` addresses of its `_dmarc` record, each with its
//! size limit; an address outside the Domain Owner's organizational
//! domain only when that domain says it takes reports about this one,
//! with a `v=DMARC1` record at `<policy-domain>._report._dmarc.<its
//! domain>`. Anything else is refused, with the reason, and the report is
//! not sent there.

use crate::dmarc::{Lookup, lookup, organizational_domain};

/// An address that takes the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuaDestination {
    /// The mail address.
    pub address: String,
    /// The largest report it takes, in octets (`!` size); `None` for no
    /// limit.
    pub max_size: Option<usize>,
}

/// Where the reports of one policy domain go.
#[must_use]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportDestinations {
    /// The `_dmarc` record, as published.
    pub record: String,
    /// The addresses that take the report.
    pub accepted: Vec<RuaDestination>,
    /// The addresses refused, each with why.
    pub refused: Vec<(String, String)>,
    /// The outside addresses whose authorization could not be looked up
    /// for now, each with why: left out of this report, so one failing
    /// domain does not hold back the owner's own addresses.
    pub unverified: Vec<(String, String)>,
}

/// Why no destination could be worked out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RuaError {
    /// A lookup failed for now: try again later.
    #[error("{0}")]
    Temporary(String),
    /// The domain publishes no usable DMARC record (none, several, or one
    /// that does not parse): it asks for no report.
    #[error("{0}")]
    NoRecord(String),
}

impl RuaError {
    /// Whether a later try may succeed.
    pub fn is_temporary(&self) -> bool {
        matches!(self, Self::Temporary(_))
    }
}

/// The destinations of `policy_domain`'s aggregate reports.
pub async fn report_destinations(
    resolver: &dns::Resolver,
    policy_domain: &str,
) -> Result<ReportDestinations, RuaError> {
    let (record, text) = match lookup(resolver, policy_domain).await {
        Ok(Some(found)) => found,
        Ok(None) => {
            return Err(RuaError::NoRecord(format!(
                "{policy_domain} publishes no DMARC record"
            )));
        }
        Err(Lookup::Temp(why)) => return Err(RuaError::Temporary(why)),
        Err(Lookup::Perm(why)) => return Err(RuaError::NoRecord(why)),
    };
    let mut found = ReportDestinations {
        record: text,
        accepted: Vec::new(),
        refused: Vec::new(),
        unverified: Vec::new(),
    };
    let ours = organizational_domain(policy_domain);
    for uri in record.rua() {
        let address = uri.uri().to_owned();
        let Some(domain) = mailbox_domain(&address) else {
            found.refused.push((address, "not a mail address".into()));
            continue;
        };
        let destination = RuaDestination {
            max_size: (uri.max_size() > 0).then_some(uri.max_size()),
            address: address.clone(),
        };
        if organizational_domain(&domain) == ours {
            found.accepted.push(destination);
            continue;
        }
        match authorized(resolver, policy_domain, &domain).await {
            Ok(None) => found.accepted.push(destination),
            Ok(Some(why)) => found.refused.push((address, why)),
            Err(why) => found.unverified.push((address, why.to_string())),
        }
    }
    if found.accepted.is_empty()
        && let Some((_, why)) = found.unverified.first()
    {
        return Err(RuaError::Temporary(why.clone()));
    }
    Ok(found)
}

/// The domain of `address` when it is a mailbox we can send to: a local
/// part of RFC 5321 `atext` and dots, and a domain of letters, digits,
/// hyphens and dots; lowercased, without a final dot.
fn mailbox_domain(address: &str) -> Option<String> {
    let (local, domain) = address.rsplit_once('@')?;
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c);
    let domain = domain.trim_end_matches('.');
    let labels_ok = domain.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    (!local.is_empty()
        && local.len() <= 64
        && local.chars().all(atext)
        && domain.len() <= 253
        && domain.contains('.')
        && labels_ok)
        .then(|| domain.to_ascii_lowercase())
}

/// RFC 7489 §7.1: whether `destination` takes reports about
/// `policy_domain`. `None` when it does; otherwise why not.
async fn authorized(
    resolver: &dns::Resolver,
    policy_domain: &str,
    destination: &str,
) -> Result<Option<String>, RuaError> {
    let query = format!("{policy_domain}._report._dmarc.{destination}");
    let name = match dns::Resolver::parse_name(&query) {
        Ok(name) => name,
        Err(e) => return Ok(Some(format!("{query} is not a domain name: {e}"))),
    };
    let answer = resolver
        .txt(&name)
        .await
        .map_err(|e| RuaError::Temporary(e.to_string()))?;
    if answer.status == dns::DnssecStatus::Bogus {
        return Err(RuaError::Temporary(format!(
            "{query} TXT: DNSSEC-bogus answer"
        )));
    }
    let says_yes = answer
        .records
        .iter()
        .map(dns::Txt::joined)
        .any(|t| crate::dmarc::starts_with_version(&t));
    Ok((!says_yes).then(|| {
        format!("{destination} is outside {policy_domain} and {query} does not authorize it (RFC 7489 §7.1)")
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_mailboxes_are_destinations() {
        assert_eq!(
            mailbox_domain("dmarc+agg@Reports.Example.NET."),
            Some("reports.example.net".into())
        );
        assert_eq!(mailbox_domain("a>@x.example"), None);
        assert_eq!(mailbox_domain("a b@x.example"), None);
        assert_eq!(mailbox_domain("@x.example"), None);
        assert_eq!(mailbox_domain("a@localhost"), None);
        assert_eq!(mailbox_domain("a@x..example"), None);
        assert_eq!(mailbox_domain("a@-\u{7f}.example"), None);
    }
}
