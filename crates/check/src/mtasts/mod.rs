//! MTA-STS (RFC 8461): the `_mta-sts` record ([`policy::sts::discover`]),
//! the policy fetched with every check of the delivery path
//! ([`policy::sts::fetch`]; the delivery plan's own fetch when it made one
//! during this check, rather than a second connection to the policy host),
//! its mode and `max_age`, whether its `mx` patterns cover every MX host,
//! and whether each MX certificate is valid for its name
//! ([`certificates`]).

mod certificates;
mod texts;

use std::net::SocketAddr;

use delivery::{DeliveryOptions, HostAttempt};
use dns::{Name, Resolver};
use policy::DeliveryPlan;
use policy::sts::{Discovery, FetchAttempt, FetchError, FetchOptions, Mode, Origin, Policy, fetch};

use crate::finding::Finding;
use crate::names::bare;

/// One day, in seconds.
const DAY: u32 = 86_400;
/// One week, in seconds: the usual `max_age` floor.
const WEEK: u32 = 7 * DAY;

/// Checks the MTA-STS record (`discovery`, from
/// [`policy::sts::discover`]) and policy of `domain` against the MX hosts
/// of `plan` and the probes of them; hosts the plan did not put under
/// `enforce` (DANE hosts, or all of them in `testing` mode) are probed
/// again with `delivery` as `enforce` would.
pub async fn check_mta_sts(
    resolver: &Resolver,
    domain: &Name,
    options: &FetchOptions,
    plan: &DeliveryPlan,
    probes: &[HostAttempt],
    delivery: &DeliveryOptions,
    discovery: Discovery,
) -> Vec<Finding> {
    let shown = bare(domain);
    let record = format!("_mta-sts.{shown} TXT");
    let mut findings = vec![match &discovery {
        Discovery::Found {
            record: found,
            status,
        } => texts::RECORD.finding(
            &shown,
            format!("{record} (DNSSEC: {status}): v=STSv1; id={}", found.id),
        ),
        Discovery::NoRecord { ignored, status } => texts::NONE.finding(
            &shown,
            format!("{record} (DNSSEC: {status}): no v=STSv1 record ({ignored} other TXT)"),
        ),
        Discovery::Invalid { reason, status } => {
            texts::RECORD_INVALID.finding(&shown, format!("{record} (DNSSEC: {status}): {reason}"))
        }
        Discovery::LookupFailed { error } => {
            texts::LOOKUP_FAILED.finding(&shown, format!("{record}: {error}"))
        }
        _ => texts::LOOKUP_FAILED.finding(&shown, format!("{record}: not understood")),
    }];
    if !matches!(discovery, Discovery::Found { .. }) {
        return findings;
    }
    let fetched = match planned_fetch(plan) {
        Some(planned) => planned,
        None => fetch(resolver, domain, options)
            .await
            .map(|fetched| (fetched.policy, fetched.address)),
    };
    let (policy, address) = match fetched {
        Ok(fetched) => fetched,
        Err(error) => {
            findings.push(texts::FETCH_FAILED.finding(
                &shown,
                format!(
                    "https://mta-sts.{shown}/.well-known/mta-sts.txt: {error} (TLS-RPT: {})",
                    error.result_type().as_str()
                ),
            ));
            return findings;
        }
    };
    let policy = &policy;
    findings.push(texts::FETCHED.finding(&shown, format!("from {address}: {}", summary(policy))));
    findings.push(match policy.mode {
        Mode::Enforce => texts::MODE_ENFORCE.finding(&shown, "mode: enforce"),
        Mode::Testing => texts::MODE_TESTING.finding(&shown, "mode: testing"),
        Mode::None => texts::MODE_NONE.finding(&shown, "mode: none"),
    });
    if policy.mode == Mode::None {
        return findings;
    }
    let age = format!("max_age: {} seconds", policy.max_age);
    findings.push(if policy.max_age < DAY {
        texts::MAX_AGE_SHORT.finding(&shown, age)
    } else if policy.max_age < WEEK {
        texts::MAX_AGE_DAYS.finding(&shown, age)
    } else {
        texts::MAX_AGE.finding(&shown, age)
    });
    findings.extend(coverage(&shown, policy, plan));
    let webpki = certificates::webpki_probes(plan, policy, delivery).await;
    findings.extend(certificates::check(&shown, probes, &webpki));
    findings
}

/// What the delivery plan's own fetch brought, when it fetched during this
/// check: the policy and where it came from, or why it failed. `None` when
/// the plan fetched nothing (no host without DANE, a cached policy, a fetch
/// held back after a recent failure): the check fetches for itself.
fn planned_fetch(plan: &DeliveryPlan) -> Option<Result<(Policy, SocketAddr), FetchError>> {
    let answer = plan.sts.as_ref()?.answer.as_ref()?;
    match &answer.fetch {
        FetchAttempt::Fetched { address } => {
            let applied = answer.applied.as_ref()?;
            (applied.origin == Origin::Fetch).then(|| Ok((applied.policy.clone(), *address)))
        }
        FetchAttempt::Failed { error } => Some(Err(error.clone())),
        _ => None,
    }
}

/// `mode, max_age, mx patterns` in one line.
fn summary(policy: &Policy) -> String {
    let patterns: Vec<String> = policy.mx.iter().map(ToString::to_string).collect();
    format!(
        "mode {}, max_age {}, mx {}",
        policy.mode.as_str(),
        policy.max_age,
        patterns.join(", ")
    )
}

/// Whether every MX host matches an `mx` pattern (RFC 8461 §4.1).
fn coverage(shown: &str, policy: &Policy, plan: &DeliveryPlan) -> Vec<Finding> {
    let patterns: Vec<String> = policy.mx.iter().map(ToString::to_string).collect();
    let mut findings = Vec::new();
    let mut covered = Vec::new();
    for host in &plan.hosts {
        let name = bare(&host.name);
        if policy.allows_mx(&name) {
            covered.push(name);
        } else {
            findings.push(texts::MX_NOT_COVERED.finding(
                shown,
                format!("{name} matches none of: {}", patterns.join(", ")),
            ));
        }
    }
    if findings.is_empty() && !covered.is_empty() {
        findings.push(texts::MX_COVERED.finding(
            shown,
            format!("{} against {}", covered.join(", "), patterns.join(", ")),
        ));
    }
    findings
}
