//! What the reports others sent us say, for `sealane report tls received`
//! and the admin API: sessions per reporter, policy and result type, and
//! the days on which some session failed.

use queue::ReceivedTlsReport;
use serde::Serialize;
use time::OffsetDateTime;

use super::model::Report;

/// The summary of received reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ReceivedSummary {
    /// Reports summarised (one per reporter, report and policy domain).
    pub reports: usize,
    /// One entry per reporter and policy, by domain then reporter.
    pub policies: Vec<PolicySummary>,
    /// Days (UTC, by the start of the report's period) with failed
    /// sessions, oldest first, one entry per domain.
    pub days_with_failures: Vec<DayWithFailures>,
    /// Stored reports that could not be read back.
    pub unreadable: usize,
}

/// What one reporter saw under one policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct PolicySummary {
    /// The reporter's `organization-name`.
    pub reporter: String,
    /// The policy domain.
    pub policy_domain: String,
    /// `sts`, `tlsa`, `no-policy-found` (or what the reporter wrote).
    pub policy_type: String,
    /// The policy's `mx-host`.
    pub mx_host: Vec<String>,
    /// Reports that counted under this policy.
    pub reports: usize,
    /// The first and last day (`YYYY-MM-DD`) they cover.
    pub first_day: String,
    /// See `first_day`.
    pub last_day: String,
    /// Successful sessions.
    pub successful: u64,
    /// Failed sessions.
    pub failed: u64,
    /// Failed sessions per result type, most first.
    pub result_types: Vec<ResultCount>,
}

/// Failed sessions of one result type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ResultCount {
    /// The RFC 8460 §4.3 result type as the reporter wrote it.
    pub result_type: String,
    /// Failed sessions.
    pub sessions: u64,
}

/// A day on which reporters saw failures for a domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct DayWithFailures {
    /// The day, `YYYY-MM-DD`.
    pub day: String,
    /// The policy domain.
    pub policy_domain: String,
    /// Failed sessions that day, all reporters together.
    pub failed: u64,
    /// Reporters that saw them.
    pub reporters: Vec<String>,
    /// Failed sessions per result type, most first.
    pub result_types: Vec<ResultCount>,
}

fn day(at: OffsetDateTime) -> String {
    super::datetime::format(at)[..10].to_owned()
}

fn add(counts: &mut Vec<ResultCount>, result_type: &str, sessions: u64) {
    match counts.iter_mut().find(|c| c.result_type == result_type) {
        Some(count) => count.sessions += sessions,
        None => counts.push(ResultCount {
            result_type: result_type.to_owned(),
            sessions,
        }),
    }
}

fn most_first(counts: &mut [ResultCount]) {
    counts.sort_by(|a, b| {
        b.sessions
            .cmp(&a.sessions)
            .then_with(|| a.result_type.cmp(&b.result_type))
    });
}

/// Summarises `reports` as the store keeps them.
pub fn summarise(reports: &[ReceivedTlsReport]) -> ReceivedSummary {
    let mut summary = ReceivedSummary::default();
    for stored in reports {
        let Ok(report) = serde_json::from_str::<Report>(&stored.json) else {
            summary.unreadable += 1;
            continue;
        };
        summary.reports += 1;
        let report_day = day(report.date_range.start_datetime);
        for result in &report.policies {
            let policy = &result.policy;
            let policy_type = policy.policy_type.as_str().to_owned();
            let index = summary.policies.iter().position(|p| {
                p.reporter == report.organization_name
                    && p.policy_domain == stored.policy_domain
                    && p.policy_type == policy_type
                    && p.mx_host == policy.mx_host
            });
            let entry = match index {
                Some(index) => &mut summary.policies[index],
                None => {
                    summary.policies.push(PolicySummary {
                        reporter: report.organization_name.clone(),
                        policy_domain: stored.policy_domain.clone(),
                        policy_type,
                        mx_host: policy.mx_host.clone(),
                        reports: 0,
                        first_day: report_day.clone(),
                        last_day: report_day.clone(),
                        successful: 0,
                        failed: 0,
                        result_types: Vec::new(),
                    });
                    summary
                        .policies
                        .last_mut()
                        .expect("an entry was just pushed")
                }
            };
            entry.reports += 1;
            entry.first_day = entry.first_day.clone().min(report_day.clone());
            entry.last_day = entry.last_day.clone().max(report_day.clone());
            entry.successful += result.summary.total_successful_session_count;
            entry.failed += result.summary.total_failure_session_count;
            for failure in &result.failure_details {
                add(
                    &mut entry.result_types,
                    &failure.result_type,
                    failure.failed_session_count,
                );
            }
            let failed = result.summary.total_failure_session_count;
            if failed == 0 && result.failure_details.is_empty() {
                continue;
            }
            let index = summary
                .days_with_failures
                .iter()
                .position(|d| d.day == report_day && d.policy_domain == stored.policy_domain);
            let day_entry = match index {
                Some(index) => &mut summary.days_with_failures[index],
                None => {
                    summary.days_with_failures.push(DayWithFailures {
                        day: report_day.clone(),
                        policy_domain: stored.policy_domain.clone(),
                        failed: 0,
                        reporters: Vec::new(),
                        result_types: Vec::new(),
                    });
                    summary
                        .days_with_failures
                        .last_mut()
                        .expect("an entry was just pushed")
                }
            };
            day_entry.failed += failed;
            if !day_entry.reporters.contains(&report.organization_name) {
                day_entry.reporters.push(report.organization_name.clone());
            }
            for failure in &result.failure_details {
                add(
                    &mut day_entry.result_types,
                    &failure.result_type,
                    failure.failed_session_count,
                );
            }
        }
    }
    for policy in &mut summary.policies {
        most_first(&mut policy.result_types);
    }
    for day in &mut summary.days_with_failures {
        most_first(&mut day.result_types);
    }
    summary.policies.sort_by(|a, b| {
        (&a.policy_domain, &a.reporter, &a.policy_type).cmp(&(
            &b.policy_domain,
            &b.reporter,
            &b.policy_type,
        ))
    });
    summary
        .days_with_failures
        .sort_by(|a, b| (&a.day, &a.policy_domain).cmp(&(&b.day, &b.policy_domain)));
    summary
}
