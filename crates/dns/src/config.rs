//! How the resolver is set up: which servers, which trust anchors, how long
//! to wait.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::anchor::TrustAnchor;

/// The resolver's settings, already validated.
#[derive(Clone, Debug)]
pub struct ResolverConfig {
    /// Upstream servers, asked in turn: authoritative, plain recursive or
    /// validating — we validate ourselves either way. UDP, with TCP when an
    /// answer is truncated.
    pub servers: Vec<SocketAddr>,
    /// Where validation starts; `None` means the IANA root anchors.
    pub trust_anchors: Option<Vec<TrustAnchor>>,
    /// How long to wait for one answer.
    pub timeout: Duration,
    /// How many times to ask each server before giving up.
    pub attempts: usize,
    /// The most answers the cache keeps.
    pub cache_capacity: usize,
}

impl ResolverConfig {
    /// Defaults for the given servers: IANA root anchors, 5 s timeout, two
    /// attempts, 100 000 cached answers.
    pub fn new(servers: Vec<SocketAddr>) -> Self {
        Self {
            servers,
            trust_anchors: None,
            timeout: Duration::from_secs(5),
            attempts: 2,
            cache_capacity: 100_000,
        }
    }

    /// Replaces the trust anchors.
    pub fn with_trust_anchors(mut self, anchors: Vec<TrustAnchor>) -> Self {
        self.trust_anchors = Some(anchors);
        self
    }

    /// Replaces the timeout and attempts.
    pub fn with_timeout(mut self, timeout: Duration, attempts: usize) -> Self {
        self.timeout = timeout;
        self.attempts = attempts.max(1);
        self
    }
}

/// The name servers of `/etc/resolv.conf`, on port 53.
pub fn system_nameservers() -> std::io::Result<Vec<SocketAddr>> {
    let text = std::fs::read_to_string("/etc/resolv.conf")?;
    Ok(parse_resolv_conf(&text))
}

fn parse_resolv_conf(text: &str) -> Vec<SocketAddr> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            (words.next()? == "nameserver").then_some(())?;
            // Scoped IPv6 addresses (fe80::1%eth0) are left out.
            let ip: IpAddr = words.next()?.parse().ok()?;
            Some(SocketAddr::new(ip, 53))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolv_conf_nameservers_are_read() {
        let text = "# comment\nsearch example\nnameserver 192.0.2.53\nnameserver 2001:db8::53\nnameserver fe80::1%eth0\n";
        assert_eq!(
            parse_resolv_conf(text),
            vec![
                "192.0.2.53:53".parse().unwrap(),
                "[2001:db8::53]:53".parse().unwrap()
            ]
        );
    }
}
