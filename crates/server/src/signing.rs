//! DKIM signatures on the mail Sealane writes itself — TLS reports,
//! non-delivery, delay and success notices — with the `[[dkim.sign]]` key
//! of the `From:` domain or its closest parent (relaxed alignment, RFC 7489
//! §3.1.1), so receivers can tell our notices from forged ones.

use tracing::warn;

use crate::config::{SigningKey, dkim_key_for};

/// `data` with a `DKIM-Signature` on top when a key for the domain of
/// `from` is configured; unchanged (and logged) when signing fails, since
/// an unsigned notice is better than none. `what` names the mail in logs.
pub(crate) fn sign(keys: &[SigningKey], from: &str, data: Vec<u8>, what: &str) -> Vec<u8> {
    let Some(key) = dkim_key_for(keys, from) else {
        return data;
    };
    match key.signer.sign(&data) {
        Ok(header) => {
            let mut signed = header.into_bytes();
            signed.extend_from_slice(&data);
            signed
        }
        Err(error) => {
            warn!(domain = %key.domain, error = %error, what, "mail not DKIM-signed");
            data
        }
    }
}
