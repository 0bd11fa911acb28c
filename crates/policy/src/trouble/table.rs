//! The one table: for each cause, whether it is temporary, whether it is a
//! security failure, its enhanced status codes (now and at expiry), its
//! TLS-RPT result type, its scope and the text the sender reads.
//!
//! Codes follow DESIGN §2 "Status codes"; the others RFC 3463 §3 (and RFC
//! 7505 §4.2 for `5.1.10`, RFC 8689 §5 for `x.7.30`). Texts name the cause
//! and say who must do what.

use smtp::{Class, EnhancedCode, Reply, Stage};

use super::{AttemptLimit, Cause, DnsStep, RptResultType, Scope};

/// What one cause means.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    /// A later attempt may succeed; the recipient is deferred.
    pub temporary: bool,
    /// A failure of a security check; such failures are never permanent
    /// before the message expires (DESIGN §2).
    pub security: bool,
    /// The code while temporary (`4.x.x`).
    pub code: EnhancedCode,
    /// The code of the final NDR (`5.x.x`).
    pub final_code: EnhancedCode,
    /// RFC 8460 §4.3 result type.
    pub result_type: Option<RptResultType>,
    /// What the failure stops.
    pub scope: Scope,
    /// For the sender.
    pub text: &'static str,
}

const fn code(class: Class, subject: u16, detail: u16) -> EnhancedCode {
    EnhancedCode::new(class, subject, detail)
}

/// A temporary failure with the `4.s.d` / `5.s.d` pair.
const fn temporary(
    subject: u16,
    detail: u16,
    security: bool,
    result_type: Option<RptResultType>,
    scope: Scope,
    text: &'static str,
) -> Entry {
    Entry {
        temporary: true,
        security,
        code: code(Class::Transient, subject, detail),
        final_code: code(Class::Permanent, subject, detail),
        result_type,
        scope,
        text,
    }
}

/// A security failure on this host: always temporary (DESIGN §2).
const fn security(
    subject: u16,
    detail: u16,
    result_type: Option<RptResultType>,
    scope: Scope,
    text: &'static str,
) -> Entry {
    temporary(subject, detail, true, result_type, scope, text)
}

/// A permanent failure: `5.s.d` now and at the end.
const fn permanent(subject: u16, detail: u16, scope: Scope, text: &'static str) -> Entry {
    Entry {
        temporary: false,
        security: false,
        code: code(Class::Permanent, subject, detail),
        final_code: code(Class::Permanent, subject, detail),
        result_type: None,
        scope,
        text,
    }
}

use RptResultType as R;
use Scope::{Domain, Host, Recipient};

/// The table.
pub(crate) fn entry(cause: &Cause) -> Entry {
    match cause {
        Cause::NullMx => permanent(
            1,
            10,
            Domain,
            "the recipient's domain publishes a null MX record (RFC 7505): it accepts no mail; \
             check the recipient address for typing errors",
        ),
        Cause::NoSuchDomain => permanent(
            1,
            2,
            Domain,
            "the recipient's domain does not exist in the DNS; check the recipient address for \
             typing errors",
        ),
        Cause::NoAddresses => temporary(
            4,
            4,
            false,
            None,
            Host,
            "the receiving domain's mail server name has no IPv4 or IPv6 address in the DNS; the \
             recipient's administrator must publish A or AAAA records for it or correct the MX \
             records",
        ),
        Cause::DnsFailure { step } => temporary(
            4,
            312,
            false,
            None,
            dns_scope(*step),
            "a DNS lookup needed to deliver the message failed (server failure or no answer); \
             this is usually temporary, and if it persists the recipient's administrator must \
             check that the domain's name servers answer",
        ),
        // RFC 3463 §3.5 X.4.3 "directory server failure": the sender's own
        // name service is unavailable; temporary, as a resolver is repaired.
        Cause::LocalResolver => temporary(
            4,
            3,
            false,
            None,
            Domain,
            "the sending system's own DNS resolver cannot serve DNSSEC (the trust anchor's zone \
             does not validate through it), so the recipient's DNS could not be checked; this is \
             a problem of the sending system, not of the recipient: its postmaster must point \
             Sealane at a resolver that answers and passes DNSSEC records on, or correct the \
             trust anchors",
        ),
        Cause::DnssecInvalid { step } => security(
            7,
            324,
            Some(R::DnssecInvalid),
            dns_scope(*step),
            "the receiving domain's DNS records failed DNSSEC validation (bad, expired or missing \
             signatures), so they cannot be trusted and the message was not sent; the \
             recipient's administrator must fix the domain's DNSSEC signatures or DS records",
        ),
        Cause::ConnectionFailed => temporary(
            4,
            1,
            false,
            None,
            Host,
            "the receiving mail server could not be reached (connection refused or timed out); \
             this is usually temporary, and if it persists the recipient's administrator must \
             check that the mail server accepts connections on port 25",
        ),
        Cause::LimitReached { limit } => match limit {
            AttemptLimit::ConnectionDeadline | AttemptLimit::MinDataRate => temporary(
                4,
                2,
                false,
                None,
                Host,
                "the receiving mail server was too slow: the connection was cut when it reached \
                 our time limit for one connection or our minimum data rate; this is usually \
                 temporary, and if it persists the recipient's administrator must check the mail \
                 server and its network",
            ),
            _ => temporary(
                4,
                1,
                false,
                None,
                Host,
                "no receiving mail server took the message within this attempt's limits (time, \
                 addresses or sessions tried); it will be tried again later, and if this \
                 persists the recipient's administrator must check that the domain's mail \
                 servers answer",
            ),
        },
        Cause::ConnectionLost { .. } => temporary(
            4,
            2,
            false,
            None,
            Host,
            "the connection to the receiving mail server broke or timed out during the session; \
             this is usually temporary, and if it persists the recipient's administrator must \
             check the mail server and its network",
        ),
        Cause::RemoteProtocol { .. } => temporary(
            5,
            0,
            false,
            None,
            Host,
            "the receiving mail server broke the SMTP protocol (a malformed or unexpected reply); \
             the recipient's administrator must check the mail server software",
        ),
        Cause::StarttlsNotSupported => security(
            7,
            321,
            Some(R::StarttlsNotSupported),
            Host,
            "the receiving domain requires encrypted delivery (DANE, MTA-STS or local policy), \
             but its mail server did not offer STARTTLS; the recipient's administrator must \
             enable STARTTLS on the mail server, or find what removes it on the way",
        ),
        Cause::TlsFailed => security(
            7,
            5,
            Some(R::ValidationFailure),
            Host,
            "the TLS handshake with the receiving mail server failed; the recipient's \
             administrator must check the server's TLS configuration (TLS 1.2 or later, a \
             certificate and its key)",
        ),
        Cause::HandshakeSignatureInvalid => security(
            7,
            5,
            Some(R::ValidationFailure),
            Host,
            "the receiving mail server presented a certificate whose private key it does not \
             hold (its handshake signature did not verify), which may be an impersonation \
             attempt; the recipient's administrator must check the server's certificate and key",
        ),
        Cause::CertificateExpired => security(
            7,
            322,
            Some(R::CertificateExpired),
            Host,
            "the receiving mail server's certificate has expired; the recipient's administrator \
             must renew the certificate",
        ),
        Cause::TlsaInvalid => security(
            7,
            323,
            Some(R::TlsaInvalid),
            Host,
            "the receiving domain publishes DANE TLSA records, but no record matched the \
             certificate its mail server presented; the recipient's administrator must update \
             the TLSA records or the certificate",
        ),
        Cause::DaneCertificateHostMismatch => security(
            7,
            323,
            Some(R::CertificateHostMismatch),
            Host,
            "the receiving domain publishes DANE TLSA records naming a certificate authority, \
             but the certificate its mail server presented is not valid for the mail server's \
             name; the recipient's administrator must fix the certificate's names or the TLSA \
             records",
        ),
        Cause::DaneValidationFailure => security(
            7,
            323,
            Some(R::ValidationFailure),
            Host,
            "the receiving domain publishes DANE TLSA records, but the certificate chain its \
             mail server presented could not be checked against them (not yet valid, or \
             malformed); the recipient's administrator must fix the certificate chain or the \
             TLSA records",
        ),
        Cause::StsMxNotInPolicy => security(
            7,
            5,
            Some(R::ValidationFailure),
            Host,
            "the receiving domain's MTA-STS policy does not list the mail server its MX records \
             point to; the recipient's administrator must add the server to the policy's mx \
             lines or correct the MX records",
        ),
        Cause::StsCertificateHostMismatch => security(
            7,
            5,
            Some(R::CertificateHostMismatch),
            Host,
            "the receiving domain enforces MTA-STS, but its mail server's certificate is not \
             valid for the mail server's name; the recipient's administrator must install a \
             certificate that names the MX host",
        ),
        Cause::StsCertificateNotTrusted => security(
            7,
            5,
            Some(R::CertificateNotTrusted),
            Host,
            "the receiving domain enforces MTA-STS, but its mail server's certificate is not \
             issued by a trusted certificate authority (self-signed, or the chain is \
             incomplete); the recipient's administrator must install a publicly trusted \
             certificate with its full chain",
        ),
        Cause::StsValidationFailure => security(
            7,
            5,
            Some(R::ValidationFailure),
            Host,
            "the receiving domain enforces MTA-STS, but its mail server's certificate could not \
             be validated; the recipient's administrator must check the server's certificate",
        ),
        Cause::StsPolicyFetch => security(
            7,
            5,
            Some(R::StsPolicyFetchError),
            Domain,
            "the receiving domain announces an MTA-STS policy, but the policy could not be \
             fetched from its mta-sts web host; the recipient's administrator must fix the \
             policy host or remove the _mta-sts record",
        ),
        Cause::StsPolicyInvalid => security(
            7,
            5,
            Some(R::StsPolicyInvalid),
            Domain,
            "the receiving domain's MTA-STS policy is not valid; the recipient's administrator \
             must correct the policy file",
        ),
        Cause::StsPolicyHostCertificate => security(
            7,
            5,
            Some(R::StsWebpkiInvalid),
            Domain,
            "the receiving domain announces an MTA-STS policy, but the certificate of its \
             mta-sts web host did not validate (untrusted, expired or for another name); the \
             recipient's administrator must install a valid certificate on the policy host",
        ),
        Cause::DaneRequired => security(
            7,
            5,
            Some(R::DaneRequired),
            Host,
            "local policy requires DANE for this domain, but its mail server has no usable \
             DNSSEC-signed TLSA records; the recipient's administrator must publish them, or \
             the sending system's administrator must change the local policy",
        ),
        Cause::StsRequired => security(
            7,
            5,
            None,
            Host,
            "local policy requires MTA-STS (or DANE) for this domain, but no enforce-mode MTA-STS \
             policy covers its mail server; the recipient's administrator must publish one, or \
             the sending system's administrator must change the local policy",
        ),
        Cause::RequireTlsUnavailable => security(
            7,
            30,
            None,
            Host,
            "the message requires authenticated TLS all the way (REQUIRETLS, RFC 8689), but the \
             receiving mail server could not be authenticated or does not offer REQUIRETLS; the \
             sender may resend without REQUIRETLS",
        ),
        Cause::MessageTooBig => permanent(
            3,
            4,
            Recipient,
            "the message is larger than the receiving mail server accepts; send a smaller \
             message, or share large files another way",
        ),
        Cause::Smtputf8Required => permanent(
            6,
            7,
            Recipient,
            "the message has non-ASCII addresses or headers and the receiving mail server does \
             not support them (SMTPUTF8); use ASCII addresses",
        ),
        Cause::EightBitMimeRequired => permanent(
            6,
            3,
            Recipient,
            "the message has 8-bit content and the receiving mail server does not accept it \
             (8BITMIME); send it with a 7-bit transfer encoding",
        ),
        Cause::InvalidAddress => permanent(
            1,
            3,
            Recipient,
            "an address of the message cannot be sent over SMTP (forbidden characters); check \
             the sender and recipient addresses",
        ),
        Cause::LocalSoftware => temporary(
            3,
            0,
            false,
            None,
            Host,
            "the sending system made an internal error and will try again; if it persists, tell \
             its administrator",
        ),
        Cause::SessionRefused { reply, .. } => Entry {
            temporary: true,
            security: false,
            code: reply_code(reply, Class::Transient),
            final_code: reply_code(reply, Class::Permanent),
            result_type: None,
            scope: Host,
            text: "a receiving mail server refused the connection before the message was \
                   offered (a 5xx greeting or reply to EHLO), which says nothing final about \
                   the recipient; it will be retried, and if it persists the recipient's \
                   administrator must check why the server refuses the sending system (the \
                   server's reply says why)",
        },
        Cause::RemoteTemporary { stage, reply } => Entry {
            temporary: true,
            security: false,
            code: reply_code(reply, Class::Transient),
            final_code: reply_code(reply, Class::Permanent),
            result_type: None,
            scope: reply_scope(*stage),
            text: "the receiving mail server deferred the message with a temporary error; it \
                   will be retried, and the server's reply says why",
        },
        Cause::RemotePermanent { stage, reply } => Entry {
            temporary: false,
            security: false,
            code: reply_code(reply, Class::Permanent),
            final_code: reply_code(reply, Class::Permanent),
            result_type: None,
            scope: reply_scope(*stage),
            text: "the receiving mail server refused the message; the server's reply says why, \
                   and only the recipient's administrator can change it",
        },
    }
}

fn dns_scope(step: DnsStep) -> Scope {
    match step {
        DnsStep::Mx | DnsStep::Txt => Domain,
        DnsStep::Address | DnsStep::Tlsa => Host,
    }
}

/// A reply's own enhanced code, in the class given (RFC 3463 §2: the class
/// of the enhanced code matches the reply code's); `x.0.0` without one.
fn reply_code(reply: &Reply, class: Class) -> EnhancedCode {
    reply
        .enhanced
        .map_or(code(class, 0, 0), |enhanced| enhanced.with_class(class))
}

/// Replies before the transaction concern the host; replies within it, the
/// recipients of the transaction (RFC 5321 §3.3, §4.2.5).
fn reply_scope(stage: Stage) -> Scope {
    match stage {
        Stage::Mail | Stage::Rcpt | Stage::Data | Stage::DataBlock | Stage::DataEnd => Recipient,
        _ => Host,
    }
}
