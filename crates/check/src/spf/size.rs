//! The size of the DNS answer that carries an SPF record. RFC 7208 §3.4:
//! "The published SPF record for a given domain name SHOULD remain small
//! enough that the results of a query for it will fit within 512 octets",
//! counting "any other TXT records published at the domain name", since a
//! larger UDP answer is truncated and must be asked again over TCP.

use crate::finding::Finding;
use crate::txt::TxtAnswer;

use super::texts;

/// The classic DNS limit of a UDP message (RFC 1035 §4.2.1).
pub(crate) const UDP_LIMIT: usize = 512;

/// DNS header (RFC 1035 §4.1.1).
const HEADER: usize = 12;
/// Question type and class, after the name (RFC 1035 §4.1.2).
const QUESTION_TAIL: usize = 4;
/// One answer record without its data: a compressed owner name (2), type,
/// class, TTL and data length (RFC 1035 §4.1.3, §4.1.4).
const RECORD_HEAD: usize = 12;
/// The longest character-string in a TXT record (RFC 1035 §3.3).
const STRING_MAX: usize = 255;

/// The smallest wire size of a TXT record's data holding `text`: split in
/// strings of at most 255 octets, each with its length octet.
fn rdata(text: &str) -> usize {
    let strings = text.len().div_ceil(STRING_MAX).max(1);
    text.len() + strings
}

/// The smallest size of the answer to `TXT <name>` without EDNS: header,
/// question and every TXT record at the name. RRSIGs, which a DNSSEC
/// query adds, are not counted, so this is a lower bound.
pub(crate) fn answer_size(answer: &TxtAnswer) -> usize {
    let name = answer.name.trim_end_matches('.');
    let qname = if name.is_empty() { 1 } else { name.len() + 2 };
    HEADER
        + qname
        + QUESTION_TAIL
        + answer
            .texts
            .iter()
            .map(|t| RECORD_HEAD + rdata(t))
            .sum::<usize>()
}

/// A warning when the answer holding `spf` exceeds 512 octets.
pub(crate) fn finding(shown: &str, answer: &TxtAnswer, spf: &str) -> Option<Finding> {
    let size = answer_size(answer);
    if size <= UDP_LIMIT {
        return None;
    }
    let others = answer.texts.len().saturating_sub(1);
    Some(texts::TOO_LARGE.finding(
        shown,
        format!(
            "{}: the answer takes at least {size} octets (limit {UDP_LIMIT}); the SPF record \
             is {} octets, with {others} other TXT record{} beside it",
            answer.source(),
            spf.len(),
            if others == 1 { "" } else { "s" }
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use dns::DnssecStatus;

    fn answer(texts: &[String]) -> TxtAnswer {
        TxtAnswer {
            name: "example.test".into(),
            status: DnssecStatus::Secure,
            texts: texts.to_vec(),
            absence: None,
        }
    }

    #[test]
    fn size_counts_header_question_and_each_string() {
        // 12 + (12 + 2) + 4 + 12 + (13 + 1)
        assert_eq!(answer_size(&answer(&["v=spf1 -all x".into()])), 56);
        // 300 octets need two strings, so two length octets.
        let long = "a".repeat(300);
        assert_eq!(answer_size(&answer(&[long])), 12 + 14 + 4 + 12 + 302);
    }

    #[test]
    fn only_an_answer_over_512_octets_is_flagged() {
        let fits = format!("v=spf1 {} -all", "a".repeat(430));
        assert!(finding("example.test", &answer(std::slice::from_ref(&fits)), &fits).is_none());
        let large = format!("v=spf1 {} -all", "a".repeat(460));
        let flagged = finding(
            "example.test",
            &answer(std::slice::from_ref(&large)),
            &large,
        );
        assert_eq!(flagged.map(|f| f.id), Some("spf-record-too-large"));
    }
}
