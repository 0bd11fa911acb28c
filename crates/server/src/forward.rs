//! Forwarding on arrival (DESIGN §3): the recipients of a message sorted
//! into those delivered as addressed, bounces to our SRS addresses (sent
//! back to the sender they encode) and forwarded aliases (sent on to their
//! targets, with an SRS sender when the original sender was validated);
//! and the loops that forwarding must not feed: too many hops, or our own
//! `Delivered-To:` for the alias already in the message.

use std::time::SystemTime;

use auth::SrsError;
use smtp::Recipient;

use crate::config::Config;

/// `Received:` header fields a message may carry before we refuse to
/// forward it (Postfix's `hopcount_limit`; RFC 5321 §6.3 asks for a limit
/// of at least 100 for relaying, forwarding loops are shorter).
pub(crate) const MAX_HOPS: usize = 50;

/// One alias's copy of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Forward {
    /// The accepted address that forwards.
    pub alias: String,
    /// Where its mail goes.
    pub targets: Vec<String>,
}

/// The recipients of one message, sorted.
#[derive(Debug, Default)]
pub(crate) struct Split {
    /// Delivered as addressed (local or relayed).
    pub addressed: Vec<Recipient>,
    /// Bounces to our SRS addresses, rewritten to the address they encode.
    pub returned: Vec<Recipient>,
    /// Forwarded aliases.
    pub forwards: Vec<Forward>,
}

/// Whether `address` is one of our SRS addresses; `Some(result)` of
/// reversing it when it is.
pub(crate) fn reverse_srs(
    config: &Config,
    address: &str,
    now: SystemTime,
) -> Option<Result<String, SrsError>> {
    let settings = config.forwarding.srs.as_ref()?;
    let (_, domain) = address.rsplit_once('@')?;
    if !domain.eq_ignore_ascii_case(&settings.domain) || !auth::srs::is_srs(address) {
        return None;
    }
    Some(settings.srs.reverse(address, now))
}

/// Sorts `recipients`; an SRS address that no longer verifies is an error.
pub(crate) fn split(
    config: &Config,
    recipients: &[Recipient],
    now: SystemTime,
) -> Result<Split, SrsError> {
    let mut split = Split::default();
    for recipient in recipients {
        if let Some(reversed) = reverse_srs(config, &recipient.address, now) {
            let mut back = recipient.clone();
            back.address = reversed?;
            split.returned.push(back);
        } else if let Some(targets) = config.forwarding.targets(&recipient.address) {
            split.forwards.push(Forward {
                alias: recipient.address.clone(),
                targets: targets.to_vec(),
            });
        } else {
            split.addressed.push(recipient.clone());
        }
    }
    Ok(split)
}

/// Why forwarding `data` for `alias` would loop, if it would.
pub(crate) fn loop_in(data: &[u8], alias: &str) -> Option<String> {
    let headers = mail_parser::MessageParser::default().parse_headers(data)?;
    let mut hops = 0;
    for header in headers.headers() {
        let name = header.name.as_str();
        if name.eq_ignore_ascii_case("Received") {
            hops += 1;
        } else if name.eq_ignore_ascii_case("Delivered-To")
            && let Some(value) = header.value.as_text()
            && value
                .trim()
                .trim_matches(['<', '>'])
                .eq_ignore_ascii_case(alias)
        {
            return Some(format!("already delivered to {alias} (Delivered-To)"));
        }
    }
    // Our own Received: header is added to the copy: count it.
    (hops + 1 > MAX_HOPS).then(|| format!("{} hops, more than {MAX_HOPS}", hops + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_delivered_to_or_too_many_hops_is_a_loop() {
        let clean = b"Received: from a by b\r\nSubject: x\r\n\r\nbody";
        assert_eq!(loop_in(clean, "alice@sender.test"), None);
        let ours = b"Delivered-To: Alice@Sender.test\r\nSubject: x\r\n\r\nbody";
        assert!(
            loop_in(ours, "alice@sender.test")
                .unwrap()
                .contains("Delivered-To")
        );
        let other = b"Delivered-To: bob@sender.test\r\nSubject: x\r\n\r\nbody";
        assert_eq!(loop_in(other, "alice@sender.test"), None);
        let mut many = "Received: from a by b\r\n".repeat(MAX_HOPS);
        many.push_str("Subject: x\r\n\r\nbody");
        assert!(
            loop_in(many.as_bytes(), "alice@sender.test")
                .unwrap()
                .contains("51 hops")
        );
        let mut enough = "Received: from a by b\r\n".repeat(MAX_HOPS - 1);
        enough.push_str("Subject: x\r\n\r\nbody");
        assert_eq!(loop_in(enough.as_bytes(), "alice@sender.test"), None);
    }
}
