//! SPF macro strings and domain-specs (RFC 7208 §7.1, §12):
//!
//! ```text
//! domain-spec      = macro-string domain-end
//! domain-end       = ( "." toplabel [ "." ] ) / macro-expand
//! toplabel         = ( *alphanum ALPHA *alphanum ) /
//!                    ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
//! macro-string     = *( macro-expand / macro-literal )
//! macro-expand     = ( "%{" macro-letter transformers *delimiter "}" )
//!                    / "%%" / "%_" / "%-"
//! macro-literal    = %x21-24 / %x26-7E
//! macro-letter     = "s" / "l" / "o" / "d" / "i" / "p" / "h" /
//!                    "c" / "r" / "t" / "v"
//! transformers     = *DIGIT [ "r" ]
//! delimiter        = "." / "-" / "+" / "," / "/" / "_" / "="
//! ```
//!
//! The checker validates macros but does not expand them: a domain-spec
//! with a macro depends on the message being checked.

/// One piece of a macro string.
#[derive(Debug, PartialEq, Eq)]
enum Piece {
    /// A `macro-expand`.
    Expand,
    /// A `macro-literal`.
    Literal(char),
}

/// Splits a macro string into its pieces, or says what is wrong.
fn pieces(text: &str) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '%' => match chars.next() {
                Some('%' | '_' | '-') => out.push(Piece::Expand),
                Some('{') => {
                    let letter = chars.next().ok_or("unterminated macro")?;
                    if !"slodiphcrtv".contains(letter.to_ascii_lowercase()) {
                        return Err(format!(
                            "unknown macro letter {}",
                            smtp::quoted(&letter.to_string())
                        ));
                    }
                    while chars.peek().is_some_and(char::is_ascii_digit) {
                        chars.next();
                    }
                    if chars.peek().is_some_and(|c| c.eq_ignore_ascii_case(&'r')) {
                        chars.next();
                    }
                    while chars.peek().is_some_and(|c| ".-+,/_=".contains(*c)) {
                        chars.next();
                    }
                    if chars.next() != Some('}') {
                        return Err("malformed macro: expected '}'".into());
                    }
                    out.push(Piece::Expand);
                }
                _ => return Err("'%' must start %{...}, %%, %_ or %-".into()),
            },
            '\x21'..='\x7e' => out.push(Piece::Literal(c)),
            _ => {
                return Err(format!(
                    "character {} is not allowed",
                    smtp::quoted(&c.to_string())
                ));
            }
        }
    }
    Ok(out)
}

/// Checks a `macro-string`.
pub(super) fn validate_macro_string(text: &str) -> Result<(), String> {
    pieces(text).map(drop)
}

/// Checks a `domain-spec`: a macro string ending in a macro or in a dot and
/// a top label.
pub(super) fn validate_domain_spec(text: &str) -> Result<(), String> {
    let pieces = pieces(text)?;
    if pieces.is_empty() {
        return Err("the domain is empty".into());
    }
    if pieces.last() == Some(&Piece::Expand) {
        return Ok(());
    }
    let tail: String = pieces
        .iter()
        .rev()
        .map_while(|p| match p {
            Piece::Literal(c) => Some(*c),
            Piece::Expand => None,
        })
        .collect::<Vec<char>>()
        .into_iter()
        .rev()
        .collect();
    let tail = tail.strip_suffix('.').unwrap_or(&tail);
    let label = tail.rfind('.').map(|at| &tail[at + 1..]).ok_or_else(|| {
        format!(
            "{} is not a domain name with at least two labels",
            smtp::quoted(text)
        )
    })?;
    if is_toplabel(label) {
        Ok(())
    } else {
        Err(format!(
            "{} is not a valid top-level label",
            smtp::quoted(label)
        ))
    }
}

/// `toplabel`: letters, digits and inner hyphens, not all digits.
fn is_toplabel(label: &str) -> bool {
    !label.is_empty()
        && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !label.starts_with('-')
        && !label.ends_with('-')
        && !label.chars().all(|c| c.is_ascii_digit())
}

/// True when the text holds any macro, escapes included: the checker then
/// does not look the name up.
pub(super) fn has_macro(text: &str) -> bool {
    text.contains('%')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_specs() {
        for good in [
            "example.com",
            "example.com.",
            "_spf.example.com",
            "%{i}._ip.%{d}",
            "%{ir}.%{v}._spf.example.com",
            "%{d2}.trusted.example",
            "%{l1r-}.example.org",
            "a-b.x1-2",
        ] {
            assert_eq!(validate_domain_spec(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "localhost",
            "example.123",
            "example.-com",
            "%{x}.example.com",
            "%{i.example.com",
            "50%.example.com",
            "exa mple.com",
        ] {
            assert!(validate_domain_spec(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn macro_strings() {
        assert_eq!(validate_macro_string("anything-goes_here%%%_%-"), Ok(()));
        assert!(validate_macro_string("%q").is_err());
        assert!(has_macro("%{i}.example.com"));
        assert!(!has_macro("example.com"));
    }
}
