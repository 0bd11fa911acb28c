//! From the store's session counts to the day's report (RFC 8460 §4):
//! one `policies` entry per policy, its summary, and one
//! `failure-details` entry per kind of failure.

use queue::{TlsFailure, TlsPolicy, TlsSessionCount, UtcDay, day_start};
use time::{Duration, OffsetDateTime};

use super::model::{DateRange, FailureDetails, Policy, PolicyResult, PolicyType, Report, Summary};

/// Who writes the report (RFC 8460 §4.4 and §5.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reporter {
    /// `organization-name`.
    pub organization_name: String,
    /// `contact-info`: an address or URI.
    pub contact_info: String,
    /// The submitter domain (§5.3 `TLS-Report-Submitter`), also the
    /// domain of the `report-id`.
    pub submitter: String,
}

/// The UTC day `day` as `YYYY-MM-DD`.
pub fn day_text(day: UtcDay) -> String {
    let start = OffsetDateTime::from(day_start(day));
    format!(
        "{:04}-{:02}-{:02}",
        start.year(),
        u8::from(start.month()),
        start.day()
    )
}

/// The UTC day a `YYYY-MM-DD` date names.
pub fn parse_day(text: &str) -> Option<UtcDay> {
    let shape = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(text.trim(), &shape).ok()?;
    Some(
        date.midnight()
            .assume_utc()
            .unix_timestamp()
            .div_euclid(86_400),
    )
}

/// The report's id: one per policy domain, day and submitter, the same
/// on every retry.
pub fn report_id(policy_domain: &str, day: UtcDay, submitter: &str) -> String {
    format!("{}.{policy_domain}@{submitter}", day_text(day))
}

/// The report on `policy_domain` for `day` from `counts`; policies and
/// failures keep the order of `counts`.
pub fn build(
    reporter: &Reporter,
    policy_domain: &str,
    day: UtcDay,
    counts: &[TlsSessionCount],
) -> Report {
    let start = OffsetDateTime::from(day_start(day));
    let mut policies: Vec<(TlsPolicy, PolicyResult)> = Vec::new();
    for count in counts {
        let index = match policies.iter().position(|(p, _)| *p == count.policy) {
            Some(index) => index,
            None => {
                policies.push((
                    count.policy.clone(),
                    PolicyResult {
                        policy: policy(&count.policy, policy_domain),
                        summary: Summary::default(),
                        failure_details: Vec::new(),
                    },
                ));
                policies.len() - 1
            }
        };
        let result = &mut policies[index].1;
        match &count.failure {
            None => result.summary.total_successful_session_count += count.count,
            Some(failure) => {
                result.summary.total_failure_session_count += count.count;
                result.failure_details.push(details(failure, count.count));
            }
        }
    }
    Report {
        organization_name: reporter.organization_name.clone(),
        date_range: DateRange {
            start_datetime: start,
            end_datetime: start + Duration::days(1) - Duration::seconds(1),
        },
        contact_info: reporter.contact_info.clone(),
        report_id: report_id(policy_domain, day, &reporter.submitter),
        policies: policies.into_iter().map(|(_, r)| r).collect(),
    }
}

fn policy(stored: &TlsPolicy, policy_domain: &str) -> Policy {
    Policy {
        policy_type: match stored.policy_type.as_str() {
            "sts" => PolicyType::Sts,
            "tlsa" => PolicyType::Tlsa,
            _ => PolicyType::NoPolicyFound,
        },
        policy_string: stored.policy_string.clone(),
        policy_domain: policy_domain.to_owned(),
        mx_host: stored.mx_host.clone(),
    }
}

fn details(failure: &TlsFailure, count: u64) -> FailureDetails {
    FailureDetails {
        result_type: failure.result_type.clone(),
        sending_mta_ip: failure.sending_mta_ip.map(|ip| ip.to_string()),
        receiving_mx_hostname: failure.receiving_mx_hostname.clone(),
        receiving_mx_helo: failure.receiving_mx_helo.clone(),
        receiving_ip: failure.receiving_ip.map(|ip| ip.to_string()),
        failed_session_count: count,
        additional_information: None,
        failure_reason_code: failure.failure_reason_code.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_read_back_as_written() {
        let day = parse_day("2026-11-30").unwrap();
        assert_eq!(day_text(day), "2026-11-30");
        assert_eq!(parse_day("1970-01-02"), Some(1));
        assert_eq!(parse_day("2026-13-01"), None);
        assert_eq!(parse_day("yesterday"), None);
    }
}
