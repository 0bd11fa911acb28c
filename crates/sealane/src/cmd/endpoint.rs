//! How a host and its address are written, as Postfix's logs write them:
//! `mx.example.com[192.0.2.1]:25`, `mx.example.com[2001:db8::1]:25`.

use std::net::SocketAddr;

/// `host[ip]:port`, the host name without its trailing dot.
pub fn endpoint(host: &str, address: &SocketAddr) -> String {
    format!(
        "{}[{}]:{}",
        host.trim_end_matches('.'),
        address.ip(),
        address.port()
    )
}

#[cfg(test)]
mod tests {
    use super::endpoint;

    #[test]
    fn one_pair_of_brackets_for_every_address_family() {
        let v6 = "[::1]:25".parse().unwrap();
        let v4 = "192.0.2.1:2525".parse().unwrap();
        assert_eq!(endpoint("mx.example.com.", &v6), "mx.example.com[::1]:25");
        assert_eq!(
            endpoint("mx.example.com", &v4),
            "mx.example.com[192.0.2.1]:2525"
        );
    }
}
