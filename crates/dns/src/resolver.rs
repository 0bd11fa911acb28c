//! The resolver: asks upstream through the validator, follows aliases,
//! classifies the answer and caches it.

use std::net::IpAddr;
use std::sync::Arc;

use hickory_proto::op::DnsRequestOptions;
use hickory_proto::rr::{Name, RData, Record, RecordType};

use crate::ask::Step;
use crate::cache::Cache;
use crate::clock::{Clock, SystemClock};
use crate::config::ResolverConfig;
use crate::error::DnsError;
use crate::inflight::InFlight;
use crate::lookup::{Absence, Alias, Lookup};
use crate::records::{RecordKind, Tlsa, Txt};
use crate::stats::{Counters, ResolverStats};
use crate::status::DnssecStatus;
use crate::texts::NameFault;
use crate::transport::{CheckingDisabled, Pool, pool};
use crate::validators::Validators;

/// The longest alias chain followed (RFC 1034 §3.6.2 asks resolvers to stop loops).
const MAX_ALIASES: usize = 8;

/// A DNSSEC-validating stub resolver with a shared cache. Cloning is cheap
/// and clones share the cache and the counters ([`Resolver::stats`]).
#[derive(Clone)]
pub struct Resolver {
    inner: Arc<Inner>,
}

struct Inner {
    validators: Validators,
    wire: CheckingDisabled<Pool>,
    cache: Cache<Step>,
    in_flight: InFlight<Result<Step, DnsError>>,
    clock: Arc<dyn Clock>,
    counters: Counters,
}

impl Resolver {
    /// A resolver on the system clock.
    pub fn new(config: ResolverConfig) -> Self {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    /// A resolver whose cache ages by `clock`.
    pub fn with_clock(config: ResolverConfig, clock: Arc<dyn Clock>) -> Self {
        Self {
            inner: Arc::new(Inner {
                validators: Validators::new(config.trust_anchors.as_deref()),
                wire: CheckingDisabled(pool(&config)),
                cache: Cache::new(config.cache_capacity),
                in_flight: InFlight::default(),
                clock,
                counters: Counters::default(),
            }),
        }
    }

    /// Parses a domain name as given by a user or a message; the result is
    /// absolute.
    pub fn parse_name(text: &str) -> Result<Name, DnsError> {
        let bad = |reason: NameFault| DnsError::BadName {
            input: text.to_owned(),
            reason,
        };
        if let Some(fault) = NameFault::find(text) {
            return Err(bad(fault));
        }
        // Every fault hickory finds is one of ours; the whole text is named
        // should a new one appear.
        let mut name =
            Name::from_utf8(text).map_err(|_| bad(NameFault::BadCharacter(text.to_owned())))?;
        name.set_fqdn(true);
        Ok(name)
    }

    /// Records of `rtype` at `name`, following CNAMEs.
    pub async fn lookup(&self, name: &Name, rtype: RecordType) -> Result<Lookup<Record>, DnsError> {
        let mut current = name.clone();
        let mut aliases: Vec<Alias> = Vec::new();
        let mut status = DnssecStatus::Secure;
        let mut ttl = u32::MAX;
        let mut cached = true;
        loop {
            let (step, from_cache) = self.step(&current, rtype).await?;
            cached &= from_cache;
            status = status.weakest(step.status);
            ttl = ttl.min(step.ttl);
            match step.cname {
                Some(target) if step.records.is_empty() => {
                    if aliases.len() >= MAX_ALIASES || aliases.iter().any(|a| a.target == target) {
                        return Err(DnsError::CnameChain {
                            name: name.to_string(),
                            limit: MAX_ALIASES,
                        });
                    }
                    aliases.push(Alias {
                        owner: current,
                        target: target.clone(),
                        status: step.status,
                    });
                    current = target;
                }
                _ => {
                    return Ok(Lookup {
                        name: name.clone(),
                        rtype,
                        canonical_name: current,
                        aliases,
                        records: step.records,
                        absence: step.absence,
                        status,
                        ttl,
                        cached,
                    });
                }
            }
        }
    }

    /// Records of any type in presentation form, for tools that print them.
    pub async fn lookup_presentation(
        &self,
        name: &Name,
        rtype: RecordType,
    ) -> Result<Lookup<RecordKind>, DnsError> {
        Ok(self.lookup(name, rtype).await?.map(|r| RecordKind {
            owner: r.name.clone(),
            rtype: r.record_type().to_string(),
            ttl: r.ttl,
            data: r.data.to_string(),
        }))
    }

    /// IPv4 and IPv6 addresses of `host`. The status is the weaker of the two
    /// answers'; the answer is absent only when both are.
    pub async fn addresses(&self, host: &Name) -> Result<Lookup<IpAddr>, DnsError> {
        let (v4, v6) = tokio::join!(
            self.lookup(host, RecordType::A),
            self.lookup(host, RecordType::AAAA)
        );
        let (v4, v6) = (v4?, v6?);
        let mut merged = v4.filter_map(|r| r.data.ip_addr());
        merged.status = merged.status.weakest(v6.status);
        merged.ttl = merged.ttl.min(v6.ttl);
        merged.cached &= v6.cached;
        merged
            .records
            .extend(v6.records.iter().filter_map(|r| r.data.ip_addr()));
        merged.absence = match (merged.absence, v6.absence) {
            _ if !merged.records.is_empty() => None,
            (Some(Absence::NxDomain), _) | (_, Some(Absence::NxDomain)) => Some(Absence::NxDomain),
            _ => Some(Absence::NoData),
        };
        Ok(merged)
    }

    /// TLSA records for SMTP on `port` at `host` (`_25._tcp.<host>`, RFC 7672 §2.2).
    pub async fn tlsa(&self, host: &Name, port: u16) -> Result<Lookup<Tlsa>, DnsError> {
        let owner = host
            .prepend_label("_tcp")
            .and_then(|n| n.prepend_label(format!("_{port}")))
            .map_err(|_| DnsError::BadName {
                input: host.to_string(),
                reason: NameFault::TooLong,
            })?;
        Ok(self
            .lookup(&owner, RecordType::TLSA)
            .await?
            .filter_map(|r| match &r.data {
                RData::TLSA(tlsa) => Some(Tlsa::from(tlsa)),
                _ => None,
            }))
    }

    /// TXT records at `name`.
    pub async fn txt(&self, name: &Name) -> Result<Lookup<Txt>, DnsError> {
        Ok(self
            .lookup(name, RecordType::TXT)
            .await?
            .filter_map(|r| match &r.data {
                RData::TXT(txt) => Some(Txt::from(txt)),
                _ => None,
            }))
    }

    /// One question, from the cache, from the same question in flight, or
    /// from upstream. The flag is true for an answer from the cache.
    async fn step(&self, name: &Name, rtype: RecordType) -> Result<(Step, bool), DnsError> {
        let now = self.inner.clock.now();
        if let Some((mut step, left)) = self.inner.cache.get(name, rtype, now) {
            step.ttl = left;
            self.inner.counters.hit();
            return Ok((step, true));
        }
        let (answer, asked) = self
            .inner
            .in_flight
            .join(name, rtype, self.fetch(name, rtype, now))
            .await;
        if !asked {
            self.inner.counters.joined();
        }
        answer.map(|step| (step, false))
    }

    /// One question upstream, timed, and its answer cached as of `now`.
    async fn fetch(
        &self,
        name: &Name,
        rtype: RecordType,
        now: std::time::SystemTime,
    ) -> Result<Step, DnsError> {
        // Wall time, not the resolver's clock: a test's clock stands still.
        let started = std::time::Instant::now();
        let asked = self.ask(name, rtype).await;
        self.inner
            .counters
            .network(started.elapsed(), asked.is_err());
        let step = asked?;
        self.inner
            .cache
            .insert(name, rtype, step.clone(), step.ttl, now);
        Ok(step)
    }

    /// What this resolver (and every clone of it) counted since it was
    /// made: questions answered from the cache, and the time spent on
    /// those that went to the network. Read without a lock.
    pub fn stats(&self) -> ResolverStats {
        self.inner.counters.snapshot()
    }

    /// Checks, as on start, that the configured upstream can serve DNSSEC:
    /// the DNSKEY RRset of every trust anchor's zone must be authenticated
    /// by its anchors. The answer is kept for the keys' TTL, so lookups
    /// that follow pay nothing for it.
    pub async fn probe(&self) -> Result<(), DnsError> {
        let now = self.now();
        for slot in self.inner.validators.slots() {
            let _validator = slot.validator(&self.inner.wire, now).await?;
        }
        Ok(())
    }

    /// The upstream handle without validation (DO and CD set).
    pub(crate) fn wire(&self) -> &CheckingDisabled<Pool> {
        &self.inner.wire
    }

    pub(crate) fn validators(&self) -> &Validators {
        &self.inner.validators
    }

    pub(crate) fn now(&self) -> std::time::SystemTime {
        self.inner.clock.now()
    }
}

pub(crate) fn request_options() -> DnsRequestOptions {
    let mut options = DnsRequestOptions::default();
    options.recursion_desired = true;
    options.use_edns = true;
    options.edns_set_dnssec_ok = true;
    options
}
