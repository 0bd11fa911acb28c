//! What a verifier saw and decided, kept where the caller can read it after
//! the handshake, also when the handshake failed (the delivery trace and
//! TLS-RPT need it).

use std::sync::{Arc, Mutex, PoisonError};

use rustls_pki_types::{CertificateDer, ServerName};
use serde::Serialize;

use crate::cert::CertSummary;
use crate::dane::DaneMatch;
use crate::result_type::ResultType;

/// How the server was to be checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Method {
    /// TLSA records (RFC 7672).
    Dane,
    /// A chain to a trusted root and the expected name (MTA-STS, RFC 8461 §4.2).
    WebPki,
    /// Any certificate; the TLS connection is optional (RFC 7435).
    Opportunistic,
    /// Any certificate; the TLS connection is required (RFC 7672 §2.2 for
    /// an all-unusable TLSA set).
    MandatoryUnauthenticated,
}

impl Method {
    /// The name used in JSON and reports: `dane`, `web-pki`,
    /// `opportunistic`, `mandatory-unauthenticated`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dane => "dane",
            Self::WebPki => "web-pki",
            Self::Opportunistic => "opportunistic",
            Self::MandatoryUnauthenticated => "mandatory-unauthenticated",
        }
    }
}

/// The verdict. Starts, and stays, [`Status::Indeterminate`] until both the
/// certificate check and the handshake signature have passed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[must_use]
pub enum Status {
    /// Not (yet) decided; never to be trusted.
    #[default]
    Indeterminate,
    /// The certificate was authenticated (DANE or WebPKI) and the server
    /// proved it holds the key.
    Authenticated,
    /// Encrypted, the server proved it holds the key of the certificate it
    /// sent, but that certificate was not authenticated.
    Unauthenticated,
    /// A check failed; see [`VerificationOutcome::failure`].
    Failed,
}

impl Status {
    /// The name used in JSON and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Indeterminate => "indeterminate",
            Self::Authenticated => "authenticated",
            Self::Unauthenticated => "unauthenticated",
            Self::Failed => "failed",
        }
    }
}

/// Whether the server's handshake signature (TLS 1.2 ServerKeyExchange,
/// TLS 1.3 CertificateVerify) was verified with the certificate's key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureCheck {
    /// Not reached (the certificate check failed first, or the handshake stopped).
    #[default]
    NotChecked,
    /// Verified.
    Valid,
    /// Did not verify: the server does not hold the certificate's key.
    Invalid,
}

/// A failed check, for the trace and TLS-RPT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// RFC 8460 §4.3 result type.
    pub result_type: ResultType,
    /// Human-readable reason.
    pub reason: String,
}

/// What one verifier saw and decided in one handshake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[must_use]
pub struct VerificationOutcome {
    /// How the server was to be checked.
    pub method: Method,
    /// The verdict.
    pub status: Status,
    /// The server name rustls was given (SNI).
    pub server_name: String,
    /// Reference identifiers the certificate was checked against (empty:
    /// no name check).
    pub names: Vec<String>,
    /// The leaf certificate, when it could be parsed.
    pub certificate: Option<CertSummary>,
    /// Number of certificates presented.
    pub chain_length: usize,
    /// Which TLSA record matched, at which depth (DANE only).
    pub dane: Option<DaneMatch>,
    /// The handshake signature check.
    pub signature: SignatureCheck,
    /// Why the check failed, if it did.
    pub failure: Option<Failure>,
}

impl VerificationOutcome {
    /// A fresh outcome for a presented chain, still indeterminate.
    pub(crate) fn seen(
        method: Method,
        server_name: &ServerName<'_>,
        chain: &[CertificateDer<'_>],
        names: Vec<String>,
    ) -> Self {
        Self {
            method,
            status: Status::Indeterminate,
            server_name: server_name.to_str().into_owned(),
            names,
            certificate: chain.first().and_then(|leaf| CertSummary::of(leaf).ok()),
            chain_length: chain.len(),
            dane: None,
            signature: SignatureCheck::NotChecked,
            failure: None,
        }
    }

    /// Marks the outcome failed.
    pub(crate) fn fail(&mut self, result_type: ResultType, reason: String) {
        self.status = Status::Failed;
        self.failure = Some(Failure {
            result_type,
            reason,
        });
    }

    /// The status a passed check earns once the signature is verified.
    fn passed(&self) -> Status {
        match self.method {
            Method::Dane | Method::WebPki => Status::Authenticated,
            Method::Opportunistic | Method::MandatoryUnauthenticated => Status::Unauthenticated,
        }
    }
}

/// The shared slot a verifier writes its outcome to. Clone it freely; all
/// clones see the same slot. One handle belongs to one `ClientConfig`, and
/// so to one connection (see [`crate::client_config`]).
#[derive(Debug, Clone, Default)]
pub struct OutcomeHandle(Arc<Mutex<Option<VerificationOutcome>>>);

impl OutcomeHandle {
    /// An empty slot.
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of the outcome; `None` if no certificate was seen yet.
    #[must_use]
    pub fn outcome(&self) -> Option<VerificationOutcome> {
        self.slot().clone()
    }

    /// Takes the outcome out, leaving the slot empty.
    #[must_use]
    pub fn take(&self) -> Option<VerificationOutcome> {
        self.slot().take()
    }

    pub(crate) fn record(&self, outcome: VerificationOutcome) {
        *self.slot() = Some(outcome);
    }

    /// Records the handshake signature result: a valid signature after a
    /// passed certificate check settles the status; an invalid one fails it.
    pub(crate) fn signature_checked(&self, result: Result<(), &rustls::Error>) {
        let mut slot = self.slot();
        // rustls checks the certificate before the signature; should it
        // ever not, the signature alone must not make a verdict.
        let Some(outcome) = slot.as_mut() else {
            return;
        };
        match result {
            Ok(()) => {
                outcome.signature = SignatureCheck::Valid;
                if outcome.status == Status::Indeterminate && outcome.failure.is_none() {
                    outcome.status = outcome.passed();
                }
            }
            Err(error) => {
                outcome.signature = SignatureCheck::Invalid;
                outcome.fail(
                    ResultType::ValidationFailure,
                    format!(
                        "handshake signature does not verify with the certificate's key: {error}"
                    ),
                );
            }
        }
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<VerificationOutcome>> {
        // A panic while holding the lock leaves plain data behind; the
        // outcome is still the best record there is.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod names {
    use super::*;

    #[test]
    fn names_match_the_json_form() {
        for method in [
            Method::Dane,
            Method::WebPki,
            Method::Opportunistic,
            Method::MandatoryUnauthenticated,
        ] {
            assert_eq!(serde_json::to_value(method).unwrap(), method.as_str());
        }
        for status in [
            Status::Indeterminate,
            Status::Authenticated,
            Status::Unauthenticated,
            Status::Failed,
        ] {
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh(method: Method) -> OutcomeHandle {
        let handle = OutcomeHandle::new();
        let name = ServerName::try_from("mx.example").unwrap();
        handle.record(VerificationOutcome::seen(method, &name, &[], vec![]));
        handle
    }

    #[test]
    fn status_settles_only_after_signature() {
        let handle = fresh(Method::Dane);
        assert_eq!(handle.outcome().unwrap().status, Status::Indeterminate);
        handle.signature_checked(Ok(()));
        assert_eq!(handle.outcome().unwrap().status, Status::Authenticated);

        let handle = fresh(Method::Opportunistic);
        handle.signature_checked(Ok(()));
        assert_eq!(handle.take().unwrap().status, Status::Unauthenticated);
        assert!(handle.outcome().is_none());
    }

    #[test]
    fn bad_signature_fails_the_outcome() {
        let handle = fresh(Method::WebPki);
        handle.signature_checked(Err(&rustls::Error::DecryptError));
        let outcome = handle.outcome().unwrap();
        assert_eq!(outcome.status, Status::Failed);
        assert_eq!(outcome.signature, SignatureCheck::Invalid);
        assert_eq!(
            outcome.failure.unwrap().result_type,
            ResultType::ValidationFailure
        );
    }

    #[test]
    fn signature_without_certificate_check_decides_nothing() {
        let handle = OutcomeHandle::new();
        handle.signature_checked(Ok(()));
        assert!(handle.outcome().is_none());
    }
}
