//! The one table of this crate's own wording for what went wrong on the
//! wire or in a name. hickory's error texts (`Malformed label: …`,
//! `no records found for Query { … }`, `request timed out`) are written for
//! programmers; an administrator reads these instead.

use hickory_net::{DnsError as HickoryDnsError, NetError};
use hickory_proto::op::ResponseCode;

/// Why a text is not a domain name (RFC 1035 §2.3.1, §2.3.4; RFC 5891).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameFault {
    /// Nothing, or whitespace or control characters.
    #[error("it is empty or contains spaces or control characters")]
    Blank,
    /// Two dots in a row, or a dot at the start.
    #[error("it has an empty label (two dots in a row, or a dot at the start)")]
    EmptyLabel,
    /// A label over 63 octets (after IDNA encoding).
    #[error("the label \"{0}\" is longer than 63 octets (RFC 1035 §2.3.4)")]
    LabelTooLong(String),
    /// The whole name over 253 characters (255 octets on the wire).
    #[error("it is longer than 253 characters (RFC 1035 §2.3.4)")]
    TooLong,
    /// A label with a character a host name cannot have.
    #[error(
        "the label \"{0}\" has a character a domain name cannot have \
         (letters, digits, hyphens and underscores; international names are written as IDNA, RFC 5891)"
    )]
    BadCharacter(String),
}

impl NameFault {
    /// The first fault of `text` as a domain name that is refused, in the
    /// order an administrator fixes them. `None` when none of ours is
    /// found (the caller then names [`NameFault::BadCharacter`] of the
    /// whole text).
    pub(crate) fn find(text: &str) -> Option<Self> {
        if text.is_empty() || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Some(Self::Blank);
        }
        let relative = text.strip_suffix('.').unwrap_or(text);
        if relative.len() > 253 {
            return Some(Self::TooLong);
        }
        if text == "." {
            return None;
        }
        for label in relative.split('.') {
            if label.is_empty() {
                return Some(Self::EmptyLabel);
            }
            if label.len() > 63 {
                return Some(Self::LabelTooLong(label.to_owned()));
            }
            if hickory_proto::rr::Name::from_utf8(label).is_err() {
                return Some(Self::BadCharacter(label.to_owned()));
            }
        }
        None
    }
}

/// What happened to an exchange that brought no usable answer, in our
/// words.
pub(crate) fn exchange_failure(error: &NetError) -> String {
    match error {
        NetError::Timeout => "no answer before the timeout".into(),
        NetError::Io(io) => format!("network error: {}", io.kind()),
        NetError::Busy | NetError::NoConnections => {
            "no connection to the server could be made".into()
        }
        NetError::Proto(_) => "the answer could not be read (not a well-formed DNS message)".into(),
        NetError::Dns(HickoryDnsError::ResponseCode(code)) => {
            format!("the server answered {}", rcode(*code))
        }
        NetError::Dns(HickoryDnsError::NoRecordsFound(none)) => {
            if none.response_code == ResponseCode::NXDomain {
                "no such name (NXDOMAIN)".into()
            } else {
                format!(
                    "no records (the server answered {})",
                    rcode(none.response_code)
                )
            }
        }
        NetError::Dns(HickoryDnsError::Nsec { .. }) => {
            "the denial of existence could not be proven".into()
        }
        NetError::Dns(HickoryDnsError::DnssecBogus) => "DNSSEC validation failed".into(),
        // Raised by our own transport (see `transport`) with our wording.
        NetError::Msg(text) => text.clone(),
        _ => "the exchange with the server failed".into(),
    }
}

/// Why a file could not be read, without the system's code
/// (`No such file or directory (os error 2)`).
pub(crate) fn file_error(error: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match error.kind() {
        K::NotFound => "no such file or directory".into(),
        K::PermissionDenied => "permission denied".into(),
        K::IsADirectory => "it is a directory".into(),
        K::InvalidData => "it is not UTF-8 text".into(),
        other => other.to_string(),
    }
}

/// A response code as `dig` prints it (RFC 1035 §4.1.1, RFC 6895 §2.3).
pub(crate) fn rcode(code: ResponseCode) -> String {
    let name = match code {
        ResponseCode::NoError => "NOERROR",
        ResponseCode::FormErr => "FORMERR",
        ResponseCode::ServFail => "SERVFAIL",
        ResponseCode::NXDomain => "NXDOMAIN",
        ResponseCode::NotImp => "NOTIMP",
        ResponseCode::Refused => "REFUSED",
        ResponseCode::YXDomain => "YXDOMAIN",
        ResponseCode::YXRRSet => "YXRRSET",
        ResponseCode::NXRRSet => "NXRRSET",
        ResponseCode::NotAuth => "NOTAUTH",
        ResponseCode::NotZone => "NOTZONE",
        ResponseCode::BADVERS => "BADVERS",
        ResponseCode::BADSIG => "BADSIG",
        ResponseCode::BADKEY => "BADKEY",
        ResponseCode::BADTIME => "BADTIME",
        ResponseCode::BADMODE => "BADMODE",
        ResponseCode::BADNAME => "BADNAME",
        ResponseCode::BADALG => "BADALG",
        ResponseCode::BADTRUNC => "BADTRUNC",
        ResponseCode::BADCOOKIE => "BADCOOKIE",
        other => return format!("RCODE{}", u16::from(other)),
    };
    name.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::Query;
    use hickory_proto::rr::{Name, RecordType};

    /// Library texts that must never reach an administrator.
    fn leaks(text: &str) -> bool {
        [
            "Query {",
            "Name(",
            "Malformed label",
            "Err(",
            "Errors",
            "request timed out",
        ]
        .iter()
        .any(|fragment| text.contains(fragment))
    }

    #[test]
    fn names_are_refused_in_our_words() {
        let cases = [
            ("bad..name", NameFault::EmptyLabel),
            (".lead.test", NameFault::EmptyLabel),
            ("a$b.test", NameFault::BadCharacter("a$b".into())),
            ("sp ace.test", NameFault::Blank),
        ];
        for (text, fault) in cases {
            assert_eq!(NameFault::find(text), Some(fault.clone()), "{text}");
            assert!(!leaks(&fault.to_string()), "{fault}");
        }
        let long = format!("{}.test", "a".repeat(64));
        assert!(matches!(
            NameFault::find(&long),
            Some(NameFault::LabelTooLong(_))
        ));
        assert_eq!(NameFault::find(&"a.".repeat(130)), Some(NameFault::TooLong));
        for good in [
            "example.com",
            "example.com.",
            "_25._tcp.mx.example.com",
            ".",
            "bücher.test",
        ] {
            assert_eq!(NameFault::find(good), None, "{good}");
        }
    }

    #[test]
    fn exchange_failures_are_told_in_our_words() {
        let none = hickory_net::NoRecords::new(
            Query::query(Name::from_ascii("nosuch.test.").unwrap(), RecordType::MX),
            ResponseCode::NXDomain,
        );
        let cases = [
            (NetError::Timeout, "no answer before the timeout"),
            (
                NetError::Dns(HickoryDnsError::NoRecordsFound(none)),
                "no such name (NXDOMAIN)",
            ),
            (
                NetError::Dns(HickoryDnsError::ResponseCode(ResponseCode::Refused)),
                "the server answered REFUSED",
            ),
        ];
        for (error, said) in cases {
            let text = exchange_failure(&error);
            assert_eq!(text, said);
            assert!(!leaks(&text), "{text}");
        }
    }
}
