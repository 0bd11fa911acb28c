//! The Sealane daemon (`sealane serve`).
//!
//! This crate owns what makes Sealane a running mail server: its validated
//! configuration, the SMTP listeners and their relay rules, the scheduler
//! that hands due recipients to delivery workers, the workers themselves,
//! and the wiring of the shared DNS resolver and MTA-STS cache. It does not
//! own the queue's storage (`queue`), the SMTP wire protocol (`smtp`), the
//! security decisions (`policy`) or how one delivery is carried out
//! (`delivery`).

pub mod config;
