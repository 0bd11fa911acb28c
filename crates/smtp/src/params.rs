//! MAIL and RCPT parameters as a server reads them: each checked against
//! what EHLO advertised (RFC 5321 §4.1.1.11: parameters of extensions not
//! offered get 555), validated, and turned into typed values for the
//! handler.

use serde::{Deserialize, Serialize};

use crate::capabilities::Capabilities;
use crate::envelope::{DsnNotify, DsnReturn, MailOptions, Recipient};
use crate::replies::{self, Canned};

/// The body type a client declared with `BODY=` (RFC 6152 §2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Body {
    /// `BODY=7BIT`, or no `BODY=` at all.
    #[default]
    SevenBit,
    /// `BODY=8BITMIME`.
    EightBitMime,
}

/// A `MAIL FROM` command as the server accepted it, parameters parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailFrom {
    /// The reverse-path without brackets; empty for the null sender.
    pub sender: String,
    /// The parameters as sent.
    pub params: Vec<String>,
    /// `SIZE=` (RFC 1870 §6), the client's estimate.
    pub size: Option<u64>,
    /// `BODY=` (RFC 6152).
    pub body: Body,
    /// `SMTPUTF8`, `REQUIRETLS`, `RET=` and `ENVID=` (xtext decoded).
    pub options: MailOptions,
    /// `AUTH=` (RFC 4954 §5), xtext decoded; `Some("")` for `AUTH=<>`.
    pub auth: Option<String>,
}

/// A `RCPT TO` command as the server read it, parameters parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RcptTo {
    /// The address with `NOTIFY=` and `ORCPT=` (RFC 3461 §4.1-4.2; the
    /// original recipient xtext decoded).
    pub recipient: Recipient,
    /// The parameters as sent.
    pub params: Vec<String>,
}

fn key_value(param: &str) -> (String, &str) {
    let (key, value) = param.split_once('=').unwrap_or((param, ""));
    (key.to_ascii_uppercase(), value)
}

/// Decodes xtext (RFC 3461 §4): `xtext = *( xchar / hexchar )`, `xchar`
/// any of `"!"`..=`"~"` but `"+"` and `"="`, `hexchar = "+" 2(%x30-39 /
/// %x41-46)`. `None` when the text is not xtext or decodes to something
/// other than printable ASCII.
pub fn xtext_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        if byte == b'+' {
            let hex = bytes.get(index + 1..index + 3)?;
            let upper = |b: &u8| b.is_ascii_digit() || (b'A'..=b'F').contains(b);
            if !hex.iter().all(upper) {
                return None;
            }
            let hex = std::str::from_utf8(hex).ok()?;
            let decoded = u8::from_str_radix(hex, 16).ok()?;
            if !(0x20..=0x7e).contains(&decoded) {
                return None;
            }
            out.push(char::from(decoded));
            index += 3;
        } else if (b'!'..=b'~').contains(&byte) && byte != b'=' {
            out.push(char::from(byte));
            index += 1;
        } else {
            return None;
        }
    }
    Some(out)
}

/// RFC 6531 §3.4: a non-ASCII address needs the `SMTPUTF8` parameter.
fn needs_utf8(address: &str, utf8: bool) -> Result<(), Canned> {
    if address.is_ascii() || utf8 {
        Ok(())
    } else {
        Err(replies::UTF8_NOT_PERMITTED)
    }
}

/// Parses and checks MAIL parameters: `SIZE` (RFC 1870 §6, over the limit
/// gets 552), `BODY` (RFC 6152), `SMTPUTF8` (RFC 6531), `REQUIRETLS`
/// (RFC 8689 §4.1, offered only under TLS), `RET`/`ENVID` (RFC 3461
/// §4.3-4.4), `AUTH` (RFC 4954 §5). A parameter given twice gets 501.
pub(crate) fn mail_from(
    sender: String,
    params: Vec<String>,
    caps: &Capabilities,
    max_message_size: usize,
) -> Result<MailFrom, Canned> {
    let mut mail = MailFrom {
        sender,
        params: Vec::new(),
        size: None,
        body: Body::SevenBit,
        options: MailOptions::default(),
        auth: None,
    };
    let mut seen: Vec<String> = Vec::new();
    let mut body = None;
    for param in &params {
        let (key, value) = key_value(param);
        if seen.contains(&key) {
            return Err(replies::ARGUMENT_ERROR);
        }
        match key.as_str() {
            "SIZE" if caps.size.is_some() => {
                if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(replies::ARGUMENT_ERROR);
                }
                // Digits too many for a u64 are over any limit.
                let size = value.parse::<u64>().unwrap_or(u64::MAX);
                if size > max_message_size as u64 {
                    return Err(replies::MESSAGE_TOO_BIG);
                }
                mail.size = Some(size);
            }
            "BODY" if caps.eight_bit_mime => {
                body = Some(match value.to_ascii_uppercase().as_str() {
                    "7BIT" => Body::SevenBit,
                    "8BITMIME" => Body::EightBitMime,
                    _ => return Err(replies::ARGUMENT_ERROR),
                });
            }
            "SMTPUTF8" if caps.smtputf8 && value.is_empty() => mail.options.smtputf8 = true,
            "REQUIRETLS" if caps.requiretls && value.is_empty() => mail.options.requiretls = true,
            "RET" if caps.dsn => {
                mail.options.dsn_return = Some(match value.to_ascii_uppercase().as_str() {
                    "FULL" => DsnReturn::Full,
                    "HDRS" => DsnReturn::Headers,
                    _ => return Err(replies::ARGUMENT_ERROR),
                });
            }
            // RFC 3461 §4.4: at most 100 characters of xtext.
            "ENVID" if caps.dsn => match xtext_decode(value) {
                Some(id) if !value.is_empty() && value.len() <= 100 => {
                    mail.options.envelope_id = Some(id);
                }
                _ => return Err(replies::ARGUMENT_ERROR),
            },
            "AUTH" if !caps.auth.is_empty() => {
                let identity = if value == "<>" {
                    Some(String::new())
                } else {
                    xtext_decode(value).filter(|v| !v.is_empty())
                };
                mail.auth = Some(identity.ok_or(replies::ARGUMENT_ERROR)?);
            }
            "SMTPUTF8" | "REQUIRETLS" if value.is_empty() => {
                return Err(replies::PARAMETER_NOT_IMPLEMENTED);
            }
            "SMTPUTF8" | "REQUIRETLS" => return Err(replies::ARGUMENT_ERROR),
            _ => return Err(replies::PARAMETER_NOT_IMPLEMENTED),
        }
        seen.push(key);
    }
    needs_utf8(&mail.sender, mail.options.smtputf8)?;
    mail.body = body.unwrap_or_default();
    mail.params = params;
    Ok(mail)
}

/// `NOTIFY="NEVER" / 1#( "SUCCESS" / "FAILURE" / "DELAY" )` (RFC 3461 §4.1).
fn notify(value: &str) -> Result<DsnNotify, Canned> {
    let mut notify = DsnNotify {
        success: false,
        failure: false,
        delay: false,
    };
    if value.eq_ignore_ascii_case("NEVER") {
        return Ok(notify);
    }
    for word in value.split(',') {
        let flag = match word.to_ascii_uppercase().as_str() {
            "SUCCESS" => &mut notify.success,
            "FAILURE" => &mut notify.failure,
            "DELAY" => &mut notify.delay,
            _ => return Err(replies::ARGUMENT_ERROR),
        };
        if *flag {
            return Err(replies::ARGUMENT_ERROR);
        }
        *flag = true;
    }
    Ok(notify)
}

/// `ORCPT=addr-type ";" xtext` (RFC 3461 §4.2), at most 500 characters.
/// Only the `rfc822` address type is taken.
fn original_recipient(value: &str) -> Result<String, Canned> {
    let (kind, address) = value.split_once(';').ok_or(replies::ARGUMENT_ERROR)?;
    if value.len() > 500 || !kind.eq_ignore_ascii_case("rfc822") {
        return Err(replies::ARGUMENT_ERROR);
    }
    xtext_decode(address)
        .filter(|a| !a.is_empty())
        .ok_or(replies::ARGUMENT_ERROR)
}

/// Parses and checks RCPT parameters: only `NOTIFY` and `ORCPT` (RFC 3461
/// §4.1-4.2), and only when DSN is advertised.
pub(crate) fn rcpt_to(
    address: String,
    params: Vec<String>,
    caps: &Capabilities,
    utf8: bool,
) -> Result<RcptTo, Canned> {
    needs_utf8(&address, utf8)?;
    let mut recipient = Recipient::new(address);
    for param in &params {
        let (key, value) = key_value(param);
        match key.as_str() {
            "NOTIFY" if caps.dsn => {
                if recipient.notify.is_some() {
                    return Err(replies::ARGUMENT_ERROR);
                }
                recipient.notify = Some(notify(value)?);
            }
            "ORCPT" if caps.dsn => {
                if recipient.original.is_some() {
                    return Err(replies::ARGUMENT_ERROR);
                }
                recipient.original = Some(original_recipient(value)?);
            }
            _ => return Err(replies::PARAMETER_NOT_IMPLEMENTED),
        }
    }
    Ok(RcptTo { recipient, params })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(list: &[&str]) -> Vec<String> {
        list.iter().map(|p| (*p).to_owned()).collect()
    }

    fn dsn() -> Capabilities {
        Capabilities {
            dsn: true,
            size: Some(100),
            eight_bit_mime: true,
            ..Capabilities::default()
        }
    }

    fn mail(list: &[&str], caps: &Capabilities) -> Result<MailFrom, Canned> {
        mail_from("a@b.example".into(), params(list), caps, 100)
    }

    #[test]
    fn parameters_of_extensions_not_offered_are_refused() {
        let none = Capabilities::default();
        for list in [
            &["SMTPUTF8"][..],
            &["REQUIRETLS"],
            &["RET=FULL"],
            &["SIZE=1"],
        ] {
            assert_eq!(
                mail(list, &none),
                Err(replies::PARAMETER_NOT_IMPLEMENTED),
                "{list:?}"
            );
        }
        assert_eq!(
            rcpt_to("c@d".into(), params(&["NOTIFY=NEVER"]), &none, false),
            Err(replies::PARAMETER_NOT_IMPLEMENTED)
        );
    }

    #[test]
    fn dsn_parameters_are_parsed_and_decoded() {
        let parsed = mail(
            &["RET=HDRS", "SIZE=100", "ENVID=q+2B1", "BODY=8bitmime"],
            &dsn(),
        )
        .unwrap();
        assert_eq!(parsed.options.dsn_return, Some(DsnReturn::Headers));
        assert_eq!(parsed.options.envelope_id.as_deref(), Some("q+1"));
        assert_eq!(parsed.size, Some(100));
        assert_eq!(parsed.body, Body::EightBitMime);
        let rcpt = rcpt_to(
            "c@d".into(),
            params(&["notify=FAILURE,DELAY", "ORCPT=rfc822;b+2Bx+3Dy@example.net"]),
            &dsn(),
            false,
        )
        .unwrap();
        assert_eq!(
            rcpt.recipient.notify,
            Some(DsnNotify {
                success: false,
                failure: true,
                delay: true
            })
        );
        assert_eq!(
            rcpt.recipient.original.as_deref(),
            Some("b+x=y@example.net")
        );
    }

    #[test]
    fn malformed_parameters_get_501_and_oversize_552() {
        let caps = dsn();
        for list in [
            &["SIZE=x"][..],
            &["SIZE="],
            &["BODY=BINARYMIME"],
            &["RET=ALL"],
            &["ENVID=a b"],
            &["ENVID=+zz"],
            &["ENVID=+0A"],
            &["RET=FULL", "RET=HDRS"],
        ] {
            assert_eq!(mail(list, &caps), Err(replies::ARGUMENT_ERROR), "{list:?}");
        }
        assert_eq!(mail(&["SIZE=101"], &caps), Err(replies::MESSAGE_TOO_BIG));
        assert_eq!(
            mail(&["SIZE=99999999999999999999999"], &caps),
            Err(replies::MESSAGE_TOO_BIG)
        );
        for list in [
            &["NOTIFY=NEVER,SUCCESS"][..],
            &["NOTIFY=SUCCESS,SUCCESS"],
            &["NOTIFY="],
            &["ORCPT=x400;abc"],
            &["ORCPT=rfc822"],
            &["NOTIFY=NEVER", "NOTIFY=NEVER"],
        ] {
            assert_eq!(
                rcpt_to("c@d".into(), params(list), &caps, false),
                Err(replies::ARGUMENT_ERROR),
                "{list:?}"
            );
        }
    }

    #[test]
    fn non_ascii_addresses_need_smtputf8() {
        let caps = Capabilities {
            smtputf8: true,
            ..Capabilities::default()
        };
        let utf8 = "j\u{f6}rg@example.net".to_owned();
        assert_eq!(
            mail_from(utf8.clone(), vec![], &caps, 10),
            Err(replies::UTF8_NOT_PERMITTED)
        );
        assert!(mail_from(utf8.clone(), params(&["SMTPUTF8"]), &caps, 10).is_ok());
        assert_eq!(
            rcpt_to(utf8.clone(), vec![], &caps, false),
            Err(replies::UTF8_NOT_PERMITTED)
        );
        assert!(rcpt_to(utf8, vec![], &caps, true).is_ok());
    }

    #[test]
    fn xtext_round_trip() {
        let text = "a+b=c d";
        assert_eq!(
            xtext_decode(&crate::envelope::xtext(text)).as_deref(),
            Some(text)
        );
        assert_eq!(xtext_decode("+2b"), None);
        assert_eq!(xtext_decode("+2"), None);
    }
}
