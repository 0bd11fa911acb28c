//! MTA-STS `testing` mode in a session (RFC 8461 §5): the message goes as
//! the host's requirement allows, and what `enforce` would have refused is
//! recorded for TLS-RPT (RFC 8460 §4.3), never acted on.
//!
//! The session's own TLS is opportunistic (any certificate, handshake
//! signature verified); the chain the server presented is then judged
//! separately under WebPKI for the MX host name, as `enforce` would judge
//! it (RFC 8461 §4.2).

use std::sync::Arc;

use policy::{Cause, StsTesting, Trouble};
use tls::pki_types::{CertificateDer, ServerName, UnixTime};
use tls::rustls::client::danger::ServerCertVerifier;
use tls::{OutcomeHandle, VerificationOutcome, WebPkiVerifier};

use crate::options::DeliveryOptions;

/// Where a session stood when the testing-mode check ran.
pub(crate) enum Seen<'a> {
    /// The server offered no STARTTLS (`starttls-not-supported`).
    NoStarttls,
    /// STARTTLS failed; the session's trouble says how.
    TlsFailed(&'a Trouble),
    /// STARTTLS succeeded and the server presented this chain.
    Chain(&'a [CertificateDer<'static>]),
}

/// The failure `enforce` would have met on this session, if any: the host
/// not in the policy first (known before connecting, RFC 8461 §4.1), then
/// no STARTTLS, a failed handshake, or a chain that WebPKI rejects for the
/// MX host name (`certificate-host-mismatch`, `certificate-not-trusted`,
/// `certificate-expired`).
#[must_use]
pub(crate) fn would_be_failure(
    testing: &StsTesting,
    seen: Seen<'_>,
    options: &DeliveryOptions,
) -> Option<Trouble> {
    if let Some(trouble) = testing.mx_trouble() {
        return Some(trouble);
    }
    match seen {
        Seen::NoStarttls => Some(Trouble::with_detail(
            Cause::StarttlsNotSupported,
            format!("{}: STARTTLS not offered (testing mode)", testing.name),
        )),
        Seen::TlsFailed(trouble) => Some(trouble.clone()),
        Seen::Chain(chain) => match webpki_verdict(&testing.name, chain, options) {
            Ok(outcome) => Trouble::from_outcome(&outcome),
            Err(reason) => Some(Trouble::with_detail(
                Cause::StsValidationFailure,
                format!("{}: {reason}", testing.name),
            )),
        },
    }
}

/// Judges `chain` under WebPKI for `name`, as the `enforce` verifier would,
/// and returns what the verifier recorded; `Err` when it could not judge.
fn webpki_verdict(
    name: &str,
    chain: &[CertificateDer<'static>],
    options: &DeliveryOptions,
) -> Result<VerificationOutcome, String> {
    let provider = Arc::new(tls::rustls::crypto::ring::default_provider());
    let handle = OutcomeHandle::new();
    let verifier = WebPkiVerifier::new(
        name,
        options.roots.store().clone(),
        provider,
        handle.clone(),
    )
    .map_err(|e| e.to_string())?;
    let server_name = ServerName::try_from(name.to_owned()).map_err(|e| e.to_string())?;
    let (leaf, intermediates) = chain
        .split_first()
        .ok_or_else(|| "no certificate presented".to_owned())?;
    // A clock that cannot tell the time is read as the system's.
    let now = options.time.current_time().unwrap_or_else(UnixTime::now);
    // The verdict is recorded in `handle`; the returned error says the same.
    let _ = verifier.verify_server_cert(leaf, intermediates, &server_name, &[], now);
    handle
        .take()
        .ok_or_else(|| "the verifier recorded nothing".to_owned())
}
