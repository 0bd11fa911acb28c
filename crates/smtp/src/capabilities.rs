//! Service extensions a server announces in its EHLO reply (RFC 5321 §4.1.1.1).

use serde::{Deserialize, Serialize};

use crate::reply::Reply;

/// A service extension Sealane knows by name, for errors that say which one
/// was missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Extension {
    /// `PIPELINING`, RFC 2920.
    Pipelining,
    /// `SIZE`, RFC 1870.
    Size,
    /// `8BITMIME`, RFC 6152.
    EightBitMime,
    /// `SMTPUTF8`, RFC 6531.
    SmtpUtf8,
    /// `DSN`, RFC 3461.
    Dsn,
    /// `REQUIRETLS`, RFC 8689.
    RequireTls,
    /// `CHUNKING`, RFC 3030.
    Chunking,
    /// `STARTTLS`, RFC 3207.
    StartTls,
    /// `ENHANCEDSTATUSCODES`, RFC 2034.
    EnhancedStatusCodes,
}

impl Extension {
    /// The EHLO keyword.
    pub const fn keyword(self) -> &'static str {
        match self {
            Extension::Pipelining => "PIPELINING",
            Extension::Size => "SIZE",
            Extension::EightBitMime => "8BITMIME",
            Extension::SmtpUtf8 => "SMTPUTF8",
            Extension::Dsn => "DSN",
            Extension::RequireTls => "REQUIRETLS",
            Extension::Chunking => "CHUNKING",
            Extension::StartTls => "STARTTLS",
            Extension::EnhancedStatusCodes => "ENHANCEDSTATUSCODES",
        }
    }
}

impl std::fmt::Display for Extension {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.keyword())
    }
}

/// What a server offers, parsed from the EHLO reply, or what a server
/// session advertises.
///
/// RFC 5321 §4.1.1.1: the first line of the EHLO reply names the server;
/// each further line is `ehlo-keyword *( SP ehlo-param )`, keywords
/// case-insensitive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// `PIPELINING` (RFC 2920).
    pub pipelining: bool,
    /// `SIZE` (RFC 1870 §4) with its limit in octets; `Some(0)` when offered
    /// without a limit (keyword alone or `SIZE 0`).
    pub size: Option<u64>,
    /// `8BITMIME` (RFC 6152).
    pub eight_bit_mime: bool,
    /// `SMTPUTF8` (RFC 6531).
    pub smtputf8: bool,
    /// `DSN` (RFC 3461).
    pub dsn: bool,
    /// `REQUIRETLS` (RFC 8689).
    pub requiretls: bool,
    /// `CHUNKING` (RFC 3030).
    pub chunking: bool,
    /// `STARTTLS` (RFC 3207).
    pub starttls: bool,
    /// `ENHANCEDSTATUSCODES` (RFC 2034).
    pub enhanced_status_codes: bool,
    /// `AUTH` mechanism names (RFC 4954), upper-cased; empty when not offered.
    pub auth: Vec<String>,
}

impl Capabilities {
    /// Parses the lines of a positive EHLO reply; the first line (the
    /// server's name and greeting) is skipped, unknown keywords ignored.
    pub fn from_ehlo(reply: &Reply) -> Capabilities {
        let mut caps = Capabilities::default();
        for line in reply.lines.iter().skip(1) {
            let mut words = line.split_ascii_whitespace();
            let Some(keyword) = words.next() else {
                continue;
            };
            match keyword.to_ascii_uppercase().as_str() {
                "PIPELINING" => caps.pipelining = true,
                "SIZE" => {
                    // RFC 1870 §4: `"SIZE" [SP size-param]`; an unparsable
                    // value is read as "no declared limit".
                    let limit = words.next().and_then(|v| v.parse().ok()).unwrap_or(0);
                    caps.size = Some(limit);
                }
                "8BITMIME" => caps.eight_bit_mime = true,
                "SMTPUTF8" => caps.smtputf8 = true,
                "DSN" => caps.dsn = true,
                "REQUIRETLS" => caps.requiretls = true,
                "CHUNKING" => caps.chunking = true,
                "STARTTLS" => caps.starttls = true,
                "ENHANCEDSTATUSCODES" => caps.enhanced_status_codes = true,
                "AUTH" => caps.auth = words.map(str::to_ascii_uppercase).collect(),
                _ => {}
            }
        }
        caps
    }

    /// Whether `extension` is offered.
    pub fn offers(&self, extension: Extension) -> bool {
        match extension {
            Extension::Pipelining => self.pipelining,
            Extension::Size => self.size.is_some(),
            Extension::EightBitMime => self.eight_bit_mime,
            Extension::SmtpUtf8 => self.smtputf8,
            Extension::Dsn => self.dsn,
            Extension::RequireTls => self.requiretls,
            Extension::Chunking => self.chunking,
            Extension::StartTls => self.starttls,
            Extension::EnhancedStatusCodes => self.enhanced_status_codes,
        }
    }

    /// The EHLO keyword lines for these capabilities, in a fixed order, as a
    /// server announces them (without the first, greeting line).
    pub fn ehlo_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if self.pipelining {
            lines.push(Extension::Pipelining.keyword().to_owned());
        }
        match self.size {
            Some(0) => lines.push(Extension::Size.keyword().to_owned()),
            Some(limit) => lines.push(format!("{} {limit}", Extension::Size.keyword())),
            None => {}
        }
        for (on, extension) in [
            (self.eight_bit_mime, Extension::EightBitMime),
            (self.smtputf8, Extension::SmtpUtf8),
            (self.dsn, Extension::Dsn),
            (self.requiretls, Extension::RequireTls),
            (self.chunking, Extension::Chunking),
            (self.starttls, Extension::StartTls),
            (self.enhanced_status_codes, Extension::EnhancedStatusCodes),
        ] {
            if on {
                lines.push(extension.keyword().to_owned());
            }
        }
        if !self.auth.is_empty() {
            lines.push(format!("AUTH {}", self.auth.join(" ")));
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_known_keyword() {
        let reply = Reply::parse(
            "250-mx.example greets you\r\n250-PIPELINING\r\n250-SIZE 35882577\r\n\
             250-8bitmime\r\n250-SMTPUTF8\r\n250-DSN\r\n250-REQUIRETLS\r\n250-CHUNKING\r\n\
             250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-AUTH PLAIN login\r\n250 X-UNKNOWN\r\n",
            false,
        )
        .unwrap();
        let caps = Capabilities::from_ehlo(&reply);
        assert!(caps.pipelining && caps.eight_bit_mime && caps.smtputf8 && caps.dsn);
        assert!(caps.requiretls && caps.chunking && caps.starttls);
        assert!(caps.enhanced_status_codes);
        assert_eq!(caps.size, Some(35_882_577));
        assert_eq!(caps.auth, vec!["PLAIN", "LOGIN"]);
    }

    #[test]
    fn first_line_is_not_a_keyword() {
        let reply = Reply::parse("250 STARTTLS\r\n", false).unwrap();
        assert_eq!(Capabilities::from_ehlo(&reply), Capabilities::default());
    }

    #[test]
    fn size_without_value_means_no_limit() {
        let reply = Reply::parse("250-mx\r\n250 SIZE\r\n", false).unwrap();
        assert_eq!(Capabilities::from_ehlo(&reply).size, Some(0));
    }

    #[test]
    fn ehlo_lines_round_trip() {
        let caps = Capabilities {
            pipelining: true,
            size: Some(1000),
            starttls: true,
            auth: vec!["PLAIN".into()],
            ..Capabilities::default()
        };
        let mut lines = vec!["mx".to_owned()];
        lines.extend(caps.ehlo_lines());
        let reply = Reply {
            code: 250,
            enhanced: None,
            lines,
        };
        assert_eq!(Capabilities::from_ehlo(&reply), caps);
    }
}
