//! One validator per trust anchor zone, each started from that zone's
//! authenticated keys and kept below it, rebuilt when the keys expire; and
//! the probe that tells a broken local resolver from a broken domain.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hickory_net::dnssec::DnssecDnsHandle;
use hickory_proto::dnssec::TrustAnchors;
use hickory_proto::rr::{Name, RecordType};
use tokio::sync::Mutex;

use crate::anchor::TrustAnchor;
use crate::error::{DnsError, LocalFault};
use crate::transport::{BelowAnchor, CheckingDisabled, KeyCache, Pool};
use crate::trusted::AnchorZone;

/// hickory's validator over our wire, kept below its anchor.
pub(crate) type Validator = DnssecDnsHandle<BelowAnchor<CheckingDisabled<Pool>>>;

/// How long a failed probe is believed before the anchor zone is asked again.
const FAILED_PROBE_TTL: Duration = Duration::from_secs(10);
/// A bogus answer or a lookup failure re-probes the anchor zone when the
/// last probe is older than this...
const PROBE_AGE: Duration = Duration::from_secs(30);
/// ...or when this many answers in a row went bogus or failed.
const SUSPICIOUS_RUN: usize = 3;

/// The validators, one per anchor zone.
pub(crate) struct Validators {
    zones: Vec<Slot>,
}

/// One anchor zone and what is known of it.
pub(crate) struct Slot {
    zone: AnchorZone,
    state: Mutex<Option<Probed>>,
    /// Answers in a row that went bogus or failed.
    suspicious: AtomicUsize,
}

/// The outcome of the last probe of an anchor zone.
struct Probed {
    at: SystemTime,
    until: SystemTime,
    outcome: Result<Validator, LocalFault>,
}

impl Validators {
    pub(crate) fn new(anchors: Option<&[TrustAnchor]>) -> Self {
        Self {
            zones: AnchorZone::group(anchors)
                .into_iter()
                .map(|zone| Slot {
                    zone,
                    state: Mutex::new(None),
                    suspicious: AtomicUsize::new(0),
                })
                .collect(),
        }
    }

    /// Every anchor zone.
    pub(crate) fn slots(&self) -> impl Iterator<Item = &Slot> {
        self.zones.iter()
    }

    /// The closest enclosing trust anchor of `rtype` at `name`, where
    /// validation of that answer starts (RFC 4035 §4.3). A DS RRset lives
    /// in the parent's zone, so for DS the anchor must enclose the parent.
    /// `None` when no anchor covers the name: see `Resolver::step`.
    pub(crate) fn closest(&self, name: &Name, rtype: RecordType) -> Option<&Slot> {
        self.zones
            .iter()
            .filter(|slot| {
                slot.zone.owner.zone_of(name)
                    && !(rtype == RecordType::DS && slot.zone.owner == *name && !name.is_root())
            })
            .max_by_key(|slot| slot.zone.owner.num_labels())
    }
}

impl Slot {
    /// The validator for this anchor zone, authenticating the zone's keys
    /// first when they are unknown or expired.
    pub(crate) async fn validator(
        &self,
        wire: &CheckingDisabled<Pool>,
        now: SystemTime,
    ) -> Result<Validator, DnsError> {
        let mut state = self.state.lock().await;
        let fresh = state.as_ref().is_some_and(|p| now < p.until);
        if !fresh {
            *state = Some(self.probe(wire, now).await);
        }
        let probed = state.as_ref().expect("set just above when missing");
        probed.outcome.clone().map_err(|seen| self.blame(seen))
    }

    /// Called after each answer under this anchor: a bogus answer or a
    /// lookup failure may be the local resolver's doing. Re-probes the
    /// anchor zone when the last probe is old or a run of such answers has
    /// built up, and returns the local fault if the probe now fails.
    pub(crate) async fn check_after(
        &self,
        suspicious: bool,
        wire: &CheckingDisabled<Pool>,
        now: SystemTime,
    ) -> Result<(), DnsError> {
        if !suspicious {
            self.suspicious.store(0, Ordering::Relaxed);
            return Ok(());
        }
        let run = self.suspicious.fetch_add(1, Ordering::Relaxed) + 1;
        let mut state = self.state.lock().await;
        let old = state
            .as_ref()
            .is_none_or(|p| now.duration_since(p.at).unwrap_or_default() >= PROBE_AGE);
        if !old && run < SUSPICIOUS_RUN {
            return Ok(());
        }
        self.suspicious.store(0, Ordering::Relaxed);
        let probed = self.probe(wire, now).await;
        let result = probed
            .outcome
            .as_ref()
            .map(|_| ())
            .map_err(|seen| self.blame(seen.clone()));
        *state = Some(probed);
        result
    }

    async fn probe(&self, wire: &CheckingDisabled<Pool>, now: SystemTime) -> Probed {
        let unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX));
        match self.zone.authenticate(wire, unix).await {
            Ok(trusted) => {
                let mut anchors = TrustAnchors::empty();
                for key in &trusted.keys {
                    anchors.insert_with_name(key.public_key(), (&self.zone.owner).into());
                }
                let below = BelowAnchor {
                    inner: wire.clone(),
                    anchor: self.zone.owner.clone(),
                    keys: KeyCache::default(),
                };
                tracing::debug!(anchor = %self.zone.owner, keys = trusted.keys.len(), "trust anchor zone authenticated");
                Probed {
                    at: now,
                    until: now + trusted.lifetime,
                    outcome: Ok(DnssecDnsHandle::with_trust_anchor(below, Arc::new(anchors))),
                }
            }
            Err(seen) => {
                tracing::warn!(anchor = %self.zone.owner, %seen, "the local resolver cannot serve DNSSEC");
                Probed {
                    at: now,
                    until: now + FAILED_PROBE_TTL,
                    outcome: Err(seen),
                }
            }
        }
    }

    fn blame(&self, seen: LocalFault) -> DnsError {
        DnsError::LocalResolver {
            anchor: self.zone.owner.to_string(),
            seen,
        }
    }
}
