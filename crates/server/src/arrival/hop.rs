//! Which hop SPF and DMARC evaluate: the client, or — when the client is a
//! trusted upstream gateway (a filtering service our MX record points
//! behind) — the first `Received:` hop from outside the trusted networks.

use std::net::IpAddr;

use ipnet::IpNet;
use mail_parser::{HeaderName, Host, MessageParser};

/// Most `Received:` fields walked before giving up on finding the hop.
const MOST_HOPS: usize = 20;

/// The hop whose address and HELO name SPF checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hop {
    /// The address evaluated.
    pub ip: IpAddr,
    /// The HELO name it gave (the client's, or the one a gateway recorded).
    pub helo: String,
    /// The trusted gateway that handed us the message, when `ip` is a hop
    /// behind it.
    pub gateway: Option<IpAddr>,
}

/// The first hop from outside `gateways` (RFC 5321 §4.4: each relay
/// prepends its `Received:`, so the walk goes from the top). A client
/// outside the list is the hop; so is the last trusted address when a
/// gateway's `Received:` names no address, because a hop we cannot see
/// is not evidence.
pub(crate) fn outside_hop(client: IpAddr, helo: &str, data: &[u8], gateways: &[IpNet]) -> Hop {
    let trusted = |ip: &IpAddr| gateways.iter().any(|n| n.contains(ip));
    let mut hop = Hop {
        ip: client,
        helo: helo.to_owned(),
        gateway: None,
    };
    if !trusted(&client) {
        return hop;
    }
    let Some(parsed) = MessageParser::new()
        .header_received(HeaderName::Received)
        .parse_headers(data)
    else {
        return hop;
    };
    for received in parsed.received_all().take(MOST_HOPS) {
        let Some(ip) = received.from_ip else {
            return hop;
        };
        let name = received
            .helo
            .as_ref()
            .or(received.from.as_ref())
            .map(|h| match h {
                Host::Name(name) => name.to_string(),
                Host::IpAddr(ip) => format!("[{ip}]"),
            })
            .unwrap_or_default();
        hop = Hop {
            ip,
            helo: name,
            gateway: Some(client),
        };
        if !trusted(&ip) {
            return hop;
        }
    }
    hop
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter()
            .map(|n| n.parse().expect("test network"))
            .collect()
    }

    const BEHIND: &[u8] = b"Received: from gw2.filter.example (gw2.filter.example [10.1.0.2])\r\n\
\tby gw1.filter.example with ESMTPS id 1; Wed, 2 Dec 2026 12:00:00 +0000\r\n\
Received: from mail.sender.example (mail.sender.example [192.0.2.25])\r\n\
\tby gw2.filter.example with ESMTP id 2; Wed, 2 Dec 2026 11:59:59 +0000\r\n\
Received: from laptop (unknown [198.51.100.9])\r\n\
\tby mail.sender.example with ESMTPSA id 3; Wed, 2 Dec 2026 11:59:58 +0000\r\n\
From: a@sender.example\r\n\r\nbody\r\n";

    #[test]
    fn a_client_outside_the_list_is_the_hop() {
        let hop = outside_hop(
            "203.0.113.5".parse().unwrap(),
            "x.example",
            BEHIND,
            &nets(&["10.0.0.0/8"]),
        );
        assert_eq!(hop.ip.to_string(), "203.0.113.5");
        assert_eq!(hop.helo, "x.example");
        assert_eq!(hop.gateway, None);
    }

    #[test]
    fn trusted_gateways_are_skipped_to_the_first_outside_hop() {
        let hop = outside_hop(
            "10.1.0.1".parse().unwrap(),
            "gw1.filter.example",
            BEHIND,
            &nets(&["10.0.0.0/8"]),
        );
        assert_eq!(hop.ip.to_string(), "192.0.2.25");
        assert_eq!(hop.helo, "mail.sender.example");
        assert_eq!(hop.gateway, Some("10.1.0.1".parse().unwrap()));
    }

    #[test]
    fn a_gateway_received_without_an_address_leaves_the_gateway_evaluated() {
        let data = b"Received: by gw1.filter.example; Wed, 2 Dec 2026 12:00:00 +0000\r\nFrom: a@b.example\r\n\r\n";
        let hop = outside_hop(
            "10.1.0.1".parse().unwrap(),
            "gw1",
            data,
            &nets(&["10.0.0.0/8"]),
        );
        assert_eq!(hop.ip.to_string(), "10.1.0.1");
        assert_eq!(hop.gateway, None);
    }
}
