//! SMTP replies (RFC 5321 §4.2): code, optional enhanced status code, text lines.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::enhanced::EnhancedCode;
use crate::untrusted::Untrusted;

/// The most lines one reply may have before it is treated as malformed.
/// RFC 5321 sets no limit; this one keeps a hostile server from growing a
/// reply without end.
pub const MAX_REPLY_LINES: usize = 128;

/// What a reply means, from its first digit (RFC 5321 §4.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Category {
    /// `2yz`: positive completion.
    Positive,
    /// `3yz`: positive intermediate (e.g. 354 after DATA).
    Intermediate,
    /// `4yz`: transient negative completion; the request may succeed later.
    Transient,
    /// `5yz`: permanent negative completion.
    Permanent,
}

/// One SMTP reply: a three-digit code, the enhanced status code when the
/// server gave one (RFC 2034 / RFC 3463), and the text of each line.
///
/// When an enhanced code was parsed, it is removed from the start of every
/// line's text; [`Reply`]'s `Display` puts it back on the first line.
///
/// The text is the peer's, kept exactly (and serialized exactly);
/// `Display` shows it escaped ([`Untrusted`]), so a reply can be printed
/// and logged without handing the terminal to the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    /// The reply code, `200..=599`.
    pub code: u16,
    /// The enhanced status code, when present.
    pub enhanced: Option<EnhancedCode>,
    /// The text of each line, without code, separator or CRLF. Never empty.
    pub lines: Vec<String>,
}

/// Why a reply could not be read. Each kind is a protocol violation by the peer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[non_exhaustive]
pub enum MalformedReply {
    /// A line does not begin with a three-digit code in `200..=599`.
    #[error("line does not start with a valid reply code: {}", crate::quoted(.line))]
    BadCode {
        /// The start of the offending line (at most 64 bytes, lossily decoded).
        line: String,
    },
    /// The code is not followed by a space, a hyphen or the end of the line.
    #[error("reply code not followed by space or hyphen: {}", crate::quoted(.line))]
    BadSeparator {
        /// The start of the offending line.
        line: String,
    },
    /// The lines of one multi-line reply carry different codes (RFC 5321 §4.2.1:
    /// every line has the same code).
    #[error("multi-line reply mixes codes {first} and {then}")]
    MixedCodes {
        /// The code of the first line.
        first: u16,
        /// The differing code.
        then: u16,
    },
    /// A line is longer than the limit.
    #[error("reply line longer than {limit} bytes")]
    LineTooLong {
        /// The limit in bytes, CRLF included.
        limit: usize,
    },
    /// The reply has more than [`MAX_REPLY_LINES`] lines.
    #[error("reply has more than {MAX_REPLY_LINES} lines")]
    TooManyLines,
}

fn excerpt(line: &[u8]) -> String {
    String::from_utf8_lossy(&line[..line.len().min(64)]).into_owned()
}

fn strip_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

impl Reply {
    /// A single-line reply.
    pub fn new(code: u16, enhanced: Option<EnhancedCode>, text: impl Into<String>) -> Reply {
        Reply {
            code,
            enhanced,
            lines: vec![text.into()],
        }
    }

    /// What the reply means, from its first digit.
    ///
    /// Codes outside `200..=599` cannot be parsed; one built by hand with
    /// another first digit counts as [`Category::Permanent`].
    pub fn category(&self) -> Category {
        match self.code / 100 {
            2 => Category::Positive,
            3 => Category::Intermediate,
            4 => Category::Transient,
            _ => Category::Permanent,
        }
    }

    /// A `2yz` reply.
    pub fn is_positive(&self) -> bool {
        self.category() == Category::Positive
    }

    /// A `4yz` reply.
    pub fn is_transient(&self) -> bool {
        self.category() == Category::Transient
    }

    /// A `5yz` reply.
    pub fn is_permanent(&self) -> bool {
        self.category() == Category::Permanent
    }

    /// The whole text, lines joined by a space.
    pub fn text(&self) -> String {
        self.lines.join(" ")
    }

    /// Parses a complete reply from text such as `"250-a\r\n250 b\r\n"`.
    /// With `enhanced`, takes an RFC 3463 code from the start of the text.
    pub fn parse(text: &str, enhanced: bool) -> Result<Reply, ReplyParseError> {
        let mut parser = ReplyParser::new(enhanced);
        for line in text.split_inclusive('\n') {
            if let Some(reply) = parser.push_line(line.as_bytes())? {
                return Ok(reply);
            }
        }
        Err(ReplyParseError::Incomplete)
    }

    /// The reply as it goes on the wire, every line ending in CRLF
    /// (RFC 5321 §4.2: `Reply-code "-" textstring CRLF` for all but the last
    /// line, `Reply-code SP textstring CRLF` for the last).
    pub fn to_wire(&self) -> String {
        let mut out = String::new();
        let count = self.lines.len().max(1);
        for index in 0..count {
            let text = self.lines.get(index).map(String::as_str).unwrap_or("");
            let separator = if index + 1 == count { ' ' } else { '-' };
            out.push_str(&self.code.to_string());
            out.push(separator);
            if let Some(code) = self.enhanced {
                out.push_str(&code.to_string());
                if !text.is_empty() {
                    out.push(' ');
                }
            }
            out.push_str(text);
            out.push_str("\r\n");
        }
        out
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        if let Some(code) = self.enhanced {
            write!(f, " {code}")?;
        }
        let text = self.text();
        if !text.is_empty() {
            write!(f, " {}", Untrusted(&text))?;
        }
        Ok(())
    }
}

/// Why [`Reply::parse`] failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyParseError {
    /// The text breaks the reply grammar.
    #[error(transparent)]
    Malformed(#[from] MalformedReply),
    /// The text ended before the last line of the reply.
    #[error("reply ended before its last line")]
    Incomplete,
}

/// Builds one reply from its lines as they arrive.
///
/// RFC 5321 §4.2:
///
/// ```text
/// Reply-line = *( Reply-code "-" [ textstring ] CRLF )
///              Reply-code [ SP textstring ] CRLF
/// Reply-code = %x32-35 %x30-35 %x30-39
/// ```
///
/// The grammar above is applied to the code and separator; the text is
/// taken as it comes (lossily decoded when it is not UTF-8) and a bare LF
/// is accepted as a line end, as RFC 5321 §4.1.1 advises receivers to be
/// tolerant of.
#[derive(Debug)]
pub struct ReplyParser {
    enhanced: bool,
    code: Option<u16>,
    lines: Vec<String>,
}

impl ReplyParser {
    /// A parser for one reply; with `enhanced`, an RFC 3463 code at the start
    /// of the text is taken out (RFC 2034 §4).
    pub fn new(enhanced: bool) -> ReplyParser {
        ReplyParser {
            enhanced,
            code: None,
            lines: Vec::new(),
        }
    }

    /// Adds one line (with or without its line end). Returns the reply once
    /// its last line has been added.
    pub fn push_line(&mut self, raw: &[u8]) -> Result<Option<Reply>, MalformedReply> {
        let line = strip_eol(raw);
        let digits = line.get(..3).ok_or_else(|| MalformedReply::BadCode {
            line: excerpt(line),
        })?;
        let valid = matches!(digits, [b'2'..=b'5', b'0'..=b'5', b'0'..=b'9']);
        if !valid {
            return Err(MalformedReply::BadCode {
                line: excerpt(line),
            });
        }
        let code = digits
            .iter()
            .fold(0u16, |acc, digit| acc * 10 + u16::from(digit - b'0'));
        let last = match line.get(3) {
            None | Some(b' ') => true,
            Some(b'-') => false,
            Some(_) => {
                return Err(MalformedReply::BadSeparator {
                    line: excerpt(line),
                });
            }
        };
        match self.code {
            Some(first) if first != code => {
                return Err(MalformedReply::MixedCodes { first, then: code });
            }
            _ => self.code = Some(code),
        }
        if self.lines.len() >= MAX_REPLY_LINES {
            return Err(MalformedReply::TooManyLines);
        }
        let text = line.get(4..).unwrap_or(b"");
        self.lines.push(String::from_utf8_lossy(text).into_owned());
        if !last {
            return Ok(None);
        }
        let lines = std::mem::take(&mut self.lines);
        self.code = None;
        Ok(Some(self.finish(code, lines)))
    }

    fn finish(&self, code: u16, mut lines: Vec<String>) -> Reply {
        let mut enhanced = None;
        if self.enhanced
            && let Some((found, _)) = lines.first().and_then(|l| EnhancedCode::split_prefix(l))
            && u16::from(found.class.digit()) == code / 100
        {
            // RFC 3463 §2: the class must match the reply code's first digit;
            // otherwise the text is left as it is.
            enhanced = Some(found);
            for line in &mut lines {
                if let Some((same, rest)) = EnhancedCode::split_prefix(line)
                    && same == found
                {
                    *line = rest.to_owned();
                }
            }
        }
        Reply {
            code,
            enhanced,
            lines,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enhanced::Class;

    #[test]
    fn single_line_with_enhanced_code() {
        let reply = Reply::parse("550 5.1.1 no such user\r\n", true).unwrap();
        assert_eq!(reply.code, 550);
        assert_eq!(reply.enhanced, Some(EnhancedCode::BAD_MAILBOX));
        assert_eq!(reply.lines, vec!["no such user"]);
        assert!(reply.is_permanent());
        assert_eq!(reply.to_string(), "550 5.1.1 no such user");
    }

    #[test]
    fn enhanced_code_ignored_unless_asked_or_class_mismatch() {
        let reply = Reply::parse("550 5.1.1 no\r\n", false).unwrap();
        assert_eq!(reply.enhanced, None);
        assert_eq!(reply.lines, vec!["5.1.1 no"]);
        let reply = Reply::parse("450 5.1.1 no\r\n", true).unwrap();
        assert_eq!(reply.enhanced, None);
    }

    #[test]
    fn code_alone_is_a_complete_line() {
        let reply = Reply::parse("250\r\n", true).unwrap();
        assert_eq!(reply.lines, vec![""]);
        assert_eq!(reply.category(), Category::Positive);
    }

    #[test]
    fn wire_form_round_trips() {
        let reply = Reply {
            code: 421,
            enhanced: Some(EnhancedCode::new(Class::Transient, 3, 2)),
            lines: vec!["one".into(), "two".into()],
        };
        assert_eq!(reply.to_wire(), "421-4.3.2 one\r\n421 4.3.2 two\r\n");
        assert_eq!(Reply::parse(&reply.to_wire(), true).unwrap(), reply);
    }

    #[test]
    fn display_escapes_the_peers_text_and_keeps_it_exact() {
        let reply = Reply::parse(
            "550 5.1.1 no\x1b]0;owned\x07\rdelivered \u{202e}x\r\n",
            true,
        )
        .unwrap();
        assert_eq!(reply.lines, vec!["no\x1b]0;owned\x07\rdelivered \u{202e}x"]);
        assert_eq!(
            reply.to_string(),
            "550 5.1.1 no\\x1b]0;owned\\x07\\rdelivered \\u{202e}x"
        );
        let err = MalformedReply::BadCode {
            line: "\x1b[2J\r\u{202e}".into(),
        };
        assert!(
            !err.to_string()
                .chars()
                .any(|c| c.is_control() || c == '\u{202e}')
        );
    }

    #[test]
    fn incomplete_reply_is_reported() {
        assert_eq!(
            Reply::parse("250-more to come\r\n", false),
            Err(ReplyParseError::Incomplete)
        );
    }
}
