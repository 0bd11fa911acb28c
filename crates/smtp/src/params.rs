//! Server-side checks of MAIL and RCPT parameters against what EHLO
//! advertised (RFC 5321 §4.1.1.11: parameters of extensions not offered get
//! 555).

use crate::capabilities::Capabilities;
use crate::replies::{self, Canned};

fn key_value(param: &str) -> (&str, &str) {
    param.split_once('=').unwrap_or((param, ""))
}

/// Checks MAIL parameters: `SIZE` (RFC 1870 §6, over the limit gets 552),
/// `BODY` (RFC 6152), `SMTPUTF8` (RFC 6531), `REQUIRETLS` (RFC 8689),
/// `RET`/`ENVID` (RFC 3461), `AUTH` (RFC 4954). Returns the refusal.
pub(crate) fn check_mail(
    params: &[String],
    caps: &Capabilities,
    max_message_size: usize,
) -> Result<(), Canned> {
    for param in params {
        let (key, value) = key_value(param);
        match key.to_ascii_uppercase().as_str() {
            "SIZE" if caps.size.is_some() => {
                let size: u64 = value.parse().map_err(|_| replies::ARGUMENT_ERROR)?;
                if size > max_message_size as u64 {
                    return Err(replies::MESSAGE_TOO_BIG);
                }
            }
            "BODY" if caps.eight_bit_mime => {
                let known = ["7BIT", "8BITMIME"];
                if !known.iter().any(|k| value.eq_ignore_ascii_case(k)) {
                    return Err(replies::ARGUMENT_ERROR);
                }
            }
            "SMTPUTF8" if caps.smtputf8 => {}
            "REQUIRETLS" if caps.requiretls => {}
            "RET" | "ENVID" if caps.dsn => {}
            "AUTH" if !caps.auth.is_empty() => {}
            _ => return Err(replies::PARAMETER_NOT_IMPLEMENTED),
        }
    }
    Ok(())
}

/// Checks RCPT parameters: only `NOTIFY` and `ORCPT` (RFC 3461 §4.1-4.2),
/// and only when DSN is advertised.
pub(crate) fn check_rcpt(params: &[String], caps: &Capabilities) -> Result<(), Canned> {
    for param in params {
        let (key, _) = key_value(param);
        let dsn_param = key.eq_ignore_ascii_case("NOTIFY") || key.eq_ignore_ascii_case("ORCPT");
        if !(caps.dsn && dsn_param) {
            return Err(replies::PARAMETER_NOT_IMPLEMENTED);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(list: &[&str]) -> Vec<String> {
        list.iter().map(|p| (*p).to_owned()).collect()
    }

    #[test]
    fn parameters_of_extensions_not_offered_are_refused() {
        let none = Capabilities::default();
        assert_eq!(
            check_mail(&params(&["SMTPUTF8"]), &none, 100),
            Err(replies::PARAMETER_NOT_IMPLEMENTED)
        );
        assert_eq!(
            check_rcpt(&params(&["NOTIFY=NEVER"]), &none),
            Err(replies::PARAMETER_NOT_IMPLEMENTED)
        );
        let dsn = Capabilities {
            dsn: true,
            size: Some(100),
            ..Capabilities::default()
        };
        assert_eq!(
            check_rcpt(&params(&["notify=NEVER", "ORCPT=rfc822;a"]), &dsn),
            Ok(())
        );
        assert_eq!(
            check_mail(&params(&["RET=HDRS", "SIZE=100"]), &dsn, 100),
            Ok(())
        );
        assert_eq!(
            check_mail(&params(&["SIZE=101"]), &dsn, 100),
            Err(replies::MESSAGE_TOO_BIG)
        );
    }
}
