//! Sender authentication of a message arriving on the MX listener, before
//! the reply to DATA: SPF for HELO and MAIL FROM, DKIM, DMARC, our
//! `Authentication-Results` header and the removal of forged ones.

use auth::dmarc::{self, DmarcResult, Policy};
use auth::{Checked, SpfInput};
use smtp::{ReceivedMessage, replies};
use tracing::info;

use crate::config::DmarcAction;
use crate::shared::Shared;

/// What arrival authentication decided.
pub(crate) enum Arrival {
    /// Take the message: our header field first, then the message without
    /// forged results.
    Accept {
        /// The `Authentication-Results` header field, with its CRLF.
        header: String,
        /// The message with header fields claiming our authserv-id removed.
        data: Vec<u8>,
        /// SPF passed for MAIL FROM, or a DKIM signature of the sender's
        /// domain verified: the sender may be vouched for when forwarding.
        sender_validated: bool,
    },
    /// Refuse it with this reply.
    Refuse(smtp::Reply),
}

/// Authenticates `message` (RFC 7208, RFC 6376, RFC 7489) through the
/// daemon's resolver.
pub(crate) async fn check(shared: &Shared, message: &ReceivedMessage) -> Arrival {
    let settings = &shared.config.auth;
    let (data, forged) = auth::strip_ours(&message.data, &settings.authserv_id);
    let helo = message.session.helo.clone().unwrap_or_default();
    let sender = message.envelope.sender.clone();
    let input = SpfInput {
        ip: message.session.client.ip(),
        helo: &helo,
        mail_from: &sender,
        receiver: &shared.config.hostname,
    };
    let resolver = &shared.resolver;
    let spf_helo = auth::check_helo(resolver, &input).await;
    let spf = auth::check_mail_from(resolver, &input).await;
    let dkim = auth::dkim::verify(resolver, &data).await;
    let dmarc = match dmarc::author_domain(&data) {
        Ok(domain) => Some(dmarc::evaluate(resolver, &domain, &spf, &dkim, roll(&data)).await),
        Err(_) => None,
    };
    info!(client = %message.session.client, spf_helo = %spf_helo.result, spf = %spf.result,
        dkim = ?dkim.iter().map(|d| d.result.as_str()).collect::<Vec<_>>(),
        dmarc = dmarc.as_ref().map_or("none", |d| d.result.as_str()),
        forged_results_removed = forged, "sender authentication");
    if let Some(verdict) = &dmarc
        && verdict.result == DmarcResult::Fail
        && verdict.disposition == Policy::Reject
        && settings.dmarc_reject == DmarcAction::Reject
    {
        return Arrival::Refuse(replies::DMARC_REJECTED.reply_with(&verdict.from_domain));
    }
    let checked = Checked {
        spf_helo: Some(&spf_helo),
        spf_mail_from: Some(&spf),
        dkim: &dkim,
        dmarc: dmarc.as_ref(),
    };
    let sender_domain = sender.rsplit_once('@').map(|(_, d)| d);
    let sender_validated = spf.result == auth::SpfResult::Pass
        || dkim.iter().any(|d| {
            d.result == auth::DkimResult::Pass
                && sender_domain.is_some_and(|s| s.eq_ignore_ascii_case(&d.domain))
        });
    Arrival::Accept {
        header: auth::authentication_results(&settings.authserv_id, &checked),
        data,
        sender_validated,
    }
}

/// The `pct` sample of a message (RFC 7489 §6.6.4): 0 to 99, from a hash
/// of its content, so a retried message is sampled the same way.
fn roll(data: &[u8]) -> u8 {
    let hash = data.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    });
    (hash % 100) as u8
}
