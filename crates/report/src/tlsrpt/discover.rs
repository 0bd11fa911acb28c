//! Finding where a domain wants its reports (RFC 8460 §3): the TXT
//! records at `_smtp._tls.<domain>`, of which exactly one must begin
//! `v=TLSRPTv1`; with none, several, or a malformed one there is no
//! report. Its usable `rua` destinations are kept, up to a bound.

use dns::{DnssecStatus, Resolver};

use super::record::{TlsRptError, TlsRptRecord, is_tlsrpt};
use crate::uri::{ReportUri, Scheme};

/// Why a domain gets no report now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// The TXT lookup failed (SERVFAIL, timeout, bad name) or its answer
    /// failed DNSSEC validation: try again later.
    #[error("_smtp._tls.{domain} TXT: {reason}")]
    Lookup {
        /// The policy domain.
        domain: String,
        /// What failed.
        reason: String,
    },
    /// No `v=TLSRPTv1` record: the domain asks for no report.
    #[error("_smtp._tls.{domain}: no v=TLSRPTv1 record")]
    NoRecord {
        /// The policy domain.
        domain: String,
    },
    /// More than one: RFC 8460 §3 says to treat this as no record.
    #[error("_smtp._tls.{domain}: {count} v=TLSRPTv1 records, exactly one is allowed")]
    Several {
        /// The policy domain.
        domain: String,
        /// How many.
        count: usize,
    },
    /// The record is malformed.
    #[error("_smtp._tls.{domain}: {error}")]
    Malformed {
        /// The policy domain.
        domain: String,
        /// Why.
        error: TlsRptError,
    },
    /// No `rua` entry is a usable `mailto:` or `https:` URI.
    #[error("_smtp._tls.{domain}: no usable mailto: or https: destination in rua=")]
    NoDestination {
        /// The policy domain.
        domain: String,
    },
}

impl DiscoveryError {
    /// Whether asking again later may find a record.
    pub fn is_temporary(&self) -> bool {
        matches!(self, Self::Lookup { .. })
    }
}

/// The destinations a domain's one valid record names, at most `max` of
/// them, in the record's order (RFC 8460 §3).
pub async fn discover(
    resolver: &Resolver,
    domain: &str,
    max: usize,
) -> Result<Vec<ReportUri>, DiscoveryError> {
    let lookup_error = |reason: String| DiscoveryError::Lookup {
        domain: domain.to_owned(),
        reason,
    };
    let name = Resolver::parse_name(&format!("_smtp._tls.{domain}"))
        .map_err(|e| lookup_error(e.to_string()))?;
    let answer = resolver
        .txt(&name)
        .await
        .map_err(|e| lookup_error(e.to_string()))?;
    if answer.status == DnssecStatus::Bogus {
        return Err(lookup_error("DNSSEC validation failed (bogus)".into()));
    }
    let texts: Vec<String> = answer
        .records
        .iter()
        .map(dns::Txt::joined)
        .filter(|t| is_tlsrpt(t))
        .collect();
    let text = match texts.as_slice() {
        [one] => one,
        [] => {
            return Err(DiscoveryError::NoRecord {
                domain: domain.to_owned(),
            });
        }
        many => {
            return Err(DiscoveryError::Several {
                domain: domain.to_owned(),
                count: many.len(),
            });
        }
    };
    let record = TlsRptRecord::parse(text).map_err(|error| DiscoveryError::Malformed {
        domain: domain.to_owned(),
        error,
    })?;
    let usable: Vec<ReportUri> = record
        .rua
        .into_iter()
        .filter(|u| matches!(u.scheme, Scheme::Mailto | Scheme::Https))
        .take(max)
        .collect();
    if usable.is_empty() {
        return Err(DiscoveryError::NoDestination {
            domain: domain.to_owned(),
        });
    }
    Ok(usable)
}
