//! Reports others send about our domains: by mail to the configured report
//! address (RFC 8460 §5.3) or by HTTPS POST (§5.4). Read leniently (see
//! [`super::model`]) but bounded: at most [`MAX_REPORT_SIZE`] octets in and
//! once uncompressed, so a compression bomb is refused. A report is split
//! per policy domain and kept in the store, once however often it arrives.
//!
//! [`receive_post`] is the whole handling of an HTTPS POST (body and
//! `Content-Type` in, the kept report or a typed error with its HTTP status
//! out), for the admin listener's route to call.

use std::time::SystemTime;

use queue::{ReceivedTlsReport, Store, StoreError};

use super::gzip::{MAX_REPORT_SIZE, ReadError, read};
use super::mail::read_mail_with_domain;
use super::model::Report;

/// The largest report mail read: the report base64-encoded, with room for
/// the rest of the message.
pub const MAX_MAIL_SIZE: usize = MAX_REPORT_SIZE / 3 * 4 + 64 * 1024;

/// Why a received report was not kept.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiveError {
    /// An HTTPS POST whose `Content-Type` is not a TLS report's (RFC 8460
    /// §6: `application/tlsrpt+gzip` or `application/tlsrpt+json`).
    #[error("{} is not application/tlsrpt+gzip or application/tlsrpt+json", smtp::quoted(.content_type))]
    MediaType {
        /// The `Content-Type` as sent (empty when missing).
        content_type: String,
    },
    /// The input is larger than we read.
    #[error("the report is larger than {MAX_REPORT_SIZE} octets")]
    TooLarge,
    /// The input is not a TLS report.
    #[error(transparent)]
    Read(ReadError),
    /// No policy of the report names a domain, and nothing else does.
    #[error("the report names no policy domain")]
    NoPolicyDomain,
    /// The store could not keep it.
    #[error("cannot keep the report: {0}")]
    Store(#[from] StoreError),
}

impl ReceiveError {
    /// Whether the sender should try again later: only when the store
    /// failed for now.
    pub fn is_temporary(&self) -> bool {
        matches!(self, Self::Store(e) if e.is_temporary())
    }

    /// The HTTP status an HTTPS endpoint answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::MediaType { .. } => 415,
            Self::TooLarge | Self::Read(ReadError::TooLarge) => 413,
            Self::Read(_) | Self::NoPolicyDomain => 400,
            Self::Store(_) if self.is_temporary() => 503,
            Self::Store(_) => 500,
        }
    }
}

impl From<ReadError> for ReceiveError {
    fn from(error: ReadError) -> Self {
        match error {
            ReadError::TooLarge => Self::TooLarge,
            other => Self::Read(other),
        }
    }
}

/// A report that reached us and what the store made of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The report as read.
    pub report: Report,
    /// The policy domains it was kept under.
    pub domains: Vec<String>,
    /// How many of them were kept already (the same report again).
    pub duplicates: usize,
}

/// Reads the body of an HTTPS POST (RFC 8460 §5.4), told by its
/// `Content-Type`; `application/json` and `application/gzip`, as some
/// reporters label it, are taken too.
pub fn parse_post(content_type: Option<&str>, body: &[u8]) -> Result<Report, ReceiveError> {
    let media = content_type
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let known = [
        "application/tlsrpt+gzip",
        "application/tlsrpt+json",
        "application/gzip",
        "application/json",
    ];
    if !known.contains(&media.as_str()) {
        return Err(ReceiveError::MediaType {
            content_type: content_type.unwrap_or_default().to_owned(),
        });
    }
    if body.len() > MAX_REPORT_SIZE {
        return Err(ReceiveError::TooLarge);
    }
    Ok(read(body)?)
}

/// Reads a report mail (RFC 8460 §5.3), with its `TLS-Report-Domain`.
pub fn parse_mail(message: &[u8]) -> Result<(Report, Option<String>), ReceiveError> {
    if message.len() > MAX_MAIL_SIZE {
        return Err(ReceiveError::TooLarge);
    }
    Ok(read_mail_with_domain(message)?)
}

/// Handles an HTTPS POST of a report: reads it and keeps it.
pub async fn receive_post(
    store: &dyn Store,
    content_type: Option<&str>,
    body: &[u8],
    now: SystemTime,
) -> Result<Received, ReceiveError> {
    let content_type = content_type.map(str::to_owned);
    let body = body.to_vec();
    // Decompressing up to the bound is work for a blocking thread.
    let report = tokio::task::spawn_blocking(move || parse_post(content_type.as_deref(), &body))
        .await
        .map_err(|_| ReceiveError::Read(ReadError::NoReportInMessage))??;
    keep(store, &report, None, now).await
}

/// Handles a report mail: reads it and keeps it.
pub async fn receive_mail(
    store: &dyn Store,
    message: &[u8],
    now: SystemTime,
) -> Result<Received, ReceiveError> {
    let message = message.to_vec();
    let (report, domain) = tokio::task::spawn_blocking(move || parse_mail(&message))
        .await
        .map_err(|_| ReceiveError::Read(ReadError::NoReportInMessage))??;
    keep(store, &report, domain.as_deref(), now).await
}

/// Keeps `report` in the store, one entry per policy domain; a policy
/// without a domain goes under `fallback_domain` (the mail's
/// `TLS-Report-Domain`).
pub async fn keep(
    store: &dyn Store,
    report: &Report,
    fallback_domain: Option<&str>,
    now: SystemTime,
) -> Result<Received, ReceiveError> {
    let parts = split(report, fallback_domain, now)?;
    let mut domains = Vec::new();
    let mut duplicates = 0;
    for part in parts {
        domains.push(part.policy_domain.clone());
        if !store.store_received_tls_report(part).await? {
            duplicates += 1;
        }
    }
    Ok(Received {
        report: report.clone(),
        domains,
        duplicates,
    })
}

/// A policy domain as we key it: lowercase, without the final dot; `None`
/// for what cannot be a domain name.
fn domain_key(text: &str) -> Option<String> {
    let key = text.trim().trim_end_matches('.').to_ascii_lowercase();
    let plausible = !key.is_empty()
        && key.len() <= 253
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
    plausible.then_some(key)
}

/// Splits `report` per policy domain, each part holding only its
/// domain's policies. A policy without a domain (Google writes
/// `no-policy-found` so) goes under `fallback_domain`, else the one
/// domain the other policies name, else the domain after the last `_` of
/// the report id (Google's `<date>_<domain>`).
pub fn split(
    report: &Report,
    fallback_domain: Option<&str>,
    received_at: SystemTime,
) -> Result<Vec<ReceivedTlsReport>, ReceiveError> {
    let named: Vec<Option<String>> = report
        .policies
        .iter()
        .map(|p| domain_key(&p.policy.policy_domain))
        .collect();
    let mut distinct: Vec<&String> = named.iter().flatten().collect();
    distinct.sort();
    distinct.dedup();
    let fallback = fallback_domain
        .and_then(domain_key)
        .or_else(|| match distinct.as_slice() {
            [one] => Some((*one).clone()),
            _ => None,
        })
        .or_else(|| {
            report
                .report_id
                .rsplit_once('_')
                .and_then(|(_, d)| domain_key(d))
                .filter(|d| d.contains('.'))
        });
    let mut parts: Vec<(String, Report)> = Vec::new();
    for (policy, domain) in report.policies.iter().zip(named) {
        let Some(domain) = domain.or_else(|| fallback.clone()) else {
            return Err(ReceiveError::NoPolicyDomain);
        };
        let mut policy = policy.clone();
        policy.policy.policy_domain = domain.clone();
        match parts.iter_mut().find(|(d, _)| *d == domain) {
            Some((_, part)) => part.policies.push(policy),
            None => {
                let mut part = report.clone();
                part.policies = vec![policy];
                parts.push((domain, part));
            }
        }
    }
    if parts.is_empty() {
        let domain = fallback.ok_or(ReceiveError::NoPolicyDomain)?;
        parts.push((domain, report.clone()));
    }
    Ok(parts
        .into_iter()
        .map(|(domain, part)| ReceivedTlsReport {
            policy_domain: domain,
            organization_name: report.organization_name.clone(),
            report_id: report.report_id.clone(),
            start: part.date_range.start_datetime.into(),
            end: part.date_range.end_datetime.into(),
            received_at,
            json: part.to_json(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_DOMAINS: &str = r#"{"organization-name":"R","date-range":{"start-datetime":"2026-11-30T00:00:00Z","end-datetime":"2026-11-30T23:59:59Z"},"report-id":"2026-11-30T00:00:00Z_a.example","policies":[
        {"policy":{"policy-type":"sts","policy-domain":"A.example."},"summary":{"total-successful-session-count":1}},
        {"policy":{"policy-type":"no-policy-found"},"summary":{"total-successful-session-count":2}},
        {"policy":{"policy-type":"tlsa","policy-domain":"b.example"},"summary":{"total-failure-session-count":3}}]}"#;

    #[test]
    fn a_report_is_split_per_policy_domain() {
        let report: Report = serde_json::from_str(TWO_DOMAINS).unwrap();
        let parts = split(&report, None, SystemTime::UNIX_EPOCH).unwrap();
        let domains: Vec<&str> = parts.iter().map(|p| p.policy_domain.as_str()).collect();
        assert_eq!(
            domains,
            ["a.example", "b.example"],
            "the domainless policy by report id"
        );
        let a: Report = serde_json::from_str(&parts[0].json).unwrap();
        assert_eq!(a.policies.len(), 2);
        assert!(
            a.policies
                .iter()
                .all(|p| p.policy.policy_domain == "a.example")
        );
        let b: Report = serde_json::from_str(&parts[1].json).unwrap();
        assert_eq!(b.policies[0].summary.total_failure_session_count, 3);
        assert_eq!(parts[1].organization_name, "R");

        let parts = split(&report, Some("c.example"), SystemTime::UNIX_EPOCH).unwrap();
        let domains: Vec<&str> = parts.iter().map(|p| p.policy_domain.as_str()).collect();
        assert_eq!(domains, ["a.example", "c.example", "b.example"]);
    }

    #[test]
    fn a_report_without_any_domain_is_refused() {
        let mut report: Report = serde_json::from_str(TWO_DOMAINS).unwrap();
        report.report_id = "12345".into();
        report
            .policies
            .retain(|p| p.policy.policy_domain.is_empty());
        assert!(matches!(
            split(&report, None, SystemTime::UNIX_EPOCH),
            Err(ReceiveError::NoPolicyDomain)
        ));
    }

    #[test]
    fn posts_are_told_by_media_type_and_bounded() {
        let json = TWO_DOMAINS.as_bytes();
        assert!(parse_post(Some("application/tlsrpt+json; charset=utf-8"), json).is_ok());
        let error = parse_post(Some("text/plain"), json).unwrap_err();
        assert_eq!(error.http_status(), 415);
        assert_eq!(parse_post(None, json).unwrap_err().http_status(), 415);
        let error = parse_post(Some("application/tlsrpt+gzip"), b"{}").unwrap_err();
        assert_eq!(error.http_status(), 400);
        let huge = vec![b' '; MAX_REPORT_SIZE + 1];
        let error = parse_post(Some("application/tlsrpt+json"), &huge).unwrap_err();
        assert!(matches!(error, ReceiveError::TooLarge));
        assert_eq!(error.http_status(), 413);
        assert!(!error.is_temporary());
    }
}
