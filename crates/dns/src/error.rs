//! Lookup failures: the server could not give an answer at all.
//!
//! NXDOMAIN and NODATA are answers, not failures (see [`crate::Absence`]);
//! a bogus answer is an answer with [`crate::DnssecStatus::Bogus`].

use hickory_proto::rr::RecordType;

use crate::texts::NameFault;

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
    #[error("\"{input}\" is not a valid domain name: {reason}")]
    BadName {
        /// What was given.
        input: String,
        /// Why it was refused.
        reason: NameFault,
    },
    /// The server gave a referral instead of an answer: it does not serve
    /// the zone the name is in (asked straight at an authoritative server
    /// for a name in a child zone it only delegates). Nothing was answered,
    /// so nothing can be bogus: a lookup failure like a timeout.
    #[error(
        "{name} {rtype}: the DNS server gave a referral to {zone} instead of an answer; \
         Sealane needs a recursive resolver, or the server that serves {zone}"
    )]
    Referral {
        /// The name asked about.
        name: String,
        /// The type asked about.
        rtype: RecordType,
        /// The zone the server referred to.
        zone: String,
    },
    /// Our own resolver is at fault, not the domain asked about: the zone
    /// of a trust anchor, where every validation starts, cannot be
    /// validated through the configured upstream servers (RFC 4035 §5: the
    /// anchor must authenticate that zone's DNSKEY RRset).
    #[error(
        "the local DNS resolver cannot serve DNSSEC: asked for the DNSKEY records of {anchor} \
         (the trust anchor's zone), {seen}; this is a problem of this system, not of the \
         recipient: point Sealane at a resolver that answers and passes DNSSEC records on \
         (DO and CD bits, RRSIGs), or correct the trust anchors"
    )]
    LocalResolver {
        /// The trust anchor's zone.
        anchor: String,
        /// What the upstream did.
        seen: LocalFault,
    },
}

/// What a local resolver that cannot serve DNSSEC did when asked for the
/// trust anchor zone's DNSKEY RRset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LocalFault {
    /// No answer, or the exchange failed.
    #[error("got no answer ({reason})")]
    NoAnswer {
        /// What the transport reported.
        reason: String,
    },
    /// An error response code (NXDOMAIN, REFUSED, SERVFAIL...).
    #[error("got {code} (a resolver that denies the trust anchor's own zone)")]
    ResponseCode {
        /// The response code.
        code: String,
    },
    /// An answer without any DNSKEY record.
    #[error("got no DNSKEY record")]
    NoKeys,
    /// DNSKEY records without any RRSIG: signatures stripped on the way.
    #[error("got DNSKEY records without signatures (RRSIGs stripped)")]
    SignaturesStripped,
    /// No key served matches the configured anchors.
    #[error("none of the {served} DNSKEY records served matches the configured trust anchors")]
    NoMatchingKey {
        /// How many keys were served.
        served: usize,
    },
    /// No signature by an anchored key over the DNSKEY RRset verifies now.
    #[error("no signature by a trusted key over the DNSKEY records verifies ({reason})")]
    SignatureInvalid {
        /// Why the last candidate failed.
        reason: String,
    },
}

impl DnsError {
    /// Whether asking again later may succeed. Only a malformed name is
    /// permanent; every upstream failure is temporary (DESIGN §2: `4.4.312`).
    pub fn is_temporary(&self) -> bool {
        !matches!(self, Self::BadName { .. })
    }

    /// Whether this is a failure of the upstream to answer (SERVFAIL,
    /// REFUSED, timeout, transport), which may be the local resolver's.
    pub(crate) fn is_upstream_failure(&self) -> bool {
        matches!(
            self,
            Self::ServFail { .. }
                | Self::Refused { .. }
                | Self::Timeout { .. }
                | Self::Transport { .. }
        )
    }

    /// Whether the fault is on our side (the local resolver or the trust
    /// anchors), not the domain's.
    pub fn is_local(&self) -> bool {
        matches!(self, Self::LocalResolver { .. })
    }
}
