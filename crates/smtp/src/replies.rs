//! The one table of reply codes and texts that Sealane itself sends.
//!
//! Handlers never write reply strings; they name an entry here (DESIGN §6).
//! Codes are RFC 5321 §4.2.2/§4.2.3; enhanced codes RFC 3463 (none on 354,
//! which RFC 2034 §3 leaves without one).

use crate::enhanced::{Class, EnhancedCode};
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

    /// The reply with a space and `suffix` after the table's text (a queue
    /// id after "queued as").
    pub fn reply_with(&self, suffix: &str) -> Reply {
        Reply::new(self.code, self.enhanced, format!("{} {suffix}", self.text))
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

/// 250 2.0.0: a BDAT chunk that is not the last, after its size
/// (RFC 3030 §2).
pub const CHUNK_RECEIVED: Canned = Canned::new(250, Some(EnhancedCode::OK), "octets received");
/// 452 4.5.3: one recipient more than the limit (RFC 5321 §4.5.3.1.10).
pub const TOO_MANY_RECIPIENTS: Canned = Canned::new(
    452,
    Some(EnhancedCode::TOO_MANY_RECIPIENTS),
    "Too many recipients",
);
/// 421 4.7.0: the session's error limit was reached.
pub const TOO_MANY_ERRORS: Canned = Canned::new(
    421,
    Some(EnhancedCode::SECURITY_TEMPORARY),
    "Too many errors, closing transmission channel",
);
/// 421 4.7.0: the session's command limit was reached.
pub const TOO_MANY_COMMANDS: Canned = Canned::new(
    421,
    Some(EnhancedCode::SECURITY_TEMPORARY),
    "Too many commands, closing transmission channel",
);
/// 421 4.7.0: the client address has too many connections open; for the
/// listener to send with [`crate::refuse`].
pub const TOO_MANY_CONNECTIONS: Canned = Canned::new(
    421,
    Some(EnhancedCode::SECURITY_TEMPORARY),
    "Too many connections from your address, try again later",
);
/// 553 5.6.7: a non-ASCII address without `SMTPUTF8` (RFC 6531 §3.4).
pub const UTF8_NOT_PERMITTED: Canned = Canned::new(
    553,
    Some(EnhancedCode::SMTPUTF8_REQUIRED),
    "Non-ASCII address not permitted without SMTPUTF8",
);
/// 554 5.6.0: message data with a CR or LF that is not part of CRLF
/// (RFC 5321 §2.3.8), refused to close the "SMTP smuggling" gap.
pub const BARE_LINE_END: Canned = Canned::new(
    554,
    Some(EnhancedCode::MEDIA_ERROR),
    "Bare CR or LF in message data refused",
);
/// 334 with an empty challenge: send the PLAIN response (RFC 4954 §4).
pub const AUTH_CONTINUE: Canned = Canned::new(334, None, "");
/// 334 `Username:` in base64, the LOGIN mechanism's first prompt.
pub const AUTH_USERNAME: Canned = Canned::new(334, None, "VXNlcm5hbWU6");
/// 334 `Password:` in base64, the LOGIN mechanism's second prompt.
pub const AUTH_PASSWORD: Canned = Canned::new(334, None, "UGFzc3dvcmQ6");
/// 235 2.7.0: authenticated (RFC 4954 §6).
pub const AUTH_SUCCEEDED: Canned = Canned::new(
    235,
    Some(EnhancedCode::new(Class::Success, 7, 0)),
    "Authentication successful",
);
/// 535 5.7.8: wrong credentials (RFC 4954 §6).
pub const AUTH_INVALID: Canned = Canned::new(
    535,
    Some(EnhancedCode::new(Class::Permanent, 7, 8)),
    "Authentication credentials invalid",
);
/// 454 4.7.0: the credentials could not be checked now (RFC 4954 §6).
pub const AUTH_TEMPORARY: Canned = Canned::new(
    454,
    Some(EnhancedCode::SECURITY_TEMPORARY),
    "Temporary authentication failure",
);
/// 538 5.7.11: AUTH before STARTTLS (RFC 4954 §6).
pub const ENCRYPTION_REQUIRED: Canned = Canned::new(
    538,
    Some(EnhancedCode::new(Class::Permanent, 7, 11)),
    "Encryption required for requested authentication mechanism",
);
/// 504 5.5.4: a SASL mechanism not offered (RFC 4954 §4).
pub const AUTH_MECHANISM_UNKNOWN: Canned = Canned::new(
    504,
    Some(EnhancedCode::INVALID_ARGUMENTS),
    "Unrecognized authentication type",
);
/// 501 5.7.0: the client cancelled the exchange with `*` (RFC 4954 §4).
pub const AUTH_CANCELLED: Canned = Canned::new(
    501,
    Some(EnhancedCode::new(Class::Permanent, 7, 0)),
    "Authentication cancelled",
);
/// 501 5.5.2: a response that is not base64 or not the mechanism's form.
pub const AUTH_MALFORMED: Canned = Canned::new(
    501,
    Some(EnhancedCode::SYNTAX_ERROR),
    "Cannot decode authentication response",
);
/// 500 5.5.6: an authentication line over the limit (RFC 4954 §4).
pub const AUTH_LINE_TOO_LONG: Canned = Canned::new(
    500,
    Some(EnhancedCode::new(Class::Permanent, 5, 6)),
    "Authentication exchange line is too long",
);

/// 250 to the end of data once the message is on disk; the queue id follows.
pub const QUEUED: Canned = Canned::new(250, Some(EnhancedCode::OK), "queued as");
/// 550 after DATA: the author domain's DMARC policy is `reject` and the
/// message failed it (RFC 7489 §6.6.4, §7.3); the domain follows the text.
pub const DMARC_REJECTED: Canned = Canned::new(
    550,
    Some(EnhancedCode::new(Class::Permanent, 7, 1)),
    "Message rejected: DMARC policy of",
);
/// 550 after DATA: the MAIL FROM domain's SPF policy says the client may
/// not send for it (`-all`, RFC 7208 §8.4), the domain publishes no DMARC
/// policy, and we are configured to refuse (RFC 7372 §3.2: 5.7.23); the
/// domain follows the text.
pub const SPF_REJECTED: Canned = Canned::new(
    550,
    Some(EnhancedCode::new(Class::Permanent, 7, 23)),
    "Message rejected: SPF does not authorize this client for",
);
/// 554 to RCPT: the recipient's domain is not ours and the client may not
/// relay (not in a relay network, not authenticated).
pub const RELAY_DENIED: Canned = Canned::new(
    554,
    Some(EnhancedCode::new(Class::Permanent, 7, 1)),
    "Relay access denied",
);
/// 530 to MAIL on a submission port before AUTH (RFC 4954 §6).
pub const AUTH_REQUIRED: Canned = Canned::new(
    530,
    Some(EnhancedCode::new(Class::Permanent, 7, 0)),
    "Authentication required",
);
/// 451 to the end of data when the message could not be stored: the
/// client keeps it and tries again.
pub const NOT_STORED: Canned = Canned::new(
    451,
    Some(EnhancedCode::SYSTEM_TEMPORARY),
    "Message not stored, try again later",
);
/// 550 to RCPT: a bounce to an SRS address whose hash does not match
/// (forged) or whose timestamp is too old; the reason follows the text.
pub const SRS_REFUSED: Canned = Canned::new(
    550,
    Some(EnhancedCode::new(Class::Permanent, 1, 1)),
    "Invalid SRS return address:",
);
/// 554 to the end of data: forwarding the message would loop (RFC 3463
/// X.4.6, routing loop detected); what showed it follows the text.
pub const FORWARD_LOOP: Canned = Canned::new(
    554,
    Some(EnhancedCode::new(Class::Permanent, 4, 6)),
    "Routing loop detected:",
);
/// 550 to RCPT or to the end of data: the authenticated user or the
/// sender domain went over a sending limit and is blocked until an
/// administrator releases it (DESIGN §3); the limit follows the text.
pub const SENDING_LIMIT: Canned = Canned::new(
    550,
    Some(EnhancedCode::new(Class::Permanent, 7, 1)),
    "Sending limit exceeded, blocked until an administrator releases it:",
);
/// 550 to the end of data: the spam filter's action is `reject`.
pub const SPAM_REJECTED: Canned = Canned::new(
    550,
    Some(EnhancedCode::new(Class::Permanent, 7, 1)),
    "Message rejected as spam",
);
/// 451 to the end of data: the spam filter asks to try again later
/// (`soft reject`, `greylist`).
pub const SPAM_DEFERRED: Canned = Canned::new(
    451,
    Some(EnhancedCode::new(Class::Transient, 7, 1)),
    "Message deferred by the spam filter, try again later",
);
/// 451 to the end of data: the spam filter could not judge the message
/// (down, too slow) and unjudged mail is not taken.
pub const SPAM_UNAVAILABLE: Canned = Canned::new(
    451,
    Some(EnhancedCode::new(Class::Transient, 7, 1)),
    "Spam filter unavailable, try again later",
);
/// 250 to the end of data when the message was a TLS report (RFC 8460
/// §5.3) to our report address and is kept; its policy domains follow.
pub const TLS_REPORT_KEPT: Canned = Canned::new(250, Some(EnhancedCode::OK), "TLS report kept for");
/// 550 to the end of data when a message to our TLS report address holds
/// no report we can read (not a report, or too large once uncompressed).
pub const NOT_A_TLS_REPORT: Canned = Canned::new(
    550,
    Some(EnhancedCode::new(Class::Permanent, 6, 0)),
    "Not a readable SMTP TLS report (RFC 8460)",
);
/// 250 to the end of data when a DMARC aggregate report sent to our
/// report address was kept; followed by its policy domain.
pub const DMARC_REPORT_KEPT: Canned = Canned::new(
    250,
    Some(EnhancedCode::OK),
    "DMARC aggregate report kept for",
);
/// 550 to the end of data when a message to our DMARC report address
/// holds no report we can read (not a report, or too large once
/// uncompressed).
pub const NOT_A_DMARC_REPORT: Canned = Canned::new(
    550,
    Some(EnhancedCode::new(Class::Permanent, 6, 0)),
    "Not a readable DMARC aggregate report (RFC 7489)",
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
            CHUNK_RECEIVED,
            TOO_MANY_ERRORS,
            TOO_MANY_COMMANDS,
            TOO_MANY_CONNECTIONS,
            UTF8_NOT_PERMITTED,
            BARE_LINE_END,
            AUTH_CONTINUE,
            AUTH_USERNAME,
            AUTH_PASSWORD,
            AUTH_SUCCEEDED,
            AUTH_INVALID,
            AUTH_TEMPORARY,
            ENCRYPTION_REQUIRED,
            AUTH_MECHANISM_UNKNOWN,
            AUTH_CANCELLED,
            AUTH_MALFORMED,
            AUTH_LINE_TOO_LONG,
            SRS_REFUSED,
            FORWARD_LOOP,
            SENDING_LIMIT,
            SPAM_REJECTED,
            SPAM_DEFERRED,
            SPAM_UNAVAILABLE,
            TLS_REPORT_KEPT,
            NOT_A_TLS_REPORT,
            DMARC_REPORT_KEPT,
            NOT_A_DMARC_REPORT,
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
