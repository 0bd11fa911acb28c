//! The dry run's report as JSON (`sealane route --json`, version 1, and
//! `GET /api/v1/route/{destination}`; `docs/route-json.md`): one type, so
//! the command line and the API never drift apart.

use serde::Serialize;

use crate::{HostAttempt, Verdict};

/// What a dry run for one destination found (version 1).
#[derive(Debug, Serialize)]
pub struct RouteReport<'a> {
    /// Always 1 for this shape.
    pub version: u32,
    /// The address or domain asked about, as given.
    pub destination: &'a str,
    /// The delivery plan: MX hosts and what TLS each requires.
    pub plan: &'a policy::DeliveryPlan,
    /// Each host's probe: connection, STARTTLS, verification.
    pub probes: &'a [HostAttempt],
    /// What would happen to a message now.
    pub verdict: &'a Verdict,
}

impl<'a> RouteReport<'a> {
    /// The report on `destination` from its plan, probes and verdict.
    pub fn new(
        destination: &'a str,
        plan: &'a policy::DeliveryPlan,
        probes: &'a [HostAttempt],
        verdict: &'a Verdict,
    ) -> Self {
        Self {
            version: 1,
            destination,
            plan,
            probes,
            verdict,
        }
    }
}
