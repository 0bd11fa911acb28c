//! New DKIM keys: Ed25519 (RFC 8463) from ring, RSA-2048 from the RustCrypto
//! `rsa` crate (ring cannot generate RSA keys). The `rsa` crate only
//! generates here; every signature is ring's, through mail-auth.

use rsa::pkcs1::der::Encode;
use rsa::pkcs1::der::asn1::{AnyRef, BitStringRef};
use rsa::pkcs8::EncodePrivateKey;
use rsa::pkcs8::spki::{AlgorithmIdentifierRef, SubjectPublicKeyInfoRef};

use super::sign::{DkimKey, KeyError, MIN_RSA_BITS};

/// The kind of key to make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyAlgorithm {
    /// Ed25519-SHA256 (RFC 8463): short records, fast; not every verifier
    /// knows it yet, so publish an RSA key beside it.
    Ed25519,
    /// RSA-SHA256 with a 2048-bit modulus (RFC 8301 §3.2): understood by
    /// every verifier.
    Rsa,
}

/// A new key: its PKCS#8 PEM text (to write to a file) and the key read
/// back from that text, so the record printed is the one the file holds.
pub struct NewKey {
    /// The private key, PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub pem: String,
    /// The same key, ready to sign and to give its record.
    pub key: DkimKey,
}

/// Makes a new key with the system's random number generator.
pub fn generate(algorithm: KeyAlgorithm) -> Result<NewKey, KeyError> {
    let pem = match algorithm {
        KeyAlgorithm::Ed25519 => {
            let rng = ring::rand::SystemRandom::new();
            let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng)
                .map_err(|e| KeyError::Generate(e.to_string()))?;
            pem_private_key(pkcs8.as_ref())
        }
        KeyAlgorithm::Rsa => {
            let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, MIN_RSA_BITS)
                .map_err(|e| KeyError::Generate(e.to_string()))?;
            let pem = key
                .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
                .map_err(|e| KeyError::Generate(e.to_string()))?;
            pem.as_str().to_owned()
        }
    };
    let key = DkimKey::from_pem(&pem)?;
    Ok(NewKey { pem, key })
}

/// `-----BEGIN PRIVATE KEY-----` around the base64 of `der`, 64 columns
/// (RFC 7468 §10).
fn pem_private_key(der: &[u8]) -> String {
    use base64::Engine;
    let text = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
    for line in text.as_bytes().chunks(64) {
        // base64 output is ASCII.
        pem.push_str(std::str::from_utf8(line).unwrap_or_default());
        pem.push('\n');
    }
    pem.push_str("-----END PRIVATE KEY-----\n");
    pem
}

/// The SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) of an RSAPublicKey (RFC
/// 8017 Appendix A.1.1): what `p=` holds for `k=rsa`.
pub(crate) fn rsa_spki(pkcs1: &[u8]) -> Result<Vec<u8>, KeyError> {
    let bits = BitStringRef::from_bytes(pkcs1).map_err(|e| KeyError::Unsupported(e.to_string()))?;
    SubjectPublicKeyInfoRef {
        algorithm: AlgorithmIdentifierRef {
            oid: rsa::pkcs1::ALGORITHM_OID,
            parameters: Some(AnyRef::NULL),
        },
        subject_public_key: bits,
    }
    .to_der()
    .map_err(|e| KeyError::Unsupported(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dkim::KeyRecord;

    #[test]
    fn new_keys_give_records_that_parse_and_that_the_verifier_takes() {
        for (algorithm, kind, bits) in [
            (KeyAlgorithm::Ed25519, "ed25519", 256),
            (KeyAlgorithm::Rsa, "rsa", 2048),
        ] {
            let new = generate(algorithm).unwrap();
            assert!(new.pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
            let record = new.key.record();
            let parsed = KeyRecord::parse(&record).unwrap();
            assert_eq!((parsed.key_type.as_str(), parsed.bits), (kind, Some(bits)));
            KeyRecord::verifier_accepts(&record).unwrap();
            // Two keys are never the same key.
            assert_ne!(generate(algorithm).unwrap().key.record(), record);
        }
    }

    #[test]
    fn the_record_of_a_known_key_is_its_published_one() {
        let pem = include_str!("../../tests/keys/rsa2048.pem");
        let published = include_str!("../../tests/keys/rsa2048.txt");
        let record = DkimKey::from_pem(pem).unwrap().record();
        assert_eq!(record, published.trim());
        let pem = include_str!("../../tests/keys/ed25519.pem");
        let published = include_str!("../../tests/keys/ed25519.txt");
        assert_eq!(DkimKey::from_pem(pem).unwrap().record(), published.trim());
    }
}
