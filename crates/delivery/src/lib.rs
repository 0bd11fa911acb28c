//! The delivery function: one message, one recipient domain, one attempt.
//!
//! Given a [`policy::DeliveryPlan`] and a [`Message`], [`deliver`] tries the
//! plan's hosts in order, and every address of each: it connects, greets,
//! does STARTTLS with the verifier the plan requires (never falling back to
//! plaintext where TLS is required), sends the envelope and the data, and
//! returns what became of each recipient with the status code that the
//! `policy` crate's trouble table assigns, plus a record of every host it
//! talked to (address, TLS version and cipher, how the certificate was
//! verified, which TLSA record matched) for the message trace.
//!
//! It owns the order of attempts and nothing else: it does not decide what
//! TLS a host needs (`policy`), what a failure means (`policy::Trouble`),
//! when to retry (the queue's scheduler), or how SMTP is spoken (`smtp`).
//! The CLI calls [`deliver`]; the daemon's workers call
//! [`deliver_reusing`], which lets the messages of a batch share a
//! connection opened under the same [`SecurityContext`] and never one
//! opened for less than a message's plan demands.

mod attempt;
mod connections;
mod deliver;
mod failure_memory;
mod limits;
mod message;
mod options;
mod probe;
mod report;
mod route_report;
mod source;
mod sts_testing;

pub use connections::{Connections, SecurityContext};
pub use deliver::{deliver, deliver_reusing};
pub use failure_memory::{ConnectionFailure, HostFailureMemory, RememberedFailure};
pub use limits::AttemptLimits;
pub use message::Message;
pub use options::DeliveryOptions;
pub use probe::{Teardown, Verdict, probe, probe_detached};
pub use report::{DeliveryReport, HostAttempt, RecipientOutcome, RecipientStatus};
pub use route_report::RouteReport;
pub use source::Source;
