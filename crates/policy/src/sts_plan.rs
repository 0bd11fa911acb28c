//! MTA-STS in the delivery plan (RFC 8461 §4, §5): which hosts an `enforce`
//! policy allows and how they must be authenticated, which hosts a
//! `testing` policy watches, and what a failed policy fetch leaves to report.
//!
//! RFC 8461 §2: "senders who implement MTA-STS validation MUST NOT allow
//! MTA-STS Policy validation to override a failing DANE validation". A
//! policy applies only to the hosts DANE leaves opportunistic
//! ([`DeliveryPlan::hosts_without_dane_mut`]); a DANE host, and a host that
//! cannot be used now, keeps its requirement.

use dns::{Name, Resolver};
use serde::Serialize;
use tracing::Instrument;

use crate::options::PlanOptions;
use crate::plan::{DeliveryPlan, Requirement, dane_plan};
use crate::sts::{
    AppliedPolicy, CacheError, FetchAttempt, Mode, StsAnswer, StsPolicies, StsSource,
};
use crate::trouble::{Cause, Trouble};

/// What MTA-STS contributed to a plan.
#[derive(Debug, Clone, Serialize)]
pub struct StsPlan {
    /// The MTA-STS answer: what the `_mta-sts` TXT lookup found, the policy
    /// in force (id, mode, `mx` patterns, `max_age`, cache or fetch, fetch
    /// time and expiry; possibly `mode: none`) and what happened about
    /// fetching. `None` when the policy cache could not be read.
    pub answer: Option<StsAnswer>,
    /// What went wrong, for the trace and TLS-RPT.
    ///
    /// - A failed fetch (`sts-policy-fetch-error`, `sts-policy-invalid`,
    ///   `sts-webpki-invalid`) is recorded and stops nothing: an unexpired
    ///   cached policy stays in force (RFC 8461 §5.1), and without one the
    ///   domain is treated as having no policy (RFC 8461 §5).
    /// - An unreadable policy cache makes every host without DANE unusable
    ///   now: a cached policy must not be skipped because the store failed.
    pub trouble: Option<Trouble>,
}

impl StsPlan {
    /// The policy applied to the hosts without DANE: `enforce` or `testing`.
    #[must_use]
    pub fn active(&self) -> Option<&AppliedPolicy> {
        self.answer.as_ref().and_then(StsAnswer::active)
    }
}

/// What an MTA-STS `testing` policy asks of one host: deliver as the
/// requirement says, check what `enforce` would check, and report each
/// failure without refusing delivery (RFC 8461 §5: in "testing" mode,
/// sending MTAs that also implement TLS-RPT "merely send a report
/// indicating policy application failures").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StsTesting {
    /// The MX host name, without the trailing dot: the name a WebPKI
    /// certificate would have to be valid for (RFC 8461 §4.2).
    pub name: String,
    /// Whether the host name matches a policy `mx` pattern (RFC 8461 §4.1).
    pub mx_matches: bool,
}

impl StsTesting {
    /// The would-be failure known before connecting: the host is not listed
    /// in the policy (TLS-RPT `validation-failure`).
    pub fn mx_trouble(&self) -> Option<Trouble> {
        (!self.mx_matches).then(|| {
            Trouble::with_detail(
                Cause::StsMxNotInPolicy,
                format!("{} matches no mx pattern (testing mode)", self.name),
            )
        })
    }
}

/// Builds the delivery plan for `domain` (DESIGN §2): DNS and DANE
/// ([`dane_plan`]), then MTA-STS from `sts` for the hosts without DANE,
/// then local policy ([`PlanOptions::apply`]).
///
/// MTA-STS is consulted only when some host has no DANE; its policy then
/// acts per mode (RFC 8461 §5):
/// - `enforce` ("Sending MTAs MUST NOT deliver the message to hosts that
///   fail MX matching or certificate validation or that do not support
///   STARTTLS"): a host matching no `mx` pattern is not used (§4.1,
///   `4.7.5`); a matching one gets [`Requirement::StsEnforce`];
/// - `testing`: hosts keep their requirement and get
///   [`crate::HostPlan::sts_testing`];
/// - `none`, no policy, or a failed fetch without a cached policy: nothing
///   changes (a failed fetch is recorded in [`DeliveryPlan::sts`]).
///
/// `sts` is shared: one [`StsPolicies`] serves every plan, so its cache
/// and fetch back-off hold across deliveries.
pub async fn plan_with_sts<S: StsSource>(
    resolver: &Resolver,
    domain: &Name,
    options: &PlanOptions,
    sts: &StsPolicies<S>,
) -> DeliveryPlan {
    let mut plan = dane_plan(resolver, domain, options).await;
    if plan.hosts_without_dane_mut().next().is_some() {
        let answer = sts
            .policy_for(domain)
            .instrument(tracing::debug_span!("sts-policy"))
            .await;
        apply(&mut plan, answer);
    }
    options.apply(&mut plan);
    plan
}

/// Applies an MTA-STS answer to the hosts without DANE.
pub(crate) fn apply(plan: &mut DeliveryPlan, answer: Result<StsAnswer, CacheError>) {
    let answer = match answer {
        Ok(answer) => answer,
        Err(error) => {
            let trouble = Trouble::with_detail(
                Cause::LocalSoftware,
                format!("MTA-STS policy cache: {error}"),
            );
            for host in plan.hosts_without_dane_mut() {
                host.requirement = Requirement::UnusableNow(trouble.clone());
            }
            plan.sts = Some(StsPlan {
                answer: None,
                trouble: Some(trouble),
            });
            return;
        }
    };
    let trouble = match &answer.fetch {
        FetchAttempt::Failed { error } => Some(Trouble::from_sts_fetch(error)),
        _ => None,
    };
    if let Some(applied) = answer.active() {
        for host in plan.hosts_without_dane_mut() {
            let name = host.name.to_string().trim_end_matches('.').to_owned();
            let mx_matches = applied.policy.allows_mx(&name);
            match applied.policy.mode {
                Mode::Enforce if mx_matches => host.requirement = Requirement::StsEnforce { name },
                Mode::Enforce => {
                    host.requirement = Requirement::UnusableNow(Trouble::with_detail(
                        Cause::StsMxNotInPolicy,
                        format!(
                            "{name} matches no mx pattern of MTA-STS policy {}",
                            applied.id
                        ),
                    ));
                }
                Mode::Testing => host.sts_testing = Some(StsTesting { name, mx_matches }),
                Mode::None => {}
            }
        }
    }
    plan.sts = Some(StsPlan {
        answer: Some(answer),
        trouble,
    });
}

#[cfg(test)]
mod tests {
    use dns::{DnssecStatus, MxKind};

    use super::*;
    use crate::plan::{HostPlan, Reason};
    use crate::sts::CacheError;

    fn host(name: &str, requirement: Requirement) -> HostPlan {
        HostPlan {
            name: Name::from_ascii(name).unwrap(),
            preference: 10,
            addresses: vec![[127, 0, 0, 1].into()],
            address_status: DnssecStatus::Secure,
            tlsa: None,
            requirement,
            reason: Reason::TlsaSecurelyAbsent,
            raised_by: None,
            sts_testing: None,
        }
    }

    #[test]
    fn unreadable_cache_makes_hosts_without_dane_unusable_and_keeps_dane() {
        let dane = Requirement::Dane {
            records: Vec::new(),
            names: vec!["dane.example.test".into()],
            base_domain: Name::from_ascii("dane.example.test.").unwrap(),
        };
        let mut plan = DeliveryPlan {
            domain: Name::from_ascii("example.test.").unwrap(),
            mx_kind: Some(MxKind::Explicit),
            mx_status: DnssecStatus::Secure,
            hosts: vec![
                host("dane.example.test.", dane.clone()),
                host("mx1.example.test.", Requirement::Opportunistic),
            ],
            domain_trouble: None,
            options: PlanOptions::new(),
            sts: None,
        };
        apply(&mut plan, Err(CacheError::NewerSchema { found: 99 }));
        assert_eq!(plan.hosts[0].requirement, dane);
        let Requirement::UnusableNow(trouble) = &plan.hosts[1].requirement else {
            panic!("{:?}", plan.hosts[1].requirement);
        };
        assert!(trouble.is_temporary());
        let sts = plan.sts.expect("recorded");
        assert!(sts.answer.is_none());
        assert_eq!(sts.trouble.as_ref(), Some(trouble));
    }
}
