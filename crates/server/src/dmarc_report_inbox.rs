//! Our DMARC report address (`[dmarc_report] receive_address`): a
//! message to it is read as an aggregate report (RFC 7489 §7.2) before
//! the reply to DATA, kept in the store, and not queued for that
//! address. A message there that holds no readable report is refused
//! (550 5.6.0), the whole message, so nothing is bounced later; a store
//! that fails for now gets the 451 every unstored message gets.

use smtp::{Recipient, Reply, replies};
use tracing::{info, warn};

use crate::shared::Shared;

/// Whether `address` is our DMARC report address.
pub(crate) fn is_report_address(shared: &Shared, address: &str) -> bool {
    shared
        .config
        .dmarc_report
        .receive_address
        .as_deref()
        .is_some_and(|ours| ours.eq_ignore_ascii_case(address))
}

/// Takes the report address out of `recipients` and keeps the report in
/// `data`. `Some(reply)` ends the transaction with that reply (the report
/// was refused, or it was the only recipient); `None` lets the message be
/// queued for the other recipients.
pub(crate) async fn take(
    shared: &Shared,
    recipients: &mut Vec<Recipient>,
    data: &[u8],
) -> Option<Reply> {
    let before = recipients.len();
    recipients.retain(|r| !is_report_address(shared, &r.address));
    if recipients.len() == before {
        return None;
    }
    match report::dmarc::receive_mail(&*shared.store, data, shared.now()).await {
        Ok(received) => {
            info!(reporter = %smtp::untrusted(received.report.org_name()),
                report_id = %smtp::untrusted(received.report.report_id()),
                domain = %received.domain, duplicate = received.duplicate,
                "DMARC aggregate report received");
            recipients
                .is_empty()
                .then(|| replies::DMARC_REPORT_KEPT.reply_with(&received.domain))
        }
        Err(error) if error.is_temporary() => {
            warn!(error = %smtp::untrusted(&error.to_string()), "DMARC report not kept; the client was told to retry");
            Some(replies::NOT_STORED.reply())
        }
        Err(error) => {
            info!(error = %smtp::untrusted(&error.to_string()), "message to the DMARC report address refused");
            Some(replies::NOT_A_DMARC_REPORT.reply())
        }
    }
}
