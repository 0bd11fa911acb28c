//! The `Authentication-Results` header field (RFC 8601): the one we add,
//! and the forged ones we remove.

use crate::arc::{ArcResult, ArcVerdict};
use crate::dkim::DkimVerdict;
use crate::dmarc::DmarcVerdict;
use crate::spf::SpfVerdict;

/// Everything checked on arrival, for one header field.
#[derive(Clone, Copy, Debug, Default)]
pub struct Checked<'a> {
    /// SPF of the HELO identity.
    pub spf_helo: Option<&'a SpfVerdict>,
    /// SPF of the MAIL FROM identity.
    pub spf_mail_from: Option<&'a SpfVerdict>,
    /// Each DKIM signature.
    pub dkim: &'a [DkimVerdict],
    /// DMARC.
    pub dmarc: Option<&'a DmarcVerdict>,
    /// ARC.
    pub arc: Option<&'a ArcVerdict>,
}

/// Our `Authentication-Results` header field, folded, with its CRLF
/// (RFC 8601 §2.2). `authserv_id` names us.
pub fn header(authserv_id: &str, checked: &Checked<'_>) -> String {
    let mut parts: Vec<String> = Vec::new();
    for spf in [checked.spf_mail_from, checked.spf_helo]
        .into_iter()
        .flatten()
    {
        parts.push(format!(
            "spf={} {}={}",
            spf.result,
            spf.identity.property(),
            value(if spf.identity == crate::spf::Identity::Helo {
                &spf.domain
            } else {
                &spf.sender
            })
        ));
    }
    if checked.dkim.is_empty() {
        parts.push("dkim=none".into());
    }
    for dkim in checked.dkim {
        let mut part = format!("dkim={}", dkim.result);
        if let Some(problem) = &dkim.problem {
            part.push_str(&format!(" ({})", comment(problem)));
        }
        if !dkim.domain.is_empty() {
            part.push_str(&format!(
                " header.d={} header.s={} header.a={} header.b={}",
                value(&dkim.domain),
                value(&dkim.selector),
                dkim.algorithm,
                value(&dkim.header_b)
            ));
        }
        parts.push(part);
    }
    if let Some(dmarc) = checked.dmarc {
        let mut part = format!("dmarc={}", dmarc.result.as_str());
        if let Some(policy) = dmarc.policy {
            part.push_str(&format!(
                " (p={} dis={})",
                policy.as_str(),
                dmarc.disposition.as_str()
            ));
        }
        part.push_str(&format!(" header.from={}", value(&dmarc.from_domain)));
        parts.push(part);
    }
    if let Some(arc) = checked.arc.filter(|a| a.result != ArcResult::None) {
        let mut part = format!("arc={}", arc.result.as_str());
        if let Some(problem) = &arc.problem {
            part.push_str(&format!(" ({})", comment(problem)));
        }
        if let Some(newest) = arc.hops.last() {
            part.push_str(&format!(
                " (i={} sealed by {})",
                newest.instance,
                comment(&newest.sealer)
            ));
        }
        parts.push(part);
    }
    let mut out = format!("Authentication-Results: {authserv_id}");
    for part in parts {
        out.push_str(";\r\n\t");
        out.push_str(&part);
    }
    out.push_str("\r\n");
    out
}

/// A property value: as is when it is a token, an address or a domain,
/// else a quoted string (RFC 8601 §2.2).
fn value(text: &str) -> String {
    const SPECIALS: &str = "()<>,;:\\\"[]?";
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_graphic() && !SPECIALS.contains(c))
    {
        text.to_owned()
    } else {
        format!("\"{}\"", text.replace(['\\', '"'], ""))
    }
}

/// Text safe inside a comment.
fn comment(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, '(' | ')' | '\\' | '\r' | '\n'))
        .collect()
}

/// Removes every `Authentication-Results` header field that claims to be
/// ours (RFC 8601 §5): mail arriving from outside cannot carry our
/// results. Returns the message and how many were removed.
pub fn strip_ours(message: &[u8], authserv_id: &str) -> (Vec<u8>, usize) {
    let end = header_end(message);
    let mut out = Vec::with_capacity(message.len());
    let mut removed = 0;
    let mut fields = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < end {
        let line_end = message[i..end]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(end, |p| i + p + 1);
        let continues = matches!(message.get(line_end), Some(b' ' | b'\t')) && line_end < end;
        if !continues {
            fields.push(&message[start..line_end]);
            start = line_end;
        }
        i = line_end;
    }
    for field in fields {
        if claims(field, authserv_id) {
            removed += 1;
        } else {
            out.extend_from_slice(field);
        }
    }
    out.extend_from_slice(&message[end..]);
    (out, removed)
}

/// Where the header section ends: after the last header line, before the
/// empty line (or at the end of a message without a body).
fn header_end(message: &[u8]) -> usize {
    let mut i = 0;
    while i < message.len() {
        if message[i..].starts_with(b"\r\n") || message[i..].starts_with(b"\n") {
            return i;
        }
        i = message[i..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(message.len(), |p| i + p + 1);
    }
    message.len()
}

fn claims(field: &[u8], authserv_id: &str) -> bool {
    let Some(colon) = field.iter().position(|b| *b == b':') else {
        return false;
    };
    if !field[..colon]
        .trim_ascii()
        .eq_ignore_ascii_case(b"authentication-results")
    {
        return false;
    }
    let value = String::from_utf8_lossy(&field[colon + 1..]);
    let id = strip_comments(&value);
    let id = id
        .split(';')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .next()
        .unwrap_or("");
    id.trim_matches('"').eq_ignore_ascii_case(authserv_id)
}

fn strip_comments(text: &str) -> String {
    let mut depth = 0u32;
    text.chars()
        .filter(|c| match c {
            '(' => {
                depth += 1;
                false
            }
            ')' => {
                depth = depth.saturating_sub(1);
                false
            }
            _ => depth == 0,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_authserv_id_is_removed_folded_or_commented() {
        let message = b"Received: from a\r\n\
Authentication-Results: mx.sealane.test;\r\n\tspf=pass smtp.mailfrom=x@evil.test\r\n\
Authentication-Results: (forged) MX.Sealane.Test 1; dkim=pass\r\n\
Authentication-Results: mx.other.test; dmarc=pass\r\n\
Subject: hi\r\n\
\r\n\
Authentication-Results: mx.sealane.test; body text stays\r\n";
        let (out, removed) = strip_ours(message, "mx.sealane.test");
        assert_eq!(removed, 2);
        let out = String::from_utf8(out).unwrap();
        assert_eq!(
            out,
            "Received: from a\r\nAuthentication-Results: mx.other.test; dmarc=pass\r\nSubject: hi\r\n\r\nAuthentication-Results: mx.sealane.test; body text stays\r\n"
        );
    }

    #[test]
    fn a_message_without_ours_is_unchanged() {
        let message = b"Subject: x\r\n\r\nbody\r\n";
        assert_eq!(
            strip_ours(message, "mx.sealane.test"),
            (message.to_vec(), 0)
        );
    }

    #[test]
    fn values_with_specials_are_quoted() {
        assert_eq!(value("example.com"), "example.com");
        assert_eq!(value("user@example.com"), "user@example.com");
        assert_eq!(value("a b"), "\"a b\"");
        assert_eq!(value("x;y"), "\"x;y\"");
    }
}
