//! Why a policy could not be fetched, and what TLS-RPT calls it.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use dns::DnsError;
use serde::{Serialize, Serializer};

use super::policy::PolicyError;

/// The TLS-RPT result type (RFC 8460 §4.3) a policy fetch failure is
/// reported as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StsResultType {
    /// `sts-policy-fetch-error` (RFC 8460 §4.3.2.2): the policy could not
    /// be retrieved.
    PolicyFetchError,
    /// `sts-policy-invalid` (RFC 8460 §4.3.2.2): the policy was retrieved
    /// but is not valid.
    PolicyInvalid,
    /// A certificate failure of the policy host, as the WebPKI verifier
    /// recorded it (`certificate-not-trusted`, `certificate-host-mismatch`,
    /// `certificate-expired`...).
    Certificate(tls::ResultType),
}

impl StsResultType {
    /// The RFC 8460 string.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PolicyFetchError => "sts-policy-fetch-error",
            Self::PolicyInvalid => "sts-policy-invalid",
            Self::Certificate(kind) => kind.as_str(),
        }
    }
}

impl fmt::Display for StsResultType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for StsResultType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Why `https://mta-sts.<domain>/.well-known/mta-sts.txt` gave no valid
/// policy (RFC 8461 §3.3). Every case leaves the domain without a *new*
/// policy; a cached one that has not expired stays in force (§5.1).
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// `mta-sts.<domain>` is not a valid name.
    #[error("cannot form the policy host name: {0}")]
    BadHost(#[source] DnsError),
    /// Resolving the policy host failed.
    #[error("resolving the policy host: {0}")]
    Dns(#[source] DnsError),
    /// The policy host's addresses failed DNSSEC validation.
    #[error("the addresses of {host} failed DNSSEC validation (bogus)")]
    DnssecBogus {
        /// The policy host.
        host: String,
    },
    /// The policy host has no address.
    #[error("{host} has no A or AAAA record")]
    NoAddress {
        /// The policy host.
        host: String,
    },
    /// No address accepted a TCP connection.
    #[error("cannot connect to {address}: {reason}")]
    Connect {
        /// The last address tried.
        address: SocketAddr,
        /// What the system said.
        reason: String,
    },
    /// The policy host's certificate failed WebPKI validation.
    #[error("policy host certificate: {reason}")]
    Certificate {
        /// As recorded by the verifier.
        result_type: tls::ResultType,
        /// What the verifier said.
        reason: String,
    },
    /// The TLS handshake failed for a reason other than the certificate, or
    /// the client could not be set up.
    #[error("TLS with the policy host: {reason}")]
    Tls {
        /// What rustls said.
        reason: String,
    },
    /// The HTTP exchange failed.
    #[error("HTTP: {reason}")]
    Http {
        /// What hyper said.
        reason: String,
    },
    /// The server redirected; redirects are not followed (RFC 8461 §3.3).
    #[error("HTTP {status} redirect{}, not followed", .location.as_deref().map(|l| format!(" to {}", smtp::quoted(l))).unwrap_or_default())]
    Redirect {
        /// The status code.
        status: u16,
        /// The `Location` header, if readable.
        location: Option<String>,
    },
    /// The status was not 200 (RFC 8461 §3.3).
    #[error("HTTP status {status}, expected 200")]
    Status {
        /// The status code.
        status: u16,
    },
    /// The media type was not `text/plain` (RFC 8461 §3.2).
    #[error("media type {}, expected text/plain", .found.as_deref().unwrap_or("missing"))]
    ContentType {
        /// The `Content-Type` header, if any.
        found: Option<String>,
    },
    /// The body is, or says it is, larger than allowed.
    #[error("policy body larger than {limit} bytes{}", .announced.map(|n| format!(" (Content-Length {n})")).unwrap_or_default())]
    TooLarge {
        /// The limit.
        limit: usize,
        /// The `Content-Length` given, when that is what was too large.
        announced: Option<u64>,
    },
    /// The whole fetch took longer than allowed.
    #[error("no complete policy after {}", smtp::duration(.0))]
    Timeout(Duration),
    /// The body is not a valid policy.
    #[error("invalid policy: {0}")]
    Invalid(#[source] PolicyError),
}

impl FetchError {
    /// The TLS-RPT result type for this failure.
    #[must_use]
    pub fn result_type(&self) -> StsResultType {
        match self {
            Self::Invalid(_) => StsResultType::PolicyInvalid,
            Self::Certificate { result_type, .. } => StsResultType::Certificate(*result_type),
            _ => StsResultType::PolicyFetchError,
        }
    }

    /// Whether the failure looks passing (network, DNS, timeout) rather
    /// than a definite answer from a misconfigured host (certificate,
    /// redirect, status, media type, size, content). Either way the fetch
    /// is retried later, never at once for every message.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Dns(error) => error.is_temporary(),
            Self::DnssecBogus { .. }
            | Self::Connect { .. }
            | Self::Tls { .. }
            | Self::Http { .. }
            | Self::Timeout(_) => true,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_types_follow_rfc_8460() {
        assert_eq!(
            FetchError::Status { status: 404 }.result_type().as_str(),
            "sts-policy-fetch-error"
        );
        assert_eq!(
            FetchError::Invalid(PolicyError::Missing { field: "mode" })
                .result_type()
                .to_string(),
            "sts-policy-invalid"
        );
        let cert = FetchError::Certificate {
            result_type: tls::ResultType::CertificateHostMismatch,
            reason: "wrong name".into(),
        };
        assert_eq!(cert.result_type().as_str(), "certificate-host-mismatch");
        assert!(!cert.is_transient());
        assert!(FetchError::Timeout(Duration::from_secs(1)).is_transient());
    }

    #[test]
    fn messages_name_the_details() {
        let redirect = FetchError::Redirect {
            status: 301,
            location: Some("https://elsewhere/".into()),
        };
        assert_eq!(
            redirect.to_string(),
            "HTTP 301 redirect to \"https://elsewhere/\", not followed"
        );
        let big = FetchError::TooLarge {
            limit: 65536,
            announced: Some(70000),
        };
        assert_eq!(
            big.to_string(),
            "policy body larger than 65536 bytes (Content-Length 70000)"
        );
        assert_eq!(
            FetchError::ContentType { found: None }.to_string(),
            "media type missing, expected text/plain"
        );
    }
}
