//! TLS reporting's view of a delivery report: one [`TlsSession`] per
//! session (RFC 8460 §4), with the policy it was made under and its
//! result type. Next to `from_delivery.rs`, which fills the trace.
//!
//! - A connection kept open and reused for a later message is one
//!   session: only its first transaction counts.
//! - A connection that never reached an SMTP greeting and failed for no
//!   TLS reason (refused, timed out) is no TLS session and is not counted.
//! - A session succeeds when nothing on it has a result type; an SMTP
//!   refusal after a good handshake is a TLS success.
//! - Under an MTA-STS `testing` policy, what `enforce` would have refused
//!   counts as a failure (RFC 8461 §5: reporting is what testing is for).
//! - A host the plan could not use for a reason with a result type
//!   (`dnssec-invalid`, `dane-required`, …) counts as one failed session.
//! - Without DANE and with no MTA-STS policy in force, a failed policy
//!   fetch (`sts-policy-fetch-error`, `sts-policy-invalid`,
//!   `sts-webpki-invalid`) is the result of every session under `sts`.

use std::time::SystemTime;

use delivery::{DeliveryReport, HostAttempt};
use policy::sts::AppliedPolicy;
use policy::{DeliveryPlan, HostPlan, Requirement, Trouble};

use crate::from_delivery::cause_name;
use crate::tls_session::{TlsFailure, TlsPolicy, TlsSession, utc_day};

/// The RFC 8460 §4.4 policy types.
const STS: &str = "sts";
const TLSA: &str = "tlsa";
const NO_POLICY: &str = "no-policy-found";

/// Every TLS session of `report`, dated `at`.
pub fn tls_sessions(report: &DeliveryReport, at: SystemTime) -> Vec<TlsSession> {
    let plan = &report.plan;
    let domain = bare(&plan.domain.to_string());
    let day = utc_day(at);
    let session = |policy: TlsPolicy, failure: Option<TlsFailure>| TlsSession {
        policy_domain: domain.clone(),
        day,
        policy,
        failure,
    };
    let mut sessions = Vec::new();
    for attempt in report.attempts.iter().filter(|a| a.transaction <= 1) {
        let host = host_plan(plan, &attempt.host);
        let policy = policy_of(plan, host, &attempt.requirement, &attempt.host);
        let result = [
            attempt.trouble.as_ref(),
            attempt.sts_testing_failure.as_ref(),
        ]
        .into_iter()
        .flatten()
        .find_map(|t| t.result_type().map(|r| (r, t)));
        let failure = match result {
            Some((result_type, trouble)) => Some(failure(attempt, result_type.as_str(), trouble)),
            None => match fetch_failure(plan, &policy) {
                Some(trouble) => Some(failure(attempt, result_name(trouble), trouble)),
                None if reached_smtp(attempt) => None,
                None => continue,
            },
        };
        sessions.push(session(policy, failure));
    }
    for host in &plan.hosts {
        if let Requirement::UnusableNow(trouble) = &host.requirement
            && let Some(result_type) = trouble.result_type()
        {
            let name = bare(&host.name.to_string());
            let policy = policy_of(plan, Some(host), &host.requirement, &name);
            sessions.push(session(
                policy,
                Some(TlsFailure {
                    result_type: result_type.as_str().to_owned(),
                    sending_mta_ip: None,
                    receiving_mx_hostname: Some(name),
                    receiving_mx_helo: None,
                    receiving_ip: None,
                    failure_reason_code: Some(cause_name(trouble)),
                }),
            ));
        }
    }
    sessions
}

fn bare(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

fn host_plan<'a>(plan: &'a DeliveryPlan, host: &str) -> Option<&'a HostPlan> {
    let host = bare(host);
    plan.hosts
        .iter()
        .find(|h| bare(&h.name.to_string()) == host)
}

fn reached_smtp(attempt: &HostAttempt) -> bool {
    attempt
        .session
        .as_ref()
        .is_some_and(|s| s.greeting.is_some())
}

fn result_name(trouble: &Trouble) -> &'static str {
    trouble
        .result_type()
        .map_or("validation-failure", |r| r.as_str())
}

/// The failed MTA-STS fetch that decides a session under `sts` with no
/// policy in force.
fn fetch_failure<'a>(plan: &'a DeliveryPlan, policy: &TlsPolicy) -> Option<&'a Trouble> {
    if policy.policy_type != STS || !policy.policy_string.is_empty() {
        return None;
    }
    plan.sts
        .as_ref()
        .and_then(|s| s.trouble.as_ref())
        .filter(|t| t.result_type().is_some())
}

fn failure(attempt: &HostAttempt, result_type: &str, trouble: &Trouble) -> TlsFailure {
    let session = attempt.session.as_ref();
    TlsFailure {
        result_type: result_type.to_owned(),
        sending_mta_ip: session.and_then(|s| s.local).map(|a| a.ip()),
        receiving_mx_hostname: Some(bare(&attempt.host)),
        receiving_mx_helo: session.and_then(helo_name),
        receiving_ip: Some(attempt.address.ip()),
        failure_reason_code: Some(cause_name(trouble)),
    }
}

/// The name in the first line of the server's EHLO (or HELO) reply.
fn helo_name(session: &smtp::SessionRecord) -> Option<String> {
    session
        .commands
        .iter()
        .find(|c| {
            let verb = c.command.get(..4).unwrap_or_default();
            verb.eq_ignore_ascii_case("EHLO") || verb.eq_ignore_ascii_case("HELO")
        })
        .and_then(|c| c.reply.as_ref())
        .filter(|r| r.code == 250)
        .and_then(|r| r.lines.first())
        .and_then(|line| line.split_whitespace().next())
        .map(str::to_owned)
}

/// The policy a host was used (or not) under.
fn policy_of(
    plan: &DeliveryPlan,
    host: Option<&HostPlan>,
    requirement: &Requirement,
    name: &str,
) -> TlsPolicy {
    let tlsa = |records: Vec<String>| TlsPolicy {
        policy_type: TLSA.to_owned(),
        policy_string: records,
        mx_host: vec![bare(name)],
    };
    if let Requirement::Dane { records, .. } = requirement {
        return tlsa(records.iter().map(ToString::to_string).collect());
    }
    let published_tlsa = host
        .and_then(|h| h.tlsa.as_ref())
        .filter(|t| !t.records.is_empty());
    if let Some(answer) = published_tlsa
        && !matches!(requirement, Requirement::Opportunistic)
    {
        return tlsa(answer.records.iter().map(ToString::to_string).collect());
    }
    let sts = plan.sts.as_ref();
    if let Some(applied) = sts.and_then(|s| s.active()) {
        return sts_policy(applied);
    }
    if sts.and_then(|s| s.trouble.as_ref()).is_some() {
        return TlsPolicy {
            policy_type: STS.to_owned(),
            policy_string: Vec::new(),
            mx_host: Vec::new(),
        };
    }
    TlsPolicy {
        policy_type: NO_POLICY.to_owned(),
        policy_string: Vec::new(),
        mx_host: Vec::new(),
    }
}

/// An MTA-STS policy as `policy-string` lines (RFC 8460 §4.4: "the
/// policy as retrieved", one line per string) and its `mx` patterns.
fn sts_policy(applied: &AppliedPolicy) -> TlsPolicy {
    let policy = &applied.policy;
    let patterns: Vec<String> = policy.mx.iter().map(ToString::to_string).collect();
    let mut lines = vec![
        "version: STSv1".to_owned(),
        format!("mode: {}", policy.mode),
    ];
    lines.extend(patterns.iter().map(|p| format!("mx: {p}")));
    lines.push(format!("max_age: {}", policy.max_age));
    TlsPolicy {
        policy_type: STS.to_owned(),
        policy_string: lines,
        mx_host: patterns,
    }
}
