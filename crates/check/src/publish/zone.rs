//! The publication as text to paste: records in zone-file syntax
//! (RFC 1035 §5), the policy file, and the checklist.

use std::fmt::Write;

use super::Publication;
use super::records::{DnsRecord, RecordKind};

/// The whole publication as text.
pub(crate) fn render(publication: &Publication) -> String {
    let mut out = String::new();
    let domain = &publication.domain;
    let mode = publication.mode;
    // Writing to a String cannot fail.
    let _ = writeln!(out, "; DNS records for {domain} (MTA-STS mode {mode})");
    for record in &publication.records {
        let _ = writeln!(out, "; {}", record.purpose);
        let _ = writeln!(out, "{}", line(record));
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "# MTA-STS policy file, served at {}",
        publication.policy.url
    );
    out.push_str(&publication.policy.text);
    let _ = writeln!(out);
    let _ = writeln!(out, "# Checklist");
    for (number, step) in publication.checklist.iter().enumerate() {
        let _ = writeln!(out, "{}. {step}", number + 1);
    }
    out
}

/// One record as a zone-file line.
pub(crate) fn line(record: &DnsRecord) -> String {
    let (kind, data) = match record.kind {
        RecordKind::Txt => ("TXT", quote(&record.data)),
        RecordKind::Tlsa => ("TLSA", record.data.clone()),
    };
    format!("{} {} IN {kind} {data}", record.name, record.ttl)
}

/// A TXT text as quoted character-strings of at most 255 octets each
/// (RFC 1035 §3.3.14, §5.1), as a DKIM key needs (RFC 6376 §3.6.2.2);
/// generated texts are ASCII and hold no quote or backslash, but they
/// would be escaped.
fn quote(text: &str) -> String {
    text.as_bytes()
        .chunks(MAX_STRING)
        .map(|chunk| {
            let chunk = String::from_utf8_lossy(chunk);
            let escaped = chunk.replace('\\', "\\\\").replace('"', "\\\"");
            format!("\"{escaped}\"")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The longest character-string (RFC 1035 §3.3).
const MAX_STRING: usize = 255;
