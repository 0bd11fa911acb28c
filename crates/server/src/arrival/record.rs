//! The trace's copy of what sender authentication found.

use auth::{ArcVerdict, Checked, Identity, SpfVerdict};
use queue::{ArcRecord, AuthRecord, DkimRecord, DmarcRecord, SpfRecord};

use super::hop::Hop;
use crate::config::AuthSettings;

/// The record of `checked` for the received event, with the policy's
/// `verdict`.
pub(super) fn of(
    hop: &Hop,
    checked: &Checked<'_>,
    arc: &ArcVerdict,
    settings: &AuthSettings,
    verdict: String,
) -> AuthRecord {
    let spf = [checked.spf_helo, checked.spf_mail_from]
        .into_iter()
        .flatten()
        .map(spf_record)
        .collect();
    let dkim = checked
        .dkim
        .iter()
        .map(|d| DkimRecord {
            result: d.result.as_str().to_owned(),
            domain: d.domain.clone(),
            selector: d.selector.clone(),
            algorithm: d.algorithm.clone(),
            problem: d.problem.clone(),
        })
        .collect();
    let dmarc = checked.dmarc.map(|d| DmarcRecord {
        result: d.result.as_str().to_owned(),
        from_domain: d.from_domain.clone(),
        policy: d.policy.map(|p| p.as_str().to_owned()),
        disposition: d.disposition.as_str().to_owned(),
        spf_aligned: d.spf_aligned,
        dkim_aligned: d.dkim_aligned,
        problem: d.problem.clone(),
    });
    let arc = (arc.result != auth::ArcResult::None || arc.problem.is_some()).then(|| ArcRecord {
        result: arc.result.as_str().to_owned(),
        sealers: arc.hops.iter().map(|h| h.sealer.clone()).collect(),
        override_by: verdict
            .starts_with("override")
            .then(|| arc.trusted_dmarc_pass(&settings.trusted_arc_sealers))
            .flatten()
            .map(str::to_owned),
        problem: arc.problem.clone(),
    });
    AuthRecord {
        evaluated_ip: Some(hop.ip),
        gateway: hop.gateway,
        spf,
        dkim,
        dmarc,
        arc,
        verdict,
    }
}

fn spf_record(spf: &SpfVerdict) -> SpfRecord {
    SpfRecord {
        identity: match spf.identity {
            Identity::Helo => "helo",
            Identity::MailFrom => "mailfrom",
        }
        .to_owned(),
        sender: spf.sender.clone(),
        result: spf.result.as_str().to_owned(),
        detail: spf.explanation.clone().or_else(|| spf.problem.clone()),
    }
}
