//! What can be wrong with a DMARC record (RFC 7489 §6.3, §6.4).

use serde::Serialize;

/// What is wrong with a DMARC record.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum DmarcError {
    /// The record does not begin with `v=DMARC1`.
    #[error("the record must begin with v=DMARC1 (found {})", smtp::quoted(.found))]
    NotVersion1 {
        /// The first tag as found.
        found: String,
    },
    /// The record begins with white space, before `v=DMARC1`.
    #[error("the record begins with white space: it must begin with v=DMARC1")]
    LeadingWhitespace,
    /// There is no `p=` tag, and no valid `rua=` that would make receivers
    /// act as if `p=none` were given (RFC 7489 §6.6.3).
    #[error("the required p= tag is missing, and there is no valid rua= tag")]
    MissingPolicy,
    /// `p=` or `sp=` is not none, quarantine or reject.
    #[error("{tag}={value} is not none, quarantine or reject")]
    BadPolicy {
        /// `p` or `sp`.
        tag: String,
        /// The value as found.
        value: String,
    },
    /// A tag appears more than once.
    #[error("the tag {tag} appears more than once")]
    DuplicateTag {
        /// The tag name.
        tag: String,
    },
    /// A part between `;` is not `name=value`.
    #[error("{} is not a tag=value pair", smtp::quoted(.field))]
    BadTag {
        /// The part as found.
        field: String,
    },
    /// A known tag has a value outside its grammar.
    #[error("{tag}={} is invalid: expected {expected}", smtp::quoted(.value))]
    BadValue {
        /// The tag name.
        tag: String,
        /// The value as found.
        value: String,
        /// What the grammar allows.
        expected: &'static str,
    },
    /// A reporting URI is malformed.
    #[error("{tag}: {reason}")]
    BadUri {
        /// `rua` or `ruf`.
        tag: String,
        /// Why.
        reason: String,
    },
}
