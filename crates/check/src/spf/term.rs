//! The parts of an SPF record (RFC 7208 §4.6): terms, directives with
//! their qualifiers and mechanisms, and modifiers.

use serde::Serialize;

/// A qualifier (RFC 7208 §4.6.2); `+` when none is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Qualifier {
    /// `+`: the sender is authorized.
    Pass,
    /// `-`: the sender is not authorized.
    Fail,
    /// `~`: probably not authorized.
    SoftFail,
    /// `?`: no statement.
    Neutral,
}

impl Qualifier {
    /// The qualifier character.
    pub fn symbol(self) -> char {
        match self {
            Self::Pass => '+',
            Self::Fail => '-',
            Self::SoftFail => '~',
            Self::Neutral => '?',
        }
    }
}

/// A mechanism (RFC 7208 §5) with its domain-spec where it has one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "mechanism", content = "target", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Mechanism {
    /// `all` (§5.1).
    All,
    /// `include:<domain-spec>` (§5.2).
    Include(String),
    /// `a[:<domain-spec>]` (§5.3).
    A(Option<String>),
    /// `mx[:<domain-spec>]` (§5.4).
    Mx(Option<String>),
    /// `ptr[:<domain-spec>]` (§5.5, do not use).
    Ptr(Option<String>),
    /// `ip4:<network>` (§5.6).
    Ip4(String),
    /// `ip6:<network>` (§5.6).
    Ip6(String),
    /// `exists:<domain-spec>` (§5.7).
    Exists(String),
}

impl Mechanism {
    /// Whether evaluating it costs a DNS query, and so counts against the
    /// limit of 10 (RFC 7208 §4.6.4: include, a, mx, ptr, exists).
    pub fn counts_lookup(&self) -> bool {
        !matches!(self, Self::All | Self::Ip4(_) | Self::Ip6(_))
    }
}

/// What one term is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum TermKind {
    /// A qualified mechanism (RFC 7208 §4.6.2).
    Directive {
        /// The qualifier, `+` by default.
        qualifier: Qualifier,
        /// The mechanism.
        mechanism: Mechanism,
    },
    /// `redirect=<domain-spec>` (RFC 7208 §6.1).
    Redirect(String),
    /// `exp=<domain-spec>` (RFC 7208 §6.2).
    Exp(String),
    /// A modifier this grammar does not define; ignored (RFC 7208 §6).
    Unknown {
        /// Its name.
        name: String,
    },
}

/// One term, as written and as understood.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Term {
    /// The term as written in the record.
    pub text: String,
    /// What it is.
    pub kind: TermKind,
}

/// A term the grammar refuses, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{}: {reason}", smtp::quoted(.term))]
pub struct TermError {
    /// The term as written.
    pub term: String,
    /// Why it is refused.
    pub reason: String,
}
