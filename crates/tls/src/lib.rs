//! TLS for Sealane's outbound delivery. This crate owns the rustls
//! certificate verifiers (DANE, WebPKI for MTA-STS, opportunistic), TLSA
//! records (parsing, usability, digest agility, matching per RFC 6698,
//! 7671 and 7672, and generation), the outcome each verifier records for
//! the delivery trace and TLS-RPT, and certificate helpers. It does not
//! look anything up in DNS, speak SMTP, or decide which requirement a host
//! gets: policy hands it a [`TlsRequirement`], and the SMTP client takes
//! the `Arc<rustls::ClientConfig>` that [`client_config`] builds. It imports
//! no other crate of the workspace.

mod cert;
mod chain;
mod config;
mod dane;
mod dane_verifier;
mod generate;
mod hex;
mod matching;
mod opportunistic;
mod outcome;
mod requirement;
mod result_type;
mod signature;
mod tlsa;
mod webpki_verifier;

pub use cert::{CertParseError, CertSummary, PemError, certificates_from_pem, spki, validity};
pub use config::{ConfigError, FixedTime, client_config, system_time};
pub use dane::{DaneError, DaneMatch, verify_chain};
pub use dane_verifier::DaneVerifier;
pub use generate::{GenerateError, tlsa_for_certificate, tlsa_for_public_key, tlsa_from_pem};
pub use matching::{is_usable, usable, usable_records};
pub use opportunistic::OpportunisticVerifier;
pub use outcome::{Failure, Method, OutcomeHandle, SignatureCheck, Status, VerificationOutcome};
pub use requirement::{RootsError, TlsRequirement, TrustRoots};
pub use result_type::ResultType;
pub use tlsa::{Matching, Selector, Tlsa, TlsaParseError, Usage};
pub use webpki_verifier::{WebPkiSetupError, WebPkiVerifier};

/// rustls and its key types, re-exported so callers build against the same
/// versions.
pub use rustls;
pub use rustls_pki_types as pki_types;

/// A value named in an error, between double quotes, with control and
/// non-ASCII characters escaped (this crate imports no other of the
/// workspace, so it does not use `smtp::quoted`).
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.escape_default())
}
