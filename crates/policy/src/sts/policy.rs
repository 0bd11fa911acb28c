//! The MTA-STS policy file (RFC 8461 §3.2).
//!
//! ```text
//! sts-policy-record      = sts-policy-field *WSP
//!                          *(sts-policy-term sts-policy-field *WSP)
//!                          [sts-policy-term]
//! sts-policy-field       = sts-policy-version / sts-policy-mode /
//!                          sts-policy-max-age / sts-policy-mx /
//!                          sts-policy-extension
//! sts-policy-field-delim = ":" *WSP
//! sts-policy-version-value = %s"STSv1"
//! sts-policy-mode-value  = %s"testing" / %s"enforce" / %s"none"
//! sts-policy-mx-value    = ["*."] Domain
//! sts-policy-max-age-value = 1*10(DIGIT)
//! sts-policy-ext-name    = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
//! sts-policy-term        = LF / CRLF
//! sts-policy-ext-value   = sts-policy-vchar [*(%x20 / sts-policy-vchar)
//!                          sts-policy-vchar]   ; UTF-8, no CTLs
//! ```
//!
//! Field names are case-sensitive. Unknown fields are ignored; of a field
//! other than `mx` given twice, the first counts and the rest are ignored
//! (RFC 8461 §3.2). Where the grammar is silent this parser decides:
//! empty (or whitespace-only) lines are skipped, and an `mx` pattern may
//! end in one dot, which is dropped.

use std::fmt;

use serde::Serialize;

use super::pattern::{MxPattern, PatternError};
use super::record::{is_ext_name, is_wsp};

/// The largest `max_age` allowed: 31 557 600 seconds, about one year
/// (RFC 8461 §3.2).
pub const MAX_AGE_LIMIT: u32 = 31_557_600;
/// The most digits a `max_age` may have (`1*10(DIGIT)`).
const MAX_AGE_DIGITS: usize = 10;
/// How much of a bad line an error quotes.
const QUOTE_LIMIT: usize = 80;

/// What the policy asks of senders (RFC 8461 §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Deliver only to listed MX hosts over authenticated TLS.
    Enforce,
    /// Deliver as usual, but report failures (TLS-RPT).
    Testing,
    /// The domain has withdrawn its policy.
    None,
}

impl Mode {
    /// The policy-file spelling: `enforce`, `testing` or `none`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enforce => "enforce",
            Self::Testing => "testing",
            Self::None => "none",
        }
    }

    /// Reads the policy-file spelling (case-sensitive).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "enforce" => Some(Self::Enforce),
            "testing" => Some(Self::Testing),
            "none" => Some(Self::None),
            _ => None,
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A valid MTA-STS policy.
#[must_use]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// `mode`.
    pub mode: Mode,
    /// `max_age`, in seconds (at most [`MAX_AGE_LIMIT`]).
    pub max_age: u32,
    /// `mx` patterns, in order; empty only when `mode` is `none`.
    pub mx: Vec<MxPattern>,
}

impl Policy {
    /// Whether `host` matches one of the `mx` patterns (RFC 8461 §4.1).
    #[must_use]
    pub fn allows_mx(&self, host: &str) -> bool {
        self.mx.iter().any(|pattern| pattern.matches(host))
    }
}

/// Why a policy file is invalid: TLS-RPT `sts-policy-invalid`
/// (RFC 8460 §4.3.2.2). Line numbers start at 1.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum PolicyError {
    /// The body is not UTF-8.
    #[error("line {line}: not UTF-8")]
    NotUtf8 {
        /// The line holding the first bad byte.
        line: usize,
    },
    /// A line is not `name: value` as the grammar allows.
    #[error("line {line}: {reason}: {}", smtp::quoted(.text))]
    BadLine {
        /// The line.
        line: usize,
        /// The start of its text.
        text: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// `version` is not `STSv1`.
    #[error("line {line}: version {} is not STSv1", smtp::quoted(.value))]
    BadVersion {
        /// The line.
        line: usize,
        /// The value found.
        value: String,
    },
    /// `mode` is not `enforce`, `testing` or `none`.
    #[error("line {line}: mode {} is not enforce, testing or none", smtp::quoted(.value))]
    BadMode {
        /// The line.
        line: usize,
        /// The value found.
        value: String,
    },
    /// `max_age` is not 1 to 10 digits, or is over 31557600.
    #[error("line {line}: max_age {} is not a number of seconds from 0 to 31557600", smtp::quoted(.value))]
    BadMaxAge {
        /// The line.
        line: usize,
        /// The value found.
        value: String,
    },
    /// An `mx` value is not a host name or `*.` pattern.
    #[error("line {line}: mx {}: {reason}", smtp::quoted(.value))]
    BadMx {
        /// The line.
        line: usize,
        /// The value found.
        value: String,
        /// What is wrong.
        reason: PatternError,
    },
    /// A required field is missing.
    #[error("no {field} field")]
    Missing {
        /// `version`, `mode` or `max_age`.
        field: &'static str,
    },
    /// `mode` is `enforce` or `testing` but no `mx` is given.
    #[error("mode {mode} requires at least one mx field")]
    NoMx {
        /// The mode.
        mode: Mode,
    },
}

impl Policy {
    /// Parses a policy body (RFC 8461 §3.2).
    pub fn parse(body: &[u8]) -> Result<Self, PolicyError> {
        let text = std::str::from_utf8(body).map_err(|e| PolicyError::NotUtf8 {
            line: 1 + body[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count(),
        })?;
        let mut version = false;
        let mut mode = None;
        let mut max_age = None;
        let mut mx = Vec::new();
        for (index, raw) in text.split('\n').enumerate() {
            let line = index + 1;
            let content = raw.strip_suffix('\r').unwrap_or(raw);
            let Some((name, value)) = field(line, content)? else {
                continue;
            };
            match name {
                "version" if !version => {
                    if value != "STSv1" {
                        return Err(PolicyError::BadVersion {
                            line,
                            value: quote(value),
                        });
                    }
                    version = true;
                }
                "mode" if mode.is_none() => {
                    mode = Some(Mode::parse(value).ok_or_else(|| PolicyError::BadMode {
                        line,
                        value: quote(value),
                    })?);
                }
                "max_age" if max_age.is_none() => max_age = Some(parse_max_age(line, value)?),
                "mx" => mx.push(
                    MxPattern::parse(value).map_err(|reason| PolicyError::BadMx {
                        line,
                        value: quote(value),
                        reason,
                    })?,
                ),
                // Unknown fields, and repeats of single fields, are ignored.
                _ => {}
            }
        }
        if !version {
            return Err(PolicyError::Missing { field: "version" });
        }
        let mode = mode.ok_or(PolicyError::Missing { field: "mode" })?;
        let max_age = max_age.ok_or(PolicyError::Missing { field: "max_age" })?;
        if mx.is_empty() && mode != Mode::None {
            return Err(PolicyError::NoMx { mode });
        }
        Ok(Self { mode, max_age, mx })
    }
}

/// Splits one line into `(name, value)`; `None` for an empty line.
fn field(line: usize, content: &str) -> Result<Option<(&str, &str)>, PolicyError> {
    let bad = |reason| PolicyError::BadLine {
        line,
        text: quote(content),
        reason,
    };
    if content.chars().all(is_wsp) {
        return Ok(None);
    }
    if content.starts_with(is_wsp) {
        return Err(bad("leading whitespace"));
    }
    let Some((name, rest)) = content.split_once(':') else {
        return Err(bad("no ':' after the field name"));
    };
    if !is_ext_name(name) {
        return Err(bad("invalid field name"));
    }
    let value = rest.trim_matches(is_wsp);
    if value.is_empty() {
        return Err(bad("empty value"));
    }
    if value.chars().any(char::is_control) {
        return Err(bad("control character in the value"));
    }
    Ok(Some((name, value)))
}

/// `1*10(DIGIT)`, at most [`MAX_AGE_LIMIT`].
fn parse_max_age(line: usize, value: &str) -> Result<u32, PolicyError> {
    let bad = || PolicyError::BadMaxAge {
        line,
        value: quote(value),
    };
    if value.is_empty()
        || value.len() > MAX_AGE_DIGITS
        || !value.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    // Ten digits fit in a u64.
    let seconds: u64 = value.parse().map_err(|_| bad())?;
    u32::try_from(seconds)
        .ok()
        .filter(|s| *s <= MAX_AGE_LIMIT)
        .ok_or_else(bad)
}

/// The start of a text from the network, for an error message.
fn quote(text: &str) -> String {
    text.chars().take(QUOTE_LIMIT).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = "version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\nmx: backupmx.example.com\nmax_age: 604800\n";

    fn parse(text: &str) -> Result<Policy, PolicyError> {
        Policy::parse(text.as_bytes())
    }

    #[test]
    fn rfc_example_parses() {
        let policy = parse(EXAMPLE).unwrap();
        assert_eq!(policy.mode, Mode::Enforce);
        assert_eq!(policy.max_age, 604_800);
        let mx: Vec<String> = policy.mx.iter().map(ToString::to_string).collect();
        assert_eq!(
            mx,
            ["mail.example.com", "*.example.net", "backupmx.example.com"]
        );
        assert!(policy.allows_mx("mail.example.com."));
        assert!(policy.allows_mx("a.example.net"));
        assert!(!policy.allows_mx("a.b.example.net"));
        assert!(!policy.allows_mx("example.net"));
        assert!(!policy.allows_mx("evil.example.org"));
    }

    #[test]
    fn crlf_mixed_endings_and_no_final_newline_parse() {
        let crlf = EXAMPLE.replace('\n', "\r\n");
        assert_eq!(parse(&crlf).unwrap(), parse(EXAMPLE).unwrap());
        let mixed = "version: STSv1\r\nmode: testing\nmx: mx.example.com\r\nmax_age: 86400";
        let policy = parse(mixed).unwrap();
        assert_eq!((policy.mode, policy.max_age), (Mode::Testing, 86_400));
    }

    #[test]
    fn whitespace_after_colon_and_at_line_end_is_allowed() {
        let text = "version:STSv1\t\nmode:\t enforce  \nmx:   mx.example.com \r\nmax_age: 1\n\n";
        assert_eq!(parse(text).unwrap().mode, Mode::Enforce);
    }

    #[test]
    fn order_does_not_matter() {
        let text = "max_age: 10\nmx: mx.example.com\nmode: enforce\nversion: STSv1\n";
        assert_eq!(parse(text).unwrap().max_age, 10);
    }

    #[test]
    fn unknown_keys_are_ignored() {
        let text = format!("{EXAMPLE}x-note: hello, wörld!\nfuture.field_1: a b c\n");
        assert_eq!(parse(&text).unwrap(), parse(EXAMPLE).unwrap());
    }

    #[test]
    fn first_of_repeated_single_fields_counts() {
        let text = "version: STSv1\nmode: testing\nmode: enforce\nmax_age: 5\nmax_age: 99\nmx: a.example\n";
        let policy = parse(text).unwrap();
        assert_eq!((policy.mode, policy.max_age), (Mode::Testing, 5));
    }

    #[test]
    fn field_names_are_case_sensitive() {
        let text = "version: STSv1\nMode: enforce\nmx: a.example\nmax_age: 5\n";
        assert_eq!(parse(text), Err(PolicyError::Missing { field: "mode" }));
    }

    #[test]
    fn mode_none_needs_no_mx() {
        let policy = parse("version: STSv1\nmode: none\nmax_age: 86400\n").unwrap();
        assert_eq!(policy.mode, Mode::None);
        assert!(policy.mx.is_empty());
    }

    #[test]
    fn max_age_bounds() {
        let with = |age: &str| parse(&format!("version: STSv1\nmode: none\nmax_age: {age}\n"));
        assert_eq!(with("0").unwrap().max_age, 0);
        assert_eq!(with("31557600").unwrap().max_age, MAX_AGE_LIMIT);
        assert_eq!(with("0031557600").unwrap().max_age, MAX_AGE_LIMIT);
        for bad in [
            "31557601",
            "99999999999",
            "4294967296",
            "-1",
            "+5",
            "1e6",
            "86400s",
            "12 34",
            "abc",
        ] {
            assert_eq!(
                with(bad),
                Err(PolicyError::BadMaxAge {
                    line: 3,
                    value: bad.into()
                }),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn missing_or_unknown_mode_is_invalid() {
        assert_eq!(
            parse("version: STSv1\nmx: a.example\nmax_age: 5\n"),
            Err(PolicyError::Missing { field: "mode" })
        );
        assert_eq!(
            parse("version: STSv1\nmode: Enforce\nmx: a.example\nmax_age: 5\n"),
            Err(PolicyError::BadMode {
                line: 2,
                value: "Enforce".into()
            })
        );
        assert_eq!(
            parse("version: STSv1\nmode: report\nmx: a.example\nmax_age: 5\n"),
            Err(PolicyError::BadMode {
                line: 2,
                value: "report".into()
            })
        );
    }

    #[test]
    fn enforce_or_testing_without_mx_is_invalid() {
        assert_eq!(
            parse("version: STSv1\nmode: enforce\nmax_age: 5\n"),
            Err(PolicyError::NoMx {
                mode: Mode::Enforce
            })
        );
        assert_eq!(
            parse("version: STSv1\nmode: testing\nmax_age: 5\n"),
            Err(PolicyError::NoMx {
                mode: Mode::Testing
            })
        );
    }

    #[test]
    fn missing_version_or_max_age_is_invalid() {
        assert_eq!(
            parse("mode: none\nmax_age: 5\n"),
            Err(PolicyError::Missing { field: "version" })
        );
        assert_eq!(
            parse("version: STSv1\nmode: none\n"),
            Err(PolicyError::Missing { field: "max_age" })
        );
        assert_eq!(
            parse("version: STSv2\nmode: none\nmax_age: 5\n"),
            Err(PolicyError::BadVersion {
                line: 1,
                value: "STSv2".into()
            })
        );
        assert_eq!(parse(""), Err(PolicyError::Missing { field: "version" }));
    }

    #[test]
    fn malformed_lines_name_the_line() {
        let cases = [
            (" mode: enforce", "leading whitespace"),
            ("mode enforce", "no ':' after the field name"),
            ("mode : enforce", "invalid field name"),
            ("_x: y", "invalid field name"),
            ("x-note:", "empty value"),
            ("x-note: a\tb", "control character in the value"),
            ("x-note: a\rb", "control character in the value"),
        ];
        for (bad, reason) in cases {
            let text = format!("version: STSv1\nmode: none\n{bad}\nmax_age: 5\n");
            match parse(&text) {
                Err(PolicyError::BadLine {
                    line: 3, reason: r, ..
                }) => assert_eq!(r, reason, "{bad:?}"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn bad_mx_names_the_line() {
        let text = "version: STSv1\nmode: enforce\nmx: ok.example\nmx: *.*.example\nmax_age: 5\n";
        assert!(matches!(
            parse(text),
            Err(PolicyError::BadMx {
                line: 4,
                reason: PatternError::Syntax,
                ..
            })
        ));
    }

    #[test]
    fn html_or_binary_bodies_are_invalid() {
        assert!(matches!(
            parse("<html><body>Not here</body></html>"),
            Err(PolicyError::BadLine { line: 1, .. })
        ));
        assert_eq!(
            Policy::parse(b"version: STSv1\nmode: none\n\xff\n"),
            Err(PolicyError::NotUtf8 { line: 3 })
        );
    }

    #[test]
    fn long_bad_lines_are_quoted_shortly() {
        let long = "x".repeat(1000);
        let Err(PolicyError::BadLine { text, .. }) = parse(&long) else {
            panic!("expected BadLine");
        };
        assert_eq!(text.len(), QUOTE_LIMIT);
    }
}
