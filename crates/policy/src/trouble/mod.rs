//! What a failure means: the one place that turns a cause into temporary
//! or permanent, a scope, an enhanced status code (RFC 3463) now and when
//! the message expires, a TLS-RPT result type (RFC 8460 §4.3) and a text
//! for the sender (DESIGN §1: "only one trouble module").
//!
//! Delivery code never picks a status code itself: it builds a [`Trouble`]
//! from what it saw ([`Trouble::from_smtp`], [`Trouble::from_outcome`],
//! [`Trouble::dns`], ...) and asks it. The codes, scopes and texts live in
//! one table (`table.rs`).

mod cause;
mod convert;
mod result_type;
mod sts;
mod table;

use serde::{Serialize, Serializer};
use smtp::{EnhancedCode, Reply};

pub use cause::{AttemptLimit, Cause};
pub use result_type::RptResultType;

/// Which DNS question failed; it decides the scope of a DNS trouble.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum DnsStep {
    /// The MX RRset of the recipient domain (scope: the domain).
    Mx,
    /// The A/AAAA RRsets of an MX host (scope: that host).
    Address,
    /// The TLSA RRset of an MX host (scope: that host).
    Tlsa,
    /// A TXT record of the recipient domain, e.g. `_mta-sts` (scope: the domain).
    Txt,
}

/// What a trouble stops: the next host may still do, or the whole domain
/// is out for now, or only this recipient is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// This MX host (or this address of it): move on to the next one
    /// (DESIGN §2: "a security failure on one MX moves on to the next MX").
    Host,
    /// Every host of the recipient domain: no host is worth trying now.
    Domain,
    /// This recipient (or the recipients of this transaction) only.
    Recipient,
}

/// A failure and what it means. Ask it; do not decide codes elsewhere.
///
/// Serialized with its meaning spelled out (`temporary`, `code`,
/// `final_code`, `result_type`, `scope`, `text`) for the message trace and
/// `sealane route`.
#[must_use]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trouble {
    /// What happened.
    pub cause: Cause,
    /// What was seen, technically (a DNS error, a verifier's reason, the
    /// host): for the trace and the diagnostic of an NDR.
    pub detail: Option<String>,
}

impl Trouble {
    /// A trouble without details.
    pub fn new(cause: Cause) -> Self {
        Self {
            cause,
            detail: None,
        }
    }

    /// A trouble with what was seen.
    pub fn with_detail(cause: Cause, detail: impl Into<String>) -> Self {
        Self {
            cause,
            detail: Some(detail.into()),
        }
    }

    /// Whether a later attempt may succeed: the recipient is deferred, not
    /// bounced. Every security failure is temporary (DESIGN §2: never bounce
    /// on a DANE or MTA-STS failure before the message expires).
    pub fn is_temporary(&self) -> bool {
        table::entry(&self.cause).temporary
    }

    /// Whether this is a failure of a security check (TLS, DANE, DNSSEC,
    /// MTA-STS, REQUIRETLS, local TLS policy) rather than of routing or of
    /// the message.
    pub fn is_security(&self) -> bool {
        table::entry(&self.cause).security
    }

    /// The enhanced status code to record now: the `4.x.x` variant while
    /// temporary (e.g. `4.7.323`), the `5.x.x` code when permanent.
    pub fn code(&self) -> EnhancedCode {
        let entry = table::entry(&self.cause);
        if entry.temporary {
            entry.code
        } else {
            entry.final_code
        }
    }

    /// The code of the NDR when the message expires with this as its last
    /// cause (e.g. `5.7.323`; DESIGN §2 "Status codes"). `5.4.7` is for an
    /// expiry with no recorded cause.
    pub fn final_code(&self) -> EnhancedCode {
        table::entry(&self.cause).final_code
    }

    /// The TLS-RPT result type, when the failure is one TLS-RPT reports.
    pub fn result_type(&self) -> Option<RptResultType> {
        table::entry(&self.cause).result_type
    }

    /// What the failure stops.
    pub fn scope(&self) -> Scope {
        table::entry(&self.cause).scope
    }

    /// The text for the sender: names the cause and says what to do.
    pub fn text(&self) -> &'static str {
        table::entry(&self.cause).text
    }

    /// The server's reply this trouble is about, if it is one.
    pub fn reply(&self) -> Option<&Reply> {
        match &self.cause {
            Cause::RemoteTemporary { reply, .. }
            | Cause::RemotePermanent { reply, .. }
            | Cause::SessionRefused { reply, .. } => Some(reply),
            _ => None,
        }
    }

    /// The diagnostic line for an NDR or the trace: code, text, and what
    /// was seen (the server's reply, the DNS error, the verifier's reason).
    pub fn diagnostic(&self) -> String {
        let mut out = format!("{} {}", self.code(), self.text());
        if let Some(reply) = self.reply() {
            out.push_str(&format!(" (the server said: {reply})"));
        }
        if let Some(detail) = &self.detail {
            // What was seen may quote the peer (a reply, a certificate name).
            out.push_str(&format!(" ({})", smtp::untrusted(detail)));
        }
        out
    }
}

impl std::fmt::Display for Trouble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.diagnostic())
    }
}

impl Serialize for Trouble {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct View<'a> {
            cause: &'a Cause,
            detail: &'a Option<String>,
            temporary: bool,
            code: EnhancedCode,
            final_code: EnhancedCode,
            result_type: Option<RptResultType>,
            scope: Scope,
            text: &'static str,
        }
        View {
            cause: &self.cause,
            detail: &self.detail,
            temporary: self.is_temporary(),
            code: self.code(),
            final_code: self.final_code(),
            result_type: self.result_type(),
            scope: self.scope(),
            text: self.text(),
        }
        .serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use smtp::{Class, Reply, Stage};

    use super::*;

    fn reply(code: u16, enhanced: Option<&str>) -> Reply {
        Reply::new(code, enhanced.map(|e| e.parse().unwrap()), "text")
    }

    /// One of every cause. The match below stops compiling when a cause is
    /// added without being listed here.
    fn every_cause() -> Vec<Cause> {
        let all = vec![
            Cause::NullMx,
            Cause::NoSuchDomain,
            Cause::NoAddresses,
            Cause::DnsFailure { step: DnsStep::Mx },
            Cause::DnsFailure {
                step: DnsStep::Tlsa,
            },
            Cause::LocalResolver,
            Cause::DnssecInvalid { step: DnsStep::Mx },
            Cause::DnssecInvalid {
                step: DnsStep::Address,
            },
            Cause::ConnectionFailed,
            Cause::ConnectionLost {
                stage: Stage::DataBlock,
            },
            Cause::RemoteProtocol {
                stage: Stage::Greeting,
            },
            Cause::LimitReached {
                limit: AttemptLimit::Addresses,
            },
            Cause::LimitReached {
                limit: AttemptLimit::MinDataRate,
            },
            Cause::StarttlsNotSupported,
            Cause::TlsFailed,
            Cause::HandshakeSignatureInvalid,
            Cause::CertificateExpired,
            Cause::TlsaInvalid,
            Cause::DaneCertificateHostMismatch,
            Cause::DaneValidationFailure,
            Cause::StsMxNotInPolicy,
            Cause::StsCertificateHostMismatch,
            Cause::StsCertificateNotTrusted,
            Cause::StsValidationFailure,
            Cause::StsPolicyFetch,
            Cause::StsPolicyInvalid,
            Cause::StsPolicyHostCertificate,
            Cause::DaneRequired,
            Cause::StsRequired,
            Cause::RequireTlsUnavailable,
            Cause::MessageTooBig,
            Cause::Smtputf8Required,
            Cause::EightBitMimeRequired,
            Cause::InvalidAddress,
            Cause::LocalSoftware,
            Cause::RemoteTemporary {
                stage: Stage::Rcpt,
                reply: reply(451, Some("4.2.1")),
            },
            Cause::RemotePermanent {
                stage: Stage::Rcpt,
                reply: reply(550, Some("5.1.1")),
            },
            Cause::SessionRefused {
                stage: Stage::Greeting,
                reply: reply(554, Some("5.7.1")),
            },
        ];
        for cause in &all {
            match cause {
                Cause::NullMx
                | Cause::NoSuchDomain
                | Cause::NoAddresses
                | Cause::DnsFailure { .. }
                | Cause::LocalResolver
                | Cause::DnssecInvalid { .. }
                | Cause::ConnectionFailed
                | Cause::ConnectionLost { .. }
                | Cause::RemoteProtocol { .. }
                | Cause::LimitReached { .. }
                | Cause::StarttlsNotSupported
                | Cause::TlsFailed
                | Cause::HandshakeSignatureInvalid
                | Cause::CertificateExpired
                | Cause::TlsaInvalid
                | Cause::DaneCertificateHostMismatch
                | Cause::DaneValidationFailure
                | Cause::StsMxNotInPolicy
                | Cause::StsCertificateHostMismatch
                | Cause::StsCertificateNotTrusted
                | Cause::StsValidationFailure
                | Cause::StsPolicyFetch
                | Cause::StsPolicyInvalid
                | Cause::StsPolicyHostCertificate
                | Cause::DaneRequired
                | Cause::StsRequired
                | Cause::RequireTlsUnavailable
                | Cause::MessageTooBig
                | Cause::Smtputf8Required
                | Cause::EightBitMimeRequired
                | Cause::InvalidAddress
                | Cause::LocalSoftware
                | Cause::RemoteTemporary { .. }
                | Cause::RemotePermanent { .. }
                | Cause::SessionRefused { .. } => {}
            }
        }
        all
    }

    #[test]
    fn every_security_failure_is_temporary_until_expiry() {
        let security: Vec<Trouble> = every_cause()
            .into_iter()
            .map(Trouble::new)
            .filter(Trouble::is_security)
            .collect();
        assert!(security.len() >= 15, "the security causes are listed");
        for trouble in security {
            assert!(trouble.is_temporary(), "{:?}", trouble.cause);
            assert_eq!(
                trouble.code().class,
                Class::Transient,
                "{:?}",
                trouble.cause
            );
            assert_eq!(
                trouble.final_code(),
                trouble.code().with_class(Class::Permanent),
                "{:?}",
                trouble.cause
            );
        }
    }

    #[test]
    fn codes_are_the_design_pairs() {
        let pairs = [
            (Cause::StarttlsNotSupported, "4.7.321", "5.7.321"),
            (Cause::CertificateExpired, "4.7.322", "5.7.322"),
            (Cause::TlsaInvalid, "4.7.323", "5.7.323"),
            (
                Cause::DnssecInvalid { step: DnsStep::Mx },
                "4.7.324",
                "5.7.324",
            ),
            (
                Cause::DnsFailure {
                    step: DnsStep::Address,
                },
                "4.4.312",
                "5.4.312",
            ),
            (Cause::LocalResolver, "4.4.3", "5.4.3"),
            (Cause::StsMxNotInPolicy, "4.7.5", "5.7.5"),
            (Cause::StsCertificateHostMismatch, "4.7.5", "5.7.5"),
            (Cause::StsCertificateNotTrusted, "4.7.5", "5.7.5"),
            (Cause::StsPolicyFetch, "4.7.5", "5.7.5"),
            (Cause::StsPolicyInvalid, "4.7.5", "5.7.5"),
            (Cause::RequireTlsUnavailable, "4.7.30", "5.7.30"),
        ];
        for (cause, now, at_expiry) in pairs {
            let trouble = Trouble::new(cause);
            assert_eq!(trouble.code().to_string(), now, "{:?}", trouble.cause);
            assert_eq!(trouble.final_code().to_string(), at_expiry);
            assert!(trouble.is_temporary());
        }
    }

    #[test]
    fn result_types_are_the_design_ones() {
        let expected = [
            (Cause::StarttlsNotSupported, Some("starttls-not-supported")),
            (Cause::CertificateExpired, Some("certificate-expired")),
            (Cause::TlsaInvalid, Some("tlsa-invalid")),
            (
                Cause::DnssecInvalid {
                    step: DnsStep::Tlsa,
                },
                Some("dnssec-invalid"),
            ),
            (Cause::DnsFailure { step: DnsStep::Mx }, None),
            (Cause::StsMxNotInPolicy, Some("validation-failure")),
            (
                Cause::StsCertificateHostMismatch,
                Some("certificate-host-mismatch"),
            ),
            (
                Cause::StsCertificateNotTrusted,
                Some("certificate-not-trusted"),
            ),
            (Cause::StsPolicyFetch, Some("sts-policy-fetch-error")),
            (Cause::StsPolicyInvalid, Some("sts-policy-invalid")),
            (Cause::StsPolicyHostCertificate, Some("sts-webpki-invalid")),
            (Cause::RequireTlsUnavailable, None),
        ];
        for (cause, result_type) in expected {
            let trouble = Trouble::new(cause);
            assert_eq!(
                trouble.result_type().map(RptResultType::as_str),
                result_type,
                "{:?}",
                trouble.cause
            );
        }
    }

    #[test]
    fn null_mx_and_nxdomain_are_permanent_for_the_domain() {
        let null = Trouble::new(Cause::NullMx);
        assert!(!null.is_temporary());
        assert_eq!(null.code(), EnhancedCode::NULL_MX);
        assert_eq!(null.scope(), Scope::Domain);
        let nx = Trouble::new(Cause::NoSuchDomain);
        assert!(!nx.is_temporary());
        assert_eq!(nx.code().to_string(), "5.1.2");
    }

    #[test]
    fn scopes_follow_what_failed() {
        let scope = |cause| Trouble::new(cause).scope();
        assert_eq!(
            scope(Cause::DnssecInvalid { step: DnsStep::Mx }),
            Scope::Domain
        );
        assert_eq!(
            scope(Cause::DnssecInvalid {
                step: DnsStep::Tlsa
            }),
            Scope::Host
        );
        assert_eq!(scope(Cause::TlsaInvalid), Scope::Host);
        assert_eq!(scope(Cause::StsPolicyFetch), Scope::Domain);
    }

    #[test]
    fn every_text_names_a_cause_and_an_action() {
        let mut seen = std::collections::HashSet::new();
        for cause in every_cause() {
            let trouble = Trouble::new(cause);
            let text = trouble.text();
            assert!(text.len() > 60, "too short to help: {text}");
            assert!(text.contains(';'), "no action given: {text}");
            assert!(!text.ends_with('.'), "texts are clauses: {text}");
            seen.insert(text);
        }
        assert!(seen.len() > 25, "causes share texts");
    }

    #[test]
    fn serializes_with_its_meaning() {
        let trouble = Trouble::with_detail(Cause::TlsaInvalid, "mx.example: no match");
        let json = serde_json::to_value(&trouble).unwrap();
        assert_eq!(json["cause"]["kind"], "tlsa-invalid");
        assert_eq!(json["code"], "4.7.323");
        assert_eq!(json["final_code"], "5.7.323");
        assert_eq!(json["result_type"], "tlsa-invalid");
        assert_eq!(json["scope"], "host");
        assert_eq!(json["temporary"], true);
    }
}
