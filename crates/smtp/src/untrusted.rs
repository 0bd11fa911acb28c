//! Text from the network, shown to people: escaped so that a peer cannot
//! drive the operator's terminal or forge log lines.
//!
//! A reply text, a certificate name or a policy line can carry ESC (a
//! terminal escape sequence: clear the screen, retitle the window), BEL,
//! CR (overwrite a "failed" line so it reads "delivered"), LF (a forged log
//! line) or a bidi override (text that reads backwards). [`Untrusted`]
//! writes each such character as a Rust-style escape (`\x1b`, `\r`,
//! `\u{202e}`) and everything else as it is.
//!
//! Only the human form is escaped: the JSON output and the stored record
//! keep the exact text.

use std::fmt;

/// Text from the network, displayed escaped.
///
/// Escaped are the C0 controls and DEL (`\x00`..`\x1f`, `\x7f`, with `\t`,
/// `\n` and `\r` by name), the C1 controls (`\u{80}`..`\u{9f}`), the bidi
/// controls (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069), the
/// zero-width and line/paragraph separators (U+200B..U+200D, U+2028,
/// U+2029, U+FEFF). A backslash is left as it is, so escaping escaped text
/// changes nothing: text that passes through several layers of formatting
/// (a reply inside an error inside a diagnostic) is escaped once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Untrusted<'a>(pub &'a str);

/// Wraps `text` for display: see [`Untrusted`].
pub fn untrusted(text: &str) -> Untrusted<'_> {
    Untrusted(text)
}

/// Whether `c` is shown escaped.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
        )
}

impl fmt::Display for Untrusted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some((index, c)) = rest.char_indices().find(|&(_, c)| needs_escape(c)) {
            f.write_str(&rest[..index])?;
            match c {
                '\t' => f.write_str("\\t")?,
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                c if u32::from(c) < 0x80 => write!(f, "\\x{:02x}", u32::from(c))?,
                c => write!(f, "\\u{{{:x}}}", u32::from(c))?,
            }
            rest = &rest[index + c.len_utf8()..];
        }
        f.write_str(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(text: &str) -> String {
        untrusted(text).to_string()
    }

    #[test]
    fn controls_are_escaped() {
        assert_eq!(
            shown("a\x1b[2Jb\x07c\rd\ne\tf\0g\x7f"),
            "a\\x1b[2Jb\\x07c\\rd\\ne\\tf\\x00g\\x7f"
        );
        assert_eq!(shown("c1 \u{85} \u{9b}"), "c1 \\u{85} \\u{9b}");
    }

    #[test]
    fn bidi_and_invisible_characters_are_escaped() {
        assert_eq!(
            shown("\u{202e}gnp.exe \u{2066}x\u{2069} \u{200b}\u{feff}\u{2028}"),
            "\\u{202e}gnp.exe \\u{2066}x\\u{2069} \\u{200b}\\u{feff}\\u{2028}"
        );
    }

    #[test]
    fn printable_text_is_unchanged() {
        let text = "250 2.0.0 OK queued as 1A2B (caf\u{e9}, \u{65e5}\u{672c}) \\ \u{fffd}";
        assert_eq!(shown(text), text);
    }

    #[test]
    fn escaping_is_idempotent() {
        let once = shown("x\x1b\r\u{202e}y");
        assert_eq!(shown(&once), once);
    }
}
