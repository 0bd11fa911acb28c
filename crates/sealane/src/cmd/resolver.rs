//! Options that point Sealane's resolver somewhere: the DNS server and the
//! trust anchors. Shared by every command that looks things up.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, anyhow};
use dns::{ResolverConfig, TrustAnchor, system_nameservers};

use crate::exit::Failure;

/// Where DNS answers come from and what validates them.
#[derive(clap::Args, Clone, Debug)]
pub struct ResolverArgs {
    /// DNS server to ask, as IP:PORT (default: the name servers of /etc/resolv.conf).
    #[arg(long = "dns-server", value_name = "IP:PORT")]
    pub dns_server: Vec<String>,
    /// Trust anchors: DS or DNSKEY records in zone-file syntax (default: the IANA root anchors).
    #[arg(long = "trust-anchor", value_name = "FILE")]
    pub trust_anchor: Option<PathBuf>,
}

impl ResolverArgs {
    /// The validated resolver configuration.
    pub fn config(&self) -> Result<ResolverConfig, Failure> {
        let servers = if self.dns_server.is_empty() {
            let servers = system_nameservers()
                .context("cannot read /etc/resolv.conf; give --dns-server IP:PORT")
                .map_err(Failure::Input)?;
            if servers.is_empty() {
                return Err(Failure::Input(anyhow!(
                    "/etc/resolv.conf names no name server; give --dns-server IP:PORT"
                )));
            }
            servers
        } else {
            self.dns_server
                .iter()
                .map(|s| {
                    s.parse::<SocketAddr>().map_err(|_| {
                        Failure::Input(anyhow!(
                            "--dns-server {s:?} is not an IP:PORT address (e.g. 127.0.0.1:53 or [::1]:53)"
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?
        };
        let mut config = ResolverConfig::new(servers);
        if let Some(path) = &self.trust_anchor {
            let anchors = TrustAnchor::from_file(path).map_err(|e| Failure::Input(e.into()))?;
            config = config.with_trust_anchors(anchors);
        }
        Ok(config)
    }
}
