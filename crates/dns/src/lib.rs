//! DNSSEC-aware lookups for Sealane.
//!
//! This crate owns every DNS question Sealane asks on the delivery path — MX,
//! A/AAAA, TLSA and TXT — and the one thing that makes their answers usable
//! for security decisions: a DNSSEC status ([`DnssecStatus`]) that Sealane
//! computes itself, from its own trust anchors ([`TrustAnchor`]), whatever
//! upstream server it is given. It asks with the DO and CD bits so that a
//! validating upstream hands over bogus data for us to judge, validates with
//! hickory's DNSSEC validator, keeps lookup failures (SERVFAIL, timeouts —
//! [`DnsError`]) apart from answers (records, NXDOMAIN, NODATA — [`Lookup`]),
//! and caches answers by their TTL, negative ones included, with their status.
//! The [`Resolver`] and its cache are meant to be shared by every task; it
//! counts its cache hits and the time its network lookups take
//! ([`Resolver::stats`]) for the daemon's metrics.
//!
//! It does not decide what a status means for delivery (that is the `policy`
//! crate's job) and knows nothing of SMTP or TLS.

mod anchor;
mod ask;
mod cache;
pub mod clock;
mod config;
mod error;
mod inflight;
mod lookup;
mod mx;
mod raw;
mod records;
mod resolver;
mod stats;
mod status;
mod texts;
mod transport;
mod trusted;
mod validators;
mod wildcard;

pub use anchor::{TrustAnchor, TrustAnchorError};
pub use config::{ResolverConfig, system_nameservers};
pub use error::{DnsError, LocalFault};
pub use lookup::{Absence, Alias, Lookup};
pub use mx::{MxHost, MxKind, MxSet};
pub use raw::{RawRecord, RawRrset, RawSignature};
pub use records::{Mx, RecordKind, Tlsa, Txt};
pub use resolver::Resolver;
pub use stats::{LOOKUP_BUCKETS, ResolverStats};
pub use status::DnssecStatus;
pub use texts::NameFault;

/// Re-exported so callers can name DNS names and record types without
/// depending on hickory themselves.
pub use hickory_proto::rr::{Name, RecordType};
