//! MX patterns of an MTA-STS policy and how MX host names match them
//! (RFC 8461 §3.2 `sts-policy-mx-value`, §4.1).

use std::fmt;

use serde::{Serialize, Serializer};

/// The longest DNS name in presentation form, without the trailing dot.
const MAX_NAME_LEN: usize = 253;
/// The longest DNS label.
const MAX_LABEL_LEN: usize = 63;

/// One `mx` pattern: a host name, or `*.` and a domain, which matches any
/// host exactly one label below that domain (RFC 8461 §4.1). Kept in lower
/// case without a trailing dot.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MxPattern {
    /// The domain part, lower case, without `*.` and trailing dot.
    domain: String,
    /// Whether the pattern began with `*.`.
    wildcard: bool,
}

/// Why an `mx` value is not a pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum PatternError {
    /// Not `["*."] Domain` (RFC 8461 §3.2; `Domain` per RFC 5321 §4.1.2).
    #[error("not a host name or *.domain pattern")]
    Syntax,
    /// The name, or one of its labels, is too long.
    #[error("name or label too long")]
    TooLong,
}

impl MxPattern {
    /// Parses `["*."] Domain`, where `Domain` is dot-separated labels of
    /// letters, digits and inner hyphens (RFC 5321 §4.1.2). One trailing dot
    /// is accepted and dropped; comparison ignores case.
    pub fn parse(text: &str) -> Result<Self, PatternError> {
        let (wildcard, rest) = match text.strip_prefix("*.") {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let domain = rest.strip_suffix('.').unwrap_or(rest);
        if domain.len() > MAX_NAME_LEN {
            return Err(PatternError::TooLong);
        }
        for label in domain.split('.') {
            if label.len() > MAX_LABEL_LEN {
                return Err(PatternError::TooLong);
            }
            if !is_ldh_label(label) {
                return Err(PatternError::Syntax);
            }
        }
        Ok(Self {
            domain: domain.to_ascii_lowercase(),
            wildcard,
        })
    }

    /// Whether `host` (an MX host name, with or without its trailing dot, any
    /// case) matches: equal to the pattern, or — for `*.domain` — exactly one
    /// label followed by `.domain`. A wildcard never matches the bare domain
    /// nor two or more labels (RFC 8461 §4.1).
    #[must_use]
    pub fn matches(&self, host: &str) -> bool {
        let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
        if !self.wildcard {
            return host == self.domain;
        }
        let Some(first) = host.strip_suffix(self.domain.as_str()) else {
            return false;
        };
        let Some(label) = first.strip_suffix('.') else {
            return false;
        };
        !label.is_empty() && !label.contains('.')
    }

    /// Whether the pattern begins with `*.`.
    pub fn is_wildcard(&self) -> bool {
        self.wildcard
    }
}

/// `sub-domain = Let-dig [Ldh-str]` (RFC 5321 §4.1.2).
fn is_ldh_label(label: &str) -> bool {
    let bytes = label.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) => {
            first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && bytes
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        }
        _ => false,
    }
}

impl fmt::Display for MxPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.wildcard {
            f.write_str("*.")?;
        }
        f.write_str(&self.domain)
    }
}

impl fmt::Debug for MxPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MxPattern({self})")
    }
}

impl Serialize for MxPattern {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> MxPattern {
        MxPattern::parse(text).unwrap()
    }

    #[test]
    fn exact_pattern_matches_ignoring_case_and_trailing_dot() {
        let pattern = p("mail.example.com");
        assert!(pattern.matches("mail.example.com"));
        assert!(pattern.matches("mail.example.com."));
        assert!(pattern.matches("MAIL.Example.COM."));
        assert!(!pattern.matches("mail.example.co"));
        assert!(!pattern.matches("x.mail.example.com"));
        assert!(!pattern.matches("ail.example.com"));
        assert!(!pattern.matches("example.com"));
        assert!(p("Mail.Example.Com.").matches("mail.example.com"));
    }

    #[test]
    fn wildcard_matches_exactly_one_leftmost_label() {
        let pattern = p("*.example.com");
        assert!(pattern.is_wildcard());
        assert!(pattern.matches("mx1.example.com"));
        assert!(pattern.matches("MX1.EXAMPLE.COM."));
        assert!(!pattern.matches("example.com"), "never the bare domain");
        assert!(!pattern.matches(".example.com"));
        assert!(!pattern.matches("a.b.example.com"), "never two labels");
        assert!(!pattern.matches("mx1.badexample.com"));
        assert!(!pattern.matches("mx1example.com"));
        assert!(!pattern.matches("mx1.example.com.evil"));
    }

    #[test]
    fn malformed_patterns_are_rejected() {
        for bad in [
            "",
            ".",
            "*",
            "*.",
            "**.example.com",
            "mail.*.example.com",
            "*example.com",
            "-mail.example.com",
            "mail-.example.com",
            "mail..example.com",
            "mail.example.com..",
            "mail_x.example.com",
            "mail example.com",
            "mäil.example.com",
            "*.*.example.com",
        ] {
            assert!(MxPattern::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert_eq!(
            MxPattern::parse(&format!("{}.com", "a".repeat(64))),
            Err(PatternError::TooLong)
        );
        assert_eq!(
            MxPattern::parse(&["abcdefghi"; 26].join(".")),
            Err(PatternError::TooLong)
        );
    }

    #[test]
    fn display_is_normalised() {
        assert_eq!(p("*.Example.COM.").to_string(), "*.example.com");
        assert_eq!(p("mx-1.example.com").to_string(), "mx-1.example.com");
    }
}
