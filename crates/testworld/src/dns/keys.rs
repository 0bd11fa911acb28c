//! Zone signing keys: ECDSA P-256 (algorithm 13). A signed zone has one key
//! used as a combined key-signing and zone-signing key (flags 257), or, when
//! the test asks, a key-signing key (257) beside a zone-signing key (256).

use std::sync::Arc;

use hickory_proto::dnssec::crypto::EcdsaSigningKey;
use hickory_proto::dnssec::rdata::{DNSKEY, DS};
use hickory_proto::dnssec::{Algorithm, DigestType, SigningKey, TBS};
use hickory_proto::rr::Name;

/// DNSKEY flags of a zone key that is also a secure entry point (RFC 4034 §2.1.1).
const ZONE_KEY_SEP: u16 = 257;

/// DNSKEY flags of a zone key that is not a secure entry point: a ZSK.
const ZONE_KEY: u16 = 256;

/// A zone's key pair and the records derived from it.
#[derive(Clone)]
pub(crate) struct ZoneKey {
    signer: Arc<EcdsaSigningKey>,
    dnskey: DNSKEY,
    tag: u16,
}

impl ZoneKey {
    /// A fresh key-signing (or combined) key; generation only fails when the
    /// system RNG does, which leaves no test world to run.
    pub(crate) fn generate() -> Self {
        Self::with_flags(ZONE_KEY_SEP)
    }

    /// A fresh zone-signing key, not a secure entry point.
    pub(crate) fn generate_zsk() -> Self {
        Self::with_flags(ZONE_KEY)
    }

    fn with_flags(flags: u16) -> Self {
        let pkcs8 = EcdsaSigningKey::generate_pkcs8(Algorithm::ECDSAP256SHA256)
            .expect("the system RNG produces a P-256 key");
        let signer = EcdsaSigningKey::from_pkcs8(&pkcs8, Algorithm::ECDSAP256SHA256)
            .expect("a freshly generated PKCS#8 key parses");
        let public = signer
            .to_public_key()
            .expect("a P-256 signing key has a public key");
        let dnskey = DNSKEY::with_flags(flags, public);
        let tag = dnskey
            .calculate_key_tag()
            .expect("a DNSKEY built from a valid key encodes");
        Self {
            signer: Arc::new(signer),
            dnskey,
            tag,
        }
    }

    pub(crate) fn dnskey(&self) -> &DNSKEY {
        &self.dnskey
    }

    pub(crate) fn tag(&self) -> u16 {
        self.tag
    }

    pub(crate) fn sign(&self, tbs: &TBS) -> Vec<u8> {
        self.signer
            .sign(tbs)
            .expect("ECDSA signing with a valid key does not fail")
    }

    /// The SHA-256 DS record for this key at `owner` (RFC 4034 §5.1.4).
    pub(crate) fn ds(&self, owner: &Name) -> DS {
        let digest = self
            .dnskey
            .to_digest(owner, DigestType::SHA256)
            .expect("SHA-256 digests of an encodable DNSKEY succeed");
        DS::new(
            self.tag,
            Algorithm::ECDSAP256SHA256,
            DigestType::SHA256,
            digest.as_ref().to_vec(),
        )
    }
}
