//! The TLS-RPT record (RFC 8460 §3):
//!
//! ```text
//! tlsrpt-record     = tlsrpt-version 1*(field-delim tlsrpt-field) [field-delim]
//! field-delim       = *WSP ";" *WSP
//! tlsrpt-field      = tlsrpt-rua /        ; Note that the tlsrpt-rua
//!                     tlsrpt-extension    ; field is required.
//! tlsrpt-version    = %s"v=TLSRPTv1"
//! tlsrpt-rua        = %s"rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)
//! tlsrpt-uri        = URI                 ; "mailto:" or "https:"
//! tlsrpt-extension  = tlsrpt-ext-name "=" tlsrpt-ext-value
//! tlsrpt-ext-name   = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
//! tlsrpt-ext-value  = 1*(%x21-3A / %x3C / %x3E-7E)
//! ```

use serde::Serialize;

use crate::uri::{self, ReportUri, Scheme};

/// The version field every TLS-RPT record starts with (case-sensitive).
const VERSION: &str = "v=TLSRPTv1";
/// The longest extension name after its first character.
const MAX_EXT_NAME_TAIL: usize = 31;

/// A syntactically valid TLS-RPT record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TlsRptRecord {
    /// The `rua=` destinations that senders can use (`mailto:`, `https:`).
    pub rua: Vec<ReportUri>,
    /// `rua=` entries that are malformed or of another scheme, with why;
    /// senders skip them.
    pub bad_uris: Vec<(String, String)>,
    /// Extension fields as `(name, value)`.
    pub extensions: Vec<(String, String)>,
}

/// Why a TLS-RPT record is invalid: senders then act as if the domain had
/// no TLS-RPT record (RFC 8460 §3).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum TlsRptError {
    /// The record does not begin with `v=TLSRPTv1`.
    #[error("the record must begin with v=TLSRPTv1 (found {})", smtp::quoted(.found))]
    NotVersion1 {
        /// The first field as found.
        found: String,
    },
    /// There is no `rua=` field.
    #[error("the required rua= field is missing")]
    MissingRua,
    /// More than one `rua=` field.
    #[error("rua= appears more than once")]
    DuplicateRua,
    /// A field is not a valid `name=value` extension.
    #[error("{} is not a valid name=value field", smtp::quoted(.field))]
    BadField {
        /// The field as found.
        field: String,
    },
    /// A field is empty or `;` is missing.
    #[error("empty field or missing ';' between fields")]
    BadDelimiter,
}

fn is_wsp(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// True when a TXT record is a TLS-RPT candidate: it begins with
/// `v=TLSRPTv1` followed by a delimiter or nothing (RFC 8460 §3: records
/// not beginning `v=TLSRPTv1;` are discarded).
pub fn is_tlsrpt(text: &str) -> bool {
    text.strip_prefix(VERSION).is_some_and(|rest| {
        rest.trim_start_matches(is_wsp)
            .chars()
            .next()
            .is_none_or(|c| c == ';')
    })
}

/// True for a near miss (`v=tlsrptv1`, `v=TLSRPTv2`), reported as malformed
/// rather than missing.
pub fn looks_like_tlsrpt(text: &str) -> bool {
    text.trim_start_matches(is_wsp)
        .to_ascii_lowercase()
        .starts_with("v=tlsrpt")
}

/// `(ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")`.
fn is_ext_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name.len() <= 1 + MAX_EXT_NAME_TAIL
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// `1*(%x21-3A / %x3C / %x3E-7E)`: visible characters but `;` and `=`.
fn is_ext_value(value: &str) -> bool {
    !value.is_empty()
        && value
            .chars()
            .all(|c| matches!(c, '\x21'..='\x3a' | '\x3c' | '\x3e'..='\x7e'))
}

impl TlsRptRecord {
    /// Parses one record, its strings already joined.
    pub fn parse(text: &str) -> Result<Self, TlsRptError> {
        if !is_tlsrpt(text) {
            return Err(TlsRptError::NotVersion1 {
                found: text.split(';').next().unwrap_or(text).trim().to_owned(),
            });
        }
        let mut fields: Vec<&str> = text[VERSION.len()..]
            .split(';')
            .skip(1)
            .map(|f| f.trim_matches(is_wsp))
            .collect();
        // `[field-delim]`: one trailing delimiter is allowed.
        if fields.last() == Some(&"") {
            fields.pop();
        }
        let mut record = Self {
            rua: Vec::new(),
            bad_uris: Vec::new(),
            extensions: Vec::new(),
        };
        let mut seen_rua = false;
        for field in fields {
            if field.is_empty() {
                return Err(TlsRptError::BadDelimiter);
            }
            if let Some(list) = field.strip_prefix("rua=") {
                if seen_rua {
                    return Err(TlsRptError::DuplicateRua);
                }
                seen_rua = true;
                for item in list.split(',').map(|u| u.trim_matches(is_wsp)) {
                    match uri::parse(item) {
                        Ok(uri) if matches!(uri.scheme, Scheme::Mailto | Scheme::Https) => {
                            record.rua.push(uri)
                        }
                        Ok(_) => record.bad_uris.push((
                            item.to_owned(),
                            "only mailto: and https: are defined".into(),
                        )),
                        Err(reason) => record.bad_uris.push((item.to_owned(), reason)),
                    }
                }
                continue;
            }
            match field.split_once('=') {
                Some((name, value)) if is_ext_name(name) && is_ext_value(value) => {
                    record.extensions.push((name.to_owned(), value.to_owned()))
                }
                _ => {
                    return Err(TlsRptError::BadField {
                        field: field.to_owned(),
                    });
                }
            }
        }
        if !seen_rua {
            return Err(TlsRptError::MissingRua);
        }
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_records() {
        let record = TlsRptRecord::parse(
            "v=TLSRPTv1; rua=mailto:tlsrpt@example.com, https://reports.example.net/v1;",
        )
        .unwrap();
        assert_eq!(record.rua.len(), 2);
        assert_eq!(record.rua[1].scheme, Scheme::Https);
        assert!(record.bad_uris.is_empty());
        let record = TlsRptRecord::parse("v=TLSRPTv1;rua=mailto:a@example.com;ext.1=x").unwrap();
        assert_eq!(record.extensions, [("ext.1".to_owned(), "x".to_owned())]);
    }

    #[test]
    fn bad_uris_are_kept_apart() {
        let record =
            TlsRptRecord::parse("v=TLSRPTv1; rua=ftp://x.example/r,tlsrpt@example.com").unwrap();
        assert!(record.rua.is_empty());
        let bad: Vec<&str> = record.bad_uris.iter().map(|(u, _)| u.as_str()).collect();
        assert_eq!(bad, ["ftp://x.example/r", "tlsrpt@example.com"]);
    }

    #[test]
    fn malformed_records() {
        let cases = [
            (
                "v=TLSRPTv2; rua=mailto:a@example.com",
                TlsRptError::NotVersion1 {
                    found: "v=TLSRPTv2".into(),
                },
            ),
            ("v=TLSRPTv1", TlsRptError::MissingRua),
            ("v=TLSRPTv1; ext=1", TlsRptError::MissingRua),
            (
                "v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com",
                TlsRptError::DuplicateRua,
            ),
            (
                "v=TLSRPTv1; rua=mailto:a@example.com;; x=1",
                TlsRptError::BadDelimiter,
            ),
            (
                "v=TLSRPTv1; RUA=mailto:a@example.com",
                TlsRptError::MissingRua,
            ),
            (
                "v=TLSRPTv1; rua=mailto:a@example.com; bad field",
                TlsRptError::BadField {
                    field: "bad field".into(),
                },
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(TlsRptRecord::parse(text), Err(expected), "{text}");
        }
        assert!(is_tlsrpt("v=TLSRPTv1 ; rua=mailto:a@example.com"));
        assert!(!is_tlsrpt("v=TLSRPTv10; rua=mailto:a@example.com"));
        assert!(looks_like_tlsrpt("v=tlsrptv1; rua=mailto:a@example.com"));
    }
}
