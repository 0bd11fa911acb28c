//! Where delivery connects from: an outbound pool's addresses, at most one
//! per address family, since a socket binds only to an address of the
//! family of the host it connects to.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The local addresses to connect from (an outbound pool's); `None` in a
/// family leaves the choice to the system.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Source {
    /// The address for IPv4 destinations.
    pub v4: Option<Ipv4Addr>,
    /// The address for IPv6 destinations.
    pub v6: Option<Ipv6Addr>,
}

impl Source {
    /// The source for one address, in its family.
    pub fn of(address: Option<IpAddr>) -> Self {
        match address {
            Some(IpAddr::V4(v4)) => Self {
                v4: Some(v4),
                v6: None,
            },
            Some(IpAddr::V6(v6)) => Self {
                v4: None,
                v6: Some(v6),
            },
            None => Self::default(),
        }
    }

    /// The address to bind to when connecting to `remote`.
    pub fn for_remote(&self, remote: IpAddr) -> Option<IpAddr> {
        match remote {
            IpAddr::V4(_) => self.v4.map(IpAddr::V4),
            IpAddr::V6(_) => self.v6.map(IpAddr::V6),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_family_binds_to_its_own_address() {
        let source = Source {
            v4: Some(Ipv4Addr::new(127, 0, 0, 41)),
            v6: Some(Ipv6Addr::LOCALHOST),
        };
        assert_eq!(
            source.for_remote("192.0.2.1".parse().unwrap()),
            Some("127.0.0.41".parse().unwrap())
        );
        assert_eq!(
            source.for_remote("2001:db8::1".parse().unwrap()),
            Some(IpAddr::V6(Ipv6Addr::LOCALHOST))
        );
        let v4_only = Source::of(Some("127.0.0.41".parse().unwrap()));
        assert_eq!(v4_only.for_remote("2001:db8::1".parse().unwrap()), None);
    }
}
