//! DKIM (RFC 6376, RFC 8463 for Ed25519): verification on arrival with the
//! minimums of RFC 8301, signing on departure, new keys and what their
//! published records say.

mod keygen;
mod record;
mod sign;
mod verify;

use serde::Serialize;

pub use keygen::{KeyAlgorithm, NewKey, generate};
pub use record::{KeyRecord, RecordError};
pub use sign::{DkimKey, DkimSigner, KeyError, SignError};
pub use verify::verify;

/// The result of one DKIM signature's verification (RFC 8601 §2.7.1).
#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DkimResult {
    /// The signature verified.
    Pass,
    /// The signature did not verify.
    Fail,
    /// The signature is valid but not acceptable to us (RSA-SHA1, RFC 8301 §3.1).
    Policy,
    /// The signature could not be processed (syntax, expiry, body hash).
    Neutral,
    /// The key could not be fetched for now.
    TempError,
    /// The key record is missing or unusable.
    PermError,
}

impl DkimResult {
    /// The result name used in `Authentication-Results`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Policy => "policy",
            Self::Neutral => "neutral",
            Self::TempError => "temperror",
            Self::PermError => "permerror",
        }
    }
}

impl std::fmt::Display for DkimResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one DKIM-Signature header field came to.
#[must_use]
#[derive(Clone, Debug, Serialize)]
pub struct DkimVerdict {
    /// The result.
    pub result: DkimResult,
    /// The signing domain (`d=`); empty when the field did not parse.
    pub domain: String,
    /// The selector (`s=`).
    pub selector: String,
    /// The algorithm (`a=`).
    pub algorithm: String,
    /// The first characters of `b=`, to tell signatures apart (RFC 6008).
    pub header_b: String,
    /// Why the result is not `pass`, in words.
    pub problem: Option<String>,
    /// The DNSSEC status of the key record, when one was fetched.
    pub key_dnssec: Option<dns::DnssecStatus>,
}
