//! Typed record data for the answers delivery uses.

use hickory_proto::rr::Name;
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::rdata::tlsa::TLSA;
use serde::{Serialize, Serializer};

/// Serializes a DNS name in presentation form, with its trailing dot.
pub(crate) fn serialize_name<S: Serializer>(name: &Name, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(name)
}

/// An MX record (RFC 1035 §3.3.9).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mx {
    /// Lower is preferred (RFC 5321 §5.1).
    pub preference: u16,
    /// The mail exchanger's host name; `.` in a null MX (RFC 7505).
    #[serde(serialize_with = "serialize_name")]
    pub exchange: Name,
}

/// A TLSA record (RFC 6698 §2.1), with its fields as numbers so that unknown
/// values survive to be judged unusable by the DANE code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Tlsa {
    /// Certificate usage (0–3 defined).
    pub usage: u8,
    /// Selector: 0 full certificate, 1 SubjectPublicKeyInfo.
    pub selector: u8,
    /// Matching type: 0 exact, 1 SHA-256, 2 SHA-512.
    pub matching: u8,
    /// Certificate association data.
    #[serde(serialize_with = "serialize_hex")]
    pub data: Vec<u8>,
}

fn serialize_hex<S: Serializer>(data: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&Hex(data))
}

struct Hex<'a>(&'a [u8]);

impl std::fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl From<&TLSA> for Tlsa {
    fn from(tlsa: &TLSA) -> Self {
        Self {
            usage: tlsa.cert_usage.into(),
            selector: tlsa.selector.into(),
            matching: tlsa.matching.into(),
            data: tlsa.cert_data.clone(),
        }
    }
}

impl std::fmt::Display for Tlsa {
    /// RFC 6698 §2.2 presentation form: `usage selector matching hex`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} {} {}",
            self.usage,
            self.selector,
            self.matching,
            Hex(&self.data)
        )
    }
}

/// A TXT record: its character strings, in order (RFC 1035 §3.3.14).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Txt {
    /// The character strings, as sent.
    pub strings: Vec<String>,
}

impl Txt {
    /// The strings joined without separators, as SPF, DMARC, MTA-STS and
    /// TLS-RPT records are read (RFC 7208 §3.3).
    pub fn joined(&self) -> String {
        self.strings.concat()
    }
}

impl From<&TXT> for Txt {
    fn from(txt: &TXT) -> Self {
        Self {
            strings: txt
                .txt_data
                .iter()
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect(),
        }
    }
}

/// A record of any type in presentation form, for tools that print answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecordKind {
    /// The owner name.
    #[serde(serialize_with = "serialize_name")]
    pub owner: Name,
    /// The record type.
    #[serde(rename = "type")]
    pub rtype: String,
    /// The TTL as received (or as left in the cache).
    pub ttl: u32,
    /// The record data in presentation form.
    pub data: String,
}
