//! What became of each recipient, and what happened on each host: the
//! material of the message trace, DSNs and TLS-RPT.

use std::net::SocketAddr;

use policy::{DeliveryPlan, Requirement, Trouble};
use serde::Serialize;
use smtp::{EnhancedCode, Reply, SessionRecord};
use tls::VerificationOutcome;

use crate::failure_memory::ConnectionFailure;

/// Delivered, not yet, or never.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RecipientStatus {
    /// A server accepted the message for this recipient.
    Delivered,
    /// Not delivered this time; the queue tries again later.
    Deferred,
    /// Refused for good; the sender gets a non-delivery report.
    Failed,
}

/// The fate of one recipient.
#[derive(Debug, Clone, Serialize)]
pub struct RecipientOutcome {
    /// The recipient's address.
    pub address: String,
    /// Delivered, deferred or failed.
    pub status: RecipientStatus,
    /// The enhanced status code: the server's for a delivery, ours (from
    /// the trouble table) otherwise.
    pub code: Option<EnhancedCode>,
    /// The host that accepted or refused the recipient, if one did.
    pub host: Option<String>,
    /// The server's reply that decided, if there was one.
    pub reply: Option<Reply>,
    /// Why it was not delivered.
    pub trouble: Option<Trouble>,
}

impl RecipientOutcome {
    pub(crate) fn from_trouble(address: &str, trouble: &Trouble, host: Option<String>) -> Self {
        Self {
            address: address.to_owned(),
            status: if trouble.is_temporary() {
                RecipientStatus::Deferred
            } else {
                RecipientStatus::Failed
            },
            code: Some(trouble.code()),
            host,
            reply: None,
            trouble: Some(trouble.clone()),
        }
    }
}

/// One connection to one address of one MX host.
#[derive(Debug, Clone, Serialize)]
pub struct HostAttempt {
    /// The MX host name.
    pub host: String,
    /// The address and port connected to.
    pub address: SocketAddr,
    /// What the plan required of this host.
    pub requirement: Requirement,
    /// Whether this was a plaintext retry after STARTTLS failed on an
    /// opportunistic host (RFC 7435: better unencrypted than not at all,
    /// where nothing demands TLS).
    pub plaintext_retry: bool,
    /// The server's refusal of STARTTLS, after which the session went on in
    /// plaintext: the host requires no TLS (nothing published, or MTA-STS
    /// `testing`), and RFC 3207 §4 leaves the session usable (RFC 7435).
    pub starttls_refused: Option<Reply>,
    /// The SMTP session: greeting, capabilities, TLS version and cipher,
    /// every command and reply.
    pub session: Option<SessionRecord>,
    /// How the certificate was verified, and which TLSA record matched.
    pub verification: Option<VerificationOutcome>,
    /// What went wrong, if anything did.
    pub trouble: Option<Trouble>,
    /// Under an MTA-STS `testing` policy (RFC 8461 §5): what `enforce`
    /// would have refused on this session — the host not in the policy, no
    /// STARTTLS, a failed handshake, or a certificate WebPKI rejects for
    /// the MX host name — for TLS-RPT ([`Trouble::result_type`]). Delivery
    /// went on regardless.
    pub sts_testing_failure: Option<Trouble>,
    /// The recipients this host accepted.
    pub delivered: Vec<String>,
    /// Whether the connection failed below SMTP replies (could not connect,
    /// timed out, broke off, failed TLS), for the memory of recent
    /// failures ([`crate::HostFailureMemory`]).
    pub connection_failure: Option<ConnectionFailure>,
    /// Which transaction on the connection this was: 1 on a connection
    /// opened for it, more on one kept open after earlier messages under
    /// the same security context ([`crate::Connections`]); the session's
    /// verification and TLS are those of its opening.
    pub transaction: u32,
}

/// `trouble` (the last host's) with what each host that failed said added
/// to its detail, when more than one did: the deferral of the recipients no
/// host took, and the NDR when they expire, then name every host's reply
/// whatever the order of the MX hosts.
pub(crate) fn naming_every_host(mut trouble: Trouble, attempts: &[HostAttempt]) -> Trouble {
    let failed: Vec<String> = attempts
        .iter()
        .filter_map(|attempt| {
            let seen = attempt.trouble.as_ref()?;
            let said = match (seen.reply(), &seen.detail) {
                (Some(reply), _) => reply.to_string(),
                (None, Some(detail)) => detail.clone(),
                (None, None) => seen.code().to_string(),
            };
            let host = attempt.host.trim_end_matches('.');
            Some(format!("{host} [{}]: {said}", attempt.address.ip()))
        })
        .collect();
    if failed.len() < 2 {
        return trouble;
    }
    let hosts = format!("every host tried: {}", failed.join("; "));
    trouble.detail = Some(match trouble.detail.take() {
        Some(detail) => format!("{detail}; {hosts}"),
        None => hosts,
    });
    trouble
}

/// The result of [`crate::deliver`].
#[must_use]
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryReport {
    /// The plan followed.
    pub plan: DeliveryPlan,
    /// One outcome per recipient, in the message's order.
    pub recipients: Vec<RecipientOutcome>,
    /// Every connection made, in order.
    pub attempts: Vec<HostAttempt>,
}

impl DeliveryReport {
    /// The outcome for `address`.
    pub fn recipient(&self, address: &str) -> Option<&RecipientOutcome> {
        self.recipients.iter().find(|r| r.address == address)
    }
}
