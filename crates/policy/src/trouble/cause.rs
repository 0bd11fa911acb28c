//! The causes of failure delivery can meet.

use serde::Serialize;
use smtp::{Reply, Stage};

use super::DnsStep;

/// The cause of a failure, as delivery saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Cause {
    /// The domain publishes a null MX: it accepts no mail (RFC 7505 §3).
    NullMx,
    /// The recipient domain does not exist (NXDOMAIN), or is not a domain name.
    NoSuchDomain,
    /// The MX host has no A or AAAA records.
    NoAddresses,
    /// A DNS query failed, not because of DNSSEC: SERVFAIL, REFUSED, timeout.
    DnsFailure {
        /// Which question.
        step: DnsStep,
    },
    /// Our own DNS resolver cannot serve DNSSEC: the trust anchor's zone
    /// does not validate through it, so no answer can be judged. A local
    /// problem, never the recipient's.
    LocalResolver,
    /// DNSSEC validation of a needed RRset failed (bogus, or could not conclude).
    DnssecInvalid {
        /// Which RRset.
        step: DnsStep,
    },
    /// The TCP connection to the host could not be opened.
    ConnectionFailed,
    /// The connection broke, timed out or was closed during the session.
    ConnectionLost {
        /// Where in the session.
        stage: Stage,
    },
    /// A limit on the attempt or the connection was reached (DESIGN §7: a
    /// hostile or dead destination costs bounded time): the connection was
    /// cut, or hosts and addresses were left untried. The detail names the
    /// limit's value and what was seen last.
    LimitReached {
        /// Which limit.
        limit: AttemptLimit,
    },
    /// The server broke the SMTP protocol (malformed or unexpected reply).
    RemoteProtocol {
        /// Where in the session.
        stage: Stage,
    },
    /// STARTTLS was required but not offered, or refused.
    StarttlsNotSupported,
    /// The TLS handshake failed without a certificate verdict (protocol
    /// versions, ciphers, an alert from the server).
    TlsFailed,
    /// The server's handshake signature does not verify with its
    /// certificate's key: it presented a chain it does not hold the key of.
    HandshakeSignatureInvalid,
    /// The certificate has expired, where expiry counts (DANE-TA, WebPKI).
    CertificateExpired,
    /// DANE: no TLSA record matches the certificate chain (RFC 7672 §3).
    TlsaInvalid,
    /// DANE-TA: a record matched, but the certificate is not valid for the
    /// MX host name (RFC 7672 §3.2.2).
    DaneCertificateHostMismatch,
    /// DANE: another check failed (chain not yet valid, malformed certificate).
    DaneValidationFailure,
    /// MTA-STS `enforce`: the MX host matches no `mx` pattern of the policy
    /// (RFC 8461 §4.1).
    StsMxNotInPolicy,
    /// MTA-STS: the certificate is not valid for the MX host name (RFC 8461 §4.2).
    StsCertificateHostMismatch,
    /// MTA-STS: the certificate does not chain to a trusted root (RFC 8461 §4.2).
    StsCertificateNotTrusted,
    /// MTA-STS: another certificate check failed.
    StsValidationFailure,
    /// The MTA-STS policy could not be fetched (RFC 8461 §3.3).
    StsPolicyFetch,
    /// The MTA-STS policy is not valid (RFC 8461 §3.2).
    StsPolicyInvalid,
    /// The MTA-STS policy host's certificate did not validate under WebPKI
    /// (RFC 8461 §3.3; TLS-RPT `sts-webpki-invalid`, RFC 8460 §4.3.2.2).
    StsPolicyHostCertificate,
    /// Local policy requires DANE and the host has no usable, DNSSEC-validated
    /// TLSA records.
    DaneRequired,
    /// Local policy requires MTA-STS and the host has neither DANE nor an
    /// enforce-mode MTA-STS policy covering it.
    StsRequired,
    /// The message carries REQUIRETLS (RFC 8689) and the host cannot honour it.
    RequireTlsUnavailable,
    /// The message is larger than the server accepts (RFC 1870 §6).
    MessageTooBig,
    /// The message needs SMTPUTF8 and the server does not offer it (RFC 6531 §3.5).
    Smtputf8Required,
    /// The message needs 8BITMIME and the server does not offer it (RFC 6152).
    EightBitMimeRequired,
    /// An address of the envelope cannot be sent.
    InvalidAddress,
    /// Sealane used the session wrongly; a bug, worth a retry.
    LocalSoftware,
    /// The server refused the session before the transaction: a 5xx
    /// greeting, or a 5xx to EHLO and to HELO. It says nothing final about
    /// the recipient, only about this host (as Postfix's
    /// `smtp_skip_5xx_greeting`): on to the next host, and temporary.
    SessionRefused {
        /// The greeting or EHLO/HELO.
        stage: Stage,
        /// The reply.
        reply: Reply,
    },
    /// The server answered with a 4xx reply.
    RemoteTemporary {
        /// To which command.
        stage: Stage,
        /// The reply.
        reply: Reply,
    },
    /// The server answered with a 5xx reply.
    RemotePermanent {
        /// To which command.
        stage: Stage,
        /// The reply.
        reply: Reply,
    },
}

/// A limit of one delivery attempt (Postfix's `smtp_mx_address_limit`,
/// `smtp_mx_session_limit`, `smtp_min_data_rate`; a deadline per attempt
/// and per connection).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum AttemptLimit {
    /// The deadline of the whole attempt passed; the hosts and addresses
    /// left were not tried.
    AttemptDeadline,
    /// The deadline of one connection passed; it was cut.
    ConnectionDeadline,
    /// The server took the message data slower than the minimum rate.
    MinDataRate,
    /// As many addresses as allowed per attempt were tried.
    Addresses,
    /// As many SMTP sessions (hosts that answered) as allowed per attempt
    /// were had.
    Sessions,
}

impl AttemptLimit {
    /// A lower-case name, as in the JSON form.
    pub const fn name(self) -> &'static str {
        match self {
            AttemptLimit::AttemptDeadline => "attempt-deadline",
            AttemptLimit::ConnectionDeadline => "connection-deadline",
            AttemptLimit::MinDataRate => "min-data-rate",
            AttemptLimit::Addresses => "addresses",
            AttemptLimit::Sessions => "sessions",
        }
    }
}

impl std::fmt::Display for AttemptLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
