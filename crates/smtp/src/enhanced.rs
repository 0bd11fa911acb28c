//! Enhanced mail system status codes (RFC 3463), `class.subject.detail`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The class of an enhanced status code: the first of its three numbers
/// (RFC 3463 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Class {
    /// `2.X.X`: success.
    Success,
    /// `4.X.X`: persistent transient failure; the same request may succeed later.
    Transient,
    /// `5.X.X`: permanent failure; the same request will not succeed.
    Permanent,
}

impl Class {
    /// The digit that stands for this class on the wire.
    pub const fn digit(self) -> u8 {
        match self {
            Class::Success => 2,
            Class::Transient => 4,
            Class::Permanent => 5,
        }
    }

    /// The class for a digit, if it names one (2, 4 or 5).
    pub const fn from_digit(digit: u8) -> Option<Class> {
        match digit {
            2 => Some(Class::Success),
            4 => Some(Class::Transient),
            5 => Some(Class::Permanent),
            _ => None,
        }
    }
}

/// An enhanced status code, RFC 3463 §2:
///
/// ```text
/// status-code = class "." subject "." detail
/// class = "2" / "4" / "5"
/// subject = 1*3digit
/// detail = 1*3digit
/// ```
///
/// Displayed and parsed as `4.7.321`; serialised as that string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EnhancedCode {
    /// Success, transient or permanent.
    pub class: Class,
    /// What the code is about (RFC 3463 §3.2: 1 addressing, 4 network and
    /// routing, 7 security, ...); at most three digits.
    pub subject: u16,
    /// The detail within the subject; at most three digits.
    pub detail: u16,
}

/// Why a text is not an enhanced status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnhancedCodeError {
    /// The class is not 2, 4 or 5.
    #[error("enhanced status code class is not 2, 4 or 5")]
    BadClass,
    /// Not three dot-separated numbers of one to three digits.
    #[error("enhanced status code is not class.subject.detail with 1-3 digit numbers")]
    Syntax,
}

impl EnhancedCode {
    /// A code from its three parts.
    pub const fn new(class: Class, subject: u16, detail: u16) -> EnhancedCode {
        EnhancedCode {
            class,
            subject,
            detail,
        }
    }

    /// The same subject and detail with another class, e.g. the temporary
    /// `4.7.321` for the final `5.7.321`.
    pub const fn with_class(self, class: Class) -> EnhancedCode {
        EnhancedCode { class, ..self }
    }

    /// `2.0.0`: other or undefined success.
    pub const OK: EnhancedCode = EnhancedCode::new(Class::Success, 0, 0);
    /// `2.1.0`: the sender address is valid.
    pub const SENDER_OK: EnhancedCode = EnhancedCode::new(Class::Success, 1, 0);
    /// `2.1.5`: the destination address is valid.
    pub const RECIPIENT_OK: EnhancedCode = EnhancedCode::new(Class::Success, 1, 5);

    /// `4.3.0`: other or undefined mail system status (temporary).
    pub const SYSTEM_TEMPORARY: EnhancedCode = EnhancedCode::new(Class::Transient, 3, 0);
    /// `4.3.2`: system not accepting network messages.
    pub const SYSTEM_NOT_ACCEPTING: EnhancedCode = EnhancedCode::new(Class::Transient, 3, 2);
    /// `4.4.2`: bad connection (e.g. a timeout).
    pub const BAD_CONNECTION: EnhancedCode = EnhancedCode::new(Class::Transient, 4, 2);
    /// `4.5.3`: too many recipients (RFC 3463 §3.6).
    pub const TOO_MANY_RECIPIENTS: EnhancedCode = EnhancedCode::new(Class::Transient, 5, 3);
    /// `4.7.0`: other or undefined security status (temporary), e.g. TLS not available.
    pub const SECURITY_TEMPORARY: EnhancedCode = EnhancedCode::new(Class::Transient, 7, 0);

    /// `5.0.0`: other or undefined permanent status.
    pub const PERMANENT: EnhancedCode = EnhancedCode::new(Class::Permanent, 0, 0);
    /// `5.1.1`: bad destination mailbox address.
    pub const BAD_MAILBOX: EnhancedCode = EnhancedCode::new(Class::Permanent, 1, 1);
    /// `5.3.4`: message too big for system.
    pub const MESSAGE_TOO_BIG: EnhancedCode = EnhancedCode::new(Class::Permanent, 3, 4);
    /// `5.5.1`: invalid command (also: bad sequence of commands).
    pub const INVALID_COMMAND: EnhancedCode = EnhancedCode::new(Class::Permanent, 5, 1);
    /// `5.5.2`: syntax error.
    pub const SYNTAX_ERROR: EnhancedCode = EnhancedCode::new(Class::Permanent, 5, 2);
    /// `5.5.4`: invalid command arguments.
    pub const INVALID_ARGUMENTS: EnhancedCode = EnhancedCode::new(Class::Permanent, 5, 4);
    /// `5.6.0`: other or undefined media error (e.g. lines too long).
    pub const MEDIA_ERROR: EnhancedCode = EnhancedCode::new(Class::Permanent, 6, 0);
    /// `5.6.7`: non-ASCII addresses not permitted for that sender/recipient
    /// (RFC 6531 §3.5).
    pub const SMTPUTF8_REQUIRED: EnhancedCode = EnhancedCode::new(Class::Permanent, 6, 7);

    /// `4.7.321`: STARTTLS not offered where required (temporary; DESIGN §2).
    pub const STARTTLS_NOT_SUPPORTED_TEMPORARY: EnhancedCode =
        EnhancedCode::new(Class::Transient, 7, 321);
    /// `5.7.321`: STARTTLS not offered where required (final).
    pub const STARTTLS_NOT_SUPPORTED: EnhancedCode = EnhancedCode::new(Class::Permanent, 7, 321);
    /// `4.7.322`: certificate expired (temporary).
    pub const CERTIFICATE_EXPIRED_TEMPORARY: EnhancedCode =
        EnhancedCode::new(Class::Transient, 7, 322);
    /// `5.7.322`: certificate expired (final).
    pub const CERTIFICATE_EXPIRED: EnhancedCode = EnhancedCode::new(Class::Permanent, 7, 322);
    /// `4.7.323`: no TLSA record matches (temporary).
    pub const TLSA_INVALID_TEMPORARY: EnhancedCode = EnhancedCode::new(Class::Transient, 7, 323);
    /// `5.7.323`: no TLSA record matches (final).
    pub const TLSA_INVALID: EnhancedCode = EnhancedCode::new(Class::Permanent, 7, 323);
    /// `4.7.324`: DNSSEC validation failed (temporary).
    pub const DNSSEC_INVALID_TEMPORARY: EnhancedCode = EnhancedCode::new(Class::Transient, 7, 324);
    /// `5.7.324`: DNSSEC validation failed (final).
    pub const DNSSEC_INVALID: EnhancedCode = EnhancedCode::new(Class::Permanent, 7, 324);
    /// `4.4.312`: DNS query failed, not because of DNSSEC (temporary).
    pub const DNS_FAILED_TEMPORARY: EnhancedCode = EnhancedCode::new(Class::Transient, 4, 312);
    /// `5.4.312`: DNS query failed, not because of DNSSEC (final).
    pub const DNS_FAILED: EnhancedCode = EnhancedCode::new(Class::Permanent, 4, 312);
    /// `4.7.5`: cryptographic failure (temporary); MTA-STS failures.
    pub const CRYPTOGRAPHIC_FAILURE_TEMPORARY: EnhancedCode =
        EnhancedCode::new(Class::Transient, 7, 5);
    /// `5.7.5`: cryptographic failure (final); MTA-STS failures.
    pub const CRYPTOGRAPHIC_FAILURE: EnhancedCode = EnhancedCode::new(Class::Permanent, 7, 5);
    /// `4.7.30`: REQUIRETLS cannot be honoured (temporary; RFC 8689 §5).
    pub const REQUIRETLS_TEMPORARY: EnhancedCode = EnhancedCode::new(Class::Transient, 7, 30);
    /// `5.7.30`: REQUIRETLS cannot be honoured (final).
    pub const REQUIRETLS: EnhancedCode = EnhancedCode::new(Class::Permanent, 7, 30);
    /// `5.4.7`: delivery time expired.
    pub const DELIVERY_EXPIRED: EnhancedCode = EnhancedCode::new(Class::Permanent, 4, 7);
    /// `5.1.10`: recipient address has a null MX (RFC 7505 §4.2).
    pub const NULL_MX: EnhancedCode = EnhancedCode::new(Class::Permanent, 1, 10);

    /// Parses the code at the start of a reply text line and returns it with
    /// the rest of the text (the separating space removed).
    ///
    /// RFC 2034 §4: with ENHANCEDSTATUSCODES, the text of each reply line
    /// begins with the status code followed by a space.
    pub fn split_prefix(text: &str) -> Option<(EnhancedCode, &str)> {
        let end = text.find(' ').unwrap_or(text.len());
        let code = text[..end].parse().ok()?;
        let rest = text.get(end + 1..).unwrap_or("");
        Some((code, rest))
    }
}

impl fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class.digit(), self.subject, self.detail)
    }
}

fn parse_part(part: &str) -> Result<u16, EnhancedCodeError> {
    if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
        return Err(EnhancedCodeError::Syntax);
    }
    part.parse().map_err(|_| EnhancedCodeError::Syntax)
}

impl FromStr for EnhancedCode {
    type Err = EnhancedCodeError;

    fn from_str(s: &str) -> Result<EnhancedCode, EnhancedCodeError> {
        let mut parts = s.split('.');
        let (Some(class), Some(subject), Some(detail), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(EnhancedCodeError::Syntax);
        };
        if class.len() != 1 {
            return Err(EnhancedCodeError::Syntax);
        }
        let class = class
            .bytes()
            .next()
            .filter(u8::is_ascii_digit)
            .ok_or(EnhancedCodeError::Syntax)?;
        let class = Class::from_digit(class - b'0').ok_or(EnhancedCodeError::BadClass)?;
        Ok(EnhancedCode::new(
            class,
            parse_part(subject)?,
            parse_part(detail)?,
        ))
    }
}

impl TryFrom<String> for EnhancedCode {
    type Error = EnhancedCodeError;

    fn try_from(value: String) -> Result<EnhancedCode, EnhancedCodeError> {
        value.parse()
    }
}

impl From<EnhancedCode> for String {
    fn from(code: EnhancedCode) -> String {
        code.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_and_parses_round_trip() {
        for code in [
            EnhancedCode::STARTTLS_NOT_SUPPORTED_TEMPORARY,
            EnhancedCode::DNS_FAILED_TEMPORARY,
            EnhancedCode::CRYPTOGRAPHIC_FAILURE,
            EnhancedCode::NULL_MX,
            EnhancedCode::OK,
        ] {
            assert_eq!(code.to_string().parse::<EnhancedCode>(), Ok(code));
        }
        assert_eq!(
            EnhancedCode::STARTTLS_NOT_SUPPORTED_TEMPORARY.to_string(),
            "4.7.321"
        );
        assert_eq!(EnhancedCode::DELIVERY_EXPIRED.to_string(), "5.4.7");
    }

    #[test]
    fn rejects_malformed_codes() {
        for bad in [
            "", "4", "4.7", "4.7.", "4..1", "4.7.1.1", "4.7.3210", "x.7.1", "44.7.1",
        ] {
            assert_eq!(
                bad.parse::<EnhancedCode>(),
                Err(EnhancedCodeError::Syntax),
                "{bad}"
            );
        }
        assert_eq!(
            "3.7.1".parse::<EnhancedCode>(),
            Err(EnhancedCodeError::BadClass)
        );
    }

    #[test]
    fn with_class_keeps_subject_and_detail() {
        assert_eq!(
            EnhancedCode::TLSA_INVALID.with_class(Class::Transient),
            EnhancedCode::TLSA_INVALID_TEMPORARY
        );
    }

    #[test]
    fn split_prefix_takes_code_and_text() {
        assert_eq!(
            EnhancedCode::split_prefix("5.1.1 no such user"),
            Some((EnhancedCode::BAD_MAILBOX, "no such user"))
        );
        assert_eq!(
            EnhancedCode::split_prefix("2.0.0"),
            Some((EnhancedCode::OK, ""))
        );
        assert_eq!(EnhancedCode::split_prefix("no code here"), None);
    }
}
