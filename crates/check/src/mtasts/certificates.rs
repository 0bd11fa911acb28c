//! Whether each MX host's certificate is valid for its name under WebPKI
//! (RFC 8461 §4.2), from the delivery probe:
//!
//! - a host the plan puts under `enforce` was probed with the WebPKI
//!   verifier itself, so its outcome is the answer;
//! - under `testing`, the probe records what `enforce` would have refused
//!   ([`HostAttempt::sts_testing_failure`]);
//! - a host DANE governs was verified by DANE; senders without DANE still
//!   apply the policy, so the served certificate's names are checked
//!   against the host name (the chain's trust is not re-checked: the
//!   evidence says so).

use delivery::HostAttempt;
use policy::sts::MxPattern;
use policy::{Cause, Requirement};
use tls::Status;

use super::texts;
use crate::finding::Finding;

/// One finding per probed MX address.
pub(crate) fn check(shown: &str, probes: &[HostAttempt]) -> Vec<Finding> {
    probes
        .iter()
        .filter(|p| !p.plaintext_retry)
        .filter_map(|p| one(shown, p))
        .collect()
}

fn one(shown: &str, probe: &HostAttempt) -> Option<Finding> {
    let host = probe.host.trim_end_matches('.');
    let at = format!("{host} ({})", probe.address);
    let verification = probe.verification.as_ref();
    match &probe.requirement {
        Requirement::StsEnforce { .. } => Some(match (&probe.trouble, verification) {
            (None, Some(v)) if v.status == Status::Authenticated => {
                texts::CERT_VALID.finding(shown, format!("{at}: WebPKI-valid for {host}"))
            }
            (Some(trouble), _) if is_certificate(&trouble.cause) => {
                texts::CERT_INVALID.finding(shown, format!("{at}: {}", trouble.diagnostic()))
            }
            (Some(trouble), _) => {
                texts::HOST_FAILED.finding(shown, format!("{at}: {}", trouble.diagnostic()))
            }
            _ => return None,
        }),
        _ if probe.sts_testing_failure.is_some() => {
            let trouble = probe.sts_testing_failure.as_ref()?;
            Some(texts::CERT_INVALID.finding(
                shown,
                format!("{at}: enforce would refuse: {}", trouble.diagnostic()),
            ))
        }
        _ => {
            let certificate = verification?.certificate.as_ref()?;
            let valid = certificate
                .dns_names
                .iter()
                .filter_map(|n| MxPattern::parse(n).ok())
                .any(|p| p.matches(host));
            let names = certificate.dns_names.join(", ");
            Some(if valid {
                texts::CERT_VALID.finding(
                    shown,
                    format!("{at}: the certificate names {names} (name check; chain verified by DANE, not WebPKI)"),
                )
            } else {
                texts::CERT_INVALID.finding(
                    shown,
                    format!(
                        "{at}: the certificate names {}, not {}",
                        if names.is_empty() {
                            "nothing".into()
                        } else {
                            names
                        },
                        host
                    ),
                )
            })
        }
    }
}

/// Whether a probe failed on the certificate (RFC 8461 §4.2), rather than
/// on reaching the host or on STARTTLS.
fn is_certificate(cause: &Cause) -> bool {
    matches!(
        cause,
        Cause::StsCertificateHostMismatch
            | Cause::StsCertificateNotTrusted
            | Cause::StsValidationFailure
            | Cause::CertificateExpired
    )
}
