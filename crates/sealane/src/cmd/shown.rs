//! Text from the network, shown to people: escaped so that a peer cannot
//! drive the operator's terminal or forge output lines.
//!
//! NOTE: branch `deadlines` adds `smtp::Untrusted` with these same rules;
//! once it is merged, replace [`shown`] by `smtp::untrusted` and delete
//! this file.

use std::fmt;

/// Text from the network, displayed with controls, bidi overrides and
/// invisible separators written as Rust-style escapes (`\x1b`, `\r`,
/// `\u{202e}`). A backslash is left alone, so escaping twice changes nothing.
pub struct Shown<'a>(&'a str);

/// Wraps `text` for display: see [`Shown`].
pub fn shown(text: &str) -> Shown<'_> {
    Shown(text)
}

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

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match c {
                '\t' => f.write_str("\\t")?,
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                c if needs_escape(c) && u32::from(c) < 0x80 => {
                    write!(f, "\\x{:02x}", u32::from(c))?;
                }
                c if needs_escape(c) => write!(f, "\\u{{{:x}}}", u32::from(c))?,
                c => write!(f, "{c}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::shown;

    #[test]
    fn controls_and_bidi_are_escaped() {
        assert_eq!(
            shown("a\x1b[2Jb\x07c\rd\ne\tf\0g\x7f").to_string(),
            "a\\x1b[2Jb\\x07c\\rd\\ne\\tf\\x00g\\x7f"
        );
        assert_eq!(shown("x\u{202e}y\u{85}").to_string(), "x\\u{202e}y\\u{85}");
        assert_eq!(
            shown("plain ünïcode \\x1b").to_string(),
            "plain ünïcode \\x1b"
        );
    }
}
