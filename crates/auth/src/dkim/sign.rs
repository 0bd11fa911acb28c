//! DKIM signing (RFC 6376 §5): relaxed/relaxed, RSA-SHA256 with keys of at
//! least 2048 bits (RFC 8301 §3.2 asks signers for at least 1024, and 2048
//! is what we give) or Ed25519-SHA256 (RFC 8463).

use mail_auth::common::crypto::{DkimKey as Inner, Ed25519Key, RsaKey, Sha256};
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::{Canonicalization, DkimSigner as Built, Done};
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject;

/// Header fields signed once more than they occur, so that none can be
/// added after signing (RFC 6376 §8.15).
const OVERSIGNED: &[&str] = &["From", "Subject", "To", "Date", "Message-ID"];
/// Header fields signed when present (and their absence otherwise).
const SIGNED: &[&str] = &[
    "Cc",
    "Reply-To",
    "In-Reply-To",
    "References",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
];
/// The smallest RSA modulus we sign with, in bits.
pub(crate) const MIN_RSA_BITS: usize = 2048;

/// Why a private key file cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The file is not a PEM private key (PKCS#1 or PKCS#8).
    #[error("not a PEM private key (PKCS#1 RSA or PKCS#8 RSA/Ed25519): {0}")]
    NotPem(String),
    /// The key is of a type we do not sign with.
    #[error("unsupported key: {0}")]
    Unsupported(String),
    /// An RSA key below 2048 bits.
    #[error("RSA key shorter than {MIN_RSA_BITS} bits")]
    TooShort,
    /// A new key could not be made (no system randomness).
    #[error("cannot generate a key: {0}")]
    Generate(String),
}

impl KeyError {
    /// A key problem never goes away by waiting.
    pub fn is_temporary(&self) -> bool {
        false
    }
}

/// Why a message could not be signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The message has no header field we sign (not even From).
    #[error("the message has no header to sign: {0}")]
    Message(String),
}

impl SignError {
    /// Signing the same message again fails the same way.
    pub fn is_temporary(&self) -> bool {
        false
    }
}

/// A DKIM private key: RSA (used with SHA-256) or Ed25519 (RFC 8463),
/// with the public key that goes into its record.
pub struct DkimKey {
    inner: Inner,
    /// The `p=` value's octets: SubjectPublicKeyInfo for RSA (RFC 6376
    /// erratum 3017, what verifiers expect), the raw key for Ed25519 (RFC
    /// 8463 §4.2).
    public: Vec<u8>,
}

impl DkimKey {
    /// Reads a PEM private key: PKCS#1 RSA, or PKCS#8 RSA or Ed25519.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let der = PrivateKeyDer::from_pem_slice(pem.as_bytes())
            .map_err(|e| KeyError::NotPem(e.to_string()))?;
        match &der {
            PrivateKeyDer::Pkcs1(pkcs1) => Self::rsa(pkcs1.secret_pkcs1_der(), false),
            PrivateKeyDer::Pkcs8(pkcs8) => {
                let bytes = pkcs8.secret_pkcs8_der();
                match Ed25519Key::from_pkcs8_maybe_unchecked_der(bytes) {
                    Ok(key) => {
                        let public = key.public_key();
                        Ok(Self {
                            inner: Inner::Ed25519(key),
                            public,
                        })
                    }
                    Err(_) => Self::rsa(bytes, true),
                }
            }
            _ => Err(KeyError::Unsupported(
                "SEC1 (EC) keys are not used by DKIM".into(),
            )),
        }
    }

    fn rsa(der: &[u8], pkcs8: bool) -> Result<Self, KeyError> {
        let pair = if pkcs8 {
            ring::signature::RsaKeyPair::from_pkcs8(der)
        } else {
            ring::signature::RsaKeyPair::from_der(der)
        }
        .map_err(|e| match e.to_string().as_str() {
            "TooSmall" => KeyError::TooShort,
            _ => KeyError::Unsupported(e.to_string()),
        })?;
        if pair.public().modulus_len() * 8 < MIN_RSA_BITS {
            return Err(KeyError::TooShort);
        }
        let public = super::keygen::rsa_spki(pair.public().as_ref())?;
        let der = if pkcs8 {
            PrivateKeyDer::Pkcs8(der.to_vec().into())
        } else {
            PrivateKeyDer::Pkcs1(der.to_vec().into())
        };
        let key = RsaKey::<Sha256>::from_key_der(der)
            .map_err(|e| KeyError::Unsupported(e.to_string()))?;
        Ok(Self {
            inner: Inner::Rsa(key),
            public,
        })
    }

    /// The `k=` tag of the key record.
    pub fn key_type(&self) -> &'static str {
        match self.inner {
            Inner::Rsa(_) => "rsa",
            Inner::Ed25519(_) => "ed25519",
        }
    }

    /// The key for mail-auth's builders (the ARC sealer).
    pub(crate) fn into_inner(self) -> Inner {
        self.inner
    }

    /// The key record to publish at `selector._domainkey.domain` (RFC 6376
    /// §3.6.1): `v=DKIM1; k=…; p=…`.
    pub fn record(&self) -> String {
        use base64::Engine;
        let p = base64::engine::general_purpose::STANDARD.encode(&self.public);
        format!("v=DKIM1; k={}; p={p}", self.key_type())
    }
}

/// Signs messages for one domain and selector.
pub struct DkimSigner {
    domain: String,
    built: Built<Inner, Done>,
}

impl DkimSigner {
    /// A signer for `d=domain`, `s=selector`.
    pub fn new(domain: &str, selector: &str, key: DkimKey) -> Self {
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        // mail-auth signs every occurrence of a listed name and adds a name
        // listed twice once more: that is the oversigning of RFC 6376 §8.15.
        let names = OVERSIGNED
            .iter()
            .flat_map(|n| [*n, *n])
            .chain(SIGNED.iter().copied());
        let built = Built::from_key(key.inner)
            .domain(domain.clone())
            .selector(selector)
            .headers(names)
            .header_canonicalization(Canonicalization::Relaxed)
            .body_canonicalization(Canonicalization::Relaxed);
        Self { domain, built }
    }

    /// The signing domain.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The `DKIM-Signature` header field for `message`, with its CRLF, to
    /// put on top of it.
    pub fn sign(&self, message: &[u8]) -> Result<String, SignError> {
        self.built
            .sign(message)
            .map(|signature| signature.to_header())
            .map_err(|e| SignError::Message(e.to_string()))
    }
}
