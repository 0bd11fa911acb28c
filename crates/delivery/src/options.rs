//! How delivery connects: port, names, source address, trust roots, time,
//! and what one attempt may cost.

use std::sync::Arc;

use smtp::Timeouts;
use tls::TrustRoots;
use tls::rustls::time_provider::TimeProvider;

use policy::PeerLimits;

use crate::failure_memory::HostFailureMemory;
use crate::limits::AttemptLimits;
use crate::source::Source;

/// Settings for [`crate::deliver`].
#[derive(Clone)]
pub struct DeliveryOptions {
    /// The port MX hosts listen on: 25, unless a test world or an
    /// administrator says otherwise.
    pub smtp_port: u16,
    /// The name we give in EHLO.
    pub ehlo_name: String,
    /// The local addresses to connect from (an outbound pool's).
    pub source: Source,
    /// Roots for WebPKI validation (MTA-STS hosts).
    pub roots: TrustRoots,
    /// SMTP time limits.
    pub timeouts: Timeouts,
    /// The clock certificates are judged by.
    pub time: Arc<dyn TimeProvider>,
    /// What one attempt may cost: deadlines, minimum data rate, addresses
    /// and sessions.
    pub limits: AttemptLimits,
    /// Addresses that failed recently, skipped until their time is up;
    /// `None`: every address is tried.
    pub failure_memory: Option<HostFailureMemory>,
    /// Connections at once per MX address for [`crate::probe`]; `None`:
    /// no limit. (Deliveries are limited per destination by the scheduler.)
    pub peers: Option<PeerLimits>,
}

impl DeliveryOptions {
    /// Port 25, RFC 5321 time limits, the default [`AttemptLimits`], no
    /// memory of failures, the public WebPKI roots, the system clock.
    pub fn new(ehlo_name: impl Into<String>) -> Self {
        Self {
            smtp_port: 25,
            ehlo_name: ehlo_name.into(),
            source: Source::default(),
            roots: TrustRoots::public(),
            timeouts: Timeouts::default(),
            time: tls::system_time(),
            limits: AttemptLimits::default(),
            failure_memory: None,
            peers: None,
        }
    }
}
