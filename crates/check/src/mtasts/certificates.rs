//! Whether each MX host's certificate is valid for its name under WebPKI
//! (RFC 8461 §4.2), from delivery probes:
//!
//! - a host the plan puts under `enforce` was probed with the WebPKI
//!   verifier already, so its probe is the answer;
//! - any other host the policy lists (a DANE host, which senders without
//!   DANE still judge by the policy; every host of a `testing` policy) is
//!   probed again by [`delivery::probe`] with the requirement `enforce`
//!   gives it ([`Requirement::StsEnforce`]): the same verifier, the same
//!   trust roots, QUIT before MAIL.

use delivery::{DeliveryOptions, HostAttempt};
use policy::DeliveryPlan;
use policy::sts::Policy;
use policy::{Cause, Requirement};
use tls::Status;

use super::texts;
use crate::finding::Finding;

/// The probes of the hosts `policy` lists that the plan did not put under
/// `enforce`, made as `enforce` would make them.
pub(crate) async fn webpki_probes(
    plan: &DeliveryPlan,
    policy: &Policy,
    delivery: &DeliveryOptions,
) -> Vec<HostAttempt> {
    let mut enforced = plan.clone();
    enforced.domain_trouble = None;
    enforced.hosts.retain(|h| {
        h.requirement.is_usable()
            && !matches!(h.requirement, Requirement::StsEnforce { .. })
            && policy.allows_mx(h.name.to_string().trim_end_matches('.'))
    });
    if enforced.hosts.is_empty() {
        return Vec::new();
    }
    for host in &mut enforced.hosts {
        let name = host.name.to_string().trim_end_matches('.').to_owned();
        host.requirement = Requirement::StsEnforce { name };
        host.sts_testing = None;
    }
    delivery::probe(&enforced, delivery).await
}

/// One finding per probed MX address under `enforce`: from the plan's own
/// probes where it put the host under `enforce`, else from `webpki`.
pub(crate) fn check(shown: &str, probes: &[HostAttempt], webpki: &[HostAttempt]) -> Vec<Finding> {
    probes
        .iter()
        .filter(|p| matches!(p.requirement, Requirement::StsEnforce { .. }))
        .chain(webpki)
        .filter(|p| !p.plaintext_retry)
        .filter_map(|p| one(shown, p))
        .collect()
}

fn one(shown: &str, probe: &HostAttempt) -> Option<Finding> {
    let host = probe.host.trim_end_matches('.');
    let at = format!("{host} ({})", probe.address);
    let verification = probe.verification.as_ref();
    Some(match (&probe.trouble, verification) {
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
    })
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
