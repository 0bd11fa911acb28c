//! The DNSSEC status of an answer (RFC 4035 §4.3).

use hickory_proto::dnssec::Proof;
use serde::Serialize;

/// What DNSSEC validation concluded about an answer.
///
/// It defaults to [`DnssecStatus::Indeterminate`], the value that is unsafe
/// to trust: code that forgets to set it never mistakes an answer for secure.
#[must_use]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DnssecStatus {
    /// An unbroken chain of signatures from a trust anchor covers the answer.
    Secure,
    /// The answer is provably unsigned: a signed parent proves there is no DS
    /// for its zone.
    Insecure,
    /// Validation was attempted and failed: bad, expired or missing
    /// signatures, or a DS that matches no key.
    Bogus,
    /// Validation could not conclude.
    #[default]
    Indeterminate,
}

impl DnssecStatus {
    /// True only for [`DnssecStatus::Secure`].
    pub fn is_secure(self) -> bool {
        self == Self::Secure
    }

    /// The weaker of two statuses, for answers built from several RRsets
    /// (a CNAME chain and its target): Bogus, then Indeterminate, then
    /// Insecure, then Secure.
    pub fn weakest(self, other: Self) -> Self {
        if other.weakness() > self.weakness() {
            other
        } else {
            self
        }
    }

    fn weakness(self) -> u8 {
        match self {
            Self::Secure => 0,
            Self::Insecure => 1,
            Self::Indeterminate => 2,
            Self::Bogus => 3,
        }
    }

    /// The lower-case name used in reports and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Secure => "secure",
            Self::Insecure => "insecure",
            Self::Bogus => "bogus",
            Self::Indeterminate => "indeterminate",
        }
    }
}

impl std::fmt::Display for DnssecStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<Proof> for DnssecStatus {
    fn from(proof: Proof) -> Self {
        match proof {
            Proof::Secure => Self::Secure,
            Proof::Insecure => Self::Insecure,
            Proof::Bogus => Self::Bogus,
            Proof::Indeterminate => Self::Indeterminate,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::DnssecStatus::*;

    #[test]
    fn weakest_prefers_bogus_then_indeterminate_then_insecure() {
        assert_eq!(Secure.weakest(Insecure), Insecure);
        assert_eq!(Insecure.weakest(Indeterminate), Indeterminate);
        assert_eq!(Indeterminate.weakest(Bogus), Bogus);
        assert_eq!(Bogus.weakest(Secure), Bogus);
        assert_eq!(Secure.weakest(Secure), Secure);
    }

    #[test]
    fn default_is_not_trusted() {
        assert!(!super::DnssecStatus::default().is_secure());
    }
}
