//! The helpers for the wording every crate's text table shares: a value
//! named in a message ([`quoted`]), a count with its noun ([`count`]), and
//! what an operating system error means ([`io_text`]).

use std::borrow::Borrow;
use std::fmt;
use std::io;
use std::time::Duration;

use crate::untrusted::Untrusted;

/// Text named in a message, between double quotes and escaped as
/// [`Untrusted`]: `"bad..name"`. Our wording for a value that was refused,
/// so that an empty or space-padded value is seen as such.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quoted<'a>(pub &'a str);

/// Wraps `text` for display in double quotes: see [`Quoted`].
pub fn quoted(text: &str) -> Quoted<'_> {
    Quoted(text)
}

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", Untrusted(self.0))
    }
}

/// `n` followed by `one` or `many` as English wants it: `1 record`,
/// `0 records`, `2 records`.
pub fn count(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A duration as a limit is written: `30s`, `1.5s`, `250ms`, `5m`.
pub fn duration(d: impl Borrow<Duration>) -> String {
    let d = *d.borrow();
    let millis = d.as_millis();
    if millis < 1000 {
        format!("{millis}ms")
    } else if millis % 60_000 == 0 {
        format!("{}m", millis / 60_000)
    } else if millis % 1000 == 0 {
        format!("{}s", millis / 1000)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// What an I/O error means, in our words: `connection refused`, `no such
/// file or directory`. The system's own text ends in a code for
/// programmers (`Connection refused (os error 111)`); an error that carries
/// a text of its own (a TLS alert inside a handshake) keeps that text.
pub fn io_text(error: &io::Error) -> String {
    use io::ErrorKind as K;
    if error.raw_os_error().is_none()
        && let Some(inner) = error.get_ref()
    {
        return inner.to_string();
    }
    let text = match error.kind() {
        K::ConnectionRefused => "connection refused",
        K::ConnectionReset => "connection reset by the peer",
        K::ConnectionAborted => "connection aborted",
        K::NotConnected => "not connected",
        K::TimedOut => "timed out",
        K::HostUnreachable => "host unreachable",
        K::NetworkUnreachable => "network unreachable",
        K::NetworkDown => "network down",
        K::AddrInUse => "address already in use",
        K::AddrNotAvailable => "address not available on this host",
        K::BrokenPipe => "connection closed by the peer (broken pipe)",
        K::UnexpectedEof => "connection closed by the peer",
        K::NotFound => "no such file or directory",
        K::PermissionDenied => "permission denied",
        K::AlreadyExists => "it exists already",
        K::IsADirectory => "it is a directory",
        K::NotADirectory => "not a directory",
        K::ReadOnlyFilesystem => "read-only file system",
        K::StorageFull => "no space left on the device",
        K::InvalidData => "invalid data",
        K::InvalidInput => "invalid input",
        K::Interrupted => "interrupted",
        K::OutOfMemory => "out of memory",
        _ => return without_code(&error.to_string()),
    };
    text.to_owned()
}

/// `Some text (os error 5)` → `some text`.
fn without_code(text: &str) -> String {
    let text = match text.rfind(" (os error ") {
        Some(at) if text.ends_with(')') => &text[..at],
        _ => text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_text_is_escaped_between_double_quotes() {
        assert_eq!(quoted("bad..name").to_string(), "\"bad..name\"");
        assert_eq!(quoted("").to_string(), "\"\"");
        assert_eq!(quoted("a\x1bb").to_string(), "\"a\\x1bb\"");
    }

    #[test]
    fn system_errors_lose_their_code_and_keep_their_meaning() {
        let refused = io::Error::from_raw_os_error(111);
        assert!(refused.to_string().contains("(os error 111)"));
        assert_eq!(io_text(&refused), "connection refused");
        assert_eq!(
            io_text(&io::Error::from(io::ErrorKind::NotFound)),
            "no such file or directory"
        );
        assert_eq!(
            io_text(&io::Error::from_raw_os_error(7)),
            "argument list too long"
        );
        let own = io::Error::new(io::ErrorKind::InvalidData, "bad certificate");
        assert_eq!(io_text(&own), "bad certificate");
    }

    #[test]
    fn durations_read_as_limits_are_written() {
        assert_eq!(duration(Duration::from_secs(30)), "30s");
        assert_eq!(duration(Duration::from_secs(300)), "5m");
        assert_eq!(duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(duration(Duration::from_millis(250)), "250ms");
    }

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(count(1u32, "record", "records"), "1 record");
        assert_eq!(count(0u32, "record", "records"), "0 records");
        assert_eq!(count(2u64, "day", "days"), "2 days");
    }
}
