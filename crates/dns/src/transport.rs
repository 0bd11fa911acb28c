//! The wire below validation: hickory's name server pool (UDP, with TCP on
//! truncation, retries) and a layer that sets the CD bit on every query.
//!
//! CD ("checking disabled", RFC 4035 §3.2.2) asks a validating upstream to
//! pass bogus data through instead of answering SERVFAIL, so that Sealane can
//! judge it and name the failure (`4.7.324 dnssec-invalid`) rather than see a
//! bare server failure (`4.4.312`).

use std::sync::Arc;

use hickory_net::runtime::TokioRuntimeProvider;
use hickory_net::xfer::DnsHandle;
use hickory_proto::op::DnsRequest;
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
