//! What TLS each mail exchanger requires, and what a failure means.
//!
//! This crate owns the security decisions of DESIGN §2: from DNS answers
//! (with their DNSSEC status), TLSA records, MTA-STS policies, local policy
//! and REQUIRETLS it builds a delivery plan — the ordered MX hosts and, for
//! each, the TLS requirement and verifier — and it owns the one table that
//! turns a failure into temporary or permanent, an enhanced status code and a
//! TLS-RPT result type. It does not open SMTP connections (the delivery code
//! does, following the plan) and does not keep the queue.

mod dane;
mod options;
pub mod peers;
mod plan;
mod relay;
pub mod sts;
mod sts_plan;
mod trouble;

pub use options::PlanOptions;
pub use peers::{PeerLimits, PeerPermit};
pub use plan::{DeliveryPlan, HostPlan, Raise, Reason, Requirement, TlsaAnswer, dane_plan, plan};
pub use relay::relay_plan;
pub use sts_plan::{StsPlan, StsTesting, plan_with_sts};
pub use trouble::{AttemptLimit, Cause, DnsStep, RptResultType, Scope, Trouble};
