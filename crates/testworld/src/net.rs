//! Loopback addresses and ports for test-world servers.
//!
//! The product under test uses one SMTP port for every MX host (its
//! `--smtp-port` override), so a test puts each MX host on its own
//! `127.0.0.x` address with the same port: [`free_port`] finds a port free on
//! all of them.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, TcpListener};

/// `127.0.0.last`: on Linux every address in `127.0.0.0/8` is loopback.
pub fn loopback(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
}

/// A TCP port that is free on every address in `ips` at the time of the
/// call (bound on all of them at once, then released).
///
/// Panics when an address cannot be bound at all (not a local address) or
/// when no common free port turns up: both are broken test set-ups.
pub fn free_port(ips: &[IpAddr]) -> u16 {
    let ips: Vec<IpAddr> = ips
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let (first, rest) = ips
        .split_first()
        .expect("free_port needs at least one address");
    for _ in 0..100 {
        let listener = TcpListener::bind((*first, 0))
            .unwrap_or_else(|e| panic!("cannot bind {first}: is it a local address? {e}"));
        let port = listener
            .local_addr()
            .expect("a bound listener has a local address")
            .port();
        let others: Result<Vec<TcpListener>, _> = rest
            .iter()
            .map(|ip| TcpListener::bind((*ip, port)))
            .collect();
        if others.is_ok() {
            return port;
        }
    }
    panic!("no port free on all of {ips:?} after 100 tries");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_port_binds_on_every_address() {
        let ips = [loopback(2), loopback(3), loopback(2)];
        let port = free_port(&ips);
        let _a = TcpListener::bind((loopback(2), port)).unwrap();
        let _b = TcpListener::bind((loopback(3), port)).unwrap();
    }
}
