//! The DKIM key record published at `selector._domainkey.domain` (RFC 6376
//! §3.6.1), read for what a domain owner needs to know about it: its key
//! type and size, whether it is revoked or in testing, and which hashes
//! and services it allows. Verification reads the same text with
//! mail-auth's parser ([`KeyRecord::verifier_accepts`]).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;
use rsa::pkcs1::der::Decode;
use rsa::pkcs8::spki::SubjectPublicKeyInfoRef;
use serde::Serialize;

/// The OID of `rsaEncryption` (RFC 8017 Appendix A.1).
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
/// The length of an Ed25519 public key in octets (RFC 8032 §5.1.5).
const ED25519_KEY_LEN: usize = 32;

/// Why a DKIM key record cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// A `tag=value` pair does not parse (RFC 6376 §3.2).
    #[error("{0:?} is not a tag=value pair")]
    Syntax(String),
    /// A tag appears twice (RFC 6376 §3.2: invalid).
    #[error("the tag {0}= appears more than once")]
    DuplicateTag(String),
    /// `v=` is not `DKIM1` or is not the first tag (RFC 6376 §3.6.1).
    #[error("v= must be the first tag and say DKIM1, not {0:?}")]
    Version(String),
    /// There is no `p=` tag, which is required.
    #[error("the required p= tag is missing")]
    NoKey,
    /// `p=` is not base64.
    #[error("p= is not base64: {0}")]
    Base64(String),
    /// `k=` names a key type other than `rsa` or `ed25519` (RFC 8463).
    #[error("unknown key type k={0}")]
    KeyType(String),
    /// The key data does not hold a key of the type given.
    #[error("p= does not hold {kind} public key: {reason}")]
    Key {
        /// `an RSA` or `an Ed25519`.
        kind: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

/// A parsed DKIM key record.
#[must_use]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyRecord {
    /// The key type, `rsa` (the default) or `ed25519`.
    pub key_type: String,
    /// The public key's size in bits (RSA modulus, or 256 for Ed25519);
    /// `None` when revoked.
    pub bits: Option<usize>,
    /// `p=` is empty: the key is revoked (RFC 6376 §3.6.1).
    pub revoked: bool,
    /// The hash algorithms allowed by `h=`; empty means all.
    pub hashes: Vec<String>,
    /// The service types of `s=`; empty means all (`*`).
    pub services: Vec<String>,
    /// The flags of `t=`: `y` (testing), `s` (no subdomains).
    pub flags: Vec<String>,
}

impl KeyRecord {
    /// Parses a key record's text (its character-strings joined).
    pub fn parse(text: &str) -> Result<Self, RecordError> {
        let mut seen: Vec<String> = Vec::new();
        let mut key_type = "rsa".to_owned();
        let mut key = None;
        let mut record = Self {
            key_type: String::new(),
            bits: None,
            revoked: false,
            hashes: Vec::new(),
            services: Vec::new(),
            flags: Vec::new(),
        };
        for (index, pair) in text.split(';').enumerate() {
            if pair.trim().is_empty() {
                continue;
            }
            let (tag, value) = pair
                .split_once('=')
                .ok_or_else(|| RecordError::Syntax(pair.trim().to_owned()))?;
            let tag = tag.trim().to_owned();
            if tag.is_empty() || !tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(RecordError::Syntax(pair.trim().to_owned()));
            }
            if seen.contains(&tag) {
                return Err(RecordError::DuplicateTag(tag));
            }
            let value = value.trim();
            match tag.as_str() {
                "v" if index != 0 || value != "DKIM1" => {
                    return Err(RecordError::Version(value.to_owned()));
                }
                "k" => key_type = value.to_ascii_lowercase(),
                "p" => key = Some(value.split_whitespace().collect::<String>()),
                "h" => record.hashes = list(value),
                "s" => record.services = list(value),
                "t" => record.flags = list(value),
                _ => {}
            }
            seen.push(tag);
        }
        let key = key.ok_or(RecordError::NoKey)?;
        record.bits = if key.is_empty() {
            record.revoked = true;
            None
        } else {
            let der = STANDARD
                .decode(&key)
                .map_err(|e| RecordError::Base64(e.to_string()))?;
            Some(match key_type.as_str() {
                "rsa" => rsa_bits(&der)?,
                "ed25519" if der.len() == ED25519_KEY_LEN => 256,
                "ed25519" => {
                    return Err(RecordError::Key {
                        kind: "an Ed25519",
                        reason: format!("{} octets, not {ED25519_KEY_LEN}", der.len()),
                    });
                }
                _ => return Err(RecordError::KeyType(key_type)),
            })
        };
        record.key_type = key_type;
        Ok(record)
    }

    /// The record is in testing mode (`t=y`): verifiers treat its
    /// signatures as if unsigned (RFC 6376 §3.6.1).
    pub fn testing(&self) -> bool {
        self.flags.iter().any(|f| f == "y")
    }

    /// `h=` allows only SHA-1, which RFC 8301 §3.1 forbids verifiers to
    /// accept.
    pub fn sha1_only(&self) -> bool {
        !self.hashes.is_empty() && self.hashes.iter().all(|h| h == "sha1")
    }

    /// `s=` excludes email (neither `*` nor `email`).
    pub fn not_for_email(&self) -> bool {
        !self.services.is_empty() && !self.services.iter().any(|s| s == "*" || s == "email")
    }

    /// What the verifier on arrival makes of `text`: `Ok` when it would
    /// use the key, or why not.
    pub fn verifier_accepts(text: &str) -> Result<(), String> {
        DomainKey::parse(text.as_bytes())
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// A colon-separated list (RFC 6376 §3.6.1), lower case.
fn list(value: &str) -> Vec<String> {
    value
        .split(':')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The modulus size of an RSA public key, as SubjectPublicKeyInfo (what
/// everyone publishes, RFC 6376 erratum 3017) or as a bare RSAPublicKey
/// (RFC 6376 §3.6.1 as written).
fn rsa_bits(der: &[u8]) -> Result<usize, RecordError> {
    let bad = |reason: String| RecordError::Key {
        kind: "an RSA",
        reason,
    };
    let pkcs1 = match SubjectPublicKeyInfoRef::from_der(der) {
        Ok(spki) if spki.algorithm.oid.to_string() == RSA_ENCRYPTION => {
            spki.subject_public_key.raw_bytes().to_vec()
        }
        Ok(spki) => return Err(bad(format!("the algorithm is {}", spki.algorithm.oid))),
        Err(_) => der.to_vec(),
    };
    let key = rsa::pkcs1::RsaPublicKey::from_der(&pkcs1).map_err(|e| bad(e.to_string()))?;
    let modulus = key.modulus.as_bytes();
    let Some(first) = modulus.first() else {
        return Err(bad("the modulus is zero".into()));
    };
    Ok((modulus.len() - 1) * 8 + (8 - first.leading_zeros() as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSA2048: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA04Q6NljsBLpHZRrxUAB36hXP1dEOv2H1EvgGhtr5Q+txrnULNSNqZKQDfyQ7ZEoteMPGHKWlvoYXrtith6lh1QD73uF6ZL7434P5PWhVH0OmJfNWBhKAiWtKoDqgmqTahqMpzIEODrOerl2sIK3ALra37vkOops0FD7+MTMyablGEKl7LJGVQ0q3uyPkoVuYKN/kWjTX+zZBag7pqutT9XsSe2E7Wfn+5UcdtYOoSMuyLY3ufQOr2io04mjJywe9Uh2dYZJ6UX4w1N3Wud/9a6IIO8dPCOgyy6bAIrEKenm+Bso0Tktpvdp3jZiFZhxHXSz4/mqfawYUIdHcAh71IQIDAQAB";
    const ED25519: &str = "rIdRaqSFotLLaPXmvfQOgozJudToP1w/M+xCS+4iWAo=";

    #[test]
    fn rsa_and_ed25519_keys_are_measured() {
        let rsa = KeyRecord::parse(&format!("v=DKIM1; k=rsa; p={RSA2048}")).unwrap();
        assert_eq!((rsa.key_type.as_str(), rsa.bits), ("rsa", Some(2048)));
        let ed = KeyRecord::parse(&format!("v=DKIM1; k=ed25519; p={ED25519}")).unwrap();
        assert_eq!((ed.key_type.as_str(), ed.bits), ("ed25519", Some(256)));
        // k= defaults to rsa; whitespace inside p= is folding.
        let folded = format!("p={} {}", &RSA2048[..100], &RSA2048[100..]);
        assert_eq!(KeyRecord::parse(&folded).unwrap().bits, Some(2048));
    }

    #[test]
    fn flags_revocation_and_restrictions() {
        let record = KeyRecord::parse("v=DKIM1; t=y:s; h=sha1; s=tlsrpt; p=").unwrap();
        assert!(record.revoked && record.testing() && record.sha1_only());
        assert!(record.not_for_email());
        let record = KeyRecord::parse(&format!("h=sha1:sha256; s=*; p={ED25519}; k=ed25519"));
        let record = record.unwrap();
        assert!(!record.testing() && !record.sha1_only() && !record.not_for_email());
    }

    #[test]
    fn malformed_records_say_why() {
        type Expected = fn(&RecordError) -> bool;
        let cases: &[(&str, Expected)] = &[
            ("v=DKIM1; k=rsa", |e| *e == RecordError::NoKey),
            ("k=rsa; v=DKIM1; p=", |e| {
                matches!(e, RecordError::Version(_))
            }),
            ("v=DKIM2; p=", |e| matches!(e, RecordError::Version(_))),
            ("v=DKIM1; p=!!!", |e| matches!(e, RecordError::Base64(_))),
            ("v=DKIM1; k=dsa; p=AAAA", |e| {
                matches!(e, RecordError::KeyType(_))
            }),
            ("v=DKIM1; k=ed25519; p=AAAA", |e| {
                matches!(e, RecordError::Key { .. })
            }),
            ("v=DKIM1; p=AAAA", |e| matches!(e, RecordError::Key { .. })),
            ("v=DKIM1; p=; p=", |e| {
                matches!(e, RecordError::DuplicateTag(_))
            }),
            ("v=DKIM1; garbage; p=", |e| {
                matches!(e, RecordError::Syntax(_))
            }),
        ];
        for (text, expected) in cases {
            let error = KeyRecord::parse(text).unwrap_err();
            assert!(expected(&error), "{text}: {error}");
        }
    }

    #[test]
    fn the_verifier_agrees_on_good_and_revoked_keys() {
        assert!(KeyRecord::verifier_accepts(&format!("v=DKIM1; p={RSA2048}")).is_ok());
        assert!(KeyRecord::verifier_accepts("v=DKIM1; p=").is_err());
    }
}
