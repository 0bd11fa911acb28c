//! SPF (RFC 7208): may this address send mail for this domain?
//!
//! The record grammar and macro expansion are mail-auth's; the `check_host()`
//! walk (RFC 7208 §4–§6) is here because every DNS question it asks must go
//! through Sealane's DNSSEC-validating resolver, with the processing limits
//! of §4.6.4 (ten DNS-querying terms, two void lookups) and a record of each
//! question for the trace.

mod ask;
mod eval;

use std::net::IpAddr;

use serde::Serialize;

pub use ask::LookupStep;

/// The result of an SPF evaluation (RFC 7208 §2.6).
///
/// There is no default: a caller that never ran SPF has no result, and
/// only [`SpfResult::Pass`] says the address is authorized.
#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SpfResult {
    /// No syntactically valid domain, or no SPF record (§2.6.1).
    None,
    /// The domain makes no assertion about the address (§2.6.2).
    Neutral,
    /// The address is authorized (§2.6.3).
    Pass,
    /// The address is explicitly not authorized (§2.6.4).
    Fail,
    /// The address is probably not authorized (§2.6.5).
    SoftFail,
    /// A transient DNS error; a later try may succeed (§2.6.6).
    TempError,
    /// The domain's records cannot be interpreted (§2.6.7).
    PermError,
}

impl SpfResult {
    /// The result name used in `Authentication-Results` (RFC 8601 §2.7.2).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Neutral => "neutral",
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::SoftFail => "softfail",
            Self::TempError => "temperror",
            Self::PermError => "permerror",
        }
    }

    /// True only for [`SpfResult::Pass`].
    pub fn is_pass(self) -> bool {
        self == Self::Pass
    }
}

impl std::fmt::Display for SpfResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which identity was checked (RFC 7208 §2.3, §2.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Identity {
    /// The HELO/EHLO name.
    Helo,
    /// The MAIL FROM address (or `postmaster@` the HELO name for a null
    /// reverse-path).
    MailFrom,
}

impl Identity {
    /// The `Authentication-Results` property (RFC 8601 §2.7.2).
    pub fn property(self) -> &'static str {
        match self {
            Self::Helo => "smtp.helo",
            Self::MailFrom => "smtp.mailfrom",
        }
    }
}

/// What one SPF check found, with the DNS questions behind it.
#[must_use]
#[derive(Clone, Debug, Serialize)]
pub struct SpfVerdict {
    /// The result.
    pub result: SpfResult,
    /// The identity checked.
    pub identity: Identity,
    /// The sender checked (`postmaster@<domain>` when there was no local part).
    pub sender: String,
    /// The domain whose policy was evaluated.
    pub domain: String,
    /// The domain's explanation for a `fail` (its `exp=`, RFC 7208 §6.2).
    pub explanation: Option<String>,
    /// Why the result is an error, in words.
    pub problem: Option<String>,
    /// Every DNS question asked, in order.
    pub lookups: Vec<LookupStep>,
}

/// The SMTP facts SPF needs.
#[derive(Clone, Debug)]
pub struct SpfInput<'a> {
    /// The client's address.
    pub ip: IpAddr,
    /// The HELO/EHLO name the client gave.
    pub helo: &'a str,
    /// The MAIL FROM address, without angle brackets; empty for `<>`.
    pub mail_from: &'a str,
    /// Our own host name, for the `%{r}` macro.
    pub receiver: &'a str,
}

/// Checks the HELO identity (RFC 7208 §2.3).
pub async fn check_helo(resolver: &dns::Resolver, input: &SpfInput<'_>) -> SpfVerdict {
    let sender = format!("postmaster@{}", input.helo);
    eval::check(resolver, input, Identity::Helo, input.helo, &sender).await
}

/// Checks the MAIL FROM identity (RFC 7208 §2.4); a null reverse-path is
/// checked as `postmaster@` the HELO name, and a missing local part as
/// `postmaster` (§4.3).
pub async fn check_mail_from(resolver: &dns::Resolver, input: &SpfInput<'_>) -> SpfVerdict {
    let (local, domain) = match input.mail_from.rsplit_once('@') {
        Some((local, domain)) => (local, domain),
        None if input.mail_from.is_empty() => ("", input.helo),
        None => ("", input.mail_from),
    };
    let local = if local.is_empty() {
        "postmaster"
    } else {
        local
    };
    let sender = format!("{local}@{domain}");
    eval::check(resolver, input, Identity::MailFrom, domain, &sender).await
}
