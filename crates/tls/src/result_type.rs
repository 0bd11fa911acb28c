//! TLS-RPT result types (RFC 8460 §4.3) that certificate checks produce.

use std::fmt;

use serde::Serialize;

/// The RFC 8460 §4.3 result type a failed certificate check is reported as.
/// Only the types this crate can produce; DNS and STARTTLS failures are
/// named by the crates that see them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ResultType {
    /// `tlsa-invalid` (§4.3.2.2): none of the TLSA records were found valid.
    TlsaInvalid,
    /// `certificate-expired` (§4.3.2.1): the certificate has expired.
    CertificateExpired,
    /// `certificate-host-mismatch` (§4.3.2.1): the certificate's names do not match the host.
    CertificateHostMismatch,
    /// `certificate-not-trusted` (§4.3.2.1): no chain to a trusted root.
    CertificateNotTrusted,
    /// `validation-failure` (§4.3.2.3): any other failure.
    ValidationFailure,
}

impl ResultType {
    /// The RFC 8460 string, e.g. `"tlsa-invalid"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TlsaInvalid => "tlsa-invalid",
            Self::CertificateExpired => "certificate-expired",
            Self::CertificateHostMismatch => "certificate-host-mismatch",
            Self::CertificateNotTrusted => "certificate-not-trusted",
            Self::ValidationFailure => "validation-failure",
        }
    }
}

impl fmt::Display for ResultType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_and_display_agree_with_rfc_strings() {
        for kind in [
            ResultType::TlsaInvalid,
            ResultType::CertificateExpired,
            ResultType::CertificateHostMismatch,
            ResultType::CertificateNotTrusted,
            ResultType::ValidationFailure,
        ] {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(kind.to_string(), kind.as_str());
        }
    }
}
