//! Options that point Sealane's resolver somewhere: the DNS server and the
//! trust anchors. Shared by every command that looks things up.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use anyhow::{Context, anyhow};
use dns::{ResolverConfig, TrustAnchor, system_nameservers};

use crate::exit::Failure;

/// Where DNS answers come from and what validates them.
#[derive(clap::Args, Clone, Debug)]
pub struct ResolverArgs {
    /// DNS server to ask: an address, port 53 unless given (127.0.0.1,
    /// 127.0.0.1:5353, ::1, [::1]:53); repeat for more (default: the name
    /// servers of /etc/resolv.conf).
    #[arg(long = "dns-server", value_name = "IP[:PORT]")]
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
                .context("cannot read /etc/resolv.conf; give --dns-server IP")
                .map_err(Failure::Input)?;
            if servers.is_empty() {
                return Err(Failure::Input(anyhow!(
                    "/etc/resolv.conf names no name server; give --dns-server IP"
                )));
            }
            servers
        } else {
            self.dns_server
                .iter()
                .map(|s| {
                    server_address(s).ok_or_else(|| {
                        Failure::Input(anyhow!(
                            "--dns-server {} is not an address (e.g. 127.0.0.1, 127.0.0.1:53, ::1 or [::1]:53)",
                            smtp::quoted(s)
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

/// A name server's address as `dig @server` takes it: an IP address, port
/// 53 unless one is given; IPv6 bare or in brackets.
fn server_address(text: &str) -> Option<SocketAddr> {
    if let Ok(address) = text.parse::<SocketAddr>() {
        return Some(address);
    }
    let bare = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    bare.parse::<IpAddr>()
        .ok()
        .map(|ip| SocketAddr::new(ip, DNS_PORT))
}

/// The port of DNS (RFC 1035 §4.2).
const DNS_PORT: u16 = 53;

#[cfg(test)]
mod tests {
    use super::server_address;

    #[test]
    fn port_53_unless_given() {
        let cases = [
            ("127.0.0.1", "127.0.0.1:53"),
            ("127.0.0.1:5353", "127.0.0.1:5353"),
            ("::1", "[::1]:53"),
            ("[::1]", "[::1]:53"),
            ("[::1]:5353", "[::1]:5353"),
        ];
        for (text, expected) in cases {
            assert_eq!(
                server_address(text).map(|a| a.to_string()).as_deref(),
                Some(expected),
                "{text}"
            );
        }
        for bad in ["", "localhost", "127.0.0.1:", "1.2.3", "[::1", "::1:99999"] {
            assert_eq!(server_address(bad), None, "{bad}");
        }
    }
}
