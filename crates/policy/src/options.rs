//! Local policy for a destination domain: what the sending administrator
//! demands beyond what the domain publishes (DESIGN §2: local policy can
//! raise the bar, never lower it).

use serde::Serialize;

use crate::plan::{DeliveryPlan, Raise, Requirement};
use crate::trouble::{Cause, Trouble};

/// Local policy for one destination domain, in its validated form.
///
/// Every option only raises the requirement a host already has: a DANE
/// host stays DANE whatever is set here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PlanOptions {
    /// `require-dane`: only hosts with usable, DNSSEC-validated TLSA records
    /// may be used; any other host is unusable now (`dane-required`,
    /// RFC 8460 §4.3.2.1), and the recipient is deferred, not sent in the
    /// clear or under weaker authentication.
    pub require_dane: bool,
    /// `require-sts`: every host without DANE must be covered by an
    /// enforce-mode MTA-STS policy (RFC 8461 §5); any other host is unusable
    /// now and the recipient deferred.
    pub require_sts: bool,
    /// `require-tls`: STARTTLS is mandatory for every host, even where the
    /// domain publishes nothing (an unauthenticated certificate is enough).
    pub require_tls: bool,
}

impl PlanOptions {
    /// No local policy: the domain's own publications decide.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `require-dane`.
    pub fn with_require_dane(mut self, on: bool) -> Self {
        self.require_dane = on;
        self
    }

    /// Sets `require-sts`.
    pub fn with_require_sts(mut self, on: bool) -> Self {
        self.require_sts = on;
        self
    }

    /// Sets `require-tls`.
    pub fn with_require_tls(mut self, on: bool) -> Self {
        self.require_tls = on;
        self
    }

    /// Raises the requirements of `plan` to this policy. Runs last, after
    /// DANE and MTA-STS have had their say.
    pub fn apply(&self, plan: &mut DeliveryPlan) {
        for host in &mut plan.hosts {
            let raised = match &host.requirement {
                Requirement::Dane { .. } | Requirement::UnusableNow(_) => None,
                _ if self.require_dane => Some((
                    Requirement::UnusableNow(Trouble::with_detail(
                        Cause::DaneRequired,
                        format!("{}: {}", host.name, host.reason.describe()),
                    )),
                    Raise::RequireDane,
                )),
                Requirement::StsEnforce { .. } => None,
                _ if self.require_sts => Some((
                    Requirement::UnusableNow(Trouble::with_detail(
                        Cause::StsRequired,
                        format!("{}: {}", host.name, host.reason.describe()),
                    )),
                    Raise::RequireSts,
                )),
                Requirement::Opportunistic if self.require_tls => {
                    Some((Requirement::TlsMandatoryUnauthenticated, Raise::RequireTls))
                }
                _ => None,
            };
            if let Some((requirement, raise)) = raised {
                host.requirement = requirement;
                host.raised_by = Some(raise);
            }
        }
    }
}
