//! `[[dkim.sign]]`: the DKIM keys (RFC 6376) mail we write ourselves is
//! signed with: a domain, a selector and a PEM key file each, read and
//! checked when the configuration is loaded. TLS reports (RFC 8460 §5.3
//! wants them signed) and notices are signed with the key of their
//! `From:` domain (`crate::signing`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use auth::{DkimKey, DkimSigner};
use serde::Deserialize;

/// `[dkim]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDkim {
    #[serde(default)]
    pub sign: Vec<RawSigningKey>,
}

/// One `[[dkim.sign]]` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSigningKey {
    pub domain: String,
    pub selector: String,
    pub key_file: PathBuf,
}

/// A DKIM signing key, loaded.
#[derive(Clone)]
pub struct SigningKey {
    /// `d=`: the signing domain, lowercase.
    pub domain: String,
    /// `s=`: the selector.
    pub selector: String,
    /// The PEM file the key came from.
    pub key_file: PathBuf,
    /// The signer (never printed).
    pub signer: Arc<DkimSigner>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("domain", &self.domain)
            .field("selector", &self.selector)
            .field("key_file", &self.key_file)
            .finish_non_exhaustive()
    }
}

/// Loads every key; the error names the entry and why.
pub(crate) fn load(raw: RawDkim) -> Result<Vec<SigningKey>, String> {
    raw.sign
        .into_iter()
        .enumerate()
        .map(|(i, key)| {
            let (domain, selector, dkim_key) = load_key(&key.domain, &key.selector, &key.key_file)
                .map_err(|e| format!("sign[{i}]: {e}"))?;
            Ok(SigningKey {
                signer: Arc::new(DkimSigner::new(&domain, &selector, dkim_key)),
                domain,
                selector,
                key_file: key.key_file,
            })
        })
        .collect()
}

/// A signing domain, selector and PEM key file as written, checked and
/// loaded: the domain lowercase without its final dot, the selector
/// trimmed, the key (RSA or Ed25519, PKCS#8 or PKCS#1). Shared by
/// `[[dkim.sign]]` and `[arc]`; the error names the file, never the key.
pub(crate) fn load_key(
    domain: &str,
    selector: &str,
    key_file: &Path,
) -> Result<(String, String, DkimKey), String> {
    let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let selector = selector.trim().to_owned();
    if domain.is_empty() || selector.is_empty() {
        return Err("domain and selector must not be empty".into());
    }
    let pem = std::fs::read_to_string(key_file)
        .map_err(|e| format!("{}: {}", key_file.display(), smtp::io_text(&e)))?;
    let key = DkimKey::from_pem(&pem).map_err(|e| format!("{}: {e}", key_file.display()))?;
    Ok((domain, selector, key))
}

/// The key for mail from `address`: the one for its domain, else for the
/// closest parent domain (relaxed DMARC alignment, RFC 7489 §3.1.1).
pub fn key_for<'a>(keys: &'a [SigningKey], address: &str) -> Option<&'a SigningKey> {
    let domain = address.rsplit_once('@')?.1.to_ascii_lowercase();
    keys.iter()
        .filter(|k| domain == k.domain || domain.ends_with(&format!(".{}", k.domain)))
        .max_by_key(|k| k.domain.len())
}
