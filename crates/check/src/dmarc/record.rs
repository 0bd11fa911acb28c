//! The DMARC record grammar (RFC 7489 §6.3, §6.4):
//!
//! ```text
//! dmarc-record    = dmarc-version dmarc-sep
//!                   [dmarc-request]
//!                   [dmarc-sep dmarc-srequest]
//!                   [dmarc-sep dmarc-auri]
//!                   [dmarc-sep dmarc-furi]
//!                   [dmarc-sep dmarc-adkim]
//!                   [dmarc-sep dmarc-aspf]
//!                   [dmarc-sep dmarc-ainterval]
//!                   [dmarc-sep dmarc-fo]
//!                   [dmarc-sep dmarc-rfmt]
//!                   [dmarc-sep dmarc-percent]
//!                   [dmarc-sep]
//!                   ; components other than dmarc-version and
//!                   ; dmarc-request may appear in any order
//! dmarc-version   = "v" *WSP "=" *WSP %x44 %x4d %x41 %x52 %x43 %x31
//! dmarc-sep       = *WSP %x3b *WSP
//! dmarc-request   = "p" *WSP "=" *WSP ( "none" / "quarantine" / "reject" )
//! dmarc-srequest  = "sp" *WSP "=" *WSP ( "none" / "quarantine" / "reject" )
//! dmarc-auri      = "rua" *WSP "=" *WSP dmarc-uri *(*WSP "," *WSP dmarc-uri)
//! dmarc-furi      = "ruf" *WSP "=" *WSP dmarc-uri *(*WSP "," *WSP dmarc-uri)
//! dmarc-ainterval = "ri" *WSP "=" *WSP 1*DIGIT
//! dmarc-fo        = "fo" *WSP "=" *WSP ( "0" / "1" / "d" / "s" )
//!                   *(*WSP ":" *WSP ( "0" / "1" / "d" / "s" ))
//! dmarc-rfmt      = "rf"  *WSP "=" *WSP Keyword *(*WSP ":" Keyword)
//! dmarc-percent   = "pct" *WSP "=" *WSP 1*3DIGIT
//! dmarc-adkim     = "adkim" *WSP "=" *WSP ( "r" / "s" )
//! dmarc-aspf      = "aspf" *WSP "=" *WSP ( "r" / "s" )
//! dmarc-uri       = URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ]
//! ```
//!
//! `p` is required (§6.3) and the grammar puts it right after `v`, though
//! receivers find it anywhere; without `p` but with a valid `rua`,
//! receivers act as if `p=none` were given (§6.6.3). Unknown tags are
//! ignored (§6.3); a tag named twice invalidates the tag list (RFC 6376
//! §3.2, which DMARC's tag syntax follows). A known tag with a bad value is
//! kept as a problem and the tag's default applies.

use serde::Serialize;

use crate::uri::{self, ReportUri};

pub use super::error::DmarcError;

/// The version tag's value; case-sensitive (`%x44 %x4d ...`).
const VERSION: &str = "DMARC1";

/// `p=` / `sp=` (RFC 7489 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum RequestedPolicy {
    /// Monitoring only.
    None,
    /// Treat failing mail as suspicious.
    Quarantine,
    /// Reject failing mail.
    Reject,
}

impl RequestedPolicy {
    /// The tag value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Quarantine => "quarantine",
            Self::Reject => "reject",
        }
    }
}

/// `adkim=` / `aspf=` (RFC 7489 §3.1, §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Alignment {
    /// `r`: organizational domains must match (the default).
    Relaxed,
    /// `s`: domains must match exactly.
    Strict,
}

/// Where the record's policy comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum PolicyPlacement {
    /// `p=` right after `v=DMARC1`, as the grammar asks.
    Second,
    /// `p=` further on: receivers find it, the grammar does not allow it.
    Later,
    /// No `p=`, but a valid `rua=`: receivers act as if `p=none` were
    /// given (RFC 7489 §6.6.3).
    ImpliedByRua,
}

/// A reporting URI with its optional size limit (`!10m`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DmarcUri {
    /// The URI.
    pub uri: ReportUri,
    /// The size limit as written (`10m`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
}

/// A DMARC record that receivers would apply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DmarcRecord {
    /// `p=` (`none` when implied by `rua`, see [`Self::placement`]).
    pub policy: RequestedPolicy,
    /// Where `policy` comes from.
    pub placement: PolicyPlacement,
    /// `sp=`, if given; else subdomains get `p`.
    pub subdomain_policy: Option<RequestedPolicy>,
    /// `pct=`, if given (default 100).
    pub percent: Option<u8>,
    /// `rua=`: aggregate report destinations.
    pub rua: Vec<DmarcUri>,
    /// `ruf=`: failure report destinations.
    pub ruf: Vec<DmarcUri>,
    /// `adkim=`, if given (default relaxed).
    pub adkim: Option<Alignment>,
    /// `aspf=`, if given (default relaxed).
    pub aspf: Option<Alignment>,
    /// `fo=` options, if given (default `0`).
    pub fo: Option<Vec<String>>,
    /// `rf=` formats, if given (default `afrf`).
    pub rf: Option<Vec<String>>,
    /// `ri=` seconds, if given (default 86400).
    pub ri: Option<u32>,
    /// Tags this grammar does not know, ignored.
    pub unknown_tags: Vec<String>,
    /// Known tags whose value is bad; their default applies.
    pub problems: Vec<DmarcError>,
}

fn is_wsp(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// The `name=value` pairs of a tag list, trimmed; `Err` for a part that is
/// not one. A trailing `;` is allowed.
fn tags(text: &str) -> Result<Vec<(&str, &str)>, DmarcError> {
    let mut parts: Vec<&str> = text.split(';').map(|p| p.trim_matches(is_wsp)).collect();
    if parts.last() == Some(&"") {
        parts.pop();
    }
    parts
        .into_iter()
        .map(|part| {
            part.split_once('=')
                .map(|(n, v)| (n.trim_matches(is_wsp), v.trim_matches(is_wsp)))
                .filter(|(n, _)| is_tag_name(n))
                .ok_or_else(|| DmarcError::BadTag {
                    field: part.to_owned(),
                })
        })
        .collect()
}

/// `tag-name = ALPHA *ALNUMPUNC` (RFC 6376 §3.2).
fn is_tag_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// True when a TXT record is a DMARC record: its first tag is `v=DMARC1`
/// (RFC 7489 §6.6.3: others are discarded).
pub fn is_dmarc(text: &str) -> bool {
    if text.starts_with(is_wsp) {
        return false;
    }
    let first = text.split(';').next().unwrap_or_default();
    first.split_once('=').is_some_and(|(n, v)| {
        n.trim_matches(is_wsp).eq_ignore_ascii_case("v") && v.trim_matches(is_wsp) == VERSION
    })
}

/// True when a record looks like a failed attempt at DMARC (`v=dmarc1`,
/// `v=DMARC2`): worth a syntax error rather than "missing".
pub(crate) fn looks_like_dmarc(text: &str) -> bool {
    let lower = text.trim_start_matches(is_wsp).to_ascii_lowercase();
    lower.replace([' ', '\t'], "").starts_with("v=dmarc")
}

fn parse_policy(tag: &str, value: &str) -> Result<RequestedPolicy, DmarcError> {
    match value.to_ascii_lowercase().as_str() {
        "none" => Ok(RequestedPolicy::None),
        "quarantine" => Ok(RequestedPolicy::Quarantine),
        "reject" => Ok(RequestedPolicy::Reject),
        _ => Err(DmarcError::BadPolicy {
            tag: tag.to_owned(),
            value: value.to_owned(),
        }),
    }
}

fn bad(tag: &str, value: &str, expected: &'static str) -> DmarcError {
    DmarcError::BadValue {
        tag: tag.to_owned(),
        value: value.to_owned(),
        expected,
    }
}

/// `dmarc-uri *(*WSP "," *WSP dmarc-uri)`.
fn uris(tag: &str, value: &str) -> Result<Vec<DmarcUri>, DmarcError> {
    value
        .split(',')
        .map(|item| {
            let item = item.trim_matches(is_wsp);
            let (text, size) = match item.rsplit_once('!') {
                Some((text, size)) => (text, Some(size)),
                None => (item, None),
            };
            if let Some(size) = size {
                let digits = size.trim_end_matches(['k', 'm', 'g', 't', 'K', 'M', 'G', 'T']);
                let unit_len = size.len() - digits.len();
                if digits.is_empty() || unit_len > 1 || digits.parse::<u64>().is_err() {
                    return Err(DmarcError::BadUri {
                        tag: tag.to_owned(),
                        reason: format!(
                            "{}: bad size limit {} (e.g. !10m)",
                            smtp::quoted(item),
                            smtp::quoted(size)
                        ),
                    });
                }
            }
            let uri = uri::parse(text).map_err(|reason| DmarcError::BadUri {
                tag: tag.to_owned(),
                reason,
            })?;
            Ok(DmarcUri {
                uri,
                size: size.map(str::to_owned),
            })
        })
        .collect()
}

fn alignment(tag: &str, value: &str) -> Result<Alignment, DmarcError> {
    match value {
        "r" | "R" => Ok(Alignment::Relaxed),
        "s" | "S" => Ok(Alignment::Strict),
        _ => Err(bad(tag, value, "r or s")),
    }
}

/// A `:`-separated list whose items `ok` accepts.
fn colon_list(
    tag: &str,
    value: &str,
    ok: impl Fn(&str) -> bool,
    expected: &'static str,
) -> Result<Vec<String>, DmarcError> {
    let items: Vec<String> = value
        .split(':')
        .map(|i| i.trim_matches(is_wsp).to_ascii_lowercase())
        .collect();
    if items.iter().all(|i| ok(i)) {
        Ok(items)
    } else {
        Err(bad(tag, value, expected))
    }
}

impl DmarcRecord {
    /// Parses one record, its strings already joined (RFC 7489 §6.6.3).
    pub fn parse(text: &str) -> Result<Self, DmarcError> {
        if text.starts_with(is_wsp) {
            return Err(DmarcError::LeadingWhitespace);
        }
        let tags = tags(text)?;
        let mut seen = std::collections::HashSet::new();
        for (name, _) in &tags {
            if !seen.insert(name.to_ascii_lowercase()) {
                return Err(DmarcError::DuplicateTag {
                    tag: (*name).to_owned(),
                });
            }
        }
        match tags.first() {
            Some((name, VERSION)) if name.eq_ignore_ascii_case("v") => {}
            other => {
                return Err(DmarcError::NotVersion1 {
                    found: other.map(|(n, v)| format!("{n}={v}")).unwrap_or_default(),
                });
            }
        }
        let policy = match tags.iter().position(|(n, _)| n.eq_ignore_ascii_case("p")) {
            Some(at) => Some((
                parse_policy("p", tags[at].1)?,
                if at == 1 {
                    PolicyPlacement::Second
                } else {
                    PolicyPlacement::Later
                },
            )),
            None => None,
        };
        let (policy, placement) =
            policy.unwrap_or((RequestedPolicy::None, PolicyPlacement::ImpliedByRua));
        let mut record = Self {
            policy,
            placement,
            subdomain_policy: None,
            percent: None,
            rua: Vec::new(),
            ruf: Vec::new(),
            adkim: None,
            aspf: None,
            fo: None,
            rf: None,
            ri: None,
            unknown_tags: Vec::new(),
            problems: Vec::new(),
        };
        for (name, value) in tags.into_iter().skip(1) {
            let tag = name.to_ascii_lowercase();
            let result = match tag.as_str() {
                "sp" => parse_policy("sp", value).map(|p| record.subdomain_policy = Some(p)),
                "pct" => value
                    .parse::<u8>()
                    .ok()
                    .filter(|p| *p <= 100 && value.chars().all(|c| c.is_ascii_digit()))
                    .map(|p| record.percent = Some(p))
                    .ok_or_else(|| bad("pct", value, "a whole number from 0 to 100")),
                "rua" => uris("rua", value).map(|u| record.rua = u),
                "ruf" => uris("ruf", value).map(|u| record.ruf = u),
                "adkim" => alignment("adkim", value).map(|a| record.adkim = Some(a)),
                "aspf" => alignment("aspf", value).map(|a| record.aspf = Some(a)),
                "fo" => colon_list(
                    "fo",
                    value,
                    |i| matches!(i, "0" | "1" | "d" | "s"),
                    "0, 1, d or s, separated by ':'",
                )
                .map(|f| record.fo = Some(f)),
                "rf" => {
                    colon_list("rf", value, |i| i == "afrf", "afrf").map(|f| record.rf = Some(f))
                }
                "ri" => value
                    .parse::<u32>()
                    .ok()
                    .filter(|_| value.chars().all(|c| c.is_ascii_digit()))
                    .map(|ri| record.ri = Some(ri))
                    .ok_or_else(|| bad("ri", value, "a number of seconds")),
                "p" => Ok(()),
                "v" => unreachable!("v is the first tag, skipped, and duplicates were refused"),
                _ => {
                    record.unknown_tags.push(name.to_owned());
                    Ok(())
                }
            };
            if let Err(problem) = result {
                record.problems.push(problem);
            }
        }
        if record.placement == PolicyPlacement::ImpliedByRua && record.rua.is_empty() {
            return Err(DmarcError::MissingPolicy);
        }
        Ok(record)
    }

    /// The `pct` in force (default 100).
    pub fn percent(&self) -> u8 {
        self.percent.unwrap_or(100)
    }

    /// The policy for subdomains: `sp`, else `p`.
    pub fn subdomain_policy(&self) -> RequestedPolicy {
        self.subdomain_policy.unwrap_or(self.policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_record() {
        let record = DmarcRecord::parse(
            "v=DMARC1; p=reject; sp=quarantine; pct=50; rua=mailto:a@example.com!10m, \
             mailto:b@example.net; ruf=mailto:f@example.com; adkim=s; aspf=r; fo=1:d; \
             rf=afrf; ri=3600; x_new=1;",
        )
        .unwrap();
        assert_eq!(record.policy, RequestedPolicy::Reject);
        assert_eq!(record.subdomain_policy(), RequestedPolicy::Quarantine);
        assert_eq!(record.percent(), 50);
        assert_eq!(record.rua.len(), 2);
        assert_eq!(record.rua[0].size.as_deref(), Some("10m"));
        assert_eq!(record.rua[1].uri.host, "example.net");
        assert_eq!(record.ruf.len(), 1);
        assert_eq!(record.adkim, Some(Alignment::Strict));
        assert_eq!(record.aspf, Some(Alignment::Relaxed));
        assert_eq!(record.fo, Some(vec!["1".to_owned(), "d".to_owned()]));
        assert_eq!(record.ri, Some(3600));
        assert_eq!(record.unknown_tags, ["x_new"]);
        assert!(record.problems.is_empty(), "{:?}", record.problems);
    }

    #[test]
    fn spaces_around_delimiters_and_defaults() {
        let record = DmarcRecord::parse("v = DMARC1 ;p = none").unwrap();
        assert_eq!(record.policy, RequestedPolicy::None);
        assert_eq!(record.percent(), 100);
        assert_eq!(record.subdomain_policy(), RequestedPolicy::None);
        assert!(record.rua.is_empty());
    }

    #[test]
    fn fatal_errors() {
        let cases = [
            ("v=DMARC1", DmarcError::MissingPolicy),
            ("v=DMARC1; rua=a@example.com", DmarcError::MissingPolicy),
            (" v=DMARC1; p=none", DmarcError::LeadingWhitespace),
            (
                "v=DMARC1; p=block",
                DmarcError::BadPolicy {
                    tag: "p".into(),
                    value: "block".into(),
                },
            ),
            (
                "v=dmarc1; p=none",
                DmarcError::NotVersion1 {
                    found: "v=dmarc1".into(),
                },
            ),
            (
                "p=none; v=DMARC1",
                DmarcError::NotVersion1 {
                    found: "p=none".into(),
                },
            ),
            (
                "v=DMARC1; p=none; pct=10; pct=20",
                DmarcError::DuplicateTag { tag: "pct".into() },
            ),
            (
                "v=DMARC1; p=none; rua",
                DmarcError::BadTag {
                    field: "rua".into(),
                },
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(DmarcRecord::parse(text), Err(expected), "{text}");
        }
    }

    #[test]
    fn bad_values_are_problems_and_defaults_apply() {
        let record = DmarcRecord::parse(
            "v=DMARC1; p=quarantine; pct=101; adkim=x; fo=2; rf=iodef; ri=soon; sp=maybe; \
             rua=dmarc@example.com",
        )
        .unwrap();
        let tags: Vec<String> = record
            .problems
            .iter()
            .map(|p| match p {
                DmarcError::BadValue { tag, .. }
                | DmarcError::BadPolicy { tag, .. }
                | DmarcError::BadUri { tag, .. } => tag.clone(),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(tags, ["pct", "adkim", "fo", "rf", "ri", "sp", "rua"]);
        assert_eq!(record.percent(), 100);
        assert_eq!(record.subdomain_policy(), RequestedPolicy::Quarantine);
        assert!(record.rua.is_empty());
    }

    #[test]
    fn policy_later_or_implied_by_rua() {
        let later = DmarcRecord::parse("v=DMARC1; rua=mailto:a@example.com; p=reject").unwrap();
        assert_eq!(later.policy, RequestedPolicy::Reject);
        assert_eq!(later.placement, PolicyPlacement::Later);
        assert_eq!(later.rua.len(), 1);
        let implied = DmarcRecord::parse("v=DMARC1; rua=mailto:a@example.com").unwrap();
        assert_eq!(implied.policy, RequestedPolicy::None);
        assert_eq!(implied.placement, PolicyPlacement::ImpliedByRua);
        let second = DmarcRecord::parse("v=DMARC1; p=none").unwrap();
        assert_eq!(second.placement, PolicyPlacement::Second);
    }

    #[test]
    fn candidates() {
        assert!(!is_dmarc(" v=DMARC1; p=none"));
        assert!(looks_like_dmarc(" v=DMARC1; p=none"));
        assert!(is_dmarc("v=DMARC1; p=none"));
        assert!(is_dmarc("v = DMARC1"));
        assert!(!is_dmarc("v=dmarc1; p=none"));
        assert!(!is_dmarc("v=spf1 -all"));
        assert!(looks_like_dmarc("v=dmarc1; p=none"));
        assert!(!looks_like_dmarc("v=spf1 -all"));
    }
}
