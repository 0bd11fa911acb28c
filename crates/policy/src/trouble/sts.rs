//! Troubles from MTA-STS: a policy that could not be fetched or parsed
//! (RFC 8461 §3.3, §3.2), named as TLS-RPT names them (RFC 8460 §4.3.2.2).

use crate::sts::{FetchError, StsResultType};

use super::{Cause, Trouble};

impl Trouble {
    /// A failed policy fetch: `sts-policy-invalid` for a body that is not a
    /// valid policy, `sts-webpki-invalid` for a policy host whose
    /// certificate did not validate, `sts-policy-fetch-error` otherwise.
    ///
    /// RFC 8461 §5: without a usable cached policy the domain is treated as
    /// having none, so this trouble is for the report, not a reason to defer.
    pub fn from_sts_fetch(error: &FetchError) -> Self {
        let cause = match error.result_type() {
            StsResultType::PolicyInvalid => Cause::StsPolicyInvalid,
            StsResultType::Certificate(_) => Cause::StsPolicyHostCertificate,
            _ => Cause::StsPolicyFetch,
        };
        Self::with_detail(cause, error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use crate::sts::PolicyError;

    use super::*;

    #[test]
    fn fetch_failures_keep_their_rpt_names() {
        let name = |error: FetchError| {
            Trouble::from_sts_fetch(&error)
                .result_type()
                .map(|t| t.as_str())
        };
        assert_eq!(
            name(FetchError::Status { status: 404 }),
            Some("sts-policy-fetch-error")
        );
        assert_eq!(
            name(FetchError::Invalid(PolicyError::Missing { field: "mode" })),
            Some("sts-policy-invalid")
        );
        assert_eq!(
            name(FetchError::Certificate {
                result_type: tls::ResultType::CertificateNotTrusted,
                reason: "unknown issuer".into(),
            }),
            Some("sts-webpki-invalid")
        );
        let trouble = Trouble::from_sts_fetch(&FetchError::Status { status: 404 });
        assert!(trouble.is_temporary());
        assert_eq!(trouble.code().to_string(), "4.7.5");
    }
}
