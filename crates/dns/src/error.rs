//! Lookup failures: the server could not give an answer at all.
//!
//! NXDOMAIN and NODATA are answers, not failures (see [`crate::Absence`]);
//! a bogus answer is an answer with [`crate::DnssecStatus::Bogus`].

use hickory_proto::rr::RecordType;

/// Why a lookup produced no answer.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum DnsError {
    /// The upstream answered SERVFAIL.
    #[error("{name} {rtype}: server failure (SERVFAIL)")]
    ServFail {
        /// The name asked about.
        name: String,
        /// The type asked about.
        rtype: RecordType,
    },
    /// The upstream refused the query.
    #[error("{name} {rtype}: query refused (REFUSED)")]
    Refused {
        /// The name asked about.
        name: String,
        /// The type asked about.
        rtype: RecordType,
    },
    /// No answer arrived in time.
    #[error("{name} {rtype}: no answer from the DNS server before the timeout")]
    Timeout {
        /// The name asked about.
        name: String,
        /// The type asked about.
        rtype: RecordType,
    },
    /// The server could not be reached or the exchange failed.
    #[error("{name} {rtype}: DNS exchange failed: {reason}")]
    Transport {
        /// The name asked about.
        name: String,
        /// The type asked about.
        rtype: RecordType,
        /// What the transport reported.
        reason: String,
    },
    /// An alias chain that loops or is longer than we follow.
    #[error("{name}: CNAME chain loops or is longer than {limit} links")]
    CnameChain {
        /// The name whose chain was followed.
        name: String,
        /// The longest chain followed.
        limit: usize,
    },
    /// The name is not a valid domain name.
    #[error("{input:?} is not a valid domain name: {reason}")]
    BadName {
        /// What was given.
        input: String,
        /// Why it was refused.
        reason: String,
    },
    /// A DS trust anchor could not be turned into a trusted key.
    #[error("trust anchor for {owner}: {reason}")]
    TrustAnchor {
        /// The owner name of the anchor.
        owner: String,
        /// What went wrong.
        reason: String,
    },
}

impl DnsError {
    /// Whether asking again later may succeed. Only a malformed name is
    /// permanent; every upstream failure is temporary (DESIGN §2: `4.4.312`).
    pub fn is_temporary(&self) -> bool {
        !matches!(self, Self::BadName { .. })
    }
}
