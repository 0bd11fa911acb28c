//! How long the client waits at each step (RFC 5321 §4.5.3.2).

use std::time::Duration;

use serde::{Deserialize, Serialize};

const MINUTE: Duration = Duration::from_secs(60);

/// Per-step time limits of a client session.
///
/// The defaults are RFC 5321 §4.5.3.2's minimums; the RFC gives no figure
/// for connecting, EHLO and the other commands, nor for the TLS handshake,
/// so those defaults are explained on each field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeouts {
    /// Establishing the TCP connection. Default 30 s (not in the RFC).
    pub connect: Duration,
    /// Waiting for the 220 greeting; §4.5.3.2.1 "Initial 220 Message: 5 minutes".
    pub greeting: Duration,
    /// Replies to EHLO, HELO, STARTTLS, RSET, NOOP and QUIT. Default 5 minutes,
    /// the RFC's figure for the commands it does name.
    pub command: Duration,
    /// The TLS handshake after `220` to STARTTLS. Default 5 minutes.
    pub tls_handshake: Duration,
    /// Reply to MAIL; §4.5.3.2.2 "MAIL Command: 5 minutes".
    pub mail: Duration,
    /// Reply to each RCPT; §4.5.3.2.3 "RCPT Command: 5 minutes".
    pub rcpt: Duration,
    /// The 354 reply to DATA; §4.5.3.2.4 "DATA Initiation: 2 minutes".
    pub data_init: Duration,
    /// Each write of message data; §4.5.3.2.5 "Data Block: 3 minutes".
    pub data_block: Duration,
    /// Reply to the final dot; §4.5.3.2.6 "DATA Termination: 10 minutes".
    pub data_termination: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            connect: Duration::from_secs(30),
            greeting: 5 * MINUTE,
            command: 5 * MINUTE,
            tls_handshake: 5 * MINUTE,
            mail: 5 * MINUTE,
            rcpt: 5 * MINUTE,
            data_init: 2 * MINUTE,
            data_block: 3 * MINUTE,
            data_termination: 10 * MINUTE,
        }
    }
}

impl Timeouts {
    /// The same limit for every step; for tests and tools.
    pub const fn uniform(limit: Duration) -> Timeouts {
        Timeouts {
            connect: limit,
            greeting: limit,
            command: limit,
            tls_handshake: limit,
            mail: limit,
            rcpt: limit,
            data_init: limit,
            data_block: limit,
            data_termination: limit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_rfc_5321() {
        let t = Timeouts::default();
        assert_eq!(t.greeting, Duration::from_secs(300));
        assert_eq!(t.mail, Duration::from_secs(300));
        assert_eq!(t.rcpt, Duration::from_secs(300));
        assert_eq!(t.data_init, Duration::from_secs(120));
        assert_eq!(t.data_block, Duration::from_secs(180));
        assert_eq!(t.data_termination, Duration::from_secs(600));
    }
}
