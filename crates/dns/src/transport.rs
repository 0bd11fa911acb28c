//! The wire below validation: hickory's name server pool (UDP, with TCP on
//! truncation, retries), a layer that sets the CD bit on every query, and
//! one that keeps a validator from asking above its trust anchor and keeps
//! the zone keys it fetched ([`KeyCache`]).
//!
//! CD ("checking disabled", RFC 4035 §3.2.2) asks a validating upstream to
//! pass bogus data through instead of answering SERVFAIL, so that Sealane can
//! judge it and name the failure (`4.7.324 dnssec-invalid`) rather than see a
//! bare server failure (`4.4.312`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::future;
use futures_util::stream::{self, BoxStream};
use hickory_net::NetError;
use hickory_net::runtime::TokioRuntimeProvider;
use hickory_net::xfer::DnsHandle;
use hickory_proto::op::{DnsRequest, DnsResponse};
use hickory_proto::rr::{Name, RecordType};
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverOpts};
use hickory_resolver::{NameServerPool, PoolContext, TlsConfig};

use crate::config::ResolverConfig;

/// The pool of upstream servers.
pub(crate) type Pool = NameServerPool<TokioRuntimeProvider>;

/// Sets the CD bit on every query it forwards.
#[derive(Clone)]
pub(crate) struct CheckingDisabled<H>(pub(crate) H);

impl<H: DnsHandle> DnsHandle for CheckingDisabled<H> {
    type Response = H::Response;
    type Runtime = H::Runtime;

    fn send(&self, mut request: DnsRequest) -> Self::Response {
        request.metadata.checking_disabled = true;
        self.0.send(request)
    }
}

/// Builds the pool for the configured servers.
pub(crate) fn pool(config: &ResolverConfig) -> Pool {
    let mut options = ResolverOpts::default();
    options.timeout = config.timeout;
    options.attempts = config.attempts;
    options.edns0 = true;
    let servers = config.servers.iter().map(|addr| {
        let mut udp = ConnectionConfig::udp();
        udp.port = addr.port();
        let mut tcp = ConnectionConfig::tcp();
        tcp.port = addr.port();
        NameServerConfig::new(addr.ip(), true, vec![udp, tcp])
    });
    // Without the TLS transports compiled in, this configuration is empty and
    // cannot fail.
    let tls = TlsConfig::new().expect("an empty TLS configuration builds");
    let context = Arc::new(PoolContext::new(options, tls));
    NameServerPool::from_config(servers, context, TokioRuntimeProvider::default())
}

/// Keeps a validator below its trust anchor: a DS query for the anchor's own
/// zone or any zone above it fails here instead of going upstream.
///
/// RFC 4033 §5 and RFC 4035 §4.3: validation starts at the closest
/// enclosing trust anchor and never looks above it. hickory's validator
/// asks for the DS of the zone whose keys it is checking, and, for an RRset
/// without signatures, for the DS of its zone cut; for the anchor's own zone
/// the answer would come from above the anchor (a parent that may be
/// unsigned, or no answer at all) and could call the island bogus or,
/// worse, insecure. Here that question has no answer, so an unsigned RRset
/// inside the island stays bogus and the island's keys come only from the
/// anchor (see `trusted`).
#[derive(Clone)]
pub(crate) struct BelowAnchor<H> {
    pub(crate) inner: H,
    pub(crate) anchor: Name,
    pub(crate) keys: KeyCache,
}

impl<H: DnsHandle> DnsHandle for BelowAnchor<H> {
    type Response = BoxStream<'static, Result<DnsResponse, NetError>>;
    type Runtime = H::Runtime;

    fn send(&self, request: DnsRequest) -> Self::Response {
        let Some(query) = request.queries.first() else {
            return self.inner.send(request).boxed();
        };
        if query.query_type() == RecordType::DS && query.name().zone_of(&self.anchor) {
            return stream::once(future::ready(Err(NetError::from(format!(
                "the DS of {} or above is not asked: {} is a trust anchor",
                query.name(),
                self.anchor
            )))))
            .boxed();
        }
        if query.query_type() != RecordType::DNSKEY {
            return self.inner.send(request).boxed();
        }
        let zone = query.name().to_lowercase();
        if let Some(kept) = self.keys.get(&zone) {
            return stream::once(future::ready(Ok(kept))).boxed();
        }
        let keys = self.keys.clone();
        self.inner
            .send(request)
            .inspect(move |answer| {
                if let Ok(answer) = answer {
                    keys.insert(zone.clone(), answer);
                }
            })
            .boxed()
    }
}

/// The most zones whose keys are kept; past it, the expired go, then all.
const KEY_CACHE_ZONES: usize = 10_000;

/// The DNSKEY answers a validator fetched, kept for their TTL.
///
/// hickory's validator asks for the signer's DNSKEY RRset for every RRset
/// it checks, one round trip after the answer itself: a domain whose
/// records are checked one by one asked for its keys seven times. Kept
/// here, each zone's keys are asked for once; the validator still checks
/// them (its validation cache knows the same RRset at once). The cache
/// lives with the validator, so a validator made afresh (after a run of
/// suspicious answers, say) asks again.
#[derive(Clone, Default)]
pub(crate) struct KeyCache(Arc<Mutex<HashMap<Name, (Instant, DnsResponse)>>>);

impl KeyCache {
    fn get(&self, zone: &Name) -> Option<DnsResponse> {
        let kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let (until, answer) = kept.get(zone)?;
        (Instant::now() < *until).then(|| answer.clone())
    }

    /// Keeps a positive answer with its keys, as long as its shortest TTL.
    fn insert(&self, zone: Name, answer: &DnsResponse) {
        let keys = answer
            .answers
            .iter()
            .filter(|r| r.record_type() == RecordType::DNSKEY);
        let Some(ttl) = keys.map(|r| r.ttl).min() else {
            return;
        };
        let ttl = answer.answers.iter().map(|r| r.ttl).min().unwrap_or(ttl);
        if ttl == 0 {
            return;
        }
        let now = Instant::now();
        let mut kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() >= KEY_CACHE_ZONES {
            kept.retain(|_, (until, _)| *until > now);
            if kept.len() >= KEY_CACHE_ZONES {
                kept.clear();
            }
        }
        kept.insert(
            zone,
            (now + Duration::from_secs(u64::from(ttl)), answer.clone()),
        );
    }
}
