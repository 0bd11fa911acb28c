//! What changes from run to run in a command's output, replaced by a name
//! for the snapshot tests.

// Each test binary that includes this module uses some of it.
#![allow(dead_code)]

/// Runs of 16 or more hex digits (digests, key material) become `[HEX]`,
/// runs of 12 or more decimal digits (time-based ids) `[NUMBER]`.
pub fn mask_hex(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= 12 && run.chars().all(|c| c.is_ascii_digit()) {
            out.push_str("[NUMBER]");
        } else if run.len() >= 16 {
            out.push_str("[HEX]");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_hexdigit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// RFC 3339 times (`2026-12-03T00:04:05Z`) become `[TIME]`.
pub fn mask_times(text: &str) -> String {
    mask_pattern(text, "dddd-dd-ddTdd:dd:ddZ", "[TIME]")
}

/// Dates (`2026-12-03`) become `[DATE]`.
pub fn mask_dates(text: &str) -> String {
    mask_pattern(text, "dddd-dd-dd", "[DATE]")
}

/// Queue ids (16 characters of Crockford's base32) become `[QUEUE-ID]`.
pub fn mask_queue_ids(text: &str) -> String {
    let id = |c: char| c.is_ascii_digit() || c.is_ascii_uppercase();
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once('\0')) {
        if id(c) {
            run.push(c);
            continue;
        }
        let digits = run.chars().filter(char::is_ascii_digit).count();
        if run.len() == 16 && digits >= 2 {
            out.push_str("[QUEUE-ID]");
        } else {
            out.push_str(&run);
        }
        run.clear();
        if c != '\0' {
            out.push(c);
        }
    }
    out
}

/// Each match of `pattern` (`d` a digit, anything else itself) becomes
/// `name`.
fn mask_pattern(text: &str, pattern: &str, name: &str) -> String {
    let matches = |at: &str| {
        at.len() >= pattern.len()
            && at
                .chars()
                .zip(pattern.chars())
                .all(|(c, p)| if p == 'd' { c.is_ascii_digit() } else { c == p })
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if matches(rest) {
            out.push_str(name);
            rest = &rest[pattern.len()..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}
