//! The `Received:` trace header a server adds to each message it accepts
//! (RFC 5321 §4.4), with the TLS version and cipher in a comment (RFC 8314
//! §4.3) and the `with` protocol of RFC 3848.

use std::time::SystemTime;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

use crate::handler::SessionFacts;

/// The `with` protocol of RFC 3848 §2 (RFC 5321 §4.4 `Protocol`).
pub fn protocol(session: &SessionFacts) -> &'static str {
    match (
        session.extended || session.tls.is_some() || session.user.is_some(),
        session.tls.is_some(),
        session.user.is_some(),
    ) {
        (false, _, _) => "SMTP",
        (true, false, false) => "ESMTP",
        (true, true, false) => "ESMTPS",
        (true, false, true) => "ESMTPA",
        (true, true, true) => "ESMTPSA",
    }
}

/// A version as [`crate::TlsInfo`] has it (`TLSv1.3`, or `TLSv1_3` in
/// older records) as people write it: `TLSv1.3`.
fn version_name(version: &str) -> String {
    version.replace('_', ".")
}

/// Keeps a client-supplied word from breaking out of the header: only
/// printable ASCII other than parentheses and backslash.
fn safe(word: &str) -> String {
    word.chars()
        .map(|c| {
            if c.is_ascii_graphic() && !matches!(c, '(' | ')' | '\\') {
                c
            } else {
                '?'
            }
        })
        .collect()
}

/// What the receiving server says about itself in `Received:`.
#[derive(Debug, Clone)]
pub struct Stamp<'a> {
    /// This server's host name (`by`).
    pub by: &'a str,
    /// The queue id (`id`), if any.
    pub id: Option<&'a str>,
    /// The recipient (`for`). RFC 5321 §7.2: give it only for a message
    /// with one recipient, so others' addresses do not leak.
    pub recipient: Option<&'a str>,
    /// When the message was received.
    pub at: SystemTime,
}

/// The whole `Received:` field, folded, ending in CRLF:
///
/// ```text
/// Received: from client.example ([192.0.2.1])
///         (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384)
///         by mx.example.org (Sealane) with ESMTPS id 0ABC
///         for <user@example.org>; Wed, 02 Dec 2026 11:45:31 +0000
/// ```
///
/// RFC 5321 §4.4: `From-domain` is the EHLO name, `TCP-info` the address
/// literal of the connection (the client's word is never trusted for it).
pub fn received_header(session: &SessionFacts, stamp: &Stamp<'_>) -> String {
    let helo = session.helo.as_deref().map_or("unknown".to_owned(), safe);
    let address = match session.client.ip() {
        std::net::IpAddr::V4(v4) => format!("[{v4}]"),
        std::net::IpAddr::V6(v6) => format!("[IPv6:{v6}]"),
    };
    let mut field = format!("Received: from {helo} ({address})\r\n");
    if let Some(tls) = &session.tls {
        field.push_str(&format!(
            "\t(using {} with cipher {})\r\n",
            safe(&version_name(&tls.version)),
            safe(&tls.cipher)
        ));
    }
    field.push_str(&format!(
        "\tby {} (Sealane) with {}",
        safe(stamp.by),
        protocol(session)
    ));
    if let Some(id) = stamp.id {
        field.push_str(&format!(" id {}", safe(id)));
    }
    if let Some(recipient) = stamp.recipient {
        field.push_str(&format!("\r\n\tfor <{}>", safe(recipient)));
    }
    let date = OffsetDateTime::from(stamp.at)
        .format(&Rfc2822)
        // A SystemTime always formats: Rfc2822 fails only for years
        // outside 1900..=9999.
        .unwrap_or_else(|_| "Thu, 01 Jan 1970 00:00:00 +0000".to_owned());
    field.push_str(&format!(";\r\n\t{date}\r\n"));
    field
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::record::TlsInfo;

    fn facts() -> SessionFacts {
        let mut facts = SessionFacts::new("192.0.2.1:4321".parse().unwrap());
        facts.helo = Some("client.example".into());
        facts.extended = true;
        facts
    }

    fn stamp() -> Stamp<'static> {
        Stamp {
            by: "mx.example.org",
            id: Some("0ABC"),
            recipient: Some("user@example.org"),
            at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_211_931),
        }
    }

    #[test]
    fn names_tls_version_cipher_and_protocol() {
        let mut session = facts();
        session.tls = Some(TlsInfo {
            version: "TLSv1_3".into(),
            cipher: "TLS_AES_256_GCM_SHA384".into(),
            server_name: "mx.example.org".into(),
        });
        assert_eq!(
            received_header(&session, &stamp()),
            "Received: from client.example ([192.0.2.1])\r\n\
             \t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384)\r\n\
             \tby mx.example.org (Sealane) with ESMTPS id 0ABC\r\n\
             \tfor <user@example.org>;\r\n\
             \tWed, 02 Dec 2026 11:45:31 +0000\r\n"
        );
        session.user = Some("alice".into());
        assert_eq!(protocol(&session), "ESMTPSA");
    }

    #[test]
    fn protocols_and_hostile_names() {
        let mut session = facts();
        assert_eq!(protocol(&session), "ESMTP");
        session.user = Some("alice".into());
        assert_eq!(protocol(&session), "ESMTPA");
        session.user = None;
        session.extended = false;
        assert_eq!(protocol(&session), "SMTP");
        session.helo = Some("evil)\r\nX-Injected: 1".into());
        session.client = "[2001:db8::1]:25".parse().unwrap();
        let field = received_header(
            &session,
            &Stamp {
                recipient: None,
                id: None,
                ..stamp()
            },
        );
        assert!(
            field.starts_with("Received: from evil???X-Injected:?1 ([IPv6:2001:db8::1])\r\n"),
            "{field}"
        );
        assert_eq!(field.matches("\r\n").count(), 3, "{field}");
    }
}
