//! What the delivery probe of one MX address says about its TLS: STARTTLS,
//! the TLS version, the certificate's expiry, and which TLSA record matched.

use delivery::HostAttempt;
use policy::{Cause, Requirement};

use super::texts;
use crate::finding::Finding;
use crate::names::{date, now_unix};

/// Days under which an expiring certificate is a warning.
pub(crate) const EXPIRY_WARNING_DAYS: i64 = 14;

/// The findings for one probe.
pub(crate) fn findings(shown: &str, attempt: &HostAttempt) -> Vec<Finding> {
    let at = format!(
        "{} ({})",
        attempt.host.trim_end_matches('.'),
        attempt.address
    );
    let dane = matches!(attempt.requirement, Requirement::Dane { .. });
    let mut out = Vec::new();
    let Some(session) = &attempt.session else {
        if let Some(trouble) = &attempt.trouble
            && dane
        {
            out.push(texts::HOST_FAILED.finding(shown, format!("{at}: {}", trouble.diagnostic())));
        }
        return out;
    };
    // After STARTTLS the capabilities are those of the second EHLO, which
    // no longer lists STARTTLS: a session that did TLS had it offered.
    let offered = if session.starttls || session.tls.is_some() {
        Some(true)
    } else {
        session.capabilities.as_ref().map(|c| c.starttls)
    };
    match offered {
        Some(true) => {
            out.push(texts::STARTTLS_OFFERED.finding(shown, format!("{at}: EHLO lists STARTTLS")))
        }
        Some(false) if attempt.requirement.requires_tls() => out.push(
            texts::STARTTLS_MISSING.finding(shown, format!("{at}: EHLO does not list STARTTLS")),
        ),
        Some(false) => {
            out.push(texts::PLAINTEXT.finding(shown, format!("{at}: EHLO does not list STARTTLS")))
        }
        None => {}
    }
    if let Some(tls) = &session.tls {
        let text = if matches!(
            tls.version.as_str(),
            "TLSv1_0" | "TLSv1_1" | "TLSv1.0" | "TLSv1.1"
        ) {
            texts::TLS_OLD
        } else {
            texts::TLS_VERSION
        };
        out.push(text.finding(shown, format!("{at}: {} with {}", tls.version, tls.cipher)));
    }
    if let Some(certificate) = attempt
        .verification
        .as_ref()
        .and_then(|v| v.certificate.as_ref())
    {
        let days = (certificate.not_after - now_unix()).div_euclid(86_400);
        let evidence = if days < 0 {
            format!(
                "{at}: {} expired on {} ({} ago)",
                certificate.subject,
                date(certificate.not_after),
                smtp::count(
                    (now_unix() - certificate.not_after).div_euclid(86_400) as u64,
                    "day",
                    "days"
                )
            )
        } else {
            format!(
                "{at}: {} expires on {} ({})",
                certificate.subject,
                date(certificate.not_after),
                smtp::count(days as u64, "day", "days")
            )
        };
        let matched_ee = attempt
            .verification
            .as_ref()
            .and_then(|v| v.dane.as_ref())
            .is_some_and(|m| m.record.usage == tls::Usage::DaneEe);
        let text = if days < 0 && dane && matched_ee {
            texts::CERT_EXPIRED_EE
        } else if days < 0 {
            texts::CERT_EXPIRED
        } else if days < EXPIRY_WARNING_DAYS {
            texts::CERT_EXPIRING
        } else {
            texts::CERT_EXPIRY
        };
        out.push(text.finding(shown, evidence));
    }
    if !dane {
        return out;
    }
    if let Some(matched) = attempt.verification.as_ref().and_then(|v| v.dane.as_ref()) {
        out.push(texts::MATCH.finding(
            shown,
            format!(
                "{at}: TLSA {} matches the certificate at depth {}",
                matched.record, matched.depth
            ),
        ));
    }
    match &attempt.trouble {
        Some(trouble) if trouble.cause == Cause::TlsaInvalid => {
            let served = attempt
                .verification
                .as_ref()
                .and_then(|v| v.certificate.as_ref())
                .map(|c| format!("; served: {} (SHA-256 {})", c.subject, c.sha256))
                .unwrap_or_default();
            out.push(
                texts::NO_MATCH.finding(shown, format!("{at}: {}{served}", trouble.diagnostic())),
            );
        }
        Some(trouble) => {
            out.push(texts::HOST_FAILED.finding(shown, format!("{at}: {}", trouble.diagnostic())));
        }
        None => {}
    }
    out
}
