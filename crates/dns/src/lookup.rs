//! An answer: the records found (or why there are none) and how far they
//! can be trusted.

use hickory_proto::rr::{Name, RecordType};
use serde::{Serialize, Serializer};

use crate::records::serialize_name;
use crate::status::DnssecStatus;

/// Why an answer holds no records (RFC 2308 §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Absence {
    /// The name does not exist (NXDOMAIN).
    NxDomain,
    /// The name exists but has no records of the type asked for (NODATA).
    NoData,
}

/// The answer to one question, after following CNAMEs.
///
/// `status` covers the whole answer: every link of the alias chain and the
/// final records, or the denial of existence when there are none. It is the
/// weakest status among them (see [`DnssecStatus::weakest`]).
#[must_use]
#[derive(Clone, Debug, Serialize)]
pub struct Lookup<T> {
    /// The name asked about.
    #[serde(serialize_with = "serialize_name")]
    pub name: Name,
    /// The type asked about.
    #[serde(rename = "type", serialize_with = "serialize_type")]
    pub rtype: RecordType,
    /// The name the records are at, after aliases.
    #[serde(serialize_with = "serialize_name")]
    pub canonical_name: Name,
    /// Each alias followed, with the status of its CNAME record, in order.
    pub aliases: Vec<Alias>,
    /// The records found; empty when `absence` says why.
    pub records: Vec<T>,
    /// Why there are no records, when there are none.
    pub absence: Option<Absence>,
    /// The DNSSEC status of the whole answer.
    pub status: DnssecStatus,
    /// Seconds the answer may still be used.
    pub ttl: u32,
    /// Whether the answer came from the cache.
    pub cached: bool,
}

/// One CNAME link followed.
#[derive(Clone, Debug, Serialize)]
pub struct Alias {
    /// The alias.
    #[serde(serialize_with = "serialize_name")]
    pub owner: Name,
    /// Its target.
    #[serde(serialize_with = "serialize_name")]
    pub target: Name,
    /// The DNSSEC status of the CNAME record.
    pub status: DnssecStatus,
}

fn serialize_type<S: Serializer>(rtype: &RecordType, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(rtype)
}

impl<T> Lookup<T> {
    /// Converts the records, keeping everything else.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Lookup<U> {
        Lookup {
            name: self.name,
            rtype: self.rtype,
            canonical_name: self.canonical_name,
            aliases: self.aliases,
            records: self.records.into_iter().map(f).collect(),
            absence: self.absence,
            status: self.status,
            ttl: self.ttl,
            cached: self.cached,
        }
    }

    /// Keeps only the records `f` converts.
    pub fn filter_map<U>(self, f: impl FnMut(T) -> Option<U>) -> Lookup<U> {
        Lookup {
            name: self.name,
            rtype: self.rtype,
            canonical_name: self.canonical_name,
            aliases: self.aliases,
            records: self.records.into_iter().filter_map(f).collect(),
            absence: self.absence,
            status: self.status,
            ttl: self.ttl,
            cached: self.cached,
        }
    }

    /// True when the answer holds no records.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// True when the records (or their absence) are proven by DNSSEC.
    pub fn is_secure(&self) -> bool {
        self.status.is_secure()
    }
}
