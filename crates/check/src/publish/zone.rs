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

/// A TXT character-string, quoted (RFC 1035 §5.1); generated texts hold no
/// quote or backslash, but they would be escaped.
fn quote(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{escaped}\"")
}
