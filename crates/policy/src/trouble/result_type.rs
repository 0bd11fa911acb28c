//! Every TLS-RPT result type (RFC 8460 §4.3), for failures seen anywhere on
//! the delivery path.

use std::fmt;

use serde::Serialize;

/// An RFC 8460 §4.3 result type.
///
/// `tls::ResultType` names only what a certificate check can produce; DNS,
/// STARTTLS and MTA-STS failures are named here, by the crate that sees
/// them. [`From<tls::ResultType>`] carries a verifier's verdict over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum RptResultType {
    /// `starttls-not-supported` (§4.3.1): the server did not offer STARTTLS.
    StarttlsNotSupported,
    /// `certificate-host-mismatch` (§4.3.1): the certificate is not valid for the host.
    CertificateHostMismatch,
    /// `certificate-expired` (§4.3.1): the certificate has expired.
    CertificateExpired,
    /// `certificate-not-trusted` (§4.3.1): no chain to a trusted root.
    CertificateNotTrusted,
    /// `validation-failure` (§4.3.1): any other failure.
    ValidationFailure,
    /// `tlsa-invalid` (§4.3.2.1): no TLSA record was found valid.
    TlsaInvalid,
    /// `dnssec-invalid` (§4.3.2.1): DNSSEC validation of a needed record failed.
    DnssecInvalid,
    /// `dane-required` (§4.3.2.1): local policy requires DANE and the host has
    /// no DNSSEC-validated TLSA records.
    DaneRequired,
    /// `sts-policy-fetch-error` (§4.3.2.2): the MTA-STS policy could not be fetched.
    StsPolicyFetchError,
    /// `sts-policy-invalid` (§4.3.2.2): the MTA-STS policy is not valid.
    StsPolicyInvalid,
    /// `sts-webpki-invalid` (§4.3.2.2): the MTA-STS policy host's certificate
    /// did not validate.
    StsWebpkiInvalid,
}

impl RptResultType {
    /// The RFC 8460 string, e.g. `"dnssec-invalid"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::StarttlsNotSupported => "starttls-not-supported",
            Self::CertificateHostMismatch => "certificate-host-mismatch",
            Self::CertificateExpired => "certificate-expired",
            Self::CertificateNotTrusted => "certificate-not-trusted",
            Self::ValidationFailure => "validation-failure",
            Self::TlsaInvalid => "tlsa-invalid",
            Self::DnssecInvalid => "dnssec-invalid",
            Self::DaneRequired => "dane-required",
            Self::StsPolicyFetchError => "sts-policy-fetch-error",
            Self::StsPolicyInvalid => "sts-policy-invalid",
            Self::StsWebpkiInvalid => "sts-webpki-invalid",
        }
    }
}

impl From<tls::ResultType> for RptResultType {
    fn from(kind: tls::ResultType) -> Self {
        match kind {
            tls::ResultType::TlsaInvalid => Self::TlsaInvalid,
            tls::ResultType::CertificateExpired => Self::CertificateExpired,
            tls::ResultType::CertificateHostMismatch => Self::CertificateHostMismatch,
            tls::ResultType::CertificateNotTrusted => Self::CertificateNotTrusted,
            // `validation-failure` is RFC 8460's name for any other failure.
            _ => Self::ValidationFailure,
        }
    }
}

impl fmt::Display for RptResultType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_result_types_keep_their_rfc_strings() {
        for kind in [
            tls::ResultType::TlsaInvalid,
            tls::ResultType::CertificateExpired,
            tls::ResultType::CertificateHostMismatch,
            tls::ResultType::CertificateNotTrusted,
            tls::ResultType::ValidationFailure,
        ] {
            assert_eq!(RptResultType::from(kind).as_str(), kind.as_str());
        }
    }

    #[test]
    fn serde_matches_as_str() {
        for kind in [
            RptResultType::StarttlsNotSupported,
            RptResultType::DnssecInvalid,
            RptResultType::DaneRequired,
            RptResultType::StsPolicyFetchError,
        ] {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{kind}\""));
        }
    }
}
