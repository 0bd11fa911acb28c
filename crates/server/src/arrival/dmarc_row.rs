//! What aggregate reporting (RFC 7489 §7.2) counts of an arrival: the
//! row of the Domain Owner's report, with what we did and, where that
//! differs from what the policy asked, why (Appendix C
//! `PolicyOverrideType`).

use auth::dmarc::{DmarcResult, DmarcVerdict, Policy};
use auth::{ArcVerdict, DkimVerdict, SpfVerdict};
use queue::{DmarcDkim, DmarcObservation, DmarcOverride, DmarcRow, DmarcSpf, utc_day};

use super::Decision;
use super::hop::Hop;
use crate::config::AuthSettings;
use crate::shared::Shared;

/// The results of one arrival, as the row needs them.
pub(super) struct Evaluated<'a> {
    pub hop: &'a Hop,
    pub mail_from: &'a str,
    pub spf_helo: &'a SpfVerdict,
    pub spf: &'a SpfVerdict,
    pub dkim: &'a [DkimVerdict],
    pub dmarc: &'a DmarcVerdict,
    pub arc: &'a ArcVerdict,
}

/// Counts the arrival for its Domain Owner's report, when reporting is
/// on and a policy was found and evaluated (pass or fail).
pub(super) fn count(shared: &Shared, evaluated: &Evaluated<'_>, decision: &Decision) {
    if !shared.config.dmarc_report.enabled {
        return;
    }
    let dmarc = evaluated.dmarc;
    let Some(policy_domain) = &dmarc.policy_domain else {
        return;
    };
    if !matches!(dmarc.result, DmarcResult::Pass | DmarcResult::Fail) {
        return;
    }
    shared.dmarc_counts.add(DmarcObservation {
        policy_domain: policy_domain.clone(),
        day: utc_day(shared.now()),
        row: row(evaluated, decision, &shared.config.auth),
        count: 1,
    });
}

fn row(evaluated: &Evaluated<'_>, decision: &Decision, settings: &AuthSettings) -> DmarcRow {
    let dmarc = evaluated.dmarc;
    let (disposition, overrides) = applied(dmarc, decision, evaluated.arc, settings);
    let envelope_from = match evaluated.mail_from.rsplit_once('@') {
        Some((_, domain)) if !domain.is_empty() => domain.to_ascii_lowercase(),
        _ => evaluated.hop.helo.to_ascii_lowercase(),
    };
    let spf = |verdict: &SpfVerdict, scope: &str| DmarcSpf {
        domain: verdict.domain.to_ascii_lowercase(),
        scope: scope.into(),
        result: verdict.result.as_str().to_owned(),
    };
    // A null sender's MAIL FROM check is the HELO check (RFC 7208 §2.4):
    // reported once, as what it is.
    let null_sender = !evaluated.mail_from.contains('@');
    let mut spf_results = Vec::new();
    if !null_sender {
        spf_results.push(spf(evaluated.spf, "mfrom"));
    }
    if !evaluated.spf_helo.domain.is_empty() || null_sender {
        spf_results.push(spf(evaluated.spf_helo, "helo"));
    }
    DmarcRow {
        source_ip: evaluated.hop.ip,
        disposition: disposition.as_str().to_owned(),
        dkim_aligned: dmarc.dkim_aligned,
        spf_aligned: dmarc.spf_aligned,
        overrides,
        header_from: dmarc.from_domain.clone(),
        envelope_from,
        dkim: evaluated
            .dkim
            .iter()
            .filter(|d| !d.domain.is_empty())
            .map(|d| DmarcDkim {
                domain: d.domain.to_ascii_lowercase(),
                selector: d.selector.clone(),
                result: d.result.as_str().to_owned(),
            })
            .collect(),
        spf: spf_results,
    }
}

/// What we did (`disposition`), and why it is not what the published
/// policy asked, if it is not.
fn applied(
    dmarc: &DmarcVerdict,
    decision: &Decision,
    arc: &ArcVerdict,
    settings: &AuthSettings,
) -> (Policy, Vec<DmarcOverride>) {
    let done = match decision {
        Decision::Refuse(_) => Policy::Reject,
        Decision::Quarantine(_) => Policy::Quarantine,
        Decision::Accept | Decision::Mark(_) | Decision::Override(_) => Policy::None,
    };
    let mut overrides = Vec::new();
    if dmarc.result != DmarcResult::Fail {
        return (done, overrides);
    }
    let published = dmarc.policy.unwrap_or(Policy::None);
    if dmarc.disposition != published {
        overrides.push(DmarcOverride {
            kind: "sampled_out".into(),
            comment: Some("left out by the record's pct".into()),
        });
    }
    if let Decision::Override(_) = decision {
        overrides.push(DmarcOverride {
            kind: "trusted_forwarder".into(),
            comment: arc
                .trusted_dmarc_pass(&settings.trusted_arc_sealers)
                .map(|sealer| format!("ARC chain sealed by {sealer} passed, with dmarc=pass")),
        });
    } else if done != dmarc.disposition {
        overrides.push(DmarcOverride {
            kind: "local_policy".into(),
            comment: Some(format!(
                "the receiver's policy for {} is to {}",
                dmarc.disposition.as_str(),
                match done {
                    Policy::Reject => "reject",
                    Policy::Quarantine => "quarantine",
                    Policy::None => "deliver and mark",
                }
            )),
        });
    }
    (done, overrides)
}
