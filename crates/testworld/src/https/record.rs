//! What a policy host saw: the connections it accepted and the requests
//! that reached it over TLS.

use std::net::SocketAddr;

use super::http::{Head, WELL_KNOWN_PATH};

/// One HTTP request a policy host read, after a completed TLS handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The client's address.
    pub peer: SocketAddr,
    /// The SNI the client sent in its TLS handshake.
    pub sni: Option<String>,
    /// The method, e.g. `GET`.
    pub method: String,
    /// The request target, e.g. `/.well-known/mta-sts.txt`.
    pub path: String,
    /// The protocol version, e.g. `HTTP/1.1`.
    pub version: String,
    /// Every header field, in order, as sent (names keep their case).
    pub headers: Vec<(String, String)>,
    /// The body, as `Content-Length` framed it (empty without one).
    pub body: Vec<u8>,
}

impl Request {
    pub(crate) fn new(peer: SocketAddr, sni: Option<String>, head: Head) -> Request {
        Request {
            peer,
            sni,
            method: head.method,
            path: head.target,
            version: head.version,
            headers: head.headers,
            body: Vec::new(),
        }
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(field, _)| field.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The `Host` header.
    pub fn host(&self) -> Option<&str> {
        self.header("Host")
    }

    /// Whether this is a `GET` of the policy, `/.well-known/mta-sts.txt`.
    pub fn is_policy_fetch(&self) -> bool {
        self.method == "GET" && self.path == WELL_KNOWN_PATH
    }
}

/// Everything recorded so far.
#[derive(Debug, Default)]
pub(crate) struct Log {
    /// TCP connections accepted, whether or not TLS then succeeded.
    pub connections: usize,
    pub requests: Vec<Request>,
}

impl Log {
    pub fn fetches(&self) -> usize {
        self.requests.iter().filter(|r| r.is_policy_fetch()).count()
    }
}

/// A policy host's recorder.
pub(crate) type Recorder = crate::record::Recorder<Log>;
