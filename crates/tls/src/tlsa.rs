//! The TLSA record (RFC 6698 §2): its fields, wire form and presentation form.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::hex;

/// Certificate usage field (RFC 6698 §2.1.1, names from RFC 7218 §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Usage {
    /// 0, PKIX-TA: CA constraint. Unusable for SMTP (RFC 7672 §3.1.3).
    PkixTa,
    /// 1, PKIX-EE: service certificate constraint. Unusable for SMTP (RFC 7672 §3.1.3).
    PkixEe,
    /// 2, DANE-TA: trust anchor assertion (RFC 7672 §3.1.2).
    DaneTa,
    /// 3, DANE-EE: domain-issued certificate (RFC 7672 §3.1.1).
    DaneEe,
    /// Any other value (4–255); unusable.
    Other(u8),
}

/// Selector field (RFC 6698 §2.1.2, names from RFC 7218 §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Selector {
    /// 0, Cert: the full certificate, DER.
    Cert,
    /// 1, SPKI: the DER SubjectPublicKeyInfo.
    Spki,
    /// Any other value (2–255); unusable.
    Other(u8),
}

/// Matching type field (RFC 6698 §2.1.3, names from RFC 7218 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Matching {
    /// 0, Full: the selected content itself, compared exactly.
    Full,
    /// 1, SHA2-256 of the selected content.
    Sha256,
    /// 2, SHA2-512 of the selected content.
    Sha512,
    /// Any other value (3–255); unusable.
    Other(u8),
}

macro_rules! numbered {
    ($ty:ident, $($variant:ident = $value:literal, $name:literal;)+) => {
        impl From<u8> for $ty {
            fn from(value: u8) -> Self {
                match value {
                    $($value => $ty::$variant,)+
                    other => $ty::Other(other),
                }
            }
        }

        impl From<$ty> for u8 {
            fn from(value: $ty) -> u8 {
                match value {
                    $($ty::$variant => $value,)+
                    $ty::Other(other) => other,
                }
            }
        }

        impl $ty {
            /// Parses a field from its number or its RFC 7218 acronym (any case).
            fn parse_field(text: &str) -> Option<Self> {
                if let Ok(number) = text.parse::<u8>() {
                    return Some(Self::from(number));
                }
                $(if text.eq_ignore_ascii_case($name) {
                    return Some($ty::$variant);
                })+
                None
            }
        }
    };
}

numbered!(Usage, PkixTa = 0, "PKIX-TA"; PkixEe = 1, "PKIX-EE"; DaneTa = 2, "DANE-TA"; DaneEe = 3, "DANE-EE";);
numbered!(Selector, Cert = 0, "Cert"; Spki = 1, "SPKI";);
numbered!(Matching, Full = 0, "Full"; Sha256 = 1, "SHA2-256"; Sha512 = 2, "SHA2-512";);

/// One TLSA record: RFC 6698 §2.1 wire format
///
/// ```text
/// | Cert. Usage (1) | Selector (1) | Matching Type (1) | Certificate Association Data |
/// ```
///
/// Serialized (serde) as its presentation form, e.g. `"3 1 1 2bb1…"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Tlsa {
    /// Certificate usage.
    pub usage: Usage,
    /// Which part of the certificate is matched.
    pub selector: Selector,
    /// How the selected content is compared.
    pub matching: Matching,
    /// Certificate association data (the content or its digest).
    pub data: Vec<u8>,
}

/// Why a TLSA record could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlsaParseError {
    /// A field is missing; names the first missing field.
    #[error("TLSA record is missing the {0} field")]
    Missing(&'static str),
    /// A numeric field is not a number 0–255 nor an RFC 7218 acronym.
    #[error("TLSA {field} {} is not a number from 0 to 255", crate::quoted(.value))]
    BadField {
        /// Which field.
        field: &'static str,
        /// The text found.
        value: String,
    },
    /// The association data is not an even number of hexadecimal digits.
    #[error("TLSA certificate association data is not hexadecimal")]
    BadHex,
}

impl Tlsa {
    /// A record from its parts.
    pub fn new(usage: Usage, selector: Selector, matching: Matching, data: Vec<u8>) -> Self {
        Self {
            usage,
            selector,
            matching,
            data,
        }
    }

    /// Reads the RDATA wire form (RFC 6698 §2.1): three octets, then the
    /// association data (at least one octet).
    pub fn from_rdata(rdata: &[u8]) -> Result<Self, TlsaParseError> {
        match rdata {
            [] => Err(TlsaParseError::Missing("certificate usage")),
            [_] => Err(TlsaParseError::Missing("selector")),
            [_, _] => Err(TlsaParseError::Missing("matching type")),
            [_, _, _] => Err(TlsaParseError::Missing("certificate association data")),
            [usage, selector, matching, data @ ..] => Ok(Self::new(
                Usage::from(*usage),
                Selector::from(*selector),
                Matching::from(*matching),
                data.to_vec(),
            )),
        }
    }

    /// The RDATA wire form (RFC 6698 §2.1).
    pub fn to_rdata(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(3 + self.data.len());
        out.extend([
            u8::from(self.usage),
            u8::from(self.selector),
            u8::from(self.matching),
        ]);
        out.extend_from_slice(&self.data);
        out
    }
}

/// Parses the presentation form (RFC 6698 §2.2): `U S M HEX`, where the
/// three fields are decimal numbers (RFC 7218 acronyms such as `DANE-EE`
/// are accepted too) and whitespace may appear inside the hexadecimal data.
impl FromStr for Tlsa {
    type Err = TlsaParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut rest = text.trim_start();
        let mut fields = [""; 3];
        let names = ["certificate usage", "selector", "matching type"];
        for (slot, name) in fields.iter_mut().zip(names) {
            if rest.is_empty() {
                return Err(TlsaParseError::Missing(name));
            }
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            *slot = &rest[..end];
            rest = rest[end..].trim_start();
        }
        let field = |index: usize| TlsaParseError::BadField {
            field: names[index],
            value: fields[index].to_owned(),
        };
        let usage = Usage::parse_field(fields[0]).ok_or_else(|| field(0))?;
        let selector = Selector::parse_field(fields[1]).ok_or_else(|| field(1))?;
        let matching = Matching::parse_field(fields[2]).ok_or_else(|| field(2))?;
        if rest.trim().is_empty() {
            return Err(TlsaParseError::Missing("certificate association data"));
        }
        let data = hex::decode(rest).ok_or(TlsaParseError::BadHex)?;
        Ok(Self::new(usage, selector, matching, data))
    }
}

/// The presentation form with numeric fields and lower-case hex, e.g. `3 1 1 ab12…`.
impl fmt::Display for Tlsa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {}",
            u8::from(self.usage),
            u8::from(self.selector),
            u8::from(self.matching),
            hex::encode(&self.data)
        )
    }
}

impl From<Tlsa> for String {
    fn from(record: Tlsa) -> String {
        record.to_string()
    }
}

impl TryFrom<String> for Tlsa {
    type Error = TlsaParseError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_presentation_form_with_spaces_in_hex() {
        let record: Tlsa = "3 1 1 0a0B 0c\n0d".parse().unwrap();
        assert_eq!(record.usage, Usage::DaneEe);
        assert_eq!(record.selector, Selector::Spki);
        assert_eq!(record.matching, Matching::Sha256);
        assert_eq!(record.data, vec![0x0a, 0x0b, 0x0c, 0x0d]);
        assert_eq!(record.to_string(), "3 1 1 0a0b0c0d");
    }

    #[test]
    fn parses_rfc7218_acronyms_and_unknown_numbers() {
        let record: Tlsa = "dane-ta spki sha2-512 ff".parse().unwrap();
        assert_eq!(
            (record.usage, record.selector, record.matching),
            (Usage::DaneTa, Selector::Spki, Matching::Sha512)
        );
        let record: Tlsa = "7 9 200 ff".parse().unwrap();
        assert_eq!(record.usage, Usage::Other(7));
        assert_eq!(record.to_string(), "7 9 200 ff");
    }

    #[test]
    fn rejects_bad_input_with_typed_errors() {
        assert_eq!(
            "".parse::<Tlsa>(),
            Err(TlsaParseError::Missing("certificate usage"))
        );
        assert_eq!(
            "3 1".parse::<Tlsa>(),
            Err(TlsaParseError::Missing("matching type"))
        );
        assert_eq!(
            "3 1 1".parse::<Tlsa>(),
            Err(TlsaParseError::Missing("certificate association data"))
        );
        assert_eq!(
            "256 1 1 ab".parse::<Tlsa>(),
            Err(TlsaParseError::BadField {
                field: "certificate usage",
                value: "256".into()
            })
        );
        assert_eq!("3 1 1 abc".parse::<Tlsa>(), Err(TlsaParseError::BadHex));
        assert_eq!("3 1 1 xy".parse::<Tlsa>(), Err(TlsaParseError::BadHex));
    }

    #[test]
    fn wire_form_round_trips() {
        let record = Tlsa::from_rdata(&[2, 0, 1, 0xaa, 0xbb]).unwrap();
        assert_eq!(record.to_string(), "2 0 1 aabb");
        assert_eq!(record.to_rdata(), vec![2, 0, 1, 0xaa, 0xbb]);
        assert_eq!(
            Tlsa::from_rdata(&[3, 1, 1]),
            Err(TlsaParseError::Missing("certificate association data"))
        );
    }

    #[test]
    fn serializes_as_presentation_string() {
        let record: Tlsa = "3 1 2 00ff".parse().unwrap();
        let json = serde_json::to_string(&record).unwrap();
        assert_eq!(json, "\"3 1 2 00ff\"");
        assert_eq!(serde_json::from_str::<Tlsa>(&json).unwrap(), record);
    }
}
