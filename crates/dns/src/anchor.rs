//! Trust anchors: the keys validation starts from (RFC 4033 §2).
//!
//! By default the IANA root zone KSKs compiled into hickory. An
//! administrator (or a test) may give DS or DNSKEY records in zone-file
//! syntax instead; a DS anchor is turned into a trusted DNSKEY on first use
//! by fetching the owner's DNSKEY RRset and keeping the keys whose digest
//! matches (RFC 4034 §5.1.4).

use std::path::Path;

use hickory_proto::dnssec::rdata::{DNSKEY, DNSSECRData, DS};
use hickory_proto::rr::{Name, RData};
use hickory_proto::serialize::txt::Parser;
use hickory_proto::serialize::txt::trust_anchor::{Entry, Parser as AnchorParser};

/// One configured trust anchor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrustAnchor {
    /// A trusted key.
    Dnskey {
        /// The zone the key belongs to.
        owner: Name,
        /// The key.
        key: DNSKEY,
    },
    /// A digest of a trusted key.
    Ds {
        /// The zone whose key the digest names.
        owner: Name,
        /// The digest.
        ds: DS,
    },
}

/// Why trust anchors could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustAnchorError {
    /// The file could not be read.
    #[error("cannot read trust anchor file {path}: {}", crate::texts::file_error(.source))]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A record that names DS or DNSKEY is not one in zone-file syntax.
    #[error(
        "not a DS or DNSKEY record in zone-file syntax \
         (OWNER [TTL] [IN] DS KEY-TAG ALGORITHM DIGEST-TYPE DIGEST, \
         or OWNER [TTL] [IN] DNSKEY FLAGS 3 ALGORITHM KEY): {record}"
    )]
    Syntax {
        /// The record refused, as read from the file.
        record: String,
    },
    /// No DS or DNSKEY record was found.
    #[error("no DS or DNSKEY record found in the trust anchors")]
    Empty,
}

impl TrustAnchor {
    /// Reads DS and DNSKEY records in zone-file syntax from a file; other
    /// record types are ignored.
    pub fn from_file(path: &Path) -> Result<Vec<Self>, TrustAnchorError> {
        let text = std::fs::read_to_string(path).map_err(|source| TrustAnchorError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text)
    }

    /// Parses DS and DNSKEY records in zone-file syntax; other record types
    /// are ignored. Owner names must be absolute. Comments (`;`) and records
    /// spread over lines with parentheses are understood.
    pub fn parse(text: &str) -> Result<Vec<Self>, TrustAnchorError> {
        let syntax = |record: &str| TrustAnchorError::Syntax {
            record: record.trim().to_owned(),
        };
        let mut anchors = Vec::new();
        for record in logical_records(text) {
            let words: Vec<&str> = record.split_whitespace().collect();
            if words.contains(&"DNSKEY") {
                // hickory's zone parser refuses DNSKEY records (a zone signer
                // makes them); its trust anchor parser is the one for them.
                for entry in AnchorParser::new(record.as_str())
                    .parse()
                    .map_err(|_| syntax(&record))?
                {
                    let Entry::DNSKEY(key) = entry else { continue };
                    anchors.push(Self::Dnskey {
                        owner: key.name().clone(),
                        key: key.data().clone(),
                    });
                }
            } else if words.contains(&"DS") {
                // A TTL means nothing for an anchor, and the DS lines that
                // ldns-signzone and dnssec-dsfromkey print have none.
                let with_ttl = format!("$TTL 0\n{record}");
                let (_, rrsets) = Parser::new(with_ttl.as_str(), None, Some(Name::root()))
                    .parse()
                    .map_err(|_| syntax(&record))?;
                for record in rrsets.values().flat_map(|set| set.records_without_rrsigs()) {
                    if let RData::DNSSEC(DNSSECRData::DS(ds)) = &record.data {
                        anchors.push(Self::Ds {
                            owner: record.name.clone(),
                            ds: ds.clone(),
                        });
                    }
                }
            }
        }
        if anchors.is_empty() {
            return Err(TrustAnchorError::Empty);
        }
        Ok(anchors)
    }

    /// The zone this anchor is for.
    pub fn owner(&self) -> &Name {
        match self {
            Self::Dnskey { owner, .. } | Self::Ds { owner, .. } => owner,
        }
    }
}

/// Splits zone-file text into records: comments removed, lines inside
/// parentheses joined (RFC 1035 §5.1).
fn logical_records(text: &str) -> Vec<String> {
    let mut records = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    for line in text.lines() {
        let line = line.split(';').next().unwrap_or_default();
        for c in line.chars() {
            match c {
                '(' => depth += 1,
                ')' => depth = depth.saturating_sub(1),
                _ => current.push(c),
            }
        }
        current.push(' ');
        if depth == 0 {
            if !current.trim().is_empty() {
                records.push(format!("{}\n", current.trim()));
            }
            current.clear();
        }
    }
    if !current.trim().is_empty() {
        records.push(format!("{}\n", current.trim()));
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ds_and_dnskey_and_ignores_others() {
        let text = ". 3600 IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n\
                    . 3600 IN A 192.0.2.1\n";
        let anchors = TrustAnchor::parse(text).expect("valid anchors");
        assert_eq!(anchors.len(), 1);
        assert!(
            matches!(&anchors[0], TrustAnchor::Ds { owner, ds } if owner.is_root() && ds.key_tag() == 20326)
        );
    }

    #[test]
    fn parses_a_multi_line_dnskey_with_comments() {
        let text = "; the root key\n. 172800 IN DNSKEY 257 3 8 (\n AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3\n+/4RgWOq7HrxRixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8kvArMtNROxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF0jLHwVN8efS3rCj/EWgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr+eoZG+SrDK6nWeL3c6H5Apxz7LjVc1uTIdsIXxuOLYA4/ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qihylGa8subX2Nn6UwNR1AkUTV74bU= ) ; KSK\n";
        let anchors = TrustAnchor::parse(text).expect("valid anchor");
        assert!(matches!(&anchors[0], TrustAnchor::Dnskey { owner, .. } if owner.is_root()));
    }

    #[test]
    fn a_ds_without_ttl_or_class_is_an_anchor() {
        // As ldns-signzone's .ds file and dnssec-dsfromkey print them.
        for text in [
            "bench.test.\tIN\tDS\t60485 13 2 2b9b7fd0a5c6a3cd8ee4f38a7f5f3a4d1bb5f68b2e0b1d5c4d1e1b9c8a7f6e5d\n",
            "bench.test. DS 60485 13 2 2B9B7FD0A5C6A3CD8EE4F38A7F5F3A4D1BB5F68B2E0B1D5C4D1E1B9C8A7F6E5D\n",
        ] {
            let anchors = TrustAnchor::parse(text).expect("a DS anchor");
            assert!(
                matches!(&anchors[..], [TrustAnchor::Ds { owner, ds }] if owner.to_ascii() == "bench.test." && ds.key_tag() == 60485),
                "{text}"
            );
        }
    }

    #[test]
    fn garbage_is_a_syntax_error_that_names_the_record() {
        let error = TrustAnchor::parse(". IN DS not-a-number").expect_err("refused");
        assert!(matches!(error, TrustAnchorError::Syntax { .. }));
        let text = error.to_string();
        assert!(text.ends_with(": . IN DS not-a-number"), "{text}");
        assert!(!text.contains("invalid digit"), "{text}");
    }

    #[test]
    fn no_anchor_records_is_an_error() {
        assert!(matches!(
            TrustAnchor::parse("example. 300 IN A 192.0.2.1\n"),
            Err(TrustAnchorError::Empty)
        ));
    }
}
