//! DMARC (RFC 7489): does the author's domain stand behind this message?
//!
//! The record grammar is mail-auth's; the lookup of §6.6.3 (the author
//! domain, then its organizational domain from the Public Suffix List via
//! the `psl` crate), identifier alignment (§3.1) and the `pct` sampling of
//! §6.6.4 are here, because mail-auth follows the DMARCbis tree walk and
//! has no `pct`.

use mail_auth::common::parse::TxtRecordParser;
use mail_auth::dmarc::{Alignment, Dmarc, Policy as MaPolicy};
use serde::Serialize;

use crate::dkim::{DkimResult, DkimVerdict};
use crate::spf::{SpfResult, SpfVerdict};

/// The result of DMARC evaluation (RFC 8601 §2.7.4).
#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DmarcResult {
    /// No policy published (or no single author domain to look it up for).
    None,
    /// An aligned identifier passed.
    Pass,
    /// No aligned identifier passed.
    Fail,
    /// The policy could not be fetched for now.
    TempError,
    /// The policy or the From header cannot be used.
    PermError,
}

impl DmarcResult {
    /// The result name used in `Authentication-Results`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::TempError => "temperror",
            Self::PermError => "permerror",
        }
    }
}

/// A Domain Owner's requested handling (RFC 7489 §6.3 `p`/`sp`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    /// Deliver as usual.
    None,
    /// Treat as suspicious.
    Quarantine,
    /// Refuse.
    Reject,
}

impl Policy {
    /// The tag value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Quarantine => "quarantine",
            Self::Reject => "reject",
        }
    }

    /// The next less strict policy, for messages `pct` leaves out (§6.6.4).
    fn softer(self) -> Self {
        match self {
            Self::Reject => Self::Quarantine,
            Self::Quarantine | Self::None => Self::None,
        }
    }
}

/// What DMARC concluded for one message.
#[must_use]
#[derive(Clone, Debug, Serialize)]
pub struct DmarcVerdict {
    /// The result.
    pub result: DmarcResult,
    /// The RFC5322.From domain.
    pub from_domain: String,
    /// The domain whose `_dmarc` record applied.
    pub policy_domain: Option<String>,
    /// The published policy that applies (`p`, or `sp` for a subdomain).
    pub policy: Option<Policy>,
    /// What the policy asks for this message: the policy on `fail`, softened
    /// when `pct` leaves the message out; `none` on `pass`.
    pub disposition: Policy,
    /// SPF passed for a domain aligned with the author domain.
    pub spf_aligned: bool,
    /// A DKIM signature passed for a domain aligned with the author domain.
    pub dkim_aligned: bool,
    /// Why the result is not `pass`, in words.
    pub problem: Option<String>,
}

/// The organizational domain of `domain` (RFC 7489 §3.2): its registrable
/// domain under the Public Suffix List, or the name itself when it is a
/// public suffix or unknown.
pub fn organizational_domain(domain: &str) -> String {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    psl::domain_str(&domain).unwrap_or(&domain).to_owned()
}

/// Identifier alignment (RFC 7489 §3.1): strict wants the same name,
/// relaxed the same organizational domain.
pub fn aligned(author: &str, other: &str, strict: bool) -> bool {
    let a = author.trim_end_matches('.').to_ascii_lowercase();
    let o = other.trim_end_matches('.').to_ascii_lowercase();
    if strict {
        a == o
    } else {
        organizational_domain(&a) == organizational_domain(&o)
    }
}

/// The author domain of a message: the domain of its single From address
/// (RFC 7489 §6.6.1). `Err` says why there is none.
pub fn author_domain(message: &[u8]) -> Result<String, String> {
    let parsed = mail_auth::AuthenticatedMessage::parse(message)
        .ok_or_else(|| "the message does not parse".to_owned())?;
    let mut domains: Vec<String> = parsed
        .from
        .iter()
        .filter_map(|a| a.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase()))
        .collect();
    domains.dedup();
    match domains.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err("no From address with a domain".into()),
        _ => Err("From names more than one domain".into()),
    }
}

/// The `pct` sample of a message (RFC 7489 §6.6.4): 0 to 99, from a hash
/// of its content, so a retried message (or the same file checked again)
/// is sampled the same way.
pub fn roll(data: &[u8]) -> u8 {
    let hash = data.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    });
    (hash % 100) as u8
}

/// Evaluates DMARC for a message from `from_domain` with its SPF (MAIL
/// FROM) and DKIM results. `roll` is a number in 0..100 drawn for this
/// message: it is sampled in when below the record's `pct` (§6.6.4).
pub async fn evaluate(
    resolver: &dns::Resolver,
    from_domain: &str,
    spf: &SpfVerdict,
    dkim: &[DkimVerdict],
    roll: u8,
) -> DmarcVerdict {
    let from_domain = from_domain.trim_end_matches('.').to_ascii_lowercase();
    let mut verdict = DmarcVerdict {
        result: DmarcResult::None,
        from_domain: from_domain.clone(),
        policy_domain: None,
        policy: None,
        disposition: Policy::None,
        spf_aligned: false,
        dkim_aligned: false,
        problem: None,
    };
    let org = organizational_domain(&from_domain);
    let mut found = lookup(resolver, &from_domain).await;
    let mut at_org = false;
    if matches!(found, Ok(None)) && org != from_domain {
        found = lookup(resolver, &org).await;
        at_org = true;
    }
    let (record, raw) = match found {
        Ok(Some(found)) => found,
        Ok(None) => {
            verdict.problem = Some(if org == from_domain {
                format!("no DMARC record for {from_domain}")
            } else {
                format!("no DMARC record for {from_domain} or its organizational domain {org}")
            });
            return verdict;
        }
        Err(Lookup::Temp(why)) => {
            verdict.result = DmarcResult::TempError;
            verdict.problem = Some(why);
            return verdict;
        }
        Err(Lookup::Perm(why)) => {
            verdict.result = DmarcResult::PermError;
            verdict.problem = Some(why);
            return verdict;
        }
    };
    let policy_domain = if at_org {
        org.clone()
    } else {
        from_domain.clone()
    };
    let published = if at_org { record.sp } else { record.p };
    let policy = match published {
        MaPolicy::Reject => Policy::Reject,
        MaPolicy::Quarantine => Policy::Quarantine,
        MaPolicy::None | MaPolicy::Unspecified => Policy::None,
    };
    verdict.policy_domain = Some(policy_domain);
    verdict.policy = Some(policy);
    verdict.spf_aligned = spf.result == SpfResult::Pass
        && aligned(&from_domain, &spf.domain, record.aspf == Alignment::Strict);
    verdict.dkim_aligned = dkim.iter().any(|d| {
        d.result == DkimResult::Pass
            && aligned(&from_domain, &d.domain, record.adkim == Alignment::Strict)
    });
    if verdict.spf_aligned || verdict.dkim_aligned {
        verdict.result = DmarcResult::Pass;
        return verdict;
    }
    verdict.result = DmarcResult::Fail;
    verdict.problem = Some("neither SPF nor DKIM passed for an aligned domain".into());
    let pct = percent(&raw);
    verdict.disposition = if u32::from(roll) < pct {
        policy
    } else {
        policy.softer()
    };
    verdict
}

/// Why a `_dmarc` record could not be used.
pub(crate) enum Lookup {
    /// For now: DNS failed or answered bogus.
    Temp(String),
    /// For good: the record does not parse.
    Perm(String),
}

/// The DMARC record at `_dmarc.<domain>` (RFC 7489 §6.1), with its text.
/// Records that do not start with `v=DMARC1` are ignored; more than one
/// means no policy (§6.6.3).
pub(crate) async fn lookup(
    resolver: &dns::Resolver,
    domain: &str,
) -> Result<Option<(Dmarc, String)>, Lookup> {
    let name = dns::Resolver::parse_name(&format!("_dmarc.{domain}"))
        .map_err(|e| Lookup::Perm(e.to_string()))?;
    let answer = resolver
        .txt(&name)
        .await
        .map_err(|e| Lookup::Temp(e.to_string()))?;
    if answer.status == dns::DnssecStatus::Bogus {
        return Err(Lookup::Temp(format!(
            "_dmarc.{domain} TXT: DNSSEC-bogus answer"
        )));
    }
    let texts: Vec<String> = answer
        .records
        .iter()
        .map(dns::Txt::joined)
        .filter(|t| starts_with_version(t))
        .collect();
    match texts.as_slice() {
        [] => Ok(None),
        [one] => match Dmarc::parse(one.as_bytes()) {
            Ok(record) => Ok(Some((record, one.clone()))),
            Err(e) => Err(Lookup::Perm(format!(
                "the DMARC record of {domain} does not parse: {e}"
            ))),
        },
        _ => Ok(None),
    }
}

/// Whether a TXT record's text starts with `v=DMARC1` (RFC 7489 §6.4,
/// case-insensitive), compared as bytes: the text may hold any bytes,
/// non-ASCII ones included, and is never cut inside a character.
pub(crate) fn starts_with_version(text: &str) -> bool {
    text.trim_start()
        .as_bytes()
        .get(..8)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"v=DMARC1"))
}

/// The `pct` tag (RFC 7489 §6.3): 0 to 100, 100 when absent or invalid.
fn percent(record: &str) -> u32 {
    record
        .split(';')
        .filter_map(|tag| tag.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("pct"))
        .and_then(|(_, value)| value.trim().parse::<u32>().ok())
        .filter(|p| *p <= 100)
        .unwrap_or(100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organizational_domains_follow_the_public_suffix_list() {
        assert_eq!(organizational_domain("mail.example.com"), "example.com");
        assert_eq!(organizational_domain("a.b.example.co.uk"), "example.co.uk");
        assert_eq!(organizational_domain("example.co.uk."), "example.co.uk");
        // A private-section suffix: each customer is its own organization.
        assert_eq!(organizational_domain("alice.github.io"), "alice.github.io");
        // A public suffix alone has no organizational domain above it.
        assert_eq!(organizational_domain("co.uk"), "co.uk");
    }

    #[test]
    fn relaxed_alignment_accepts_subdomains_and_strict_does_not() {
        assert!(aligned("example.com", "mail.example.com", false));
        assert!(!aligned("example.com", "mail.example.com", true));
        assert!(aligned("Example.COM", "example.com.", true));
        assert!(!aligned("example.com", "example.net", false));
        assert!(!aligned("alice.github.io", "bob.github.io", false));
        assert!(!aligned("example.co.uk", "other.co.uk", false));
    }

    #[test]
    fn pct_defaults_to_100_and_ignores_nonsense() {
        assert_eq!(percent("v=DMARC1; p=reject"), 100);
        assert_eq!(percent("v=DMARC1; p=reject; pct=20"), 20);
        assert_eq!(percent("v=DMARC1; p=reject; pct=200"), 100);
        assert_eq!(percent("v=DMARC1; p=reject; PCT = 0"), 0);
    }

    #[test]
    fn the_version_tag_is_read_as_bytes() {
        assert!(starts_with_version("v=DMARC1; p=none"));
        assert!(starts_with_version("  V=dmarc1;p=reject"));
        assert!(!starts_with_version("v=DMARC"));
        // U+FFFD (three bytes) across byte 8: no panic, no match.
        assert!(!starts_with_version("v=DMAR\u{fffd}C1"));
        assert!(!starts_with_version("v=DMARC\u{fffd}"));
    }

    #[test]
    fn softer_policies() {
        assert_eq!(Policy::Reject.softer(), Policy::Quarantine);
        assert_eq!(Policy::Quarantine.softer(), Policy::None);
    }
}
