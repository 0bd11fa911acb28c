//! What a policy host does: its certificate, and the response it gives to a
//! request for the policy — or the lie, the delay or the silence in its
//! place.

use std::sync::Arc;
use std::time::Duration;

use crate::identity::Identity;

/// The size above which a policy is refused (RFC 8461 §3.3 lets senders
/// bound it; Sealane, like most senders, stops at 64 KiB).
pub const POLICY_LIMIT: usize = 64 * 1024;

/// The `Content-Length` that [`PolicyBehaviour::oversized_content_length`]
/// announces: above [`POLICY_LIMIT`].
pub const OVERSIZED_LENGTH: u64 = 70_000;

/// The least size of the body that [`PolicyBehaviour::oversized_body`]
/// sends: above [`POLICY_LIMIT`].
pub const OVERSIZED_BODY: usize = 80 * 1024;

/// How the body is framed, and how big it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// The policy with a true `Content-Length`.
    Length,
    /// The policy in chunks, without `Content-Length`.
    Chunked,
    /// The policy padded past [`OVERSIZED_BODY`], chunked.
    OversizedBody,
    /// The policy with `Content-Length: OVERSIZED_LENGTH`, then the
    /// connection closes.
    OversizedLength,
}

/// A policy host's behaviour, built from [`PolicyBehaviour::serving`] and
/// refined with the builder methods:
///
/// - a normal host: [`PolicyBehaviour::serving`] with a good [`Identity`]
///   for `mta-sts.<domain>` and a valid policy;
/// - an untrusted CA, a certificate for another name, an expired one: an
///   identity issued that way (see [`TestCa`](crate::ca::TestCa)), given to
///   [`PolicyBehaviour::serving`] or [`PolicyBehaviour::certificate`];
/// - an invalid policy: the text given to [`PolicyBehaviour::serving`] or
///   [`PolicyBehaviour::policy`];
/// - HTTP answers a fetcher must refuse: [`PolicyBehaviour::redirect`],
///   [`PolicyBehaviour::status`], [`PolicyBehaviour::content_type`],
///   [`PolicyBehaviour::no_content_type`],
///   [`PolicyBehaviour::oversized_body`],
///   [`PolicyBehaviour::oversized_content_length`];
/// - slowness and silence: [`PolicyBehaviour::slow`],
///   [`PolicyBehaviour::drop_connection`].
///
/// Each change leaves the rest of the response as it is, so a test breaks
/// one thing at a time: a 404 still carries the policy as `text/plain`.
/// Requests for any other path than `/.well-known/mta-sts.txt` get a plain
/// 404 whatever the behaviour.
#[derive(Debug, Clone)]
pub struct PolicyBehaviour {
    pub(crate) tls: Arc<rustls::ServerConfig>,
    pub(crate) policy: String,
    pub(crate) status: u16,
    pub(crate) location: Option<String>,
    pub(crate) content_type: Option<String>,
    pub(crate) framing: Framing,
    pub(crate) delay: Option<Duration>,
    pub(crate) drop: bool,
}

impl PolicyBehaviour {
    /// A host that presents `identity` and answers `200 OK`,
    /// `Content-Type: text/plain`, with `policy` as the body and a true
    /// `Content-Length`.
    pub fn serving(identity: &Identity, policy: &str) -> PolicyBehaviour {
        PolicyBehaviour {
            tls: identity.rustls_server_config(),
            policy: policy.to_owned(),
            status: 200,
            location: None,
            content_type: Some("text/plain".to_owned()),
            framing: Framing::Length,
            delay: None,
            drop: false,
        }
    }

    /// Presents `identity` instead (an expired certificate, one for another
    /// name, one from an untrusted CA, a replayed one).
    pub fn certificate(self, identity: &Identity) -> PolicyBehaviour {
        self.tls_config(identity.rustls_server_config())
    }

    /// Serves TLS with any rustls configuration (e.g. TLS 1.2 only).
    pub fn tls_config(mut self, config: Arc<rustls::ServerConfig>) -> PolicyBehaviour {
        self.tls = config;
        self
    }

    /// Serves `text` as the policy.
    pub fn policy(mut self, text: &str) -> PolicyBehaviour {
        self.policy = text.to_owned();
        self
    }

    /// Answers `301 Moved Permanently` with `Location: to`; follow with
    /// [`PolicyBehaviour::status`] for 302, 307 or 308.
    pub fn redirect(mut self, to: &str) -> PolicyBehaviour {
        self.status = 301;
        self.location = Some(to.to_owned());
        self
    }

    /// Answers with this status code (e.g. 404, 500).
    pub fn status(mut self, code: u16) -> PolicyBehaviour {
        self.status = code;
        self
    }

    /// Sends this `Content-Type` (e.g. `text/html`, or
    /// `text/plain; charset=utf-8`).
    pub fn content_type(mut self, value: &str) -> PolicyBehaviour {
        self.content_type = Some(value.to_owned());
        self
    }

    /// Sends no `Content-Type` at all.
    pub fn no_content_type(mut self) -> PolicyBehaviour {
        self.content_type = None;
        self
    }

    /// Sends the policy with `Transfer-Encoding: chunked`, without
    /// `Content-Length`.
    pub fn chunked(mut self) -> PolicyBehaviour {
        self.framing = Framing::Chunked;
        self
    }

    /// Sends at least [`OVERSIZED_BODY`] bytes, chunked and without
    /// `Content-Length`, so only a reader that counts notices: the policy,
    /// then lines of an unknown key (`x-pad`), which a policy parser
    /// ignores — the size is the only fault.
    pub fn oversized_body(mut self) -> PolicyBehaviour {
        self.framing = Framing::OversizedBody;
        self
    }

    /// Announces `Content-Length:` [`OVERSIZED_LENGTH`], sends only the
    /// policy, and closes the connection.
    pub fn oversized_content_length(mut self) -> PolicyBehaviour {
        self.framing = Framing::OversizedLength;
        self
    }

    /// Waits `delay` after reading the request, before answering (or
    /// dropping the connection).
    pub fn slow(mut self, delay: Duration) -> PolicyBehaviour {
        self.delay = Some(delay);
        self
    }

    /// Reads the request and closes the connection without an answer.
    pub fn drop_connection(mut self) -> PolicyBehaviour {
        self.drop = true;
        self
    }
}
