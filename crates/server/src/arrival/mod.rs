//! Sender authentication of a message arriving on the MX listener, before
//! the reply to DATA: SPF for HELO and MAIL FROM (of the first hop from
//! outside the trusted gateways), DKIM, DMARC, ARC, our
//! `Authentication-Results` header and the removal of forged ones, then
//! the arrival policy: refuse, quarantine, or accept and mark.

mod dmarc_row;
mod hop;
mod record;

use auth::dmarc::{self, DmarcResult, DmarcVerdict, Policy};
use auth::{ArcVerdict, Checked, SpfInput, SpfResult, SpfVerdict};
use smtp::{ReceivedMessage, replies};
use tracing::info;

use crate::config::{AuthSettings, DmarcAction, QuarantineAction};
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
        /// Every result, for the trace.
        record: Box<queue::AuthRecord>,
        /// Why the message goes to quarantine, if it does.
        quarantine: Option<String>,
        /// SPF passed for MAIL FROM, or a DKIM signature of the sender's
        /// domain verified: the sender may be vouched for when forwarding.
        sender_validated: bool,
        /// What an ARC set we add to a copy records (`crate::sealing`).
        seal_facts: Box<crate::sealing::SealFacts>,
    },
    /// Refuse it with this reply.
    Refuse(smtp::Reply),
}

/// What the arrival policy makes of the results.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Decision {
    Accept,
    Mark(String),
    Quarantine(String),
    Override(String),
    Refuse(smtp::Reply),
}

/// Authenticates `message` (RFC 7208, RFC 6376, RFC 7489, RFC 8617)
/// through the daemon's resolver and applies the arrival policy.
pub(crate) async fn check(shared: &Shared, message: &ReceivedMessage) -> Arrival {
    let settings = &shared.config.auth;
    let (data, forged) = auth::strip_ours(&message.data, &settings.authserv_id);
    let hop = hop::outside_hop(
        message.session.client.ip(),
        message.session.helo.as_deref().unwrap_or_default(),
        &data,
        &settings.trusted_gateways,
    );
    let sender = message.envelope.sender.clone();
    let input = SpfInput {
        ip: hop.ip,
        helo: &hop.helo,
        mail_from: &sender,
        receiver: &shared.config.hostname,
    };
    let resolver = &shared.resolver;
    let spf_helo = auth::check_helo(resolver, &input).await;
    let spf = auth::check_mail_from(resolver, &input).await;
    let dkim = auth::dkim::verify(resolver, &data).await;
    let dmarc = match dmarc::author_domain(&data) {
        Ok(domain) => {
            Some(dmarc::evaluate(resolver, &domain, &spf, &dkim, dmarc::roll(&data)).await)
        }
        Err(_) => None,
    };
    let arc = auth::arc::verify(resolver, &data).await;
    let decision = decide(settings, &spf, dmarc.as_ref(), &arc);
    if let Some(dmarc) = &dmarc {
        let evaluated = dmarc_row::Evaluated {
            hop: &hop,
            mail_from: &sender,
            spf_helo: &spf_helo,
            spf: &spf,
            dkim: &dkim,
            dmarc,
            arc: &arc,
        };
        dmarc_row::count(shared, &evaluated, &decision);
    }
    info!(client = %message.session.client, evaluated = %hop.ip, spf_helo = %spf_helo.result, spf = %spf.result,
        dkim = ?dkim.iter().map(|d| d.result.as_str()).collect::<Vec<_>>(),
        dmarc = dmarc.as_ref().map_or("none", |d| d.result.as_str()),
        arc = arc.result.as_str(), decision = ?decision,
        forged_results_removed = forged, "sender authentication");
    let (verdict, quarantine) = match decision {
        Decision::Refuse(reply) => return Arrival::Refuse(reply),
        Decision::Accept => ("accept".to_owned(), None),
        Decision::Mark(why) => (format!("mark: {why}"), None),
        Decision::Override(why) => (format!("override: {why}"), None),
        Decision::Quarantine(why) => (format!("quarantine: {why}"), Some(why)),
    };
    let checked = Checked {
        spf_helo: Some(&spf_helo),
        spf_mail_from: Some(&spf),
        dkim: &dkim,
        dmarc: dmarc.as_ref(),
        arc: Some(&arc),
    };
    let record = Box::new(record::of(&hop, &checked, &arc, settings, verdict));
    let sender_domain = sender.rsplit_once('@').map(|(_, d)| d);
    let sender_validated = spf.result == auth::SpfResult::Pass
        || dkim.iter().any(|d| {
            d.result == auth::DkimResult::Pass
                && sender_domain.is_some_and(|s| s.eq_ignore_ascii_case(&d.domain))
        });
    let header = auth::authentication_results(&settings.authserv_id, &checked);
    let seal_facts = Box::new(crate::sealing::SealFacts {
        ip: hop.ip,
        helo: hop.helo,
        mail_from: sender,
        spf,
        dmarc,
    });
    Arrival::Accept {
        header,
        data,
        record,
        quarantine,
        sender_validated,
        seal_facts,
    }
}

/// The arrival policy (RFC 7489 §6.6.4 leaves it to the receiver): a
/// DMARC failure gets what the domain asked for, as configured, unless a
/// trusted ARC sealer vouches for the message; an SPF `fail` of a domain
/// without DMARC is refused only when configured.
fn decide(
    settings: &AuthSettings,
    spf: &SpfVerdict,
    dmarc: Option<&DmarcVerdict>,
    arc: &ArcVerdict,
) -> Decision {
    if let Some(verdict) = dmarc.filter(|d| d.result == DmarcResult::Fail) {
        let domain = &verdict.from_domain;
        if let Some(sealer) = arc.trusted_dmarc_pass(&settings.trusted_arc_sealers) {
            return Decision::Override(format!(
                "DMARC failure of {domain} overridden by trusted ARC sealer {sealer} (cv=pass, dmarc=pass)"
            ));
        }
        let failed = format!(
            "DMARC p={} of {domain} failed",
            verdict.policy.map_or("none", Policy::as_str)
        );
        return match (
            verdict.disposition,
            settings.dmarc_reject,
            settings.dmarc_quarantine,
        ) {
            (Policy::Reject, DmarcAction::Reject, _) => {
                Decision::Refuse(replies::DMARC_REJECTED.reply_with(domain))
            }
            (Policy::Reject, DmarcAction::Quarantine, _)
            | (Policy::Quarantine, _, QuarantineAction::Quarantine) => Decision::Quarantine(failed),
            _ => Decision::Mark(failed),
        };
    }
    let without_dmarc = dmarc.is_none_or(|d| d.result == DmarcResult::None);
    if spf.result == SpfResult::Fail && without_dmarc {
        if settings.spf_fail_reject {
            return Decision::Refuse(replies::SPF_REJECTED.reply_with(&spf.domain));
        }
        return Decision::Mark(format!("SPF fail for {} without DMARC", spf.domain));
    }
    Decision::Accept
}

#[cfg(test)]
mod tests {
    use super::*;
    use auth::{ArcHop, ArcResult, Identity};

    fn settings() -> AuthSettings {
        AuthSettings {
            authserv_id: "mx.test".into(),
            dmarc_reject: DmarcAction::Reject,
            dmarc_quarantine: QuarantineAction::Quarantine,
            spf_fail_reject: true,
            trusted_gateways: Vec::new(),
            trusted_arc_sealers: vec!["lists.test".into()],
        }
    }

    fn spf(result: SpfResult) -> SpfVerdict {
        SpfVerdict {
            result,
            identity: Identity::MailFrom,
            sender: "a@a.test".into(),
            domain: "a.test".into(),
            explanation: None,
            problem: None,
            lookups: Vec::new(),
        }
    }

    fn dmarc(result: DmarcResult, policy: Policy, disposition: Policy) -> DmarcVerdict {
        DmarcVerdict {
            result,
            from_domain: "a.test".into(),
            policy_domain: Some("a.test".into()),
            policy: Some(policy),
            disposition,
            spf_aligned: false,
            dkim_aligned: false,
            problem: None,
        }
    }

    fn no_arc() -> ArcVerdict {
        ArcVerdict {
            result: ArcResult::None,
            hops: Vec::new(),
            problem: None,
        }
    }

    #[test]
    fn a_temporary_dmarc_error_never_refuses_even_with_spf_fail() {
        let d = dmarc(DmarcResult::TempError, Policy::Reject, Policy::None);
        assert_eq!(
            decide(&settings(), &spf(SpfResult::Fail), Some(&d), &no_arc()),
            Decision::Accept
        );
    }

    #[test]
    fn pct_softened_reject_is_quarantined_and_p_none_only_marked() {
        let softened = dmarc(DmarcResult::Fail, Policy::Reject, Policy::Quarantine);
        assert!(matches!(
            decide(
                &settings(),
                &spf(SpfResult::Fail),
                Some(&softened),
                &no_arc()
            ),
            Decision::Quarantine(_)
        ));
        let monitor = dmarc(DmarcResult::Fail, Policy::None, Policy::None);
        assert!(matches!(
            decide(
                &settings(),
                &spf(SpfResult::Fail),
                Some(&monitor),
                &no_arc()
            ),
            Decision::Mark(_)
        ));
    }

    #[test]
    fn a_trusted_sealer_overrides_only_a_passing_chain() {
        let d = dmarc(DmarcResult::Fail, Policy::Reject, Policy::Reject);
        let mut arc = ArcVerdict {
            result: ArcResult::Pass,
            hops: vec![ArcHop {
                instance: 1,
                sealer: "lists.test".into(),
                dmarc: Some("pass".into()),
            }],
            problem: None,
        };
        assert!(matches!(
            decide(&settings(), &spf(SpfResult::Fail), Some(&d), &arc),
            Decision::Override(_)
        ));
        arc.result = ArcResult::Fail;
        assert!(matches!(
            decide(&settings(), &spf(SpfResult::Fail), Some(&d), &arc),
            Decision::Refuse(_)
        ));
    }

    #[test]
    fn spf_softfail_without_dmarc_is_accepted() {
        assert_eq!(
            decide(&settings(), &spf(SpfResult::SoftFail), None, &no_arc()),
            Decision::Accept
        );
    }
}
