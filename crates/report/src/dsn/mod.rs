//! Delivery status notifications (RFC 3464).

mod build;
mod fields;
mod texts;

use std::time::SystemTime;

use smtp::{DsnReturn, EnhancedCode};

pub use build::{build, from_address};

/// Which notice (RFC 3464 §2.3.3 `Action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// The recipient failed for good (bounced or expired).
    Failure,
    /// Not delivered yet; we keep trying.
    Delay,
    /// Delivered (`NOTIFY=SUCCESS`, RFC 3461 §4.1).
    Success,
}

/// What the notice says about one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientNotice {
    /// The recipient we tried (RFC 3464 §2.3.2 `Final-Recipient`).
    pub final_recipient: String,
    /// `ORCPT` as the client gave it (§2.3.1 `Original-Recipient`).
    pub original_recipient: Option<String>,
    /// The status code (§2.3.4).
    pub status: EnhancedCode,
    /// The MX host that answered, if one did (§2.3.5 `Remote-MTA`).
    pub remote_mta: Option<String>,
    /// The remote server's reply, as `smtp; 550 5.1.1 ...` (§2.3.6
    /// `Diagnostic-Code`), or our own diagnostic.
    pub diagnostic: Option<String>,
    /// When it was last tried (§2.3.7 `Last-Attempt-Date`).
    pub last_attempt: Option<SystemTime>,
    /// For a delay notice: when we give up (§2.3.8 `Will-Retry-Until`).
    pub will_retry_until: Option<SystemTime>,
    /// What went wrong, for the sender, from the trouble table.
    pub cause_text: String,
    /// What was seen (the technical detail), for the sender's administrator.
    pub detail: Option<String>,
}

/// Everything a notice is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice<'a> {
    /// Failure, delay or success.
    pub kind: NoticeKind,
    /// Our host name (`Reporting-MTA`, and the sender's domain of the notice).
    pub reporting_mta: &'a str,
    /// Who gets the notice: the original envelope sender (never empty).
    pub to: &'a str,
    /// When the original message arrived (`Arrival-Date`).
    pub arrival_date: SystemTime,
    /// When the notice is written (`Date:`).
    pub now: SystemTime,
    /// `ENVID` of the original message (`Original-Envelope-Id`).
    pub envelope_id: Option<&'a str>,
    /// `RET` of the original: the full message or its header only (the
    /// default, RFC 3461 §4.3, when absent).
    pub ret: Option<DsnReturn>,
    /// The original message as received.
    pub original: &'a [u8],
    /// Our queue id of the original, for the administrator.
    pub queue_id: &'a str,
    /// One entry per recipient reported on.
    pub recipients: Vec<RecipientNotice>,
}
