//! Troubles from what delivery sees: DNS errors, DANE verdicts, the
//! verifier's recorded outcome, SMTP errors and replies.

use smtp::{Extension, Reply, Stage};
use tls::{DaneError, Method, ResultType, SignatureCheck, Status, VerificationOutcome};

use super::{AttemptLimit, Cause, DnsStep, Trouble};

impl Trouble {
    /// A DNS lookup failure at `step`. A name that is not a domain name is
    /// a recipient domain that cannot exist; every other failure is
    /// temporary (`4.4.312`, DESIGN §2), but a local resolver that cannot
    /// serve DNSSEC is ours (`4.4.3`), not the recipient's.
    pub fn dns(step: DnsStep, error: &dns::DnsError) -> Self {
        let cause = match error {
            dns::DnsError::BadName { .. } if step == DnsStep::Mx => Cause::NoSuchDomain,
            dns::DnsError::LocalResolver { .. } => Cause::LocalResolver,
            _ => Cause::DnsFailure { step },
        };
        Self::with_detail(cause, error.to_string())
    }

    /// A failed DANE check (RFC 7672 §3), as `tls::verify_chain` reports it.
    pub fn from_dane(error: &DaneError) -> Self {
        let cause = match error.result_type() {
            ResultType::CertificateExpired => Cause::CertificateExpired,
            ResultType::CertificateHostMismatch => Cause::DaneCertificateHostMismatch,
            ResultType::TlsaInvalid => Cause::TlsaInvalid,
            _ => Cause::DaneValidationFailure,
        };
        Self::with_detail(cause, error.to_string())
    }

    /// The trouble a verifier recorded, if its verdict is a failure.
    ///
    /// A handshake signature that does not verify is named as such whatever
    /// the method; otherwise the result type is read per method: DANE
    /// failures are `x.7.322`/`x.7.323`, WebPKI (MTA-STS) failures `x.7.5`
    /// except expiry (DESIGN §2 "Status codes").
    pub fn from_outcome(outcome: &VerificationOutcome) -> Option<Self> {
        if outcome.status != Status::Failed {
            return None;
        }
        let (result_type, reason) = match &outcome.failure {
            Some(failure) => (failure.result_type, failure.reason.clone()),
            None => (ResultType::ValidationFailure, "verification failed".into()),
        };
        let cause = if outcome.signature == SignatureCheck::Invalid {
            Cause::HandshakeSignatureInvalid
        } else {
            match (outcome.method, result_type) {
                (_, ResultType::CertificateExpired) => Cause::CertificateExpired,
                (Method::Dane, ResultType::TlsaInvalid) => Cause::TlsaInvalid,
                (Method::Dane, ResultType::CertificateHostMismatch) => {
                    Cause::DaneCertificateHostMismatch
                }
                (Method::Dane, _) => Cause::DaneValidationFailure,
                (Method::WebPki, ResultType::CertificateHostMismatch) => {
                    Cause::StsCertificateHostMismatch
                }
                (Method::WebPki, ResultType::CertificateNotTrusted) => {
                    Cause::StsCertificateNotTrusted
                }
                (Method::WebPki, _) => Cause::StsValidationFailure,
                // Opportunistic and mandatory-unauthenticated verifiers
                // accept any certificate; a failure there is the handshake's.
                _ => Cause::TlsFailed,
            }
        };
        let detail = format!("{}: {reason}", outcome.server_name);
        Some(Self::with_detail(cause, detail))
    }

    /// An SMTP session error. `outcome` is what the TLS verifier recorded
    /// for this connection, if STARTTLS was attempted: a failed handshake is
    /// named by the verifier's verdict (a DANE mismatch is `4.7.323`, not a
    /// generic TLS failure).
    ///
    /// 4xx replies are temporary, 5xx replies permanent for the recipients
    /// they answer; a refused or missing STARTTLS is `4.7.321`.
    pub fn from_smtp(error: &smtp::Error, outcome: Option<&VerificationOutcome>) -> Self {
        let detail = error.to_string();
        let cause = match error {
            smtp::Error::TlsHandshake { .. } | smtp::Error::DataBeforeHandshake => {
                if let Some(trouble) = outcome.and_then(Self::from_outcome) {
                    return Self::with_detail(
                        trouble.cause,
                        format!("{detail}; {}", trouble.detail.unwrap_or_default()),
                    );
                }
                Cause::TlsFailed
            }
            smtp::Error::Rejected { stage, reply } => return Self::from_reply(*stage, reply),
            smtp::Error::NotOffered { extension, .. } => match extension {
                Extension::StartTls => Cause::StarttlsNotSupported,
                Extension::RequireTls => Cause::RequireTlsUnavailable,
                Extension::SmtpUtf8 => Cause::Smtputf8Required,
                Extension::EightBitMime => Cause::EightBitMimeRequired,
                _ => Cause::RemoteProtocol {
                    stage: error.stage(),
                },
            },
            smtp::Error::Connect { .. } => Cause::ConnectionFailed,
            smtp::Error::Deadline { .. } => Cause::LimitReached {
                limit: AttemptLimit::ConnectionDeadline,
            },
            smtp::Error::TooSlow { .. } => Cause::LimitReached {
                limit: AttemptLimit::MinDataRate,
            },
            smtp::Error::Io { stage, .. }
            | smtp::Error::Timeout { stage, .. }
            | smtp::Error::Closed { stage } => Cause::ConnectionLost { stage: *stage },
            smtp::Error::Malformed { stage, .. } | smtp::Error::UnexpectedReply { stage, .. } => {
                Cause::RemoteProtocol { stage: *stage }
            }
            smtp::Error::EarlyReply { .. } => Cause::RemoteProtocol {
                stage: error.stage(),
            },
            smtp::Error::TooLarge { .. } => Cause::MessageTooBig,
            smtp::Error::InvalidArgument { .. } => Cause::InvalidAddress,
            smtp::Error::BadSequence { .. } | smtp::Error::Unusable { .. } => Cause::LocalSoftware,
            // A kind this version does not know: retrying is the safe reading.
            _ => Cause::ConnectionLost {
                stage: error.stage(),
            },
        };
        Self::with_detail(cause, detail)
    }

    /// A negative reply to a command: 4xx temporary, 5xx permanent. A
    /// refusal of STARTTLS itself is `starttls-not-supported` (RFC 8460
    /// §4.3.1), temporary like every security failure. A 5xx greeting or
    /// EHLO/HELO reply refuses the session, not the recipient: temporary,
    /// on to the next host. A 552 to RCPT is read as 452, "too many
    /// recipients" (RFC 5321 §4.5.3.1.10).
    ///
    /// A positive reply is no trouble; it is read as a protocol error.
    pub fn from_reply(stage: Stage, reply: &Reply) -> Self {
        let too_many_recipients = stage == Stage::Rcpt && reply.code == 552;
        let cause = if stage == Stage::StartTls {
            Cause::StarttlsNotSupported
        } else if reply.is_permanent() && matches!(stage, Stage::Greeting | Stage::Ehlo) {
            Cause::SessionRefused {
                stage,
                reply: reply.clone(),
            }
        } else if reply.is_transient() || too_many_recipients {
            Cause::RemoteTemporary {
                stage,
                reply: reply.clone(),
            }
        } else if reply.is_permanent() {
            Cause::RemotePermanent {
                stage,
                reply: reply.clone(),
            }
        } else {
            Cause::RemoteProtocol { stage }
        };
        match cause {
            Cause::StarttlsNotSupported | Cause::RemoteProtocol { .. } => {
                Self::with_detail(cause, format!("{stage}: server replied {reply}"))
            }
            _ => Self::new(cause),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::time::Duration;

    use smtp::{EnhancedCode, Extension, Reply, Stage};
    use tls::{Failure, Method, ResultType, SignatureCheck, Status, VerificationOutcome};

    use super::super::{RptResultType, Scope};
    use super::*;

    fn reply(code: u16, enhanced: Option<&str>) -> Reply {
        Reply::new(code, enhanced.map(|e| e.parse().unwrap()), "text")
    }

    #[test]
    fn replies_keep_their_code_in_the_right_class() {
        let temp = Trouble::from_reply(Stage::Rcpt, &reply(451, Some("5.2.2")));
        assert!(temp.is_temporary());
        assert_eq!(temp.code().to_string(), "4.2.2");
        assert_eq!(temp.scope(), Scope::Recipient);

        let perm = Trouble::from_reply(Stage::Rcpt, &reply(550, Some("5.1.1")));
        assert!(!perm.is_temporary());
        assert_eq!(perm.code().to_string(), "5.1.1");
        assert!(perm.diagnostic().contains("550 5.1.1 text"));

        let bare = Trouble::from_reply(Stage::Mail, &reply(554, None));
        assert_eq!(bare.code().to_string(), "5.0.0");
        assert_eq!(bare.scope(), Scope::Recipient);
    }

    #[test]
    fn a_5xx_greeting_or_ehlo_refuses_the_host_for_now() {
        for stage in [Stage::Greeting, Stage::Ehlo] {
            let refused = Trouble::from_reply(stage, &reply(554, Some("5.7.1")));
            assert!(refused.is_temporary());
            assert_eq!(refused.scope(), Scope::Host);
            assert_eq!(refused.code().to_string(), "4.7.1");
            assert_eq!(refused.final_code().to_string(), "5.7.1");
            assert!(refused.diagnostic().contains("554 5.7.1 text"));
        }
    }

    #[test]
    fn rcpt_552_is_too_many_recipients_and_temporary() {
        let old = Trouble::from_reply(Stage::Rcpt, &reply(552, Some("5.5.3")));
        assert!(old.is_temporary());
        assert_eq!(old.code().to_string(), "4.5.3");
        assert_eq!(old.scope(), Scope::Recipient);
        let too_big = Trouble::from_reply(Stage::DataEnd, &reply(552, Some("5.3.4")));
        assert!(!too_big.is_temporary());
    }

    #[test]
    fn starttls_refused_or_missing_is_4_7_321() {
        let refused = Trouble::from_reply(Stage::StartTls, &reply(554, None));
        assert_eq!(refused.cause, Cause::StarttlsNotSupported);
        assert_eq!(refused.code().to_string(), "4.7.321");
        let missing = smtp::Error::NotOffered {
            stage: Stage::StartTls,
            extension: Extension::StartTls,
        };
        assert_eq!(
            Trouble::from_smtp(&missing, None).cause,
            Cause::StarttlsNotSupported
        );
    }

    fn failed(
        method: Method,
        result_type: ResultType,
        signature: SignatureCheck,
    ) -> VerificationOutcome {
        VerificationOutcome {
            method,
            status: Status::Failed,
            server_name: "mx.example".into(),
            names: Vec::new(),
            certificate: None,
            chain_length: 1,
            dane: None,
            signature,
            failure: Some(Failure {
                result_type,
                reason: "why".into(),
            }),
        }
    }

    #[test]
    fn a_failed_handshake_is_named_by_the_verifier() {
        let handshake = smtp::Error::TlsHandshake {
            source: io::Error::other("certificate rejected"),
        };
        let cases = [
            (Method::Dane, ResultType::TlsaInvalid, "4.7.323"),
            (Method::Dane, ResultType::CertificateExpired, "4.7.322"),
            (Method::Dane, ResultType::CertificateHostMismatch, "4.7.323"),
            (Method::WebPki, ResultType::CertificateNotTrusted, "4.7.5"),
            (Method::WebPki, ResultType::CertificateExpired, "4.7.322"),
        ];
        for (method, result_type, code) in cases {
            let outcome = failed(method, result_type, SignatureCheck::NotChecked);
            let trouble = Trouble::from_smtp(&handshake, Some(&outcome));
            assert_eq!(
                trouble.code().to_string(),
                code,
                "{method:?} {result_type:?}"
            );
            assert_eq!(
                trouble.result_type(),
                Some(RptResultType::from(result_type))
            );
            assert!(trouble.detail.unwrap().contains("why"));
        }
        let replayed = failed(
            Method::Dane,
            ResultType::ValidationFailure,
            SignatureCheck::Invalid,
        );
        assert_eq!(
            Trouble::from_smtp(&handshake, Some(&replayed)).cause,
            Cause::HandshakeSignatureInvalid
        );
        assert_eq!(Trouble::from_smtp(&handshake, None).cause, Cause::TlsFailed);
    }

    #[test]
    fn a_passed_outcome_is_no_trouble() {
        let mut outcome = failed(Method::Dane, ResultType::TlsaInvalid, SignatureCheck::Valid);
        outcome.status = Status::Authenticated;
        outcome.failure = None;
        assert_eq!(Trouble::from_outcome(&outcome), None);
    }

    #[test]
    fn dane_errors_map_to_their_codes() {
        assert_eq!(
            Trouble::from_dane(&tls::DaneError::NoMatch)
                .code()
                .to_string(),
            "4.7.323"
        );
        assert_eq!(
            Trouble::from_dane(&tls::DaneError::EmptyChain).cause,
            Cause::DaneValidationFailure
        );
    }

    #[test]
    fn network_and_message_errors() {
        let timeout = smtp::Error::Timeout {
            stage: Stage::DataEnd,
            after: Duration::from_secs(600),
        };
        let trouble = Trouble::from_smtp(&timeout, None);
        assert!(trouble.is_temporary());
        assert_eq!(trouble.scope(), Scope::Host);
        let big = smtp::Error::TooLarge { size: 10, limit: 5 };
        let trouble = Trouble::from_smtp(&big, None);
        assert!(!trouble.is_temporary());
        assert_eq!(trouble.code(), EnhancedCode::MESSAGE_TOO_BIG);
        let dns = dns::DnsError::ServFail {
            name: "example.".into(),
            rtype: dns::RecordType::MX,
        };
        assert_eq!(
            Trouble::dns(DnsStep::Mx, &dns).code().to_string(),
            "4.4.312"
        );
    }
}
