//! The Sealane daemon (`sealane serve`).
//!
//! This crate owns what makes Sealane a running mail server: its validated
//! configuration, the SMTP listeners and their relay rules, the scheduler
//! that hands due recipients to delivery workers, sender authentication on
//! the MX listener (through `auth`), the workers themselves
//! (which plan from DNS and the shared MTA-STS cache on every attempt,
//! settle each recipient by the retry schedule and queue the notices owed
//! and count each session for TLS reporting), the daily TLS reports
//! (`tls_reports.rs`), the reports others send to our report address
//! (`tls_report_inbox.rs`),
//! the outbound pool each message leaves from (`pool.rs`, the one routing
//! module), the sending limits of users and sender domains (`limits.rs`), the
//! spam filter's verdict (`spam.rs`, rspamd), and the wiring of the shared resolver, policy cache and store. It does
//! not own the queue's storage (`queue`), the SMTP wire protocol (`smtp`),
//! the security decisions (`policy`), how one delivery is carried out
//! (`delivery`) or how a notice is written (`report`).

mod arrival;
pub mod config;
pub mod counters;
mod daemon;
mod dmarc_counts;
mod dmarc_report_inbox;
pub mod dmarc_report_view;
pub mod dmarc_reports;
mod forward;
mod housekeeping;
mod inbound;
mod limits;
mod listener;
mod pool;
mod scheduler;
mod sealing;
mod shared;
mod signing;
mod spam;
pub mod store;
mod sts_import;
pub mod tls_files;
mod tls_report_inbox;
pub mod tls_report_view;
pub mod tls_reports;
pub mod users;
mod worker;

pub use daemon::{Daemon, Scheduling, StartError};
pub use scheduler::Scheduler;
pub use shared::Shared;
