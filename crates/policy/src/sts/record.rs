//! The `_mta-sts.<domain>` TXT record (RFC 8461 §3.1).
//!
//! ```text
//! sts-text-record = sts-version 1*(sts-field-delim sts-field)
//!                   [sts-field-delim]
//! sts-field       = sts-id / sts-extension      ; sts-id is required
//! sts-field-delim = *WSP ";" *WSP
//! sts-version     = %s"v=STSv1"
//! sts-id          = %s"id=" 1*32(ALPHA / DIGIT)
//! sts-extension   = sts-ext-name "=" sts-ext-value
//! sts-ext-name    = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
//! sts-ext-value   = 1*(%x21-3A / %x3C / %x3E-7E)
//! ```

use serde::Serialize;

/// The version tag every MTA-STS record starts with.
const VERSION: &str = "v=STSv1";
/// The longest `id` (RFC 8461 §3.1: `1*32(ALPHA / DIGIT)`).
const MAX_ID_LEN: usize = 32;
/// The longest extension name after its first character.
const MAX_EXT_NAME_TAIL: usize = 31;

/// A syntactically valid MTA-STS TXT record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StsRecord {
    /// The policy instance id (`id=`): 1–32 letters and digits. A change
    /// tells senders to fetch the policy again (RFC 8461 §3.1).
    pub id: String,
    /// Extension fields, in order, as `(name, value)`; ignored by delivery.
    pub extensions: Vec<(String, String)>,
}

/// Why the TXT records at `_mta-sts.<domain>` give no usable record. Each
/// means "no policy discovered" (RFC 8461 §3.1); a cached policy may still
/// apply (RFC 8461 §5.1).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum RecordError {
    /// More than one record begins with `v=STSv1`.
    #[error("{count} TXT records begin with v=STSv1; exactly one is allowed")]
    MultipleRecords {
        /// How many did.
        count: usize,
    },
    /// A record names an MTA-STS version other than `STSv1`.
    #[error("unsupported MTA-STS version {} (only v=STSv1 is known)", smtp::quoted(.found))]
    UnsupportedVersion {
        /// The `v=` field as found.
        found: String,
    },
    /// A record holds `v=STSv1`, but not as its first field.
    #[error("v=STSv1 must be the first field of the record")]
    VersionNotFirst,
    /// The record has no `id` field.
    #[error("the record has no id field")]
    MissingId,
    /// The record has more than one `id` field.
    #[error("the record has more than one id field")]
    DuplicateId,
    /// The `id` is empty, longer than 32 characters, or holds characters
    /// other than letters and digits.
    #[error("id {} is not 1 to 32 letters and digits", smtp::quoted(.value))]
    BadId {
        /// The id as found.
        value: String,
    },
    /// A field is not `name=value` with a valid name and value.
    #[error("field {} is not a valid name=value extension field", smtp::quoted(.field))]
    BadField {
        /// The field as found.
        field: String,
    },
    /// Fields are not separated by `;`, or a field is empty.
    #[error("empty field or missing ';' between fields")]
    BadDelimiter,
}

/// True when a TXT record is a candidate for discovery: it begins with
/// `v=STSv1` followed by a delimiter or nothing (RFC 8461 §3.1: records that
/// do not begin with `v=STSv1;` are discarded; whitespace before the `;` is
/// allowed by `sts-field-delim`).
pub fn is_candidate(text: &str) -> bool {
    text.strip_prefix(VERSION).is_some_and(|rest| {
        rest.trim_start_matches(is_wsp)
            .chars()
            .next()
            .is_none_or(|c| c == ';')
    })
}

/// Why a text that is not a candidate still looks like an attempt at an
/// MTA-STS record, for a precise "no policy" reason.
pub(crate) fn diagnose_non_candidate(text: &str) -> Option<RecordError> {
    let first = text
        .split(';')
        .next()
        .unwrap_or_default()
        .trim_matches(is_wsp);
    if let Some(version) = first.strip_prefix("v=")
        && version.to_ascii_lowercase().starts_with("sts")
    {
        return Some(RecordError::UnsupportedVersion {
            found: first.to_owned(),
        });
    }
    text.split(';')
        .skip(1)
        .any(|field| field.trim_matches(is_wsp) == VERSION)
        .then_some(RecordError::VersionNotFirst)
}

impl StsRecord {
    /// Parses one record, its strings already joined (RFC 8461 §3.1: "as if
    /// those strings are concatenated without adding spaces").
    pub fn parse(text: &str) -> Result<Self, RecordError> {
        let Some(rest) = text.strip_prefix(VERSION) else {
            return Err(diagnose_non_candidate(text).unwrap_or(RecordError::VersionNotFirst));
        };
        if !is_candidate(text) {
            return Err(if rest.starts_with(is_wsp) {
                RecordError::BadDelimiter
            } else {
                RecordError::UnsupportedVersion {
                    found: text.split(';').next().unwrap_or(text).to_owned(),
                }
            });
        }
        let mut fields: Vec<&str> = rest
            .split(';')
            .skip(1)
            .map(|f| f.trim_matches(is_wsp))
            .collect();
        // `[sts-field-delim]`: one trailing delimiter is allowed.
        if fields.last() == Some(&"") {
            fields.pop();
        }
        let mut id = None;
        let mut extensions = Vec::new();
        for field in fields {
            if field.is_empty() {
                return Err(RecordError::BadDelimiter);
            }
            let Some((name, value)) = field.split_once('=') else {
                return Err(RecordError::BadField {
                    field: field.to_owned(),
                });
            };
            if name == "id" {
                if id.is_some() {
                    return Err(RecordError::DuplicateId);
                }
                if value.is_empty()
                    || value.len() > MAX_ID_LEN
                    || !value.bytes().all(|b| b.is_ascii_alphanumeric())
                {
                    return Err(RecordError::BadId {
                        value: value.to_owned(),
                    });
                }
                id = Some(value.to_owned());
            } else if is_ext_name(name) && is_ext_value(value) {
                extensions.push((name.to_owned(), value.to_owned()));
            } else {
                return Err(RecordError::BadField {
                    field: field.to_owned(),
                });
            }
        }
        let id = id.ok_or(RecordError::MissingId)?;
        Ok(Self { id, extensions })
    }
}

/// `WSP = SP / HTAB` (RFC 5234 appendix B.1).
pub(crate) fn is_wsp(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// `sts-ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")`;
/// the policy file's `sts-policy-ext-name` has the same shape.
pub(crate) fn is_ext_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphanumeric())
        && name.len() <= 1 + MAX_EXT_NAME_TAIL
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// `sts-ext-value = 1*(%x21-3A / %x3C / %x3E-7E)`: visible ASCII except
/// `;` and `=`.
fn is_ext_value(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| matches!(b, 0x21..=0x3A | 0x3C | 0x3E..=0x7E))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(text: &str) -> String {
        StsRecord::parse(text).unwrap().id
    }

    #[test]
    fn minimal_and_example_records_parse() {
        assert_eq!(id("v=STSv1; id=20160831085700Z;"), "20160831085700Z");
        assert_eq!(id("v=STSv1;id=a"), "a");
        assert_eq!(id("v=STSv1 ;\tid=abc123 ; "), "abc123");
        assert_eq!(
            id(&format!("v=STSv1; id={}", "x".repeat(32))),
            "x".repeat(32)
        );
    }

    #[test]
    fn extensions_are_kept_and_ignored() {
        let record = StsRecord::parse("v=STSv1; ext.a-1_b=val!ue; id=7").unwrap();
        assert_eq!(record.id, "7");
        assert_eq!(
            record.extensions,
            vec![("ext.a-1_b".into(), "val!ue".into())]
        );
    }

    #[test]
    fn missing_id_is_rejected() {
        assert_eq!(StsRecord::parse("v=STSv1;"), Err(RecordError::MissingId));
        assert_eq!(StsRecord::parse("v=STSv1"), Err(RecordError::MissingId));
        assert_eq!(
            StsRecord::parse("v=STSv1; foo=bar"),
            Err(RecordError::MissingId)
        );
    }

    #[test]
    fn bad_ids_are_rejected() {
        for bad in ["", "abc-def", "abc def", "ab.c", "é", &"x".repeat(33)] {
            let text = format!("v=STSv1; id={bad}");
            assert!(
                matches!(
                    StsRecord::parse(&text),
                    Err(RecordError::BadId { .. }) | Err(RecordError::BadField { .. })
                ),
                "{text:?} -> {:?}",
                StsRecord::parse(&text)
            );
        }
        assert_eq!(
            StsRecord::parse("v=STSv1; id=abc-def"),
            Err(RecordError::BadId {
                value: "abc-def".into()
            })
        );
        assert_eq!(
            StsRecord::parse(&format!("v=STSv1; id={}", "x".repeat(33))),
            Err(RecordError::BadId {
                value: "x".repeat(33)
            })
        );
    }

    #[test]
    fn duplicate_id_is_rejected() {
        assert_eq!(
            StsRecord::parse("v=STSv1; id=a; id=b"),
            Err(RecordError::DuplicateId)
        );
    }

    #[test]
    fn id_before_version_is_rejected() {
        assert!(!is_candidate("id=123; v=STSv1"));
        assert_eq!(
            StsRecord::parse("id=123; v=STSv1"),
            Err(RecordError::VersionNotFirst)
        );
        assert_eq!(
            diagnose_non_candidate("id=123; v=STSv1"),
            Some(RecordError::VersionNotFirst)
        );
    }

    #[test]
    fn other_versions_are_not_candidates() {
        assert!(!is_candidate("v=STSv12; id=1"));
        assert!(!is_candidate("v=STSv2; id=1"));
        assert!(!is_candidate("v=stsv1; id=1"));
        assert!(!is_candidate(" v=STSv1; id=1"));
        assert_eq!(
            diagnose_non_candidate("v=STSv12; id=1"),
            Some(RecordError::UnsupportedVersion {
                found: "v=STSv12".into()
            })
        );
        assert_eq!(
            StsRecord::parse("v=STSv12; id=1"),
            Err(RecordError::UnsupportedVersion {
                found: "v=STSv12".into()
            })
        );
    }

    #[test]
    fn garbage_is_not_a_candidate_and_has_no_diagnosis() {
        for text in [
            "hello world",
            "v=spf1 -all",
            "",
            "google-site-verification=abc",
        ] {
            assert!(!is_candidate(text), "{text:?}");
            assert_eq!(diagnose_non_candidate(text), None, "{text:?}");
        }
    }

    #[test]
    fn malformed_fields_and_delimiters_are_rejected() {
        assert_eq!(
            StsRecord::parse("v=STSv1; ; id=1"),
            Err(RecordError::BadDelimiter)
        );
        assert_eq!(
            StsRecord::parse("v=STSv1; id=1;;"),
            Err(RecordError::BadDelimiter)
        );
        assert!(matches!(
            StsRecord::parse("v=STSv1; id=1; junk"),
            Err(RecordError::BadField { .. })
        ));
        assert!(matches!(
            StsRecord::parse("v=STSv1; id=1; _x=y"),
            Err(RecordError::BadField { .. })
        ));
        assert!(matches!(
            StsRecord::parse("v=STSv1; id=1; x=a=b"),
            Err(RecordError::BadField { .. })
        ));
        assert!(matches!(
            StsRecord::parse("v=STSv1; id=1; x=a b"),
            Err(RecordError::BadField { .. })
        ));
        assert!(matches!(
            StsRecord::parse("v=STSv1; id=1; x="),
            Err(RecordError::BadField { .. })
        ));
        let long_name = format!("v=STSv1; id=1; {}=v", "n".repeat(33));
        assert!(matches!(
            StsRecord::parse(&long_name),
            Err(RecordError::BadField { .. })
        ));
        // A version run into the next field without a delimiter.
        assert!(!is_candidate("v=STSv1 id=1"));
        assert_eq!(
            StsRecord::parse("v=STSv1 id=1"),
            Err(RecordError::BadDelimiter)
        );
    }

    #[test]
    fn version_and_field_names_are_case_sensitive() {
        assert!(matches!(
            StsRecord::parse("v=STSv1; ID=abc"),
            Err(RecordError::MissingId)
        ));
    }
}
