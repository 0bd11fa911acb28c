//! What a transaction sends: the envelope and its MAIL/RCPT parameters,
//! and the per-recipient results it gets back.

use serde::{Deserialize, Serialize};

use crate::capabilities::{Capabilities, Extension};
use crate::error::{Argument, Error, Stage};
use crate::reply::{Category, Reply};

/// The envelope of one transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// The reverse-path without angle brackets; empty for the null sender
    /// `<>` (bounces, RFC 5321 §4.5.5).
    pub sender: String,
    /// The recipients, in the order RCPT commands are sent.
    pub recipients: Vec<Recipient>,
    /// MAIL parameters beyond SIZE and BODY, which are derived from the message.
    pub options: MailOptions,
}

/// One recipient and its DSN parameters (RFC 3461 §4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    /// The forward-path without angle brackets.
    pub address: String,
    /// `NOTIFY=` (RFC 3461 §4.1); sent only when the server offers DSN.
    pub notify: Option<DsnNotify>,
    /// `ORCPT=rfc822;` address (RFC 3461 §4.2); sent only when DSN is offered.
    pub original: Option<String>,
}

impl Recipient {
    /// A recipient without DSN parameters.
    pub fn new(address: impl Into<String>) -> Recipient {
        Recipient {
            address: address.into(),
            notify: None,
            original: None,
        }
    }
}

/// When to send a DSN for a recipient; all `false` means `NOTIFY=NEVER`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DsnNotify {
    /// `SUCCESS`.
    pub success: bool,
    /// `FAILURE`.
    pub failure: bool,
    /// `DELAY`.
    pub delay: bool,
}

/// `RET=` (RFC 3461 §4.3): what a DSN should return of the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DsnReturn {
    /// `RET=FULL`.
    Full,
    /// `RET=HDRS`.
    Headers,
}

/// MAIL parameters a caller asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailOptions {
    /// Send `SMTPUTF8` (RFC 6531 §3.4); fails with [`Error::NotOffered`]
    /// when the server does not offer it.
    pub smtputf8: bool,
    /// Send `REQUIRETLS` (RFC 8689 §4.1); fails with [`Error::NotOffered`]
    /// when the session is not under TLS or the server does not offer it.
    pub requiretls: bool,
    /// `RET=`, sent only when DSN is offered.
    pub dsn_return: Option<DsnReturn>,
    /// `ENVID=` (RFC 3461 §4.4), sent only when DSN is offered.
    pub envelope_id: Option<String>,
}

/// How one recipient fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecipientStatus {
    /// The server took the message for this recipient.
    Accepted,
    /// Refused for now (4xx); may succeed later.
    TemporaryFailure,
    /// Refused for good (5xx).
    PermanentFailure,
}

impl RecipientStatus {
    /// The status a reply stands for. A 3xx where a completion was expected
    /// counts as temporary.
    pub fn from_reply(reply: &Reply) -> RecipientStatus {
        match reply.category() {
            Category::Positive => RecipientStatus::Accepted,
            Category::Permanent => RecipientStatus::PermanentFailure,
            Category::Transient | Category::Intermediate => RecipientStatus::TemporaryFailure,
        }
    }

    /// The status a refusal of RCPT stands for. RFC 5321 §4.5.3.1.10: a
    /// server out of recipient slots answers 452, and "clients SHOULD treat
    /// a 552 code in this case as a temporary, rather than permanent,
    /// failure" (the RFC 821 usage, still sent by old servers).
    pub fn from_rcpt_reply(reply: &Reply) -> RecipientStatus {
        match reply.code {
            552 => RecipientStatus::TemporaryFailure,
            _ => RecipientStatus::from_reply(reply),
        }
    }
}

/// The result for one recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientResult {
    /// The recipient's address.
    pub address: String,
    /// Accepted or not, and for how long not.
    pub status: RecipientStatus,
    /// The reply that decided: the RCPT reply when RCPT was refused,
    /// otherwise the reply to DATA or to the final dot.
    pub reply: Reply,
    /// The command `reply` answers: [`Stage::Rcpt`], [`Stage::Data`] or
    /// [`Stage::DataEnd`].
    pub stage: Stage,
}

impl RecipientResult {
    /// Whether RCPT was refused for lack of room in this transaction (452,
    /// or 552 read as 452: RFC 5321 §4.5.3.1.10), so that the recipient can
    /// go in another transaction at once.
    pub fn over_recipient_limit(&self) -> bool {
        self.stage == Stage::Rcpt && matches!(self.reply.code, 452 | 552)
    }
}

/// The outcome of one transaction on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionResult {
    /// The reply to MAIL.
    pub mail: Reply,
    /// One result per recipient, in envelope order.
    pub recipients: Vec<RecipientResult>,
    /// The reply to the final dot; `None` when no data was sent.
    pub data: Option<Reply>,
    /// Whether the envelope went as one PIPELINING batch.
    pub pipelined: bool,
}

impl TransactionResult {
    /// The recipients the server accepted the message for.
    pub fn accepted(&self) -> impl Iterator<Item = &RecipientResult> {
        self.recipients
            .iter()
            .filter(|r| r.status == RecipientStatus::Accepted)
    }

    /// The recipients to send in a new transaction right away: those
    /// refused for lack of room ([`RecipientResult::over_recipient_limit`])
    /// in a transaction that accepted others. When none was accepted, the
    /// server has no room at all, and trying again at once would loop.
    pub fn over_recipient_limit(&self) -> Vec<&RecipientResult> {
        if self.accepted().next().is_none() {
            return Vec::new();
        }
        self.recipients
            .iter()
            .filter(|r| r.over_recipient_limit())
            .collect()
    }
}

/// Encodes `text` as xtext (RFC 3461 §4): `"+"`, `"="` and octets outside
/// `"!"`..=`"~"` become `"+" HEXCHAR HEXCHAR`.
pub fn xtext(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if (b'!'..=b'~').contains(&byte) && byte != b'+' && byte != b'=' {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("+{byte:02X}"));
        }
    }
    out
}

/// Checks that an address can go between angle brackets on a command line:
/// no control characters, spaces or brackets, and ASCII unless SMTPUTF8.
fn check_address(address: &str, utf8: bool, stage: Stage, argument: Argument) -> Result<(), Error> {
    let bad = address
        .chars()
        .any(|c| c.is_control() || c == ' ' || c == '<' || c == '>' || (!utf8 && !c.is_ascii()));
    if bad {
        return Err(Error::InvalidArgument { stage, argument });
    }
    Ok(())
}

/// The MAIL command line (without CRLF) for an envelope, with the parameters
/// the server offers (RFC 5321 §4.1.1.2, RFC 1870 §6, RFC 6152 §3,
/// RFC 6531 §3.4, RFC 8689 §4.1, RFC 3461 §4.3-4.4).
pub(crate) fn mail_command(
    envelope: &Envelope,
    caps: &Capabilities,
    under_tls: bool,
    size: u64,
    eight_bit: bool,
) -> Result<String, Error> {
    let options = &envelope.options;
    check_address(
        &envelope.sender,
        options.smtputf8,
        Stage::Mail,
        Argument::Sender,
    )?;
    let mut line = format!("MAIL FROM:<{}>", envelope.sender);
    if let Some(limit) = caps.size {
        if limit > 0 && size > limit {
            return Err(Error::TooLarge { size, limit });
        }
        line.push_str(&format!(" SIZE={size}"));
    }
    // Without 8BITMIME an 8-bit message goes without BODY=, as most MTAs
    // do; refusing it is the receiver's call.
    if eight_bit && caps.eight_bit_mime {
        line.push_str(" BODY=8BITMIME");
    }
    if options.smtputf8 {
        if !caps.smtputf8 {
            return Err(not_offered(Extension::SmtpUtf8));
        }
        line.push_str(" SMTPUTF8");
    }
    if options.requiretls {
        if !under_tls || !caps.requiretls {
            return Err(not_offered(Extension::RequireTls));
        }
        line.push_str(" REQUIRETLS");
    }
    if caps.dsn {
        match options.dsn_return {
            Some(DsnReturn::Full) => line.push_str(" RET=FULL"),
            Some(DsnReturn::Headers) => line.push_str(" RET=HDRS"),
            None => {}
        }
        if let Some(id) = &options.envelope_id {
            if !id.is_ascii() {
                return Err(Error::InvalidArgument {
                    stage: Stage::Mail,
                    argument: Argument::EnvelopeId,
                });
            }
            line.push_str(&format!(" ENVID={}", xtext(id)));
        }
    }
    Ok(line)
}

fn not_offered(extension: Extension) -> Error {
    Error::NotOffered {
        stage: Stage::Mail,
        extension,
    }
}

/// The RCPT command line (without CRLF) for a recipient (RFC 5321 §4.1.1.3,
/// RFC 3461 §4.1-4.2).
pub(crate) fn rcpt_command(
    recipient: &Recipient,
    caps: &Capabilities,
    utf8: bool,
) -> Result<String, Error> {
    check_address(&recipient.address, utf8, Stage::Rcpt, Argument::Recipient)?;
    let mut line = format!("RCPT TO:<{}>", recipient.address);
    if caps.dsn {
        if let Some(notify) = recipient.notify {
            let mut on = Vec::new();
            for (wanted, word) in [
                (notify.success, "SUCCESS"),
                (notify.failure, "FAILURE"),
                (notify.delay, "DELAY"),
            ] {
                if wanted {
                    on.push(word);
                }
            }
            let value = if on.is_empty() {
                "NEVER".to_owned()
            } else {
                on.join(",")
            };
            line.push_str(&format!(" NOTIFY={value}"));
        }
        if let Some(original) = &recipient.original {
            if !original.is_ascii() {
                return Err(Error::InvalidArgument {
                    stage: Stage::Rcpt,
                    argument: Argument::Recipient,
                });
            }
            line.push_str(&format!(" ORCPT=rfc822;{}", xtext(original)));
        }
    }
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope() -> Envelope {
        Envelope {
            sender: "a@example.org".into(),
            recipients: vec![Recipient::new("b@example.net")],
            options: MailOptions::default(),
        }
    }

    fn result(address: &str, code: u16, stage: Stage) -> RecipientResult {
        let reply = Reply::new(code, None, "text");
        RecipientResult {
            address: address.into(),
            status: if stage == Stage::Rcpt {
                RecipientStatus::from_rcpt_reply(&reply)
            } else {
                RecipientStatus::from_reply(&reply)
            },
            reply,
            stage,
        }
    }

    #[test]
    fn rcpt_552_is_temporary_and_over_the_limit() {
        let old = result("a@x", 552, Stage::Rcpt);
        assert_eq!(old.status, RecipientStatus::TemporaryFailure);
        assert!(old.over_recipient_limit());
        assert!(result("a@x", 452, Stage::Rcpt).over_recipient_limit());
        assert!(!result("a@x", 451, Stage::Rcpt).over_recipient_limit());
        let too_big = result("a@x", 552, Stage::DataEnd);
        assert_eq!(too_big.status, RecipientStatus::PermanentFailure);
        assert!(!too_big.over_recipient_limit());
    }

    #[test]
    fn only_a_transaction_that_accepted_some_asks_for_another() {
        let transaction = |recipients| TransactionResult {
            mail: Reply::new(250, None, "ok"),
            recipients,
            data: None,
            pipelined: true,
        };
        let progress = transaction(vec![
            result("a@x", 250, Stage::DataEnd),
            result("b@x", 452, Stage::Rcpt),
            result("c@x", 550, Stage::Rcpt),
        ]);
        let again: Vec<&str> = progress
            .over_recipient_limit()
            .iter()
            .map(|r| r.address.as_str())
            .collect();
        assert_eq!(again, ["b@x"]);
        let stuck = transaction(vec![result("b@x", 452, Stage::Rcpt)]);
        assert!(stuck.over_recipient_limit().is_empty());
    }

    #[test]
    fn mail_parameters_follow_capabilities() {
        let caps = Capabilities {
            size: Some(0),
            eight_bit_mime: true,
            ..Capabilities::default()
        };
        assert_eq!(
            mail_command(&envelope(), &caps, false, 42, true).unwrap(),
            "MAIL FROM:<a@example.org> SIZE=42 BODY=8BITMIME"
        );
        assert_eq!(
            mail_command(&envelope(), &Capabilities::default(), false, 42, true).unwrap(),
            "MAIL FROM:<a@example.org>"
        );
    }

    #[test]
    fn over_size_limit_is_too_large() {
        let caps = Capabilities {
            size: Some(10),
            ..Capabilities::default()
        };
        let err = mail_command(&envelope(), &caps, false, 11, false).unwrap_err();
        assert!(matches!(
            err,
            Error::TooLarge {
                size: 11,
                limit: 10
            }
        ));
        assert!(!err.is_temporary());
    }

    #[test]
    fn requiretls_needs_tls_and_the_extension() {
        let mut env = envelope();
        env.options.requiretls = true;
        let caps = Capabilities {
            requiretls: true,
            ..Capabilities::default()
        };
        assert!(mail_command(&env, &caps, false, 1, false).is_err());
        assert!(mail_command(&env, &Capabilities::default(), true, 1, false).is_err());
        assert_eq!(
            mail_command(&env, &caps, true, 1, false).unwrap(),
            "MAIL FROM:<a@example.org> REQUIRETLS"
        );
    }

    #[test]
    fn dsn_parameters_only_when_offered() {
        let recipient = Recipient {
            address: "b@example.net".into(),
            notify: Some(DsnNotify {
                success: false,
                failure: true,
                delay: true,
            }),
            original: Some("b+x=y@example.net".into()),
        };
        let caps = Capabilities {
            dsn: true,
            ..Capabilities::default()
        };
        assert_eq!(
            rcpt_command(&recipient, &caps, false).unwrap(),
            "RCPT TO:<b@example.net> NOTIFY=FAILURE,DELAY ORCPT=rfc822;b+2Bx+3Dy@example.net"
        );
        assert_eq!(
            rcpt_command(&recipient, &Capabilities::default(), false).unwrap(),
            "RCPT TO:<b@example.net>"
        );
    }

    #[test]
    fn injection_in_addresses_is_refused() {
        let bad = Recipient::new("b@example.net>\r\nRSET");
        assert!(matches!(
            rcpt_command(&bad, &Capabilities::default(), false),
            Err(Error::InvalidArgument { .. })
        ));
        let utf8 = Recipient::new("j\u{f6}rg@example.net");
        assert!(rcpt_command(&utf8, &Capabilities::default(), false).is_err());
        assert!(rcpt_command(&utf8, &Capabilities::default(), true).is_ok());
    }
}
