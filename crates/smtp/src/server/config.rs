//! What a server session offers and how far it lets a client go.

use std::sync::Arc;
use std::time::Duration;

use crate::capabilities::Capabilities;

/// Limits of a server session. The defaults are RFC 5321 §4.5.3's figures
/// where it gives one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// The longest command line, CRLF included; RFC 5321 §4.5.3.1.4: 512.
    /// Longer lines get 500 5.5.2.
    pub command_line: usize,
    /// The longest line of message data after DATA, CRLF included; RFC 5321
    /// §4.5.3.1.6: 1000. A message with a longer line gets 554 5.6.0.
    pub data_line: usize,
    /// The longest line of an AUTH exchange; RFC 4954 §4: 12288.
    pub auth_line: usize,
    /// The largest message, in octets: advertised with SIZE, enforced on
    /// `SIZE=` and on the data (552 5.3.4).
    pub message_size: usize,
    /// Recipients per transaction; one more gets 452 4.5.3. RFC 5321
    /// §4.5.3.1.8 requires at least 100. Default 1000.
    pub recipients: usize,
    /// Commands per session, then 421 4.7.0 and close. Default 10,000.
    pub commands: usize,
    /// Replies of class 5 per session, then 421 4.7.0 and close. Default 20.
    pub errors: usize,
    /// How long to wait for a command, a data line or a chunk, and for a
    /// write; then 421 4.4.2 and close. RFC 5321 §4.5.3.2.7: at least 5
    /// minutes.
    pub idle: Duration,
    /// Open sessions per client address. The listener counts them; a client
    /// over the limit gets [`crate::refuse`] with
    /// [`crate::replies::TOO_MANY_CONNECTIONS`]. Default 20.
    pub connections_per_client: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            command_line: 512,
            data_line: 1000,
            auth_line: 12288,
            message_size: 10 * 1024 * 1024,
            recipients: 1000,
            commands: 10_000,
            errors: 20,
            idle: Duration::from_secs(300),
            connections_per_client: 20,
        }
    }
}

/// How a server session behaves.
#[derive(Clone)]
pub struct ServerConfig {
    /// The name in the greeting, the EHLO reply and `Received:`.
    pub hostname: String,
    /// What EHLO advertises. STARTTLS is left out once under TLS, and
    /// REQUIRETLS and AUTH before it (RFC 8689 §4.1, RFC 4954 §4); SIZE
    /// carries [`Limits::message_size`]. STARTTLS may be advertised without
    /// a TLS configuration: the command then gets 454. AUTH lists the
    /// mechanisms offered, of `PLAIN` and `LOGIN`.
    pub capabilities: Capabilities,
    /// The TLS configuration for STARTTLS.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// How far a client may go.
    pub limits: Limits,
}

impl ServerConfig {
    /// A configuration with the default [`Limits`], PIPELINING, SIZE,
    /// 8BITMIME, SMTPUTF8, ENHANCEDSTATUSCODES and CHUNKING advertised, and
    /// no TLS, DSN or AUTH.
    pub fn new(hostname: impl Into<String>) -> ServerConfig {
        let limits = Limits::default();
        ServerConfig {
            hostname: hostname.into(),
            capabilities: Capabilities {
                pipelining: true,
                size: Some(limits.message_size as u64),
                eight_bit_mime: true,
                smtputf8: true,
                enhanced_status_codes: true,
                chunking: true,
                ..Capabilities::default()
            },
            tls: None,
            limits,
        }
    }

    /// Offers STARTTLS with `tls`, and REQUIRETLS under it.
    pub fn with_tls(mut self, tls: Arc<rustls::ServerConfig>) -> ServerConfig {
        self.tls = Some(tls);
        self.capabilities.starttls = true;
        self.capabilities.requiretls = true;
        self
    }

    /// Offers AUTH PLAIN and LOGIN under TLS; the handler checks the
    /// credentials ([`crate::Handler::authenticate`]).
    pub fn with_auth(mut self) -> ServerConfig {
        self.capabilities.auth = vec!["PLAIN".to_owned(), "LOGIN".to_owned()];
        self
    }
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("hostname", &self.hostname)
            .field("capabilities", &self.capabilities)
            .field("tls", &self.tls.is_some())
            .field("limits", &self.limits)
            .finish()
    }
}
