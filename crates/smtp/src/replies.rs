//! The one table of reply codes and texts that Sealane itself sends.
//!
//! Handlers never write reply strings; they name an entry here (DESIGN §6).
//! Codes are RFC 5321 §4.2.2/§4.2.3; enhanced codes RFC 3463 (none on 354,
//! which RFC 2034 §3 leaves without one).

use crate::enhanced::EnhancedCode;
use crate::reply::Reply;

/// A reply from the table: code, enhanced code and fixed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Canned {
    /// The reply code.
    pub code: u16,
    /// The enhanced status code, if the reply carries one.
    pub enhanced: Option<EnhancedCode>,
    /// The fixed text.
    pub text: &'static str,
}

impl Canned {
    const fn new(code: u16, enhanced: Option<EnhancedCode>, text: &'static str) -> Canned {
        Canned {
            code,
            enhanced,
            text,
        }
    }

    /// The reply with its text as in the table.
    pub fn reply(&self) -> Reply {
        Reply::new(self.code, self.enhanced, self.text)
    }

    /// The reply with `prefix` and a space before the table's text, for
    /// replies that must begin with a domain (220 and 221, RFC 5321 §4.2).
    pub fn reply_after(&self, prefix: &str) -> Reply {
        Reply::new(self.code, self.enhanced, format!("{prefix} {}", self.text))
    }
}

/// 220: the greeting, after the server's host name.
pub const GREETING: Canned = Canned::new(220, None, "ESMTP Sealane ready");
/// 250: the first line of the EHLO/HELO reply, after the server's host name.
pub const HELLO: Canned = Canned::new(250, None, "greets you");
/// 250 2.0.0: generic success (RSET, NOOP).
pub const OK: Canned = Canned::new(250, Some(EnhancedCode::OK), "OK");
/// 250 2.1.0: MAIL accepted.
pub const SENDER_OK: Canned = Canned::new(250, Some(EnhancedCode::SENDER_OK), "Sender OK");
/// 250 2.1.5: RCPT accepted.
pub const RECIPIENT_OK: Canned = Canned::new(250, Some(EnhancedCode::RECIPIENT_OK), "Recipient OK");
/// 250 2.0.0: message accepted after the end of data.
pub const MESSAGE_ACCEPTED: Canned =
    Canned::new(250, Some(EnhancedCode::OK), "Message accepted for delivery");
/// 354: go ahead with the message data.
pub const START_DATA: Canned = Canned::new(354, None, "End data with <CR><LF>.<CR><LF>");
/// 220 2.0.0: go ahead with the TLS handshake (RFC 3207 §4).
pub const READY_FOR_TLS: Canned = Canned::new(220, Some(EnhancedCode::OK), "Ready to start TLS");
/// 221 2.0.0: closing after QUIT, after the server's host name.
pub const CLOSING: Canned = Canned::new(221, Some(EnhancedCode::OK), "closing connection");
/// 421 4.3.2: service not available, closing the channel.
pub const SERVICE_UNAVAILABLE: Canned = Canned::new(
    421,
    Some(EnhancedCode::SYSTEM_NOT_ACCEPTING),
    "Service not available, closing transmission channel",
);
/// 421 4.4.2: idle too long, closing the channel.
pub const TIMEOUT: Canned = Canned::new(
    421,
    Some(EnhancedCode::BAD_CONNECTION),
    "Timeout exceeded, closing transmission channel",
);
/// 451 4.3.0: local error in processing.
pub const LOCAL_ERROR: Canned = Canned::new(
    451,
    Some(EnhancedCode::SYSTEM_TEMPORARY),
    "Requested action aborted: local error in processing",
);
/// 452 4.5.3: too many recipients for this transaction (RFC 5321
/// §4.5.3.1.10: the client sends the others in another transaction).
pub const TOO_MANY_RECIPIENTS: Canned = Canned::new(
    452,
    Some(EnhancedCode::TOO_MANY_RECIPIENTS),
    "Too many recipients",
);
/// 454 4.7.0: TLS not available (RFC 3207 §4).
pub const TLS_NOT_AVAILABLE: Canned = Canned::new(
    454,
    Some(EnhancedCode::SECURITY_TEMPORARY),
    "TLS not available due to temporary reason",
);
/// 500 5.5.2: command not recognised.
pub const SYNTAX_ERROR: Canned = Canned::new(
    500,
    Some(EnhancedCode::SYNTAX_ERROR),
    "Syntax error, command unrecognized",
);
/// 500 5.5.2: command line too long (RFC 5321 §4.5.3.1.4).
pub const LINE_TOO_LONG: Canned =
    Canned::new(500, Some(EnhancedCode::SYNTAX_ERROR), "Line too long");
/// 501 5.5.4: bad parameters or arguments.
pub const ARGUMENT_ERROR: Canned = Canned::new(
    501,
    Some(EnhancedCode::INVALID_ARGUMENTS),
    "Syntax error in parameters or arguments",
);
/// 502 5.5.1: command not implemented.
pub const NOT_IMPLEMENTED: Canned = Canned::new(
    502,
    Some(EnhancedCode::INVALID_COMMAND),
    "Command not implemented",
);
/// 503 5.5.1: bad sequence of commands.
pub const BAD_SEQUENCE: Canned = Canned::new(
    503,
    Some(EnhancedCode::INVALID_COMMAND),
    "Bad sequence of commands",
);
/// 550 5.1.1: mailbox unavailable.
pub const MAILBOX_UNAVAILABLE: Canned = Canned::new(
    550,
    Some(EnhancedCode::BAD_MAILBOX),
    "Requested action not taken: mailbox unavailable",
);
/// 552 5.3.4: message too big (RFC 1870 §6).
pub const MESSAGE_TOO_BIG: Canned = Canned::new(
    552,
    Some(EnhancedCode::MESSAGE_TOO_BIG),
    "Message size exceeds fixed maximum message size",
);
/// 554 5.6.0: a line of message data is over the limit (RFC 5321 §4.5.3.1.6).
pub const DATA_LINE_TOO_LONG: Canned = Canned::new(
    554,
    Some(EnhancedCode::MEDIA_ERROR),
    "Message has a line too long",
);
/// 554 5.0.0: transaction failed.
pub const TRANSACTION_FAILED: Canned =
    Canned::new(554, Some(EnhancedCode::PERMANENT), "Transaction failed");
/// 554 5.5.1: DATA without any accepted recipient (RFC 2920 §3.1).
pub const NO_VALID_RECIPIENTS: Canned = Canned::new(
    554,
    Some(EnhancedCode::INVALID_COMMAND),
    "No valid recipients",
);
/// 555 5.5.4: MAIL or RCPT parameter not recognised (RFC 5321 §4.1.1.11).
pub const PARAMETER_NOT_IMPLEMENTED: Canned = Canned::new(
    555,
    Some(EnhancedCode::INVALID_ARGUMENTS),
    "MAIL FROM/RCPT TO parameters not recognized or not implemented",
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enhanced_class_matches_reply_code() {
        for canned in [
            GREETING,
            HELLO,
            OK,
            SENDER_OK,
            RECIPIENT_OK,
            MESSAGE_ACCEPTED,
            START_DATA,
            READY_FOR_TLS,
            CLOSING,
            SERVICE_UNAVAILABLE,
            TIMEOUT,
            LOCAL_ERROR,
            TOO_MANY_RECIPIENTS,
            TLS_NOT_AVAILABLE,
            SYNTAX_ERROR,
            LINE_TOO_LONG,
            ARGUMENT_ERROR,
            NOT_IMPLEMENTED,
            BAD_SEQUENCE,
            MAILBOX_UNAVAILABLE,
            MESSAGE_TOO_BIG,
            DATA_LINE_TOO_LONG,
            TRANSACTION_FAILED,
            NO_VALID_RECIPIENTS,
            PARAMETER_NOT_IMPLEMENTED,
        ] {
            if let Some(code) = canned.enhanced {
                assert_eq!(
                    u16::from(code.class.digit()),
                    canned.code / 100,
                    "{canned:?}"
                );
            }
            let reply = canned.reply();
            assert_eq!(Reply::parse(&reply.to_wire(), true).unwrap(), reply);
        }
    }
}
