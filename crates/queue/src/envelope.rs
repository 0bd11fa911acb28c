//! What the client said about a message in MAIL and RCPT, kept with it.

use serde::{Deserialize, Serialize};
use smtp::{DsnReturn, MailOptions};

/// The body type declared with `MAIL FROM ... BODY=` (RFC 6152 §2,
/// RFC 3030 §3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BodyType {
    /// No `BODY=`, or `BODY=7BIT`.
    #[default]
    SevenBit,
    /// `BODY=8BITMIME` (RFC 6152).
    EightBitMime,
    /// `BODY=BINARYMIME` (RFC 3030), only with BDAT.
    BinaryMime,
}

/// The envelope of a queued message: the reverse-path and the MAIL
/// parameters that travel with it. Recipients are kept apart, each with
/// its own state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// The reverse-path without angle brackets; empty for the null sender
    /// `<>` (RFC 5321 §4.5.5), to which no DSN is ever sent.
    pub sender: String,
    /// `RET=` (RFC 3461 §4.3): what a DSN returns of the message.
    pub ret: Option<DsnReturn>,
    /// `ENVID=` (RFC 3461 §4.4), decoded from xtext.
    pub envid: Option<String>,
    /// `SMTPUTF8` was given (RFC 6531 §3.4).
    pub smtputf8: bool,
    /// `BODY=` (RFC 6152, RFC 3030).
    pub body: BodyType,
    /// `REQUIRETLS` was given (RFC 8689 §4.1): the message may only go over
    /// authenticated TLS to hosts that offer REQUIRETLS.
    pub require_tls: bool,
}

impl Envelope {
    /// An envelope from `sender` with no parameters.
    pub fn new(sender: impl Into<String>) -> Envelope {
        Envelope {
            sender: sender.into(),
            ret: None,
            envid: None,
            smtputf8: false,
            body: BodyType::SevenBit,
            require_tls: false,
        }
    }

    /// Whether the reverse-path is `<>` (a bounce or other notification).
    pub fn is_null_sender(&self) -> bool {
        self.sender.is_empty()
    }

    /// The MAIL parameters the delivery client sends on.
    pub fn mail_options(&self) -> MailOptions {
        MailOptions {
            smtputf8: self.smtputf8,
            requiretls: self.require_tls,
            dsn_return: self.ret,
            envelope_id: self.envid.clone(),
        }
    }
}

/// The domain of an address, lowercased: what recipients are grouped by.
/// An address without `@` (e.g. `postmaster`) has the empty domain.
pub fn domain_of(address: &str) -> String {
    address
        .rsplit_once('@')
        .map(|(_, domain)| domain.trim_end_matches('.').to_ascii_lowercase())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_is_lowercased_after_the_last_at() {
        assert_eq!(domain_of("\"a@b\"@Example.NET"), "example.net");
        assert_eq!(domain_of("postmaster"), "");
    }

    #[test]
    fn null_sender() {
        assert!(Envelope::new("").is_null_sender());
        assert!(!Envelope::new("a@example.org").is_null_sender());
    }
}
