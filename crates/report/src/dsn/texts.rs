//! The words of a notice, in one table. What went wrong for each cause is
//! the `policy` trouble table's text; these are the frame around it.

use super::NoticeKind;

/// The subject line.
pub(super) fn subject(kind: NoticeKind) -> &'static str {
    match kind {
        NoticeKind::Failure => "Undelivered Mail Returned to Sender",
        NoticeKind::Delay => "Delayed Mail (still being retried)",
        NoticeKind::Success => "Successful Mail Delivery Report",
    }
}

/// The display name of the notice's sender.
pub(super) const FROM_NAME: &str = "Mail Delivery System";

/// The local part of the notice's sender (RFC 3464 §2: the notice comes
/// from the reporting MTA; its envelope sender is null).
pub(super) const FROM_LOCAL: &str = "MAILER-DAEMON";

/// The opening paragraph.
pub(super) fn opening(kind: NoticeKind) -> &'static str {
    match kind {
        NoticeKind::Failure => {
            "Your message could not be delivered to the recipients below. We \
             tried until the problem described for each of them made us give \
             up; the message is returned with this notice."
        }
        NoticeKind::Delay => {
            "Your message has not been delivered yet to the recipients below. \
             Nothing needs to be done now: we keep trying, and you will hear \
             from us again only if we have to give up."
        }
        NoticeKind::Success => {
            "Your message was delivered to the recipients below, as you asked \
             to be told (NOTIFY=SUCCESS)."
        }
    }
}

/// Labels of the human part, per recipient.
pub(super) const WHAT_HAPPENED: &str = "What happened";
pub(super) const WHAT_WAS_SEEN: &str = "What was seen";
pub(super) const SERVER: &str = "Receiving server";
pub(super) const SERVER_SAID: &str = "It replied";
pub(super) const LAST_TRIED: &str = "Last tried";
pub(super) const RETRY_UNTIL: &str = "We keep trying until";

/// The closing paragraph.
pub(super) fn closing(kind: NoticeKind) -> &'static str {
    match kind {
        NoticeKind::Failure => {
            "If the cause above names the recipient's administrator, forward \
             this notice to them (postmaster@ their domain) or reach the \
             recipient another way; if it names you, correct the address or \
             the message and send it again."
        }
        NoticeKind::Delay | NoticeKind::Success => "",
    }
}

/// The line that names the original message.
pub(super) const ORIGINAL: &str = "Your message";
